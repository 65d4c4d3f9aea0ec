// Keeps our expectations honest against independent decoders run on the same generated audio:
// - multimon-ng must also find every digit in the clearly valid cases (nominal frequencies,
//   40 ms and longer, 0 .. -25 dBm0): it agrees with what we call a DTMF digit;
// - libspandsp's dtmf_rx (a small C harness) is run on the same cases and on the +-1.5 % cases,
//   where it misses the 1633 Hz column: we assert ours finds them and record spandsp's result;
// - the rejected cases, talk-down and talk-off are also run through both and only recorded.
// - dtmf2num must find the clearly valid 100 ms digits too, short of 0 dBm0 (shorter and clipped
//   ones are recorded); it is not run on speech, where it reports hundreds of false digits.
import t from 'tap';
import { DTMF_DIGITS, DTMF_HIGH_HZ, DTMF_LOW_HZ, dtmfFrequencies, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { msToSamples } from '../../native-free-dsp/tone-generator.js';
import {
  loadCorpus,
  MUSIC_DIR,
  REQUIRE_DTMF2NUM,
  REQUIRE_GCC,
  REQUIRE_MULTIMON,
  REQUIRE_MUSIC,
  REQUIRE_SOX,
  REQUIRE_SPANDSP,
  REQUIRE_SPEECH,
  requireTools,
  SPEECH_DIR,
} from '../helpers/audio-files.js';
import { detect, digitsOf, layTones, mixTone, onTheLine, type ToneSpec } from '../helpers/dtmf-cases.js';
import { buildSpandspHarness, runDtmf2num, runMultimon, runSpandsp } from '../helpers/reference-decoders.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { codecRoundTrip, seedBanner, streamRng, type Codec, type Rng } from '../helpers/signals.js';
import { buildTalkDown } from '../helpers/talk-down.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t);

interface RefCase {
  readonly name: string;
  readonly tone: ToneSpec;
  /** The digit a conforming decoder reports ('' = none). */
  readonly expected: string;
}

/** Cases laid one per slot (100 ms lead, tone, 400 ms tail) in one signal. */
interface Batch {
  readonly cases: readonly RefCase[];
  readonly mix: Float64Array;
  /** slotStart[i] .. slotStart[i + 1]: case i. */
  readonly slotStart: number[];
}

function makeBatch(rng: Rng, cases: readonly RefCase[]): Batch {
  const mixes = cases.map((c) => layTones(rng, [c.tone], { leadMs: 100, trailMs: 400 }).mix);
  const slotStart: number[] = [];
  let total = 0;
  for (const mix of mixes) {
    slotStart.push(total);
    total += mix.length;
  }
  slotStart.push(total);
  const mix = new Float64Array(total);
  mixes.forEach((m, i) => mix.set(m, slotStart[i]));
  return { cases, mix, slotStart };
}

/** Per case, what one decoder reported. */
type Found = string[];

function ours(batch: Batch, pcm: Int16Array): Found {
  return batch.cases.map((_, i) => {
    const result = detect(pcm.subarray(batch.slotStart[i], batch.slotStart[i + 1]));
    return result instanceof Error ? `threw: ${result.message}` : digitsOf(result);
  });
}

function spandsp(harness: string, batch: Batch, pcm: Int16Array): Found {
  const found: Found = batch.cases.map(() => '');
  for (const d of runSpandsp(harness, pcm)) {
    // Reported at the end of a 20 ms block during or just after the tone: find its slot.
    let slot = 0;
    while (slot + 1 < batch.cases.length && batch.slotStart[slot + 1] < d.atSample) slot++;
    found[slot] += d.digit;
  }
  return found;
}

/**
 * multimon-ng gives no positions, so one run covers the batch with a marker tone (a clear
 * 100 ms digit other than the neighbouring cases' digits) before each case and after the last:
 * what it reports between two markers belongs to the case between them. If a marker goes
 * missing, each case is run on its own.
 */
function multimon(batch: Batch, pcm: Int16Array, codec: Codec): Found {
  const n = batch.cases.length;
  const markers: string[] = [];
  for (let i = 0; i <= n; i++) {
    const avoid = new Set([batch.cases[i - 1]?.tone.digit, batch.cases[i]?.tone.digit]);
    markers.push(MARKER_DIGITS.find((d) => !avoid.has(d)) ?? '');
  }
  const parts: Int16Array[] = [];
  for (let i = 0; i <= n; i++) {
    parts.push(markerAudio(markers[i] as DtmfDigit, codec));
    if (i < n) parts.push(pcm.subarray(batch.slotStart[i], batch.slotStart[i + 1]));
  }
  const found: Found = batch.cases.map(() => '');
  let next = 0; // index of the next marker expected
  for (const { digit } of runMultimon(concatInt16(parts))) {
    if (next <= n && digit === markers[next]) next++;
    else if (next >= 1 && next <= n) found[next - 1] += digit;
  }
  if (next === n + 1) return found;
  return batch.cases.map((_, i) =>
    runMultimon(pcm.subarray(batch.slotStart[i], batch.slotStart[i + 1]))
      .map((d) => d.digit)
      .join(''),
  );
}

const MARKER_DIGITS: readonly DtmfDigit[] = ['D', 'C', '#'];

function markerAudio(digit: DtmfDigit, codec: Codec): Int16Array {
  const mix = new Float64Array(msToSamples(400));
  mixTone(streamRng('reference/marker'), mix, msToSamples(150), { digit, durationMs: 100 });
  return onTheLine(mix, codec);
}

const agree = (batch: Batch, found: Found): number => found.filter((f, i) => f === batch.cases[i].expected).length;

let harness: string | undefined;
t.before(() => {
  if (REQUIRE_GCC.present() && REQUIRE_SPANDSP.present()) harness = buildSpandspHarness();
});

function clearlyValidCases(): RefCase[] {
  const cases: RefCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const level of [0, -10, -20, -25]) cases.push({ name: `${digit} 100 ms at ${level} dBm0`, tone: { digit, durationMs: 100, lowDbm0: level, highDbm0: level }, expected: digit });
    for (const durationMs of [40, 45, 50]) cases.push({ name: `${digit} ${durationMs} ms at -10 dBm0`, tone: { digit, durationMs }, expected: digit });
  }
  return cases;
}

