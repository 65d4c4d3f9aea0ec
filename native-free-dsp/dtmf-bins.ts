// Arithmetic on the Goertzel bank's bin values (DFT values per DTMF frequency) that both the
// window classification and the tone track use: a digit's row and column bins, the pair's
// magnitude without cross leakage, and a tone's frequency from its phase step between blocks.
// Small pure functions on typed arrays, no allocation (they run per block).
import { SUB_BLOCK, TONES } from './goertzel-bank.js';
import { FREQUENCIES_HZ, SAMPLE_RATE_HZ, type DtmfDetector } from './dtmf-state.js';

/** Row bin (0-3) of a digit (index into DTMF_KEYPAD). */
export function rowOf(digit: number): number {
  return digit >> 2;
}

/** Column bin (4-7) of a digit (index into DTMF_KEYPAD). */
export function colOf(digit: number): number {
  return 4 + (digit & 3);
}

/**
 * |X_row| + |X_col| of one sub-block, each without the other's leakage. Over 51 samples a tone
 * leaks up to -14 dB into the other group's bin, and two tones 1.5 % towards each other beat
 * there by up to ±3.5 dB from one sub-block to the next.
 */
export function pairMagnitude(det: DtmfDetector, re: Float64Array, im: Float64Array, row: number, col: number): number {
  const { subLeakRe, subLeakIm } = det;
  const i = col * TONES + row;
  const j = row * TONES + col;
  const rowRe = re[row] - (re[col] * subLeakRe[i] - im[col] * subLeakIm[i]);
  const rowIm = im[row] - (re[col] * subLeakIm[i] + im[col] * subLeakRe[i]);
  const colRe = re[col] - (re[row] * subLeakRe[j] - im[row] * subLeakIm[j]);
  const colIm = im[col] - (re[row] * subLeakIm[j] + im[row] * subLeakRe[j]);
  return Math.sqrt(rowRe * rowRe + rowIm * rowIm) + Math.sqrt(colRe * colRe + colIm * colIm);
}

/** Relative frequency deviation of bin k from a phase step (re, im) over one sub-block. */
export function deviationFromPhase(k: number, re: number, im: number): number {
  const deltaRadPerSample = Math.atan2(im, re) / SUB_BLOCK;
  return (deltaRadPerSample * SAMPLE_RATE_HZ) / (2 * Math.PI * FREQUENCIES_HZ[k]);
}

// The phase step of bin k from b to a (S samples apart): a conj(b) e^{-jwS}, whose angle is
// (w' - w) S for a tone at w'.
export function stepRe(det: DtmfDetector, k: number, aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array): number {
  const pr = aRe[k] * bRe[k] + aIm[k] * bIm[k];
  const pi = aIm[k] * bRe[k] - aRe[k] * bIm[k];
  return pr * det.rotRe[k] - pi * det.rotIm[k];
}

export function stepIm(det: DtmfDetector, k: number, aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array): number {
  const pr = aRe[k] * bRe[k] + aIm[k] * bIm[k];
  const pi = aIm[k] * bRe[k] - aRe[k] * bIm[k];
  return pr * det.rotIm[k] + pi * det.rotRe[k];
}
