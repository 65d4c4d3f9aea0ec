// DTMF detector: API placeholder, replaced by the real implementation in the next commit.
import { DtmfDigit } from './dtmf-tones.js';

export interface DtmfDetectorConfig {
  /** Largest accepted relative frequency deviation of each tone (ITU-T Q.24: accept 1.5 %, reject 3.5 %). */
  readonly maxFrequencyDeviation: number;
  /** Largest accepted normal twist (low group stronger), dB. */
  readonly maxNormalTwistDb: number;
  /** Largest accepted reverse twist (high group stronger), dB. */
  readonly maxReverseTwistDb: number;
  /** Weakest accepted level of each tone, dBm0. */
  readonly minToneLevelDbm0: number;
  /** Shortest tone reported, ms. */
  readonly minDurationMs: number;
  /** Longest gap inside a tone that does not split it, ms. */
  readonly maxDropoutMs: number;
}

export interface DtmfDigitEvent {
  readonly digit: DtmfDigit;
  /** Start and end of the tone, ms from the first sample pushed. */
  readonly startMs: number;
  readonly endMs: number;
  /** Measured level of each tone, dBm0. */
  readonly lowDbm0: number;
  readonly highDbm0: number;
  /** Low-group level minus high-group level, dB (positive: normal twist). */
  readonly twistDb: number;
  /** Measured frequencies, Hz. */
  readonly lowHz: number;
  readonly highHz: number;
}

export interface DtmfDetectorListener {
  /** A digit is confirmed (tone still on); called once per digit, before onDigit. */
  readonly onDigitStart?: (digit: DtmfDigit, startMs: number) => void;
  /** A digit has ended; called once per digit. */
  readonly onDigit: (event: DtmfDigitEvent) => void;
}

export interface DtmfDetector {
  readonly config: DtmfDetectorConfig;
}

export function createDtmfDetector(listener: DtmfDetectorListener, config: Partial<DtmfDetectorConfig> = {}): DtmfDetector {
  throw new Error('not implemented yet');
}

/** Feeds 8 kHz 16-bit samples; any chunk size gives the same events. */
export function dtmfRx(detector: DtmfDetector, samples: Int16Array, length: number = samples.length): void {
  throw new Error('not implemented yet');
}

/** End of stream: reports a digit still in progress. */
export function dtmfFlush(detector: DtmfDetector): void {
  throw new Error('not implemented yet');
}

/** Convenience: every digit in a whole 8 kHz buffer. */
export function detectDtmf(samples: Int16Array, config: Partial<DtmfDetectorConfig> = {}): DtmfDigitEvent[] {
  const events: DtmfDigitEvent[] = [];
  const detector = createDtmfDetector({ onDigit: (event) => events.push(event) }, config);
  dtmfRx(detector, samples);
  dtmfFlush(detector);
  return events;
}
