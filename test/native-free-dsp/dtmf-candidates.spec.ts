// Tone candidates (onToneCandidate / onToneCandidateEnd), the early events clamping relies on:
// one per track, confirmed or not, the start ahead of onDigitStart with the same onset
// estimate, 20 ms tones (rejected as digits, accepted by multimon-ng) still reported, every
// candidate closed, and the same events whatever the chunking.
import t from 'tap';
import { createDtmfDetector, detectDtmf, dtmfFlush, dtmfRx, type DtmfDigitEvent } from '../../native-free-dsp/dtmf-detector.js';
import { DTMF_DIGITS, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { layTones, onTheLine, TIME_TOLERANCE_MS, type ToneSpec } from '../helpers/dtmf-cases.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { addWhiteNoise, pick, randomInt, SAMPLES_PER_MS, seedBanner, streamRng } from '../helpers/signals.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t);

type Logged =
  | { readonly kind: 'candidate'; readonly digit: DtmfDigit; readonly ms: number; readonly atSample: number }
  | { readonly kind: 'candidate-end'; readonly ms: number; readonly atSample: number }
  | { readonly kind: 'start'; readonly digit: DtmfDigit; readonly ms: number; readonly atSample: number }
  | { readonly kind: 'digit'; readonly event: DtmfDigitEvent; readonly atSample: number };

function feed(pcm: Int16Array, nextChunk: () => number): Logged[] {
  const log: Logged[] = [];
  let pushed = 0;
  const detector = createDtmfDetector({
    onToneCandidate: (ms, digit) => log.push({ kind: 'candidate', digit, ms, atSample: pushed }),
    onToneCandidateEnd: (ms) => log.push({ kind: 'candidate-end', ms, atSample: pushed }),
    onDigitStart: (digit, ms) => log.push({ kind: 'start', digit, ms, atSample: pushed }),
    onDigit: (event) => log.push({ kind: 'digit', event, atSample: pushed }),
  });
  let offset = 0;
  while (offset < pcm.length) {
    const n = Math.min(Math.max(1, nextChunk()), pcm.length - offset);
    pushed = offset + n;
    dtmfRx(detector, pcm.subarray(offset, offset + n));
    offset += n;
  }
  dtmfFlush(detector);
  return log;
}

/** Order problems: candidate, [start, digit], candidate-end; never nested; digits inside a candidate. */
function orderProblems(log: readonly Logged[]): string[] {
  const problems: string[] = [];
  let open: Extract<Logged, { kind: 'candidate' }> | undefined;
  let started = false;
  for (const entry of log) {
    if (entry.kind === 'candidate') {
      if (open !== undefined) problems.push(`candidate ${entry.digit}@${entry.ms} while ${open.digit}@${open.ms} is open`);
      open = entry;
      started = false;
    } else if (entry.kind === 'candidate-end') {
      if (open === undefined) problems.push(`candidate end @${entry.ms} without a candidate`);
      open = undefined;
    } else if (entry.kind === 'start') {
      if (open === undefined || open.digit !== entry.digit) problems.push(`onDigitStart ${entry.digit}@${entry.ms} outside its candidate`);
      else if (entry.ms < open.ms - TIME_TOLERANCE_MS || entry.ms > open.ms + TIME_TOLERANCE_MS) problems.push(`onDigitStart ${entry.digit}@${entry.ms} far from its candidate's start ${open.ms}`);
      started = true;
    } else if (open === undefined || !started) problems.push(`onDigit ${entry.event.digit}@${entry.event.startMs} outside a started candidate`);
  }
  if (open !== undefined) problems.push(`candidate ${open.digit}@${open.ms} never ended, even after dtmfFlush`);
  return problems;
}

