// The clamp stage the media plane puts on each caller -> agent leg (G.711): the RTP side
// (RtpClampStage: RFC 4733 events removed and replaced, sequence rewritten, secure switching)
// over the in-band clamp (InbandAudioClamp: in-band tones muted inside the lookahead, and the
// tone a gateway leaks around its events). One listener gets every digit the caller pressed,
// from either source, each once; none of them reaches the agent while secure mode is on.
import type { DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import type { Rfc4733Digit } from '../../rtp/rfc4733.js';
import type { G711Codec } from './g711-fill.js';
import { InbandAudioClamp } from './inband-audio-clamp.js';
import type { ClampMode, InbandClampOptions } from './inband-clamp.js';
import { RtpClampStage } from './rtp-clamp-stage.js';

export interface AgentClampDigit {
  readonly digit: DtmfDigit;
  readonly source: 'rfc4733' | 'inband';
  /** RTP timestamps (wire, 32-bit, the caller's clock) of the digit's start and end. */
  readonly startTs: number;
  readonly endTs: number;
}

export interface AgentClampStageOptions {
  readonly codec: G711Codec;
  /** The audio payload type negotiated (SDP); default the static one (0 PCMU, 8 PCMA). */
  readonly audioPayloadType?: number;
  /**
   * The telephone-event payload type negotiated, or null when none was (then PT 101 — 100 if the
   * audio uses 101 — is still treated as events, i.e. removed in secure mode; any other unknown
   * payload type is dropped in secure mode anyway).
   */
  readonly eventPayloadType: number | null;
  /** Packetisation, samples (SDP ptime x 8; default 160 = 20 ms). */
  readonly frameSamples?: number;
  /** What the agent hears in place of a digit (config `clamp.mode`). */
  readonly mode: ClampMode;
  /** Secure mode at start; switch later with stage.setSecure(on). */
  readonly secure: boolean;
  /** Every packet for the agent leg; a view valid only during the call. */
  readonly send: (packet: Uint8Array) => void;
  /** Every digit the caller pressed (secure mode: in-band digits are found only while it is on). */
  readonly onDigit: (digit: AgentClampDigit) => void;
  /** Tuning of the in-band clamp (lookahead, pads, levels); default DEFAULT_INBAND_CLAMP_OPTIONS. */
  readonly inband?: Partial<Omit<InbandClampOptions, 'mode'>>;
  /** Clamped after an RFC 4733 event's end, samples (a gateway's leaked tail; default 320 = 40 ms). */
  readonly hangoverSamples?: number;
}

const TS_MOD = 2 ** 32;

/** The caller -> agent clamp stage for one G.711 leg: push(packet, arrivalMs), setSecure, tick, close. */
export function createAgentClampStage(options: AgentClampStageOptions): RtpClampStage {
  const { codec, onDigit } = options;
  const audioClamp = new InbandAudioClamp({
    codec,
    mode: options.mode,
    clamp: options.inband,
    onDigit: (d) => onDigit({ digit: d.digit, source: 'inband', startTs: d.startTs, endTs: d.endTs }),
  });
  const audioPayloadType = options.audioPayloadType ?? (codec === 'PCMU' ? 0 : 8);
  const eventPayloadType = options.eventPayloadType ?? (audioPayloadType === 101 ? 100 : 101);
  return new RtpClampStage({
    codec,
    audioPayloadType,
    eventPayloadType,
    frameSamples: options.frameSamples,
    // Replacement frames sit inside the event's clamp window: the audio clamp replaces them with
    // the mode's signal (comfort noise at the call's background level in noise mode).
    fill: 'silence',
    audioClamp,
    hangoverSamples: options.hangoverSamples,
    secure: options.secure,
    send: options.send,
    onDigit: (d: Rfc4733Digit) =>
      onDigit({ digit: d.digit, source: 'rfc4733', startTs: d.startTimestamp % TS_MOD, endTs: (d.startTimestamp + d.duration) % TS_MOD }),
  });
}