t.test('clearly valid digits: multimon-ng and ours find every one', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON)) return;
  const batch = makeBatch(streamRng('reference/clear'), clearlyValidCases());
  for (const codec of codecs) {
    const pcm = onTheLine(batch.mix, codec);
    const mm = multimon(batch, pcm, codec);
    const us = ours(batch, pcm);
    const mmMisses = batch.cases.flatMap((c, i) => (mm[i] === c.expected ? [] : [`${c.name}: multimon-ng "${mm[i]}"`]));
    const ourMisses = batch.cases.flatMap((c, i) => (us[i] === c.expected ? [] : [`${c.name}: ours "${us[i]}"`]));
    t.same(mmMisses, [], `[${codec}] multimon-ng finds all ${batch.cases.length} clearly valid digits (it agrees with our notion of a digit)`);
    t.same(ourMisses, [], `[${codec}] ours finds all ${batch.cases.length} clearly valid digits`);
    if (harness !== undefined)
      t.comment(`[${codec}] clearly valid: spandsp ${agree(batch, spandsp(harness, batch, pcm))}/${batch.cases.length}, multimon-ng ${agree(batch, mm)}, ours ${agree(batch, us)}`);
  }
});

t.test('clearly valid digits: dtmf2num finds the 100 ms ones below clipping, in order', async (t) => {
  if (!requireTools(t, REQUIRE_DTMF2NUM)) return;
  // dtmf2num (Asterisk's dsp.c) misses some 40-50 ms tones, depending on their alignment with
  // its blocks, and splits clipped pairs: those are recorded, multimon-ng vouches for them.
  const all = clearlyValidCases();
  const asserted = all.filter((c) => c.tone.durationMs === 100 && (c.tone.lowDbm0 ?? -10) < 0);
  const recorded = all.filter((c) => !asserted.includes(c));
  for (const codec of codecs) {
    const batch = makeBatch(streamRng('reference/dtmf2num'), asserted);
    t.equal(runDtmf2num(onTheLine(batch.mix, codec)), asserted.map((c) => c.expected).join(''), `[${codec}] dtmf2num reports the ${asserted.length} digits in order`);
    const others = makeBatch(streamRng('reference/dtmf2num-recorded'), recorded);
    t.comment(`[${codec}] 40-50 ms and 0 dBm0 cases: dtmf2num "${runDtmf2num(onTheLine(others.mix, codec))}", expected "${recorded.map((c) => c.expected).join('')}"`);
  }
});