t.test('every tone, 20 ms ones included, is a candidate early, before confirmation', async (t) => {
  const rng = streamRng('candidates/early');
  for (const codec of codecs) {
    const tones = DTMF_DIGITS.map((digit): ToneSpec => ({ digit, durationMs: pick(rng, [20, 25, 40, 100]), gapBeforeMs: 100, lowDbm0: pick(rng, [-25, -10, -3]), twistDb: pick(rng, [-4, 0, 8]) }));
    const layout = layTones(rng, tones);
    const log = feed(onTheLine(layout.mix, codec), () => 1);
    t.same(orderProblems(log), [], `[${codec}] callbacks in order`);
    const candidates = log.filter((e): e is Extract<Logged, { kind: 'candidate' }> => e.kind === 'candidate');
    const ends = log.filter((e): e is Extract<Logged, { kind: 'candidate-end' }> => e.kind === 'candidate-end');
    if (!t.equal(candidates.length, tones.length, `[${codec}] one candidate per tone`, { found: candidates.map((c) => `${c.digit}@${c.ms}`) })) continue;
    const latencies: number[] = [];
    const problems: string[] = [];
    candidates.forEach((c, i) => {
      const truth = layout.truth[i];
      const latencyMs = (c.atSample - truth.startSample) / SAMPLES_PER_MS;
      latencies.push(latencyMs);
      if (c.digit !== truth.digit) problems.push(`${truth.digit}: candidate says ${c.digit}`);
      if (Math.abs(c.ms - truth.startMs) > TIME_TOLERANCE_MS) problems.push(`${truth.digit}: onset ${c.ms} ms, truth ${truth.startMs} ms`);
      if (latencyMs > 20) problems.push(`${truth.digit}: candidate ${latencyMs.toFixed(1)} ms after onset`);
      if (Math.abs(ends[i].ms - truth.endMs) > TIME_TOLERANCE_MS + 2) problems.push(`${truth.digit}: candidate end ${ends[i].ms} ms, truth ${truth.endMs} ms`);
    });
    t.same(problems, [], `[${codec}] onset within ${TIME_TOLERANCE_MS} ms, reported within 20 ms, end within ${TIME_TOLERANCE_MS + 2} ms`);
    t.comment(`[${codec}] candidate latency after onset: min ${Math.min(...latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
    // Digits are unchanged by listening to candidates, and the candidate ends with the digit.
    const digits = log.flatMap((e) => (e.kind === 'digit' ? [e.event] : []));
    t.same(digits, detectDtmf(onTheLine(layout.mix, codec)), `[${codec}] onDigit events equal detectDtmf's`);
    for (const d of digits) {
      const i = log.findIndex((e) => e.kind === 'digit' && e.event === d);
      const next = log[i + 1];
      t.ok(next?.kind === 'candidate-end' && next.ms === d.endMs, `[${codec}] ${d.digit}: candidate end right after onDigit with its endMs`);
    }
  }
});

t.test('candidate events are the same for any chunking', async (t) => {
  const rng = streamRng('candidates/chunks');
  const tones: ToneSpec[] = [];
  for (let i = 0; i < 64; i++)
    tones.push({ digit: pick(rng, DTMF_DIGITS), durationMs: randomInt(rng, 15, 120), gapBeforeMs: randomInt(rng, 10, 80), lowDbm0: randomInt(rng, -30, -3), twistDb: randomInt(rng, -5, 9) });
  const layout = layTones(rng, tones);
  addWhiteNoise(layout.mix, rng, -40);
  const pcm = onTheLine(layout.mix, 'linear');
  const strip = (log: Logged[]): unknown[] => log.map(({ atSample: _atSample, ...rest }) => rest);
  const reference = strip(feed(pcm, () => pcm.length));
  t.same(orderProblems(feed(pcm, () => pcm.length)), [], 'callbacks in order');
  const chunkRng = streamRng('candidates/chunk-sizes');
  for (const [name, next] of [
    ['1', () => 1],
    ['51', () => 51],
    ['160', () => 160],
    ['random 1-700', () => randomInt(chunkRng, 1, 700)],
  ] as const) {
    t.same(strip(feed(pcm, next)), reference, `chunks of ${name}: same events`);
  }
});

t.test('a detector without candidate callbacks gives the same digits', async (t) => {
  const rng = streamRng('candidates/optional');
  const layout = layTones(
    rng,
    [...'159#'].map((digit): ToneSpec => ({ digit: digit as DtmfDigit, durationMs: 60, gapBeforeMs: 50 })),
  );
  const pcm = onTheLine(layout.mix, 'linear');
  const log = feed(pcm, () => 80);
  t.same(
    log.flatMap((e) => (e.kind === 'digit' ? [e.event] : [])),
    detectDtmf(pcm),
  );
  t.equal(log.filter((e) => e.kind === 'candidate').length, 4);
});
