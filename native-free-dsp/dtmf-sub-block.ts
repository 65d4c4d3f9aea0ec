// The step at the end of every 51-sample sub-block, the detector's only decision point: with
// the TypeScript kernel, rotate the sub-block and window buffers and run the bank; with either
// kernel, classify the newest window and take it into the tone track, in order.
import { goertzelSubBlock, SUB_BLOCK } from './goertzel-bank.js';
import type { DtmfDetector } from './dtmf-state.js';
import { trackWindow } from './dtmf-track.js';
import { classifyWindow } from './dtmf-window.js';

/** End of a sub-block with the TypeScript kernel (dtmfRx has put its samples into the history). */
export function endSubBlock(det: DtmfDetector): void {
  // Rotate the sub-block and window buffers by reference.
  let re = det.x2Re,
    im = det.x2Im;
  det.x2Re = det.x1Re;
  det.x2Im = det.x1Im;
  det.x1Re = det.x0Re;
  det.x1Im = det.x0Im;
  det.x0Re = re;
  det.x0Im = im;
  re = det.prevWinRe;
  im = det.prevWinIm;
  det.prevWinRe = det.winRe;
  det.prevWinIm = det.winIm;
  det.winRe = re;
  det.winIm = im;
  det.samplesIn += SUB_BLOCK;
  // The bank over the sub-block into x0, and the window over the last two sub-blocks into win.
  goertzelSubBlock(det, det.blockStart, det.energy < det.quietEnergy);
  det.energy = 0;
  det.subPos = 0;
  analyseSubBlock(det, UNCLASSIFIED);
}

/** analyseSubBlock's `classified` when the window is still to be classified (TypeScript kernel). */
const UNCLASSIFIED = -2;

/**
 * The analysis of the sub-block just completed (its values are in x0 and win). `classified`: the
 * window's classification when the kernel made it (the wasm kernel), else UNCLASSIFIED.
 */
export function analyseSubBlock(det: DtmfDetector, classified: number): void {
  det.blocksSeen++;
  if (det.blocksSeen >= 2) {
    const digit = classified === UNCLASSIFIED ? classifyWindow(det) : classified;
    trackWindow(det, digit);
    det.prevWindowDigit = digit;
  }
  det.blockStart += SUB_BLOCK;
}
