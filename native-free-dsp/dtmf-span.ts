// The talk-off tests over the tone's span in the sample history, once per candidate rather than
// per block: seven DFTs at the tones' measured frequencies, the two guard frequencies between
// the groups and the three harmonic-comb frequencies, in one pass over up to 64 ms of samples
// (in TypeScript, or the wasm kernel's span loop); then the tones' share of the power and the
// power left at the guard and comb frequencies once the tones' own leakage is taken out.
import { HISTORY, HISTORY_RING, SPAN_FREQUENCIES, type GoertzelWasm } from './goertzel-bank.js';
import { colOf, rowOf } from './dtmf-bins.js';
import { DTMF_GUARD_HZ } from './dtmf-tones.js';
import { startSampleOf } from './dtmf-edges.js';
import { FREQUENCIES_HZ, SAMPLE_RATE_HZ, type DtmfDetector, type SpanMeasurement, type ToneMeasurement } from './dtmf-state.js';

/** Longest span of a tone the span tests look at, samples (64 ms). */
const MAX_SPAN = 512;
/** Shortest span they can judge, samples (20 ms). */
const MIN_SPAN = 160;
/** Comb frequencies outside this band (Hz) are not tested: telephone audio has nothing there. */
const COMB_MIN_HZ = 150;
const COMB_MAX_HZ = 3600;

/**
 * DFTs of `length` history samples from absolute index `start` at det.spanHz[0..6], into
 * det.spanRe/spanIm as sum x[n] e^{-jwn} / length, in one pass (seven independent recurrences
 * keep the core busy where seven loops would each wait on their own), and the span's energy.
 */
function spanDfts(det: DtmfDetector, start: number, length: number): number {
  const { spanHz, spanRe, spanIm } = det;
  const c = det.spanCoef;
  for (let k = 0; k < SPAN_FREQUENCIES; k++) c[k] = 2 * Math.cos((2 * Math.PI * spanHz[k]) / SAMPLE_RATE_HZ);
  const energy = det.wasm !== null ? spanLoopWasm(det, det.wasm, start, length) : spanLoop(det, start, length);
  for (let k = 0; k < SPAN_FREQUENCIES; k++) {
    const w = (2 * Math.PI * spanHz[k]) / SAMPLE_RATE_HZ;
    // y = s[L-1] - e^{-jw} s[L-2] = sum x[n] e^{jw(L-1-n)}; rotate by e^{-jw(L-1)}.
    const yRe = spanRe[k] - Math.cos(w) * spanIm[k];
    const yIm = Math.sin(w) * spanIm[k];
    const r = -w * (length - 1);
    spanRe[k] = (yRe * Math.cos(r) - yIm * Math.sin(r)) / length;
    spanIm[k] = (yRe * Math.sin(r) + yIm * Math.cos(r)) / length;
  }
  return energy;
}

/** spanDfts' loop in the wasm kernel (det.spanCoef is the kernel's). */
function spanLoopWasm(det: DtmfDetector, wasm: GoertzelWasm, start: number, length: number): number {
  const energy = wasm.span(start, length);
  det.spanRe.set(wasm.spanS1);
  det.spanIm.set(wasm.spanS2);
  return energy;
}

/**
 * spanDfts' loop in TypeScript: final states s[L-1] into spanRe and s[L-2] into spanIm, and the
 * span's energy.
 */
function spanLoop(det: DtmfDetector, start: number, length: number): number {
  const { history, spanRe, spanIm } = det;
  const c = det.spanCoef;
  const c0 = c[0],
    c1 = c[1],
    c2 = c[2],
    c3 = c[3],
    c4 = c[4],
    c5 = c[5],
    c6 = c[6];
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0,
    a4 = 0,
    a5 = 0,
    a6 = 0;
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0,
    b4 = 0,
    b5 = 0,
    b6 = 0;
  let energy = 0;
  for (let n = 0; n < length; n++) {
    const x = history[(start + n) & (HISTORY_RING - 1)];
    energy += x * x;
    let t: number;
    t = x - b0 + c0 * a0;
    b0 = a0;
    a0 = t;
    t = x - b1 + c1 * a1;
    b1 = a1;
    a1 = t;
    t = x - b2 + c2 * a2;
    b2 = a2;
    a2 = t;
    t = x - b3 + c3 * a3;
    b3 = a3;
    a3 = t;
    t = x - b4 + c4 * a4;
    b4 = a4;
    a4 = t;
    t = x - b5 + c5 * a5;
    b5 = a5;
    a5 = t;
    t = x - b6 + c6 * a6;
    b6 = a6;
    a6 = t;
  }
  spanRe[0] = a0;
  spanRe[1] = a1;
  spanRe[2] = a2;
  spanRe[3] = a3;
  spanRe[4] = a4;
  spanRe[5] = a5;
  spanRe[6] = a6;
  spanIm[0] = b0;
  spanIm[1] = b1;
  spanIm[2] = b2;
  spanIm[3] = b3;
  spanIm[4] = b4;
  spanIm[5] = b5;
  spanIm[6] = b6;
  return energy;
}

