// How much a window of audio looks like a generator's DTMF pair, for a clamp deciding whether
// to mute a detector candidate (onToneCandidate) before the detector confirms it. Pure: reads
// the last DTMF_CANDIDATE_WINDOW samples of a caller's ring buffer, writes the measures to `out`.
import { DTMF_GUARD_HZ, DTMF_HIGH_HZ, DTMF_KEYPAD, DTMF_LOW_HZ, type DtmfDigit } from './dtmf-tones.js';

const SAMPLE_RATE_HZ = 8000;
/** The detector's analysis window (two 51-sample sub-blocks, 12.75 ms): the window that raised the candidate. */
export const DTMF_CANDIDATE_WINDOW = 102;

/** Angular frequency per sample of f Hz. */
function omega(hz: number): number {
  return (2 * Math.PI * hz) / SAMPLE_RATE_HZ;
}

/** cos / sin of w k over the window, computed once (the same values the loop would compute). */
function table(hz: number, f: (x: number) => number): Float64Array {
  const w = omega(hz);
  const t = new Float64Array(DTMF_CANDIDATE_WINDOW);
  for (let k = 0; k < DTMF_CANDIDATE_WINDOW; k++) t[k] = f(w * k);
  return t;
}

const LOW_W = DTMF_LOW_HZ.map(omega);
const HIGH_W = DTMF_HIGH_HZ.map(omega);
const LOW_COS = DTMF_LOW_HZ.map((hz) => table(hz, Math.cos));
const LOW_SIN = DTMF_LOW_HZ.map((hz) => table(hz, Math.sin));
const HIGH_COS = DTMF_HIGH_HZ.map((hz) => table(hz, Math.cos));
const HIGH_SIN = DTMF_HIGH_HZ.map((hz) => table(hz, Math.sin));
const GUARD_COS = DTMF_GUARD_HZ.map((hz) => table(hz, Math.cos));
const GUARD_SIN = DTMF_GUARD_HZ.map((hz) => table(hz, Math.sin));

export interface CandidateMeasure {
  /**
   * Share of the window's power held by the digit's two tones (0..1): 2 (|X_low|^2 + |X_high|^2)
   * / N^2 over the mean square; 0 when fewer than a window of samples exist or all are zero.
   */
  share: number;
  /** Largest relative deviation of either tone from nominal, from the phase step between the window's halves. */
  deviation: number;
  /** Power at the stronger guard frequency (1020, 1130 Hz) over the weaker tone's. */
  guardRatio: number;
}

export function newCandidateMeasure(): CandidateMeasure {
  return { share: 0, deviation: 0, guardRatio: 0 };
}

/**
 * Measures `digit` over ring[(end - WINDOW) & mask .. end & mask) (absolute sample indices,
 * `mask` = ring length - 1, ring length a power of two >= WINDOW). Returns out.share.
 */
export function measureDtmfCandidate(ring: Int16Array, mask: number, end: number, digit: DtmfDigit, out: CandidateMeasure): number {
  if (end < DTMF_CANDIDATE_WINDOW) {
    out.share = 0;
    return 0;
  }
  const key = DTMF_KEYPAD.indexOf(digit);
  const wl = LOW_W[key >> 2];
  const wh = HIGH_W[key & 3];
  const lc = LOW_COS[key >> 2],
    ls = LOW_SIN[key >> 2];
  const hc = HIGH_COS[key & 3],
    hs = HIGH_SIN[key & 3];
  const g1c = GUARD_COS[0],
    g1s = GUARD_SIN[0],
    g2c = GUARD_COS[1],
    g2s = GUARD_SIN[1];
  const half = DTMF_CANDIDATE_WINDOW / 2;
  // DFT of each half at both tones, phase referred to the window's first sample.
  let l1r = 0,
    l1i = 0,
    l2r = 0,
    l2i = 0,
    h1r = 0,
    h1i = 0,
    h2r = 0,
    h2i = 0,
    energy = 0;
  let g1r = 0,
    g1i = 0,
    g2r = 0,
    g2i = 0;
  const first = end - DTMF_CANDIDATE_WINDOW;
  for (let k = 0; k < DTMF_CANDIDATE_WINDOW; k++) {
    const x = ring[(first + k) & mask];
    energy += x * x;
    g1r += x * g1c[k];
    g1i -= x * g1s[k];
    g2r += x * g2c[k];
    g2i -= x * g2s[k];
    const lr = x * lc[k],
      li = -x * ls[k];
    const hr = x * hc[k],
      hi = -x * hs[k];
    if (k < half) {
      l1r += lr;
      l1i += li;
      h1r += hr;
      h1i += hi;
    } else {
      l2r += lr;
      l2i += li;
      h2r += hr;
      h2i += hi;
    }
  }
  if (energy === 0) {
    out.share = 0;
    return 0;
  }
  const lr = l1r + l2r,
    li = l1i + l2i,
    hr = h1r + h2r,
    hi = h1i + h2i;
  const share = (2 * (lr * lr + li * li + hr * hr + hi * hi)) / (DTMF_CANDIDATE_WINDOW * energy);
  // Phase step between the halves: (w' - w) * half for a tone at w'.
  const lowDev = Math.abs(Math.atan2(l2i * l1r - l2r * l1i, l2r * l1r + l2i * l1i) / (wl * half));
  const highDev = Math.abs(Math.atan2(h2i * h1r - h2r * h1i, h2r * h1r + h2i * h1i) / (wh * half));
  out.deviation = Math.max(lowDev, highDev);
  const weaker = Math.min(lr * lr + li * li, hr * hr + hi * hi);
  out.guardRatio = weaker > 0 ? Math.max(g1r * g1r + g1i * g1i, g2r * g2r + g2i * g2i) / weaker : Infinity;
  out.share = share;
  return share;
}
