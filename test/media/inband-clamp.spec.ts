// The in-band clamp's contract: output = input delayed by the lookahead, bit-identical outside
// muted spans; any chunking gives the same output; each mode puts what it promises in the span;
// crossfades (no clicks); options validated with coded errors; digits reported as detect does.
import t from 'tap';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { DTMF_DIGITS, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { dbm0ToAmplitude } from '../../native-free-dsp/levels.js';
import { mixSine, msToSamples } from '../../native-free-dsp/tone-generator.js';
import { clampPcm, DEFAULT_INBAND_CLAMP_OPTIONS, InbandClamp, InbandClampError, type ClampMode } from '../../src/media/clamp/inband-clamp.js';
import { loadFixture, projectRoot } from '../../bench/fixture.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { digitsOf, layTones, onTheLine, type ToneSpec } from '../helpers/dtmf-cases.js';
import { addWhiteNoise, levelDbm0, pick, randomInt, SAMPLES_PER_MS, seedBanner, streamRng } from '../helpers/signals.js';

t.comment(seedBanner());
await prepareCodecs(t);

/** Index of the first difference of two arrays (-1: equal, same length); cheap on long arrays. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const MODES: readonly ClampMode[] = ['silence', 'noise', 'tone', 'digit'];

type Range = readonly [number, number];

/** A mu-law line of `count` random keys (duration, gap before and level drawn from the ranges) over white noise. */
function randomKeys(seed: string, count: number, durationMs: Range, gapMs: Range, lowDbm0: Range, noiseDbm0: number): Int16Array {
  const rng = streamRng(seed);
  const tones: ToneSpec[] = [];
  for (let i = 0; i < count; i++) {
    tones.push({ digit: pick(rng, DTMF_DIGITS), durationMs: randomInt(rng, ...durationMs), gapBeforeMs: randomInt(rng, ...gapMs), lowDbm0: randomInt(rng, ...lowDbm0) });
  }
  const layout = layTones(rng, tones);
  addWhiteNoise(layout.mix, rng, noiseDbm0);
  return onTheLine(layout.mix, 'ulaw');
}

function streamed(pcm: Int16Array, mode: ClampMode, next: () => number): Int16Array {
  const clamp = new InbandClamp({ mode });
  const out = new Int16Array(pcm.length);
  let offset = 0;
  while (offset < pcm.length) {
    const n = Math.min(Math.max(1, next()), pcm.length - offset);
    clamp.push(pcm.subarray(offset, offset + n), out.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

t.test('without tones the output is the input delayed by the lookahead, bit for bit', async (t) => {
  const rng = streamRng('clamp/pass-through');
  const mix = new Float64Array(8000 * 3);
  addWhiteNoise(mix, rng, -40);
  mixSine(mix, 0, mix.length, 440, -15);
  mixSine(mix, 0, mix.length, 1209, -30);
  const pcm = onTheLine(mix, 'linear');
  const delay = msToSamples(DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs);
  for (const mode of MODES) {
    const out = streamed(pcm, mode, () => 160);
    t.equal(firstDifference(out.subarray(0, delay), new Int16Array(delay)), -1, `[${mode}] the first ${delay} samples are silence`);
    t.equal(firstDifference(out.subarray(delay), pcm.subarray(0, pcm.length - delay)), -1, `[${mode}] then the input, delayed by ${delay} samples`);
    const offline = clampPcm(pcm, { mode });
    t.equal(firstDifference(offline.output, pcm), -1, `[${mode}] clampPcm: same length, aligned with the input, identical`);
    t.equal(offline.mutedSamples, 0, `[${mode}] nothing muted`);
  }
});

t.test('the delay line holds from one detector sub-block to the longest lookahead, in any chunking and in place', async (t) => {
  const rng = streamRng('clamp/delay-range');
  const mix = new Float64Array(8000 * 2);
  addWhiteNoise(mix, rng, -30);
  mixSine(mix, 0, mix.length, 440, -15);
  const pcm = onTheLine(mix, 'linear');
  const chunkRng = streamRng('clamp/delay-range-chunks');
  // The clamp's delay line is the detector's history: these are the shortest and longest delays it takes.
  for (const lookaheadMs of [51 / 8, 922 / 8]) {
    const delay = Math.round(lookaheadMs * SAMPLES_PER_MS);
    for (const inPlace of [false, true]) {
      const clamp = new InbandClamp({ lookaheadMs });
      // In place through two views of the same samples, not the same array object.
      const out = inPlace ? pcm.slice() : new Int16Array(pcm.length);
      for (let offset = 0; offset < pcm.length;) {
        const n = Math.min(randomInt(chunkRng, 1, 400), pcm.length - offset);
        clamp.push((inPlace ? out : pcm).subarray(offset, offset + n), out.subarray(offset, offset + n));
        offset += n;
      }
      const how = `${delay} samples${inPlace ? ', in place' : ''}`;
      t.equal(firstDifference(out.subarray(0, delay), new Int16Array(delay)), -1, `[${how}] silence first`);
      t.equal(firstDifference(out.subarray(delay), pcm.subarray(0, pcm.length - delay)), -1, `[${how}] then the input, delayed`);
    }
  }
  for (const lookaheadMs of [50 / 8, 923 / 8]) {
    t.throws(() => new InbandClamp({ lookaheadMs }), { code: 'ERR_CLAMP_OPTION' }, `a lookahead of ${Math.round(lookaheadMs * SAMPLES_PER_MS)} samples is refused`);
  }
});

t.test('any chunking gives the same output', async (t) => {
  const pcm = randomKeys('clamp/chunks', 40, [15, 120], [20, 120], [-28, -3], -45);
  const chunkRng = streamRng('clamp/chunk-sizes');
  for (const mode of MODES) {
    const reference = streamed(pcm, mode, () => pcm.length);
    t.ok(firstDifference(reference, pcm) >= 0, `[${mode}] the tones changed the output`);
    for (const [name, next] of [
      ['1', () => 1],
      ['51', () => 51],
      ['160', () => 160],
      ['random 1-900', () => randomInt(chunkRng, 1, 900)],
    ] as const) {
      t.equal(firstDifference(streamed(pcm, mode, next), reference), -1, `[${mode}] chunks of ${name}: same output`);
    }
    // Output written over the input (push's output may be its input): the same output.
    const clamp = new InbandClamp({ mode });
    const inPlace = pcm.slice();
    for (let offset = 0; offset < inPlace.length; offset += 160) {
      const piece = inPlace.subarray(offset, Math.min(offset + 160, inPlace.length));
      clamp.push(piece, piece);
    }
    t.equal(firstDifference(inPlace, reference), -1, `[${mode}] in place: same output`);
  }
});

t.test('replacedOnly: only the replaced output samples are written; weights, digits and replaced samples as without it', async (t) => {
  const pcm = randomKeys('clamp/replaced-only', 20, [40, 120], [40, 200], [-28, -3], -45);
  const SENTINEL = 12345;
  for (const mode of MODES) {
    const run = (replacedOnly: boolean): { output: Int16Array; weights: Float32Array; digits: string } => {
      const events: { digit: DtmfDigit }[] = [];
      const clamp = new InbandClamp({ mode, replacedOnly }, { onDigit: (e) => events.push(e) });
      const output = new Int16Array(pcm.length).fill(SENTINEL);
      const weights = new Float32Array(pcm.length);
      for (let offset = 0; offset < pcm.length; offset += 160) {
        const end = Math.min(offset + 160, pcm.length);
        clamp.push(pcm.subarray(offset, end), output.subarray(offset, end), end - offset, weights.subarray(offset, end));
      }
      return { output, weights, digits: digitsOf(events) };
    };
    const full = run(false);
    const only = run(true);
    t.equal(only.digits, full.digits, `[${mode}] the same digits`);
    t.equal(firstDifference(only.weights, full.weights), -1, `[${mode}] the same weights`);
    let replaced = 0;
    let wrong = 0;
    for (let k = 0; k < pcm.length; k++) {
      if (full.weights[k] === 0) wrong += only.output[k] === SENTINEL ? 0 : 1;
      else {
        replaced++;
        wrong += only.output[k] === full.output[k] ? 0 : 1;
      }
    }
    t.ok(replaced > 1000, `[${mode}] ${replaced} samples replaced`);
    t.equal(wrong, 0, `[${mode}] unreplaced samples left as they were, replaced ones as without replacedOnly`);
  }
});

t.test('reset(): from there the same output and digits as a new clamp, in every mode', async (t) => {
  const pcm = randomKeys('clamp/reset', 12, [30, 120], [40, 120], [-25, -5], -40);
  // Reset in the middle of a tone, with spans pending and the background measured.
  const cut = Math.floor(pcm.length / 2);
  for (const mode of MODES) {
    const fresh: string[] = [];
    const expected = new Int16Array(pcm.length - cut);
    new InbandClamp({ mode }, { onDigit: (e) => fresh.push(`${e.digit}@${e.startMs}`) }).push(pcm.subarray(cut), expected);
    const again: string[] = [];
    const clamp = new InbandClamp({ mode }, { onDigit: (e) => again.push(`${e.digit}@${e.startMs}`) });
    clamp.push(pcm.subarray(0, cut), new Int16Array(cut));
    t.ok(again.length > 0 && clamp.mutedSamples > 0, `[${mode}] digits and muting before the reset`);
    again.length = 0;
    clamp.reset();
    t.equal(clamp.position, 0, `[${mode}] the line starts over`);
    const out = new Int16Array(pcm.length - cut);
    clamp.push(pcm.subarray(cut), out);
    t.equal(firstDifference(out, expected), -1, `[${mode}] same output as a new clamp`);
    t.same(again, fresh, `[${mode}] same digits, same times`);
  }
  const closed = new InbandClamp();
  closed.close();
  t.throws(() => closed.reset(), { code: 'ERR_CLAMP_CLOSED' });
});

t.test('each mode: what the listener hears in the span', async (t) => {
  const rng = streamRng('clamp/modes');
  const layout = layTones(rng, [{ digit: '5', durationMs: 200, lowDbm0: -8 }], { leadMs: 400, trailMs: 400 });
  addWhiteNoise(layout.mix, rng, -50);
  const pcm = onTheLine(layout.mix, 'linear');
  const tone = layout.truth[0];
  // The middle of the span: well inside, away from the fades.
  const from = tone.startSample + 10 * SAMPLES_PER_MS;
  const to = tone.endSample - 10 * SAMPLES_PER_MS;
  for (const mode of MODES) {
    const { output, digits } = clampPcm(pcm, { mode });
    t.equal(digitsOf(digits), '5', `[${mode}] the removed digit is reported`);
    const inside = output.subarray(from, to);
    if (mode === 'silence')
      t.ok(
        inside.every((x) => x === 0),
        '[silence] zeros',
      );
    if (mode === 'noise') {
      const level = levelDbm0(inside);
      t.ok(level > -56 && level < -44, `[noise] comfort noise near the -50 dBm0 background (${level.toFixed(1)} dBm0)`);
    }
    if (mode === 'tone') {
      const level = levelDbm0(inside);
      t.ok(Math.abs(level - DEFAULT_INBAND_CLAMP_OPTIONS.maskToneDbm0) < 0.5, `[tone] the masking tone at ${DEFAULT_INBAND_CLAMP_OPTIONS.maskToneDbm0} dBm0 (${level.toFixed(2)})`);
      t.same(detectDtmf(output), [], '[tone] no digit in the output');
    }
    if (mode === 'digit') t.equal(digitsOf(detectDtmf(output)), DEFAULT_INBAND_CLAMP_OPTIONS.replacementDigit, '[digit] only the fixed digit in the output');
    // Outside the span (with its pads) the output is the input.
    const pad = 40 * SAMPLES_PER_MS;
    let changed = 0;
    for (let n = 0; n < pcm.length; n++) if ((n < tone.startSample - pad || n >= tone.endSample + pad) && output[n] !== pcm[n]) changed++;
    t.equal(changed, 0, `[${mode}] nothing changed more than 40 ms from the tone`);
  }
});

t.test('edges are crossfaded: no click on a steady background', async (t) => {
  // A 300 Hz sine under the digit: its largest sample step is 0.24 of its amplitude; cutting it
  // to silence without a fade would step by up to its whole amplitude.
  const rng = streamRng('clamp/fades');
  const amplitude = dbm0ToAmplitude(-12);
  for (const mode of MODES) {
    const layout = layTones(rng, [{ digit: pick(rng, DTMF_DIGITS), durationMs: 80, lowDbm0: -10 }], { leadMs: 300, trailMs: 300 });
    mixSine(layout.mix, 0, layout.mix.length, 300, -12);
    const pcm = onTheLine(layout.mix, 'linear');
    const { output, mutedSamples } = clampPcm(pcm, { mode });
    t.ok(mutedSamples > 0, `[${mode}] something was muted`);
    const tone = layout.truth[0];
    let largest = 0;
    // Only the edges: outside the tone itself, where background meets replacement.
    for (let n = 1; n < output.length; n++) {
      if (n >= tone.startSample - 2 && n < tone.endSample + 2) continue;
      largest = Math.max(largest, Math.abs(output[n] - output[n - 1]));
    }
    const replacementStep =
      mode === 'digit' ? (2 * dbm0ToAmplitude(-10) * (2 * Math.PI * 1633)) / 8000 : mode === 'tone' ? (dbm0ToAmplitude(-28) * (2 * Math.PI * 2000)) / 8000 : dbm0ToAmplitude(-40) * 2;
    const limit = 0.24 * amplitude * 1.6 + replacementStep;
    t.ok(largest < limit, `[${mode}] largest step at the edges ${largest} < ${Math.round(limit)} (no click)`);
  }
});

t.test('options are validated, errors have codes', async (t) => {
  const bad: [string, object][] = [
    ['mode', { mode: 'loud' }],
    ['lookaheadMs', { lookaheadMs: -1 }],
    ['prePadMs', { prePadMs: Number.NaN }],
    ['hangoverMs', { hangoverMs: 1e6 }],
    ['maskToneHz', { maskToneHz: 5000 }],
    ['replacementDigit', { replacementDigit: 'X' }],
    ['replacedOnly', { replacedOnly: 'yes' }],
    ['replacementDigitDbm0', { replacementDigitDbm0: 0 }],
    ['detectorKernel', { detectorKernel: 'gpu' }],
  ];
  for (const [name, options] of bad) {
    t.throws(() => new InbandClamp(options), { code: 'ERR_CLAMP_OPTION' }, `bad ${name} rejected`);
  }
  const clamp = new InbandClamp();
  t.throws(() => clamp.push(new Int16Array(10), new Int16Array(5)), { code: 'ERR_CLAMP_OUTPUT' }, 'short output rejected');
  const shared = new Int16Array(200);
  t.throws(() => clamp.push(shared.subarray(0, 100), shared.subarray(10, 110)), { code: 'ERR_CLAMP_OUTPUT' }, 'output overlapping the input elsewhere rejected');
  clamp.close();
  t.throws(() => clamp.push(new Int16Array(1), new Int16Array(1)), { code: 'ERR_CLAMP_CLOSED' }, 'push after close rejected');
  t.ok(new InbandClampError('ERR_CLAMP_OPTION', 'x') instanceof Error);
});

t.test("either detector kernel gives the same output, weights and digits (the clamp's default is TypeScript)", async (t) => {
  t.equal(DEFAULT_INBAND_CLAMP_OPTIONS.detectorKernel, 'typescript');
  const pcm = loadFixture(projectRoot()).samples.subarray(0, 8000 * 90);
  const rng = streamRng('clamp/kernels');
  const chunks: number[] = [];
  for (let n = 0; n < pcm.length;) {
    const size = pick(rng, [160, 160, 160, 1, 51, 80, 320, randomInt(rng, 1, 700)]);
    chunks.push(size);
    n += size;
  }
  const run = (detectorKernel: 'typescript' | 'wasm') => {
    const digits: string[] = [];
    const clamp = new InbandClamp({ mode: 'noise', detectorKernel }, { onDigitStart: (d, ms) => digits.push(`start ${d} ${ms}`), onDigit: (e) => digits.push(JSON.stringify(e)) });
    t.equal(clamp.detectorKernel, detectorKernel, `the detector runs the ${detectorKernel} kernel`);
    const out = new Int16Array(pcm.length);
    const weights = new Float32Array(pcm.length);
    let offset = 0;
    for (const size of chunks) {
      const n = Math.min(size, pcm.length - offset);
      if (n <= 0) break;
      clamp.push(pcm.subarray(offset, offset + n), out.subarray(offset, offset + n), n, weights.subarray(offset, offset + n));
      offset += n;
    }
    clamp.close();
    return { out, weights, digits };
  };
  const ts = run('typescript');
  const wasm = run('wasm');
  t.ok(ts.digits.length > 20, `the fixture's digits are found (${ts.digits.length} events)`);
  t.same(wasm.digits, ts.digits, 'the same digit events');
  t.equal(firstDifference(wasm.out, ts.out), -1, 'the same output, sample for sample');
  t.equal(firstDifference(wasm.weights, ts.weights), -1, 'the same replacement weights');
});

t.test('the streaming path does not allocate per call', async (t) => {
  // Heap growth over many pushes of a reused buffer stays small (no per-call objects kept or made).
  const clamp = new InbandClamp({ mode: 'noise' });
  const rng = streamRng('clamp/alloc');
  const layout = layTones(
    rng,
    [...'0123456789'].map((d): ToneSpec => ({ digit: d as ToneSpec['digit'], durationMs: 60, gapBeforeMs: 60 })),
  );
  const pcm = onTheLine(layout.mix, 'linear');
  const out = new Int16Array(160);
  const chunk = new Int16Array(160);
  const run = (): void => {
    for (let rep = 0; rep < 20; rep++) {
      for (let offset = 0; offset + 160 <= pcm.length; offset += 160) {
        chunk.set(pcm.subarray(offset, offset + 160));
        clamp.push(chunk, out);
      }
    }
  };
  run();
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  run();
  const growth = process.memoryUsage().heapUsed - before;
  t.ok(growth < 4 << 20, `heap growth over ${20 * Math.floor(pcm.length / 160)} pushes: ${(growth / 1024).toFixed(0)} KiB`);
});
