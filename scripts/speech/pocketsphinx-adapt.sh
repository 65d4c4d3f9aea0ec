#!/bin/sh
# pocketsphinx with Debian's en-US acoustic model adapted to 8 kHz mu-law phone audio from the
# FSDD speakers other than the held-out one, measured on the held-out speaker (docs/speech.md,
# "Alternatives measured"). Everything from Debian: pocketsphinx, pocketsphinx-en-us,
# sphinxbase-utils (sphinx_fe), sphinxtrain (bw, mllr_solve, mllr_transform, map_adapt), sox,
# python3-numpy; Node with this repository's dev dependencies for the audio export.
#   sh scripts/speech/pocketsphinx-adapt.sh FSDD_DIR SPEAKER [WORKDIR]
# The procedure is CMUSphinx's "adapting the default acoustic model":
#  1. the training speakers' clips through the measurement's phone channel (400 ms lead-in,
#     G.711 mu-law round trip), upsampled to 16 kHz (scripts/speech/export-adaptset.ts); the
#     model's own front end (the 8 kHz front end is far worse before adaptation, see the doc);
#  2. sphinx_fe with the model's feat.params; the model's sendump converted to the
#     mixture_weights that bw needs (sendump_to_mixw.py);
#  3. bw collects statistics with the digit words as transcripts; then
#     mllr: mllr_solve, one global transform, applied by the decoder (-mllr);
#     map: map_adapt (means, variances, mixture weights, transitions);
#     mllr+map: the MLLR transform applied to the means (mllr_transform), bw again on that
#     model, map_adapt from it.
# Each model is measured as pocketsphinx-baseline.sh does (isolated digits with a grammar of
# exactly one digit word, 16-digit numbers with one or more), plus false digits on ten minutes
# of non-digit speech, with and without a phone loop that competes with the digits
# (pocketsphinx_fsg.py, entering it costs GARBAGE, each phone PHONE). Prints one line per
# model and measurement. WORKDIR (default: a temporary directory, deleted) keeps the audio.
set -eu
fsdd=$1 speaker=$2
here=$(cd "$(dirname "$0")" && pwd)
src=/usr/share/pocketsphinx/model/en-us
st=/usr/lib/sphinxtrain
garbage=${GARBAGE:-0.01} phone=${PHONE:-0.1}
if [ $# -ge 3 ]; then work=$3; mkdir -p "$work"; else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
run() { nice -n 19 "$@"; }

# Test set (as the baseline) and adaptation set.
[ -f "$work/test/truth.txt" ] || run node --import tsx "$here/export-testset.ts" --fsdd "$fsdd" --speaker "$speaker" --out "$work/test" 2>/dev/null
[ -f "$work/adapt/nondigit.ctl" ] || run node --import tsx "$here/export-adaptset.ts" --fsdd "$fsdd" --hold-out "$speaker" --out "$work/adapt" 2>/dev/null
grep '^iso' "$work/test/truth.txt" | cut -d' ' -f1 > "$work/iso.ctl"
grep '^card' "$work/test/truth.txt" | cut -d' ' -f1 > "$work/card.ctl"

# Dictionary: the digit words, and one word per phone for the garbage loop.
grep -E '^(zero|zero\(2\)|oh|one|one\(2\)|two|three|four|five|six|seven|eight|nine) ' "$src/cmudict-en-us.dict" > "$work/digits.dict"
for p in AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH; do
  echo "ph_$(echo $p | tr A-Z a-z) $p"
done >> "$work/digits.dict"
python3 "$here/pocketsphinx_fsg.py" one 0 0 > "$work/one.fsg"
python3 "$here/pocketsphinx_fsg.py" many 0 0 > "$work/many.fsg"
python3 "$here/pocketsphinx_fsg.py" one "$garbage" "$phone" > "$work/one-garbage.fsg"
python3 "$here/pocketsphinx_fsg.py" many "$garbage" "$phone" > "$work/many-garbage.fsg"

# The base model with mixture_weights instead of sendump, and a text mdef for sphinxtrain.
base=$work/base
if [ ! -f "$base/mixture_weights" ]; then
  mkdir -p "$base"
  cp "$src/en-us/feat.params" "$src/en-us/mdef" "$src/en-us/means" "$src/en-us/variances" "$src/en-us/noisedict" "$src/en-us/transition_matrices" "$base/"
  python3 "$here/sendump_to_mixw.py" "$src/en-us/sendump" "$base/mixture_weights" > /dev/null
  pocketsphinx_mdef_convert -text "$src/en-us/mdef" "$base/mdef.txt" 2>/dev/null
fi

a=$work/adapt
[ -f "$a/train/t0-16k.mfc" ] || run sphinx_fe -argfile "$base/feat.params" -samprate 16000 -dither yes \
  -c "$a/train.fileids" -di "$a/train" -do "$a/train" -ei wav -eo mfc -mswav yes > "$work/fe.log" 2>&1

# bw MODEL ACCUMDIR
bw() {
  mkdir -p "$2"
  run $st/bw -hmmdir "$1" -moddeffn "$base/mdef.txt" -ts2cbfn .ptm. -feat 1s_c_d_dd -svspec 0-12/13-25/26-38 \
    -cmn batch -agc none -dictfn "$work/digits.dict" -fdictfn "$base/noisedict" \
    -ctlfn "$a/train.fileids" -lsnfn "$a/train.transcription" -cepdir "$a/train" -cepext mfc -accumdir "$2" > "$2/bw.log" 2>&1
}
# map PRIOR ACCUMDIR OUT
map() {
  mkdir -p "$3"
  cp "$base/feat.params" "$base/mdef" "$base/noisedict" "$3/"
  run $st/map_adapt -moddeffn "$base/mdef.txt" -ts2cbfn .ptm. -meanfn "$1/means" -varfn "$1/variances" \
    -mixwfn "$1/mixture_weights" -tmatfn "$1/transition_matrices" -accumdir "$2" \
    -mapmeanfn "$3/means" -mapvarfn "$3/variances" -mapmixwfn "$3/mixture_weights" -maptmatfn "$3/transition_matrices" > "$3/map.log" 2>&1
}
if [ ! -f "$work/mllrmap/means" ]; then
  bw "$base" "$work/acc"
  run $st/mllr_solve -meanfn "$base/means" -varfn "$base/variances" -outmllrfn "$work/mllr_matrix" -accumdir "$work/acc" > "$work/mllr.log" 2>&1
  map "$base" "$work/acc" "$work/map"
  mkdir -p "$work/mllr"
  cp "$base"/* "$work/mllr/"
  run $st/mllr_transform -inmeanfn "$base/means" -outmeanfn "$work/mllr/means" -mllrmat "$work/mllr_matrix" > "$work/mllr/transform.log" 2>&1
  bw "$work/mllr" "$work/acc2"
  map "$work/mllr" "$work/acc2" "$work/mllrmap"
fi

# decode NAME HMM GRAMMAR CTL DIR EXTRA...: hypotheses in $work/NAME.hyp (kept: a run on the
# same WORKDIR decodes only what is missing)
decode() {
  name=$1 hmm=$2 gram=$3 ctl=$4 dir=$5
  shift 5
  grep -q 'AVERAGE' "$work/$name.log" 2>/dev/null && return
  run pocketsphinx_batch -hmm "$hmm" "$@" -dict "$work/digits.dict" -fsg "$gram" -adcin yes -adchdr 44 -dither yes \
    -cepdir "$dir" -cepext -16k.wav -ctl "$ctl" -hyp "$work/$name.hyp" > "$work/$name.log" 2>&1
}
score() {
  /usr/bin/python3 - "$@" <<'PY'
import re, sys
words = {'zero': '0', 'oh': '0', 'one': '1', 'two': '2', 'three': '3', 'four': '4', 'five': '5', 'six': '6', 'seven': '7', 'eight': '8', 'nine': '9'}
label, truthfile, hypfile, log = sys.argv[1:5]
hyp = {}
for line in open(hypfile):
    m = re.match(r'(.*)\((\S+) -?\d+\)', line.strip())
    if m:
        hyp[m.group(2)] = ''.join(words[w.split('(')[0]] for w in m.group(1).split() if w.split('(')[0] in words)
rtf = re.findall(r'AVERAGE (\S+) xRT \(CPU\)', open(log).read())
rtf = f', real-time factor {rtf[-1]} (CPU)' if rtf else ''
if truthfile == '-':
    print(f'{label}: {sum(len(h) for h in hyp.values())} false digits in {len(hyp)} utterances{rtf}')
    sys.exit()
truth = dict(l.split() for l in open(truthfile))
def edits(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        p, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            p, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, p + (a[i - 1] != b[j - 1]))
    return d[len(b)]
for kind, title in (('iso', 'isolated digits'), ('cardclean', '16-digit, clean'), ('card20', '16-digit, 20 dB SNR')):
    names = [k for k in truth if k.startswith(kind) and k in hyp]
    if not names:
        continue
    ok = sum(hyp[k] == truth[k] for k in names)
    err = sum(edits(truth[k], hyp[k]) for k in names)
    n = sum(len(truth[k]) for k in names)
    print(f'{label}, {title}: {100 * ok / len(names):.1f} % ({ok}/{len(names)}), digit error rate {100 * err / n:.1f} %{rtf}')
PY
}

# args MODEL: the decoder options for a model, as "HMM [-mllr FILE]"
args() {
  case $1 in
    none) echo "$base" ;;
    mllr) echo "$base -mllr $work/mllr_matrix" ;;
    *) echo "$work/$1" ;;
  esac
}
# Isolated digits and false digits first (quick), the 16-digit numbers last (most audio).
# Non-digit speech with a grammar of exactly one digit and no phone loop is not decoded: it
# gives one false digit per utterance by construction.
for model in none mllr map mllrmap; do
  # shellcheck disable=SC2046
  set -- $(args $model)
  hmm=$1
  shift
  decode "$model-iso" "$hmm" "$work/one.fsg" "$work/iso.ctl" "$work/test" "$@"
  score "$speaker $model" "$work/test/truth.txt" "$work/$model-iso.hyp" "$work/$model-iso.log"
  decode "$model-iso-garbage" "$hmm" "$work/one-garbage.fsg" "$work/iso.ctl" "$work/test" "$@"
  score "$speaker $model, phone loop" "$work/test/truth.txt" "$work/$model-iso-garbage.hyp" "$work/$model-iso-garbage.log"
  for g in many one-garbage many-garbage; do
    decode "$model-nondigit-$g" "$hmm" "$work/$g.fsg" "$a/nondigit.ctl" "$a/nondigit" "$@"
    score "$speaker $model, non-digit speech, grammar $g" - "$work/$model-nondigit-$g.hyp" "$work/$model-nondigit-$g.log"
  done
done
for model in none mllr map mllrmap; do
  # shellcheck disable=SC2046
  set -- $(args $model)
  hmm=$1
  shift
  decode "$model-card" "$hmm" "$work/many.fsg" "$work/card.ctl" "$work/test" "$@"
  score "$speaker $model" "$work/test/truth.txt" "$work/$model-card.hyp" "$work/$model-card.log"
done