t.test('+-1.5 % deviation: ours finds every tone, spandsp recorded', async (t) => {
  const haveSpandsp = requireTools(t, REQUIRE_GCC, REQUIRE_SPANDSP);
  const haveMultimon = requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON);
  const cases: RefCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const [low, high] of [
      [0.015, 0],
      [-0.015, 0],
      [0, 0.015],
      [0, -0.015],
      [0.015, 0.015],
      [-0.015, -0.015],
      [0.015, -0.015],
      [-0.015, 0.015],
    ]) {
      cases.push({ name: `${digit} low ${low * 100}% high ${high * 100}%`, tone: { digit, durationMs: 100, lowOffset: low, highOffset: high }, expected: digit });
    }
  }
  const batch = makeBatch(streamRng('reference/offsets'), cases);
  for (const codec of codecs) {
    const pcm = onTheLine(batch.mix, codec);
    const us = ours(batch, pcm);
    const sp = haveSpandsp && harness !== undefined ? spandsp(harness, batch, pcm) : undefined;
    const mm = haveMultimon && codec === 'linear' ? multimon(batch, pcm, codec) : undefined;
    const ourMisses = batch.cases.flatMap((c, i) => (us[i] === c.expected ? [] : [`${c.name}: got "${us[i]}"`]));
    t.same(ourMisses, [], `[${codec}] ours finds all ${batch.cases.length} digits at +-1.5 % (every tone, each sign, and both tones)`);
    // Per tone and sign: how many of the cases with that tone deviated each decoder found.
    const rows: string[] = [];
    for (const [group, freqs] of [
      ['low', DTMF_LOW_HZ],
      ['high', DTMF_HIGH_HZ],
    ] as const) {
      for (const hz of freqs) {
        for (const sign of [1, -1]) {
          const idx = batch.cases.flatMap((c, i) => {
            const f = dtmfFrequencies(c.tone.digit);
            const offset = group === 'low' ? c.tone.lowOffset : c.tone.highOffset;
            return (group === 'low' ? f.lowHz : f.highHz) === hz && offset === sign * 0.015 ? [i] : [];
          });
          const count = (found: Found | undefined): string => (found === undefined ? 'n/a' : `${idx.filter((i) => found[i] === batch.cases[i].expected).length}/${idx.length}`);
          rows.push(`${String(hz).padStart(4)} Hz ${sign > 0 ? '+' : '-'}1.5%: ours ${count(us)}, spandsp ${count(sp)}, multimon-ng ${count(mm)}`);
        }
      }
    }
    t.comment(`[${codec}] +-1.5 % deviation, cases found per deviated tone:\n${rows.join('\n')}`);
  }
});

