// One key press as the media plane reports it, from any source, in one time unit: ms on the
// clock of the packets' arrival (Date.now() live; the capture's clock in replay, from its first
// frame). The clamp stage converts RTP time to it once, through the arrival of the stream's
// newest packet; the merger and the dialog read it as it is.
import type { DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import type { DigitSource } from '../../dialog/vocabulary.js';

export interface KeyPress {
  readonly digit: DtmfDigit;
  readonly source: DigitSource;
  /** Start of the key press, ms (arrival clock). */
  readonly atMs: number;
  /** How long the key was held, ms; undefined when the source does not say (SIP INFO without Duration). */
  readonly durationMs: number | undefined;
}
