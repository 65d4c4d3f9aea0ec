#!/bin/sh
# pocketsphinx out of the box on the held-out measurement utterances, for comparison with the
# word recogniser (docs/speech.md, "Alternatives measured"). Needs the Debian packages
# pocketsphinx and pocketsphinx-en-us (5prealpha), sox, and Debian's python3 (scoring).
#   sh scripts/speech/pocketsphinx-baseline.sh FSDD_DIR SPEAKER [16k|8k]
# 16k: the 8 kHz utterances upsampled, the model's own front end. 8k: -samprate 8000 -nfft 256
# and the filter bank's top at 3800 Hz (the model's feat.params says 6800, above 4 kHz; a copy of
# the model directory with that line changed is made, since the file overrides the command line).
# Grammars: the isolated digits with exactly one digit word ("zero", "oh", "one" .. "nine"; silence
# around it is the decoder's), the 16-digit numbers with one or more. (With one or more for the
# isolated clips too, the decoder inserts digits into most of them: george 5.8 % instead of 40.6 %.)
set -eu
fsdd=$1 speaker=$2 mode=${3:-16k}
here=$(cd "$(dirname "$0")" && pwd)
model=/usr/share/pocketsphinx/model/en-us
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nice -n 19 node --import tsx "$here/export-testset.ts" --fsdd "$fsdd" --speaker "$speaker" --out "$work/audio"
digit='<digit> = zero | oh | one | two | three | four | five | six | seven | eight | nine;'
printf '#JSGF V1.0;\ngrammar digits;\npublic <digits> = <digit>;\n%s\n' "$digit" > "$work/one.gram"
printf '#JSGF V1.0;\ngrammar digits;\npublic <digits> = <digit>+;\n%s\n' "$digit" > "$work/many.gram"
grep -E '^(zero|zero\(2\)|oh|one|one\(2\)|two|three|four|five|six|seven|eight|nine) ' "$model/cmudict-en-us.dict" > "$work/digits.dict"
grep '^iso' "$work/audio/truth.txt" | cut -d' ' -f1 > "$work/iso.ctl"
grep '^card' "$work/audio/truth.txt" | cut -d' ' -f1 > "$work/card.ctl"
if [ "$mode" = 8k ]; then
  mkdir "$work/hmm"
  for f in "$model"/en-us/*; do ln -s "$f" "$work/hmm/"; done
  rm "$work/hmm/feat.params"
  sed 's/-upperf 6800/-upperf 3800/' "$model/en-us/feat.params" > "$work/hmm/feat.params"
  set -- -hmm "$work/hmm" -samprate 8000 -nfft 256 -upperf 3800 -cepext -8k.wav
else
  set -- -hmm "$model/en-us" -cepext -16k.wav
fi
for part in iso:one card:many; do
  nice -n 19 pocketsphinx_batch "$@" -dict "$work/digits.dict" -jsgf "$work/${part#*:}.gram" -adcin yes -adchdr 44 -dither yes \
    -cepdir "$work/audio" -ctl "$work/${part%:*}.ctl" -hyp "$work/${part%:*}.hyp" > "$work/${part%:*}.log" 2>&1
done
/usr/bin/python3 - "$work/audio/truth.txt" "$work/iso.hyp" "$work/card.hyp" <<'PY'
import re, sys
words = {'zero': '0', 'oh': '0', 'one': '1', 'two': '2', 'three': '3', 'four': '4', 'five': '5', 'six': '6', 'seven': '7', 'eight': '8', 'nine': '9'}
truth = dict(l.split() for l in open(sys.argv[1]))
hyp = {}
for line in open(sys.argv[2]).readlines() + open(sys.argv[3]).readlines():
    m = re.match(r'(.*)\((\S+) -?\d+\)', line.strip())
    if m:
        hyp[m.group(2)] = ''.join(words.get(w.split('(')[0], '?') for w in m.group(1).split())
for kind, title in (('iso', 'isolated digits'), ('cardclean', '16-digit, clean'), ('card20', '16-digit, 20 dB SNR')):
    names = [k for k in truth if k.startswith(kind)]
    ok = sum(hyp.get(k) == truth[k] for k in names)
    print(f'{title}: {100 * ok / len(names):.1f} % ({ok}/{len(names)})')
PY