t.test('rejected cases: what each decoder does (recorded only)', async (t) => {
  const haveSpandsp = requireTools(t, REQUIRE_GCC, REQUIRE_SPANDSP);
  const haveMultimon = requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON);
  const groups: { name: string; make: (digit: DtmfDigit) => ToneSpec[] }[] = [
    {
      name: '+-3.5 % on one tone',
      make: (digit) => [
        { digit, durationMs: 500, lowOffset: 0.035 },
        { digit, durationMs: 500, lowOffset: -0.035 },
        { digit, durationMs: 500, highOffset: 0.035 },
        { digit, durationMs: 500, highOffset: -0.035 },
      ],
    },
    {
      name: 'normal twist 10 dB / reverse twist 6 dB',
      make: (digit) => [
        { digit, durationMs: 500, lowDbm0: -5, highDbm0: -15 },
        { digit, durationMs: 500, lowDbm0: -11, highDbm0: -5 },
      ],
    },
    { name: '-45 dBm0 per tone', make: (digit) => [{ digit, durationMs: 500, lowDbm0: -45 }] },
    { name: '20 ms', make: (digit) => [{ digit, durationMs: 20 }] },
  ];
  for (const group of groups) {
    const cases = DTMF_DIGITS.flatMap((digit) => group.make(digit).map((tone): RefCase => ({ name: `${digit}`, tone, expected: '' })));
    const batch = makeBatch(streamRng(`reference/rejected/${group.name}`), cases);
    const line: string[] = [];
    for (const codec of codecs) {
      const pcm = onTheLine(batch.mix, codec);
      const reported = (found: Found | undefined): string => (found === undefined ? 'n/a' : `${found.filter((f) => f !== '').length}`);
      const sp = haveSpandsp && harness !== undefined ? spandsp(harness, batch, pcm) : undefined;
      const mm = haveMultimon && codec === 'linear' ? multimon(batch, pcm, codec) : undefined;
      line.push(`[${codec}] ours ${reported(ours(batch, pcm))}, spandsp ${reported(sp)}, multimon-ng ${reported(mm)}`);
    }
    t.comment(`${group.name} (${cases.length} cases, should be rejected), cases reported as a digit: ${line.join('; ')}`);
  }
});

t.test('talk-down and talk-off: spandsp and multimon-ng on the same audio (recorded only)', async (t) => {
  if (!requireTools(t, REQUIRE_SPEECH, REQUIRE_MUSIC, REQUIRE_SOX)) return;
  const haveSpandsp = requireTools(t, REQUIRE_GCC, REQUIRE_SPANDSP);
  const haveMultimon = requireTools(t, REQUIRE_MULTIMON);
  const speech = loadCorpus(SPEECH_DIR);
  // The same set as dtmf-talk-down.test.ts (same stream name, same corpus).
  const set = buildTalkDown(streamRng('talk-down'), speech);
  const gap = new Float64Array(4000); // 500 ms between files
  const parts: Float64Array[] = [];
  let expected = '';
  for (const item of set.items) {
    parts.push(item.mix, gap);
    expected += digitsOf(item.truth);
  }
  const talkDown = concat(parts);
  const musicPcm = loadCorpus(MUSIC_DIR).map((f) => f.pcm);
  const talkOff = concatInt16([...speech.map((f) => f.pcm), ...musicPcm]);
  for (const codec of ['linear', 'ulaw'] as Codec[]) {
    if (!codecs.includes(codec)) continue;
    const pcm = onTheLine(talkDown, codec);
    const results: string[] = [];
    if (haveSpandsp && harness !== undefined) {
      results.push(
        `spandsp ${score(
          expected,
          runSpandsp(harness, pcm)
            .map((d) => d.digit)
            .join(''),
        )}`,
      );
      results.push(`spandsp talk-off ${runSpandsp(harness, codecRoundTrip(talkOff, codec)).length} false digit(s) in ${(talkOff.length / 8000 / 60).toFixed(1)} min`);
    }
    if (haveMultimon && codec === 'linear')
      results.push(
        `multimon-ng ${score(
          expected,
          runMultimon(pcm)
            .map((d) => d.digit)
            .join(''),
        )}`,
      );
    const us = set.items.map((item) => detect(onTheLine(item.mix, codec)));
    const ourDigits = us.map((r) => (r instanceof Error ? '' : digitsOf(r))).join('');
    results.push(`ours ${score(expected, ourDigits)}`);
    t.comment(`[${codec}] talk-down, ${expected.length} digits 6 dB above the speech under them: ${results.join('; ')}`);
  }
  t.pass('recorded');
});

/** "found/expected (LCS), extra" for a reported digit string against the expected one. */
function score(expected: string, got: string): string {
  const lcs = longestCommonSubsequence(expected, got);
  return `${lcs}/${expected.length} found, ${got.length - lcs} extra`;
}

function longestCommonSubsequence(a: string, b: string): number {
  let prev = new Uint16Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const row = new Uint16Array(b.length + 1);
    for (let j = 1; j <= b.length; j++) row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    prev = row;
  }
  return prev[b.length];
}

function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function concatInt16(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
