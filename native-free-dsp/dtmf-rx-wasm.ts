// dtmfRx with the wasm kernel: the samples go through the kernel's staging buffer, the kernel
// takes a whole chunk (history, energies, bank, window classification up to the frequency
// test), and each completed sub-block is then analysed in order as with the TypeScript kernel.
// Per chunk, not per sample: the views onto the kernel's slots are moved, never copied.
import { SUB_BLOCK, WASM_SLOTS, WASM_STAGING, type GoertzelWasm } from './goertzel-bank.js';
import { colOf, rowOf } from './dtmf-bins.js';
import type { DtmfDetector } from './dtmf-state.js';
import { analyseSubBlock } from './dtmf-sub-block.js';
import { withinWindowDeviation } from './dtmf-window.js';

/** Pieces at least this long (samples) are staged through a subarray view rather than a loop. */
const STAGING_VIEW_MIN = 256;

/**
 * The wasm kernel takes the samples into the history, sums the energy and runs the bank for
 * every sub-block they complete (up to WASM_STAGING samples per call); then each completed
 * sub-block is analysed in order, exactly as endSubBlock does with the TypeScript kernel.
 */
export function rxWasm(det: DtmfDetector, wasm: GoertzelWasm, samples: Int16Array, from: number, length: number): void {
  const staging = wasm.staging;
  let i = 0;
  while (i < length) {
    const n = Math.min(length - i, WASM_STAGING);
    const at = from + i;
    // A typed-array copy is a memcpy; a view costs an allocation, worth it for long pieces.
    if (at === 0 && n === samples.length) staging.set(samples);
    else if (n >= STAGING_VIEW_MIN) staging.set(samples.subarray(at, at + n));
    else for (let j = 0; j < n; j++) staging[j] = samples[at + j];
    const completed = wasm.rx(n, det.subPos, det.blocksSeen, det.blockStart + det.subPos);
    det.subPos = (det.subPos + n) % SUB_BLOCK;
    for (let k = 0; k < completed; k++) {
      det.samplesIn += SUB_BLOCK;
      const candidate = wasm.classes[det.blocksSeen % WASM_SLOTS];
      // A window that holds no digit while no tone is tracked needs nothing but counting: its
      // values are not looked at, so the views are only moved for the others (and the last).
      if (candidate >= 0 || det.track.digit >= 0 || k === completed - 1) showSlots(det, wasm, det.blocksSeen);
      analyseSubBlock(det, candidate < 0 ? -1 : withinWindowDeviation(det, rowOf(candidate), colOf(candidate)) ? candidate : -1);
    }
    i += n;
  }
}

/** Points x0, x1, x2, win and prevWin at the kernel's slots of sub-block b and the two before. */
function showSlots(det: DtmfDetector, wasm: GoertzelWasm, b: number): void {
  const s0 = b % WASM_SLOTS,
    s1 = (b + WASM_SLOTS - 1) % WASM_SLOTS,
    s2 = (b + WASM_SLOTS - 2) % WASM_SLOTS;
  det.x0Re = wasm.blockRe[s0];
  det.x0Im = wasm.blockIm[s0];
  det.x1Re = wasm.blockRe[s1];
  det.x1Im = wasm.blockIm[s1];
  det.x2Re = wasm.blockRe[s2];
  det.x2Im = wasm.blockIm[s2];
  det.winRe = wasm.windowRe[s0];
  det.winIm = wasm.windowIm[s0];
  det.prevWinRe = wasm.windowRe[s1];
  det.prevWinIm = wasm.windowIm[s1];
}
