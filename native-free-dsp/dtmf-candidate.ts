// How much a window of audio looks like a generator's DTMF pair, for a clamp deciding whether
// to mute a detector candidate (onToneCandidate) before the detector confirms it. Pure: reads
// the last DTMF_CANDIDATE_WINDOW samples of a caller's ring buffer, writes the measures to `out`.
import { dtmfFrequencies, type DtmfDigit } from './dtmf-tones.js';

const SAMPLE_RATE_HZ = 8000;
/** The detector's analysis window (two 51-sample sub-blocks, 12.75 ms): the window that raised the candidate. */
export const DTMF_CANDIDATE_WINDOW = 102;
/** Frequencies in the empty band between the groups, Hz (as the detector's guard test). */
const GUARD_HZ: readonly number[] = [1020, 1130];

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
  const { lowHz, highHz } = dtmfFrequencies(digit);
  const wl = (2 * Math.PI * lowHz) / SAMPLE_RATE_HZ;
  const wh = (2 * Math.PI * highHz) / SAMPLE_RATE_HZ;
  const half = DTMF_CANDIDATE_WINDOW / 2;
  // DFT of each half at both tones, phase referred to the window's first sample.
  const wg1 = (2 * Math.PI * GUARD_HZ[0]) / SAMPLE_RATE_HZ;
  const wg2 = (2 * Math.PI * GUARD_HZ[1]) / SAMPLE_RATE_HZ;
  let l1r = 0, l1i = 0, l2r = 0, l2i = 0, h1r = 0, h1i = 0, h2r = 0, h2i = 0, energy = 0;
  let g1r = 0, g1i = 0, g2r = 0, g2i = 0;
  for (let k = 0; k < DTMF_CANDIDATE_WINDOW; k++) {
    const x = ring[(end - DTMF_CANDIDATE_WINDOW + k) & mask];
    energy += x * x;
    g1r += x * Math.cos(wg1 * k); g1i -= x * Math.sin(wg1 * k);
    g2r += x * Math.cos(wg2 * k); g2i -= x * Math.sin(wg2 * k);
    const lr = x * Math.cos(wl * k), li = -x * Math.sin(wl * k);
    const hr = x * Math.cos(wh * k), hi = -x * Math.sin(wh * k);
    if (k < half) { l1r += lr; l1i += li; h1r += hr; h1i += hi; } else { l2r += lr; l2i += li; h2r += hr; h2i += hi; }
  }
  if (energy === 0) {
    out.share = 0;
    return 0;
  }
  const lr = l1r + l2r, li = l1i + l2i, hr = h1r + h2r, hi = h1i + h2i;
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
