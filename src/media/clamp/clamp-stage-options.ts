// What a clamp stage is built from (createClampStage fills it in for the media plane), checked at
// construction: a bad option is an EOPTIONS MediaError, never a stage that half works.
import type { KeyPress } from '../digits/key-press.js';
import type { AudioCodecName } from '../media-session.js';
import { MediaError } from '../media-error.js';
import type { AudioClamp } from './audio-clamp.js';
import type { FillMode } from './g711-fill.js';
import type { LegSend } from './stage-output.js';

export interface ClampStageOptions {
  readonly codec: AudioCodecName;
  /** Audio payload type (default: the static one, 0 or 8; Opus has none: required). */
  readonly audioPayloadType?: number;
  /** telephone-event payload type (default 101, or 100 if the audio uses 101). */
  readonly eventPayloadType?: number | null;
  /**
   * Telephone-event durations count at 1/this of the RTP clock (6: events/8000 on a 48 kHz Opus
   * leg). Default 1 (RFC 4733 §2.1: the audio's clock; baresip counts at 48 kHz too).
   */
  readonly eventDurationScale?: number;
  /** Packetisation of replacement frames, RTP clock units (default 20 ms). */
  readonly frameSamples?: number;
  /** What replacement frames hold before the audio clamp (G.711 without an audio clamp: what the agent hears). */
  readonly fill?: FillMode;
  /** In-band clamp the audio goes through in secure mode; none (G.711 only): audio passes unchanged. */
  readonly audioClamp?: AudioClamp;
  /** Clamped before an event's start, RTP clock units (default: the clamp's lookahead). */
  readonly leadSamples?: number;
  /** Clamped after an event's end, RTP clock units (default 40 ms). */
  readonly hangoverSamples?: number;
  /** Secure mode at start (default false). */
  readonly secure?: boolean;
  /** Every outgoing packet (the leg's sink). */
  readonly send: LegSend;
  /** Every digit the caller pressed, each source once (never sent to the agent in secure mode). */
  readonly onDigit?: (press: KeyPress) => void;
}

export function checkPt(name: string, pt: number): number {
  if (!Number.isInteger(pt) || pt < 0 || pt > 127 || (pt >= 64 && pt <= 95)) {
    throw new MediaError('EOPTIONS', `${name} must be 0-127 outside 64-95 (RFC 5761 §4), got ${pt}`);
  }
  return pt;
}

export function checkSamples(name: string, n: number, clockRate: number): number {
  if (!Number.isInteger(n) || n < 0 || n > clockRate) throw new MediaError('EOPTIONS', `${name} must be an integer 0-${clockRate} (1 s of RTP clock), got ${n}`);
  return n;
}
