// DTMF receiver for 8 kHz 16-bit PCM: a bank of eight Goertzel filters, in the manner of
// spandsp's dtmf.c (state struct, precomputed coefficients, rx over fixed blocks, named
// acceptance constants), with four additions that make it more accurate:
//
// 1. Frequency is measured, not inferred from bin energy. The bank runs over 51-sample
//    sub-blocks; two sub-blocks make a 102-sample analysis window (78 Hz resolution, as
//    spandsp) every 6.4 ms. The phase advance of a tone between overlapping windows gives
//    its frequency to a few Hz, so the ITU-T Q.24 limits (accept ±1.5 %, reject ±3.5 %)
//    are applied directly, on every tone including 1633 Hz, which spandsp's energy-only
//    test rejects at +1.5 %. Levels and twist are corrected for the Goertzel loss at the
//    measured offset, so twist limits hold at any accepted frequency.
// 2. Edges to the sample: a sub-block only partly covered by the tone has a Goertzel
//    magnitude proportional to the covered part, so start, end, drop-outs and pauses are
//    measured in samples rather than counted in blocks.
// 3. Cross-group leakage removed: the known Dirichlet-kernel leakage of the strongest row and
//    column tones is subtracted from the other bins, so twist, relative peaks and stationarity
//    hold at 8-10 dB twist and at ±1.5 % offsets (spandsp's 941 Hz row fails there).
// 4. Talk-off defences beyond spandsp's level, twist and relative-peak tests, judged over the
//    whole tone rather than per block: the tones' share of the signal power, the steadiness
//    of their frequency (phase coherence), two guard frequencies in the empty band between the
//    groups, and the harmonic comb (a voice's harmonics n F0 and m F0 imply harmonics at their
//    difference and at 2 f1 - f2, 2 f2 - f1; a DTMF pair leaves those empty). A pair within
//    0.25 % of nominal with an empty guard band is accepted at a lower share, so that speech
//    over a real digit (talk-down) does not hide it while speech alone is never taken for one.
//
// Streaming: any chunking of the input gives the same events. No allocation per sample or
// per block; events are allocated only when a digit ends.
//
// The public entry: the streaming API below and the types callers need. The parts, from the
// samples down: dtmf-rx-wasm.ts (the wasm kernel's rx), dtmf-sub-block.ts (each sub-block's
// step), dtmf-window.ts (per-window classification), dtmf-track.ts (the tone track and its
// events), dtmf-acceptance.ts and dtmf-span.ts (the tests a digit must pass), dtmf-edges.ts
// and dtmf-bins.ts (shared arithmetic), dtmf-state.ts (the state struct and its init), and
// dtmf-config.ts / dtmf-events.ts (what it accepts and reports).
import { HISTORY, HISTORY_RING, SUB_BLOCK } from './goertzel-bank.js';
import { rxWasm } from './dtmf-rx-wasm.js';
import { createDtmfDetector, type DtmfDetector, type DtmfDetectorOptions } from './dtmf-state.js';
import { endSubBlock } from './dtmf-sub-block.js';
import { endTrack } from './dtmf-track.js';
import type { DtmfDetectorConfig } from './dtmf-config.js';
import type { DtmfDigitEvent } from './dtmf-events.js';

export type { GoertzelKernel } from './goertzel-bank.js';
export { DEFAULT_GOERTZEL_KERNEL, GoertzelKernelError, isGoertzelKernelAvailable } from './goertzel-bank.js';
export { DEFAULT_DTMF_DETECTOR_CONFIG, type DtmfDetectorConfig } from './dtmf-config.js';
export type { DtmfDetectorListener, DtmfDigitEvent } from './dtmf-events.js';
export { createDtmfDetector, resetDtmfDetector, type DtmfDetector, type DtmfDetectorOptions } from './dtmf-state.js';

/** Samples per detector sub-block (6.375 ms): the detector decides (and calls its listener) only at their ends. */
export const DTMF_SUB_BLOCK_SAMPLES = SUB_BLOCK;

/** How far back dtmfHistory holds the samples fed (1024 samples, 128 ms). */
export const DTMF_HISTORY_SAMPLES = HISTORY;

/**
 * The detector's sample history, for callers to read, never to write: the sample fed at absolute
 * index k (counted from creation or the last reset) is at [k & (length - 1)] (the length is a
 * power of two) for the last DTMF_HISTORY_SAMPLES samples fed; before the first sample, zeros.
 * A clamp that delays the audio reads its delay line here instead of keeping a copy.
 */
export function dtmfHistory(det: DtmfDetector): Int16Array {
  return det.history;
}

/**
 * Samples the detector needs before it next decides (1..DTMF_SUB_BLOCK_SAMPLES): a caller that
 * feeds at most this many and acts after each call sees every decision at the sample it was made.
 */
export function dtmfSamplesToDecision(det: DtmfDetector): number {
  return SUB_BLOCK - det.subPos;
}

/** The last dtmfRx ended exactly at a decision point (a sub-block boundary). */
export function dtmfAtDecision(det: DtmfDetector): boolean {
  return det.subPos === 0;
}

/**
 * Feeds `length` 8 kHz 16-bit samples, from index `from` of `samples` (default: all of it); any
 * chunk size gives the same events.
 */
export function dtmfRx(det: DtmfDetector, samples: Int16Array, length: number = samples.length, from = 0): void {
  if (!(Number.isInteger(from) && from >= 0 && Number.isInteger(length) && length >= 0 && from + length <= samples.length)) {
    throw new RangeError(`dtmfRx: ${length} samples from ${from} are not within ${samples.length}`);
  }
  if (det.wasm !== null) {
    rxWasm(det, det.wasm, samples, from, length);
    return;
  }
  const history = det.history;
  let i = 0;
  while (i < length) {
    const n = Math.min(length - i, SUB_BLOCK - det.subPos);
    let energy = det.energy;
    // Samples go straight into the history, where both kernels read the sub-block.
    const offset = det.blockStart + det.subPos - i;
    const end = i + n;
    for (let j = i; j < end; j++) {
      const x = samples[from + j];
      history[(offset + j) & (HISTORY_RING - 1)] = x;
      energy += x * x;
    }
    det.energy = energy;
    det.subPos += n;
    i = end;
    if (det.subPos === SUB_BLOCK) endSubBlock(det);
  }
}

/** End of stream: completes the last block with silence and reports a digit still in progress. */
export function dtmfFlush(det: DtmfDetector): void {
  if (det.subPos > 0) dtmfRx(det, new Int16Array(SUB_BLOCK - det.subPos));
  if (det.track.digit >= 0) endTrack(det);
}

/** Convenience: every digit in a whole 8 kHz buffer. */
export function detectDtmf(samples: Int16Array, config: Partial<DtmfDetectorConfig> = {}, options: DtmfDetectorOptions = {}): DtmfDigitEvent[] {
  const events: DtmfDigitEvent[] = [];
  const detector = createDtmfDetector({ onDigit: (event) => events.push(event) }, config, options);
  dtmfRx(detector, samples);
  dtmfFlush(detector);
  return events;
}
