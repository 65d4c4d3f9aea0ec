// The clamp stage the media plane puts on each caller -> agent leg, any codec (PCMU, PCMA, G.722,
// Opus): the ClampStage (RFC 4733 events removed and replaced, sequence rewritten, secure
// switching) over the in-band clamp (InbandAudioClamp through the leg's codec port: in-band tones
// muted inside the lookahead, and the tone a gateway leaks around its events). One listener gets every digit the caller
// pressed, from either source, each once per source; none reaches the agent while secure mode is on.
import type { CodecPort } from '../codecs/codec-port.js';
import { createCodecPort } from '../codecs/create-codec-port.js';
import type { KeyPress } from '../digits/key-press.js';
import type { AudioCodecName } from '../media-session.js';
import { MediaError } from '../media-error.js';
import { ClampStage, type LegSend } from './clamp-stage.js';
import { InbandAudioClamp } from './inband-audio-clamp.js';
import { DEFAULT_INBAND_CLAMP_OPTIONS, type ClampMode, type InbandClampOptions } from './inband-clamp.js';

/** The in-band clamp's lookahead, ms: the latency secure mode adds. */
export const CLAMP_LOOKAHEAD_MS = DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs;

export interface ClampStageSetup {
  readonly codec: AudioCodecName;
  /** The codec port to use (default a new one for `codec`; one per leg and direction). */
  readonly port?: CodecPort;
  /** The audio payload type negotiated (SDP); default the static one (0 PCMU, 8 PCMA; Opus: required). */
  readonly audioPayloadType?: number;
  /**
   * The telephone-event payload type negotiated, or null when none was (then PT 101 — 100 if the
   * audio uses 101 — is still treated as events, i.e. removed in secure mode; any other unknown
   * payload type is dropped in secure mode anyway).
   */
  readonly eventPayloadType: number | null;
  /** Clock the peer counts event durations at, Hz (default the RTP clock; see ClampStageOptions). */
  readonly eventClockRate?: number;
  /** Packetisation of replacement frames, ms (SDP ptime; default 20). */
  readonly ptimeMs?: number;
  /** What the agent hears in place of a digit (config `clamp.mode`). */
  readonly mode: ClampMode;
  /** Secure mode at start; switch later with stage.setSecure(on). */
  readonly secure: boolean;
  /** The leg's sink: every packet for the agent (owned: the received packet itself). */
  readonly send: LegSend;
  /** Every digit the caller pressed (in-band digits are found only while secure mode is on). */
  readonly onDigit: (press: KeyPress) => void;
  /** Tuning of the in-band clamp (lookahead, pads, levels); default DEFAULT_INBAND_CLAMP_OPTIONS. */
  readonly inband?: Partial<Omit<InbandClampOptions, 'mode'>>;
  /** Clamped after an RFC 4733 event's end, ms (a gateway's leaked tail; default 40). */
  readonly hangoverMs?: number;
  /** Muted after a gap in the caller's audio while a stateful decoder (G.722) regains step, ms (default the port's: 60). */
  readonly resyncMs?: number;
}

const OPUS_FRAME_MS = [2.5, 5, 10, 20, 40, 60] as const;

/**
 * The Opus frame the stage packetises replaced audio in: the longest Opus frame size (RFC 6716
 * §2.1.4) not above the negotiated ptime. A ptime is only a hint (RFC 4566 §6) and SDP allows up
 * to 120 ms, which Opus cannot code as one frame.
 */
export function opusFrameMs(ptimeMs: number): number {
  let best: number = OPUS_FRAME_MS[0];
  for (const ms of OPUS_FRAME_MS) if (ms <= ptimeMs) best = ms;
  return best;
}

/** The caller -> agent clamp stage for one leg: push/pushView, setSecure, tick, close. */
export function createClampStage(setup: ClampStageSetup): ClampStage {
  const port = setup.port ?? createCodecPort(setup.codec);
  const perMs = port.rtpClockRate / 1000;
  const ptimeMs = setup.codec === 'opus' ? opusFrameMs(setup.ptimeMs ?? 20) : (setup.ptimeMs ?? 20);
  const hangoverMs = setup.hangoverMs ?? 40;
  if (!Number.isFinite(hangoverMs) || hangoverMs < 0 || hangoverMs > 1000) throw new MediaError('EOPTIONS', `hangoverMs must be 0-1000, got ${hangoverMs}`);
  const eventClock = setup.eventClockRate ?? port.rtpClockRate;
  if (eventClock !== port.rtpClockRate && eventClock * 6 !== port.rtpClockRate)
    throw new MediaError('EOPTIONS', `eventClockRate must be ${port.rtpClockRate} or ${port.rtpClockRate / 6}, got ${eventClock}`);
  let stage: ClampStage | undefined;
  const audioClamp = new InbandAudioClamp({
    codec: port,
    mode: setup.mode,
    clamp: setup.inband,
    resyncMs: setup.resyncMs,
    onDigit: (d) => stage?.reportInband(d.digit, d.startTs, d.endTs),
  });
  stage = new ClampStage({
    codec: setup.codec,
    audioPayloadType: setup.audioPayloadType,
    eventPayloadType: setup.eventPayloadType,
    eventDurationScale: port.rtpClockRate / eventClock,
    frameSamples: Math.round(ptimeMs * perMs),
    // Replacement frames sit inside the event's clamp window: the audio clamp replaces them with
    // the mode's signal (comfort noise at the call's background level in noise mode).
    fill: 'silence',
    audioClamp,
    hangoverSamples: Math.round(hangoverMs * perMs),
    secure: setup.secure,
    send: setup.send,
    onDigit: setup.onDigit,
  });
  return stage;
}
