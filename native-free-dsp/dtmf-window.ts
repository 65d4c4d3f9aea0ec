// The per-window classification (spandsp's per-block tests): which digit, if any, the newest
// 102-sample window holds by level, twist, relative peak, stationarity and the frequency from
// the phase step, after the strongest row and column tones' leakage is taken out of the other
// bins. The TypeScript kernel runs all of it; the wasm kernel (goertzel-bank.wat) everything
// but withinWindowDeviation, which needs atan2.
import { TONES } from './goertzel-bank.js';
import { deviationFromPhase, pairMagnitude, stepIm, stepRe } from './dtmf-bins.js';
import type { DtmfDetector } from './dtmf-state.js';

/**
 * Largest relative deviation of either tone in one window: looser than the config's limit, as a
 * single window is disturbed by edges and noise.
 */
const WINDOW_FREQUENCY_DEVIATION = 0.05;

function power(re: Float64Array, im: Float64Array, k: number): number {
  return re[k] * re[k] + im[k] * im[k];
}

/** The digit the newest window holds (index into DTMF_KEYPAD), or -1. */
export function classifyWindow(det: DtmfDetector): number {
  const { winRe, winIm } = det;
  let row = 0;
  let rowPower = -1;
  let col = 4;
  let colPower = -1;
  for (let k = 0; k < 4; k++) {
    const p = power(winRe, winIm, k);
    if (p > rowPower) {
      rowPower = p;
      row = k;
    }
  }
  for (let k = 4; k < TONES; k++) {
    const p = power(winRe, winIm, k);
    if (p > colPower) {
      colPower = p;
      col = k;
    }
  }
  if (rowPower < det.windowMinPower || colPower < det.windowMinPower) return -1;
  removeLeakage(det, row, col);
  rowPower = power(winRe, winIm, row);
  colPower = power(winRe, winIm, col);
  const twist = rowPower / colPower;
  if (twist > det.windowMaxTwistRatio || twist < det.windowMinTwistRatio) return -1;
  for (let k = 0; k < TONES; k++) {
    if (k === row || k === col) continue;
    if (power(winRe, winIm, k) * det.relativePeakRatio > (k < 4 ? rowPower : colPower)) return -1;
  }
  // Both halves of the window must hold the same steady pair. The pair's summed magnitude is
  // used because at 8 dB twist the weak tone alone still swings with what is left of the
  // strong one's leakage.
  const newer = pairMagnitude(det, det.x0Re, det.x0Im, row, col);
  const older = pairMagnitude(det, det.x1Re, det.x1Im, row, col);
  if (newer * newer > older * older * det.stationarityRatio || older * older > newer * newer * det.stationarityRatio) return -1;
  if (!withinWindowDeviation(det, row, col)) return -1;
  return row * 4 + (col - 4);
}

/** classifyWindow's last test (the wasm kernel makes the others): both tones' frequency from their phase step. */
export function withinWindowDeviation(det: DtmfDetector, row: number, col: number): boolean {
  // Written as "not beyond" so that it decides exactly as the two tests it replaces, NaN included.
  return !(Math.abs(subBlockDeviation(det, row)) > WINDOW_FREQUENCY_DEVIATION) && !(Math.abs(subBlockDeviation(det, col)) > WINDOW_FREQUENCY_DEVIATION);
}

/**
 * Takes out of every other bin of the newest window what the strongest row and column tones
 * leak into it, as if they sat on their nominal frequencies (first order: each tone's own
 * value still holds the other's small leakage). A tone 1.5 % off leaves a few per cent of the
 * leakage behind, which is well under the measurement tolerances.
 */
function removeLeakage(det: DtmfDetector, row: number, col: number): void {
  const { winRe, winIm, leakRe, leakIm } = det;
  const rowRe = winRe[row],
    rowIm = winIm[row],
    colRe = winRe[col],
    colIm = winIm[col];
  for (let k = 0; k < TONES; k++) {
    if (k !== row) {
      const i = row * TONES + k;
      winRe[k] -= rowRe * leakRe[i] - rowIm * leakIm[i];
      winIm[k] -= rowRe * leakIm[i] + rowIm * leakRe[i];
    }
    if (k !== col) {
      const i = col * TONES + k;
      winRe[k] -= colRe * leakRe[i] - colIm * leakIm[i];
      winIm[k] -= colRe * leakIm[i] + colIm * leakRe[i];
    }
  }
}

/** Deviation of bin k measured from its phase step between the two newest sub-blocks. */
function subBlockDeviation(det: DtmfDetector, k: number): number {
  return deviationFromPhase(k, stepRe(det, k, det.x0Re, det.x0Im, det.x1Re, det.x1Im), stepIm(det, k, det.x0Re, det.x0Im, det.x1Re, det.x1Im));
}
