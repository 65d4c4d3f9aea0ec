// Leak measurements on clamped audio: the residual level at the eight DTMF frequencies in 5 ms
// windows (Goertzel, 40 samples, rectangular), counted per digit, and the comparisons the leak
// tests make. Pure functions over typed arrays.
import { DTMF_HIGH_HZ, DTMF_LOW_HZ } from '../../native-free-dsp/dtmf-tones.js';
import { amplitudeToDbm0 } from '../../native-free-dsp/levels.js';
import { SAMPLE_RATE, SAMPLES_PER_MS } from './signals.js';

/** 5 ms at 8 kHz. */
export const RESIDUAL_WINDOW = 5 * SAMPLES_PER_MS;
/** Residual limit: below -45 dBm0 at each DTMF frequency, except 5 ms per digit. */
export const RESIDUAL_LIMIT_DBM0 = -45;
const FREQUENCIES = [...DTMF_LOW_HZ, ...DTMF_HIGH_HZ];

/**
 * Per 5 ms window (non-overlapping, from sample 0), the strongest of the eight DTMF frequencies
 * as a sine-equivalent level, dBm0 (a sine of peak A gives |X| = A N / 2).
 */
export function residualLevels(pcm: Int16Array): Float64Array {
  const windows = Math.floor(pcm.length / RESIDUAL_WINDOW);
  const out = new Float64Array(windows);
  const coef = FREQUENCIES.map((hz) => 2 * Math.cos((2 * Math.PI * hz) / SAMPLE_RATE));
  for (let w = 0; w < windows; w++) {
    let strongest = 0;
    for (let k = 0; k < coef.length; k++) {
      let s1 = 0,
        s2 = 0;
      const c = coef[k];
      for (let n = w * RESIDUAL_WINDOW; n < (w + 1) * RESIDUAL_WINDOW; n++) {
        const s = pcm[n] + c * s1 - s2;
        s2 = s1;
        s1 = s;
      }
      const power = s1 * s1 + s2 * s2 - c * s1 * s2;
      if (power > strongest) strongest = power;
    }
    out[w] = amplitudeToDbm0((2 * Math.sqrt(strongest)) / RESIDUAL_WINDOW);
  }
  return out;
}

export interface ResidualReport {
  /** Per digit: ms of windows above the limit, attributed to the nearest digit. */
  readonly leakMsPerDigit: number[];
  /** Windows above the limit not near any digit (ms). */
  readonly strayMs: number;
  /** The strongest window anywhere, dBm0. */
  readonly maxDbm0: number;
  /** The strongest window once each digit's worst 5 ms is set aside, dBm0. */
  readonly maxBeyondAllowanceDbm0: number;
}

/** Residual over a clamped signal whose digits were at `spans` (samples [start, end)). */
export function residualReport(pcm: Int16Array, spans: readonly { readonly startSample: number; readonly endSample: number }[], limitDbm0 = RESIDUAL_LIMIT_DBM0): ResidualReport {
  const levels = residualLevels(pcm);
  const leak = spans.map(() => 0);
  const worst = spans.map(() => -Infinity);
  const worstIndex = spans.map(() => -1);
  let stray = 0;
  let max = -Infinity;
  const nearest = (mid: number): number => {
    let best = -1;
    let bestDistance = 0.25 * SAMPLE_RATE; // beyond 250 ms from every digit: stray
    spans.forEach((span, i) => {
      const d = mid < span.startSample ? span.startSample - mid : mid >= span.endSample ? mid - span.endSample : 0;
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    });
    return best;
  };
  for (let w = 0; w < levels.length; w++) {
    max = Math.max(max, levels[w]);
    if (levels[w] < limitDbm0) continue;
    const i = nearest(w * RESIDUAL_WINDOW + RESIDUAL_WINDOW / 2);
    if (i < 0) stray += 5;
    else {
      leak[i] += 5;
      if (levels[w] > worst[i]) {
        worst[i] = levels[w];
        worstIndex[i] = w;
      }
    }
  }
  let beyond = -Infinity;
  const allowed = new Set(worstIndex);
  for (let w = 0; w < levels.length; w++) if (!allowed.has(w)) beyond = Math.max(beyond, levels[w]);
  return { leakMsPerDigit: leak, strayMs: stray, maxDbm0: max, maxBeyondAllowanceDbm0: beyond };
}

/** Share of whole 20 ms frames of `a` and `b` (same length) that are bit-identical. */
export function identicalFrameShare(a: Int16Array, b: Int16Array, frame = 20 * SAMPLES_PER_MS): { identical: number; frames: number } {
  const frames = Math.floor(Math.min(a.length, b.length) / frame);
  let identical = 0;
  for (let f = 0; f < frames; f++) {
    let same = true;
    for (let n = f * frame; n < (f + 1) * frame; n++)
      if (a[n] !== b[n]) {
        same = false;
        break;
      }
    if (same) identical++;
  }
  return { identical, frames };
}
