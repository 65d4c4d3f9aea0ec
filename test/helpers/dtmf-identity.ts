// Runs DTMF detectors over the same audio and logs every listener call, so that two detector
// implementations (the frozen oracle and the optimised one, or two kernels) can be compared
// call for call: same digits, same times, same levels, same candidates, in the same order.
import * as current from '../../native-free-dsp/dtmf-detector.js';
import type { DtmfDetectorListener, DtmfDetectorOptions } from '../../native-free-dsp/dtmf-detector.js';
import * as oracle from './dtmf-detector-oracle.js';

export type DetectorLog = string[];

/** Either implementation, by the three calls a caller makes. */
interface Implementation<D> {
  createDtmfDetector(listener: DtmfDetectorListener, config?: object): D;
  dtmfRx(det: D, samples: Int16Array, length?: number): void;
  dtmfFlush(det: D): void;
}

function logger(log: DetectorLog): DtmfDetectorListener {
  return {
    onToneCandidate: (startMs, digit) => log.push(`candidate ${digit} ${startMs}`),
    onDigitStart: (digit, startMs) => log.push(`start ${digit} ${startMs}`),
    onDigit: (e) => log.push(`digit ${e.digit} ${e.startMs}-${e.endMs} L${e.lowDbm0} H${e.highDbm0} T${e.twistDb} ${e.lowHz}/${e.highHz}Hz`),
    onToneCandidateEnd: (endMs) => log.push(`candidate-end ${endMs}`),
  };
}

/** `chunk`: samples per dtmfRx call, or a function giving each call's size. */
function feed<D>(impl: Implementation<D>, det: D, pcm: Int16Array, chunk: number | (() => number)): void {
  for (let i = 0; i < pcm.length;) {
    const n = Math.max(1, Math.min(pcm.length - i, typeof chunk === 'number' ? chunk : chunk()));
    impl.dtmfRx(det, pcm.subarray(i, i + n));
    i += n;
  }
  impl.dtmfFlush(det);
}

/** Every listener call of the frozen pre-optimisation detector over `pcm`. */
export function oracleLog(pcm: Int16Array, chunk: number | (() => number) = 160): DetectorLog {
  const log: DetectorLog = [];
  feed(oracle, oracle.createDtmfDetector(logger(log)), pcm, chunk);
  return log;
}

/** Every listener call of the current detector over `pcm`, with `options` (kernel). */
export function currentLog(pcm: Int16Array, options: DtmfDetectorOptions, chunk: number | (() => number) = 160): DetectorLog {
  const log: DetectorLog = [];
  const impl: Implementation<current.DtmfDetector> = {
    createDtmfDetector: (listener) => current.createDtmfDetector(listener, {}, options),
    dtmfRx: current.dtmfRx,
    dtmfFlush: current.dtmfFlush,
  };
  feed(impl, impl.createDtmfDetector(logger(log)), pcm, chunk);
  return log;
}

/** The first place two logs differ, or undefined when they are equal. */
export function firstDifference(expected: DetectorLog, actual: DetectorLog): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) return `call ${i}: expected ${expected[i] ?? '(none)'}, got ${actual[i] ?? '(none)'}`;
  }
  return undefined;
}
