// What the DTMF detector reports: the digit event and the listener it calls, for the detector's
// callers (dtmf-track.ts makes the calls).
import type { DtmfDigit } from './dtmf-tones.js';

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
  /**
   * A tone that may be DTMF has begun: the first analysis window that holds a digit's pair
   * (about 13-19 ms after the onset, before any confirmation). For clamping: other decoders
   * accept tones shorter than this detector does (multimon-ng takes 20 ms), so what must be
   * muted is every candidate, confirmed or not. `startMs` is the onset estimate that a
   * confirmed digit's startMs would use (ms from the first sample pushed).
   */
  readonly onToneCandidate?: (startMs: number, digit: DtmfDigit) => void;
  /**
   * The candidate begun by the last onToneCandidate has ended (confirmed or not), called once
   * per candidate, after its onDigit when it was confirmed. `endMs`: where the tone was last
   * present (the digit's endMs when confirmed). Fires one drop-out limit (maxDropoutMs) after
   * the end at the latest.
   */
  readonly onToneCandidateEnd?: (endMs: number) => void;
}