/**
 * The tests that look at the tone's span in the sample history (its last MAX_SPAN samples, at
 * the measured frequencies): the tones' share of the power, and the power left at the guard and
 * harmonic-comb frequencies once what the two tones leak there is taken out (the difference
 * frequency of 770 + 1477 Hz lies 63 Hz from 770 Hz; 1020 Hz lies 79 Hz from 941 Hz).
 */
export function spanTests(det: DtmfDetector, m: ToneMeasurement): SpanMeasurement {
  const track = det.track;
  const span = det.span;
  const end = Math.min(track.lastEndSample, det.samplesIn);
  const start = Math.max(startSampleOf(track), end - MAX_SPAN, det.samplesIn - HISTORY);
  const length = end - start;
  if (length < MIN_SPAN) {
    // Too short to judge: pass, the per-window tests and the duration limit still hold.
    span.toneShare = 1;
    span.guardRatio = 0;
    span.combRatio = 0;
    return span;
  }
  const lowHz = FREQUENCIES_HZ[rowOf(track.digit)] * (1 + m.lowDeviation);
  const highHz = FREQUENCIES_HZ[colOf(track.digit)] * (1 + m.highDeviation);
  // The frequencies the span tests evaluate, in this order: the two tones, two guards, three comb.
  const hz = det.spanHz;
  hz[0] = lowHz;
  hz[1] = highHz;
  hz[2] = DTMF_GUARD_HZ[0];
  hz[3] = DTMF_GUARD_HZ[1];
  hz[4] = highHz - lowHz;
  hz[5] = 2 * lowHz - highHz;
  hz[6] = 2 * highHz - lowHz;
  const energy = spanDfts(det, start, length);
  const { spanRe, spanIm } = det;
  const lowPower = spanRe[0] * spanRe[0] + spanIm[0] * spanIm[0];
  const highPower = spanRe[1] * spanRe[1] + spanIm[1] * spanIm[1];
  // A tone of peak amplitude a has |X| / L = a / 2 and mean square a^2 / 2 = 2 |X / L|^2.
  span.toneShare = energy > 0 ? (2 * (lowPower + highPower) * length) / energy : 0;
  const weaker = Math.min(lowPower, highPower);
  span.guardRatio = Math.max(residualPower(det, 2, length), residualPower(det, 3, length)) / weaker;
  span.combRatio = Math.max(residualPower(det, 4, length), residualPower(det, 5, length), residualPower(det, 6, length)) / weaker;
  return span;
}

/** |X_k|^2 of span frequency k without what the two tones (span frequencies 0 and 1) leak there. */
function residualPower(det: DtmfDetector, k: number, length: number): number {
  const { spanHz, spanRe, spanIm } = det;
  if (spanHz[k] < COMB_MIN_HZ || spanHz[k] > COMB_MAX_HZ) return 0;
  let re = spanRe[k];
  let im = spanIm[k];
  // A component c e^{j w_t n} puts c D(w_t - w) / L there, D(d) = e^{jd(L-1)/2} sin(Ld/2)/sin(d/2).
  for (let tone = 0; tone < 2; tone++) {
    const d = (2 * Math.PI * (spanHz[tone] - spanHz[k])) / SAMPLE_RATE_HZ;
    const gain = Math.sin((length * d) / 2) / (length * Math.sin(d / 2));
    const kRe = gain * Math.cos((d * (length - 1)) / 2);
    const kIm = gain * Math.sin((d * (length - 1)) / 2);
    re -= spanRe[tone] * kRe - spanIm[tone] * kIm;
    im -= spanRe[tone] * kIm + spanIm[tone] * kRe;
  }
  return re * re + im * im;
}
