// What a clamp stage is built from (createClampStage fills it in for the media plane), checked at
// construction: a bad option is an EOPTIONS MediaError, never a stage that half works.
import type { KeyPress } from '../digits/key-press.js';
import type { AudioCodecName } from '../media-session.js';
import { MediaError } from '../media-error.js';
import { MAX_FRAME_SAMPLES, type AudioClamp } from './audio-clamp.js';
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

/** RFC 3551 static payload types. */
const STATIC_PT: Readonly<Record<string, number>> = { PCMU: 0, PCMA: 8, G722: 9 };

/** The options checked, with every default filled in (RTP clock units where not said). */
export interface StageSetup {
  readonly codec: AudioCodecName;
  /** RTP clock, Hz. */
  readonly clockRate: number;
  readonly audioPayloadType: number;
  readonly eventPayloadType: number;
  readonly frameSamples: number;
  /** Event durations count at 1/eventScale of the RTP clock (1 or 6). */
  readonly eventScale: number;
  readonly leadSamples: number;
  readonly hangoverSamples: number;
}

/** The stage's setup from its options; an EOPTIONS MediaError for the first one that cannot be. */
export function resolveStageOptions(options: ClampStageOptions): StageSetup {
  const codec = options.codec;
  if (codec !== 'PCMU' && codec !== 'PCMA' && codec !== 'G722' && codec !== 'opus') throw new MediaError('EOPTIONS', `codec must be PCMU, PCMA, G722 or opus, got ${String(codec)}`);
  // RFC 3551 §4.5.2: G.722 counts at 8000 Hz although its audio is 16 kHz.
  const clockRate = codec === 'opus' ? 48_000 : 8000;
  const clamp = options.audioClamp;
  const g711 = codec === 'PCMU' || codec === 'PCMA';
  if (!g711 && clamp === undefined) throw new MediaError('EOPTIONS', `a ${codec} leg needs its audio clamp (replacement frames are encoded by it)`);
  const audioPt = options.audioPayloadType ?? STATIC_PT[codec];
  if (audioPt === undefined) throw new MediaError('EOPTIONS', `${codec} has no static payload type: audioPayloadType is required`);
  const audioPayloadType = checkPt('audioPayloadType', audioPt);
  const eventPayloadType = checkPt('eventPayloadType', options.eventPayloadType ?? (audioPayloadType === 101 ? 100 : 101));
  if (audioPayloadType === eventPayloadType) throw new MediaError('EOPTIONS', 'audio and event payload types must differ');
  const perMs = clockRate / 1000;
  const ratio = clockRate / 8000;
  const frameSamples = options.frameSamples ?? 20 * perMs;
  if (!Number.isInteger(frameSamples) || frameSamples < 8 * ratio || frameSamples > MAX_FRAME_SAMPLES * ratio) {
    throw new MediaError('EOPTIONS', `frameSamples must be an integer ${8 * ratio}-${MAX_FRAME_SAMPLES * ratio} (RTP clock units), got ${frameSamples}`);
  }
  const eventScale = options.eventDurationScale ?? 1;
  if (eventScale !== 1 && eventScale !== 6) throw new MediaError('EOPTIONS', `eventDurationScale must be 1 or 6, got ${String(eventScale)}`);
  const leadSamples = checkSamples('leadSamples', options.leadSamples ?? clamp?.lookaheadSamples ?? 0, clockRate);
  const hangoverSamples = checkSamples('hangoverSamples', options.hangoverSamples ?? 40 * perMs, clockRate);
  return { codec, clockRate, audioPayloadType, eventPayloadType, frameSamples, eventScale, leadSamples, hangoverSamples };
}
