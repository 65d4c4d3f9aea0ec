// The caller -> agent direction of a B2BUA call, behind one factory: `createCallerToAgentStage`.
// G.711: the joined clamp of src/media/clamp/agent-clamp-stage.ts (RFC 4733 events replaced, in-band
// tones muted inside the lookahead, sequence numbers kept continuous, SR adjustment).
// Opus: the same clamp on audio decoded at 8 kHz and re-encoded (opus-agent-clamp-stage.ts).
// G.722: the same clamp on the decoded low band, re-encoded in the band domain (g722-agent-clamp-stage.ts).
// Digits come out as DialogDigit with wall-clock start times: RFC 4733 and in-band starts are
// RTP timestamps, mapped through the arrival time of the newest audio packet, so one key seen
// both ways gets nearly the same start (the digit merger folds them).
import type { DialogDigit } from '../../dialog/vocabulary.js';
import type { AgentClampStage } from './agent-clamp.js';
import { createAgentClampStage, type AgentClampDigit } from './agent-clamp-stage.js';
import { createG722AgentClampStage } from './g722-agent-clamp-stage.js';
import { createOpusAgentClampStage } from './opus-agent-clamp-stage.js';
import { DEFAULT_INBAND_CLAMP_OPTIONS, type ClampMode } from './inband-clamp.js';
import type { AudioCodecName } from '../media-session.js';
import type { RtpClampStageStats, SentAdjustment } from './rtp-clamp-stage.js';

/** The in-band clamp's lookahead, samples at 8 kHz (26 ms): the latency secure mode adds. */
export const CLAMP_LOOKAHEAD_SAMPLES = DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs * 8;
const TS_MOD = 0x100000000;

export interface CallerToAgentStageOptions {
  readonly codec: AudioCodecName;
  /** The caller leg's payload types (the stage's output keeps them; the session maps them). */
  readonly audioPayloadType: number;
  readonly eventPayloadType: number | null;
  /** RTP clock of the audio, Hz (8000 G.711 and G.722, 48000 Opus). */
  readonly clockRate: number;
  /** RTP timestamp ticks per packet of the caller's audio (ptime x 8 for G.711 and G.722). */
  readonly frameSamples: number;
  readonly clampMode: ClampMode;
  readonly secure: boolean;
  /** Every packet for the agent leg; the view is valid during the call only. */
  readonly send: (packet: Uint8Array) => void;
  readonly onDigit: (digit: DialogDigit) => void;
}

export interface CallerToAgentStage {
  readonly secure: boolean;
  setSecure(on: boolean): void;
  /** One packet from the caller (plain RTP), its arrival in wall-clock ms (Date.now() scale). */
  push(packet: Uint8Array, arrivalMs: number): void;
  /** Time passes (ends RFC 4733 digits whose end packets were lost). */
  tick(nowMs: number): void;
  /** What the stage added and removed (RTCP SR adjustment, RFC 3550 §6.4.1). */
  readonly adjustment: SentAdjustment;
  /** SSRC of the caller's audio (for the SR adjustment), -1 before any. */
  readonly ssrc: number;
  close(): void;
}

/** THE factory of the caller -> agent direction (swap point for the in-band clamp). */
export function createCallerToAgentStage(options: CallerToAgentStageOptions): CallerToAgentStage {
  return new ClampedCallerToAgentStage(options);
}

/** Maps extended RTP timestamps of one stream to wall-clock ms through its newest packet. */
class StreamClock {
  ssrc = -1;
  maxExtTs = -1;
  arrivalMs = 0;
  private readonly samplesPerMs: number;
  constructor(clockRate: number) {
    this.samplesPerMs = clockRate / 1000;
  }
  /** Extends `ts` as the clamp stage's tracker does (first packet at 2^32 + ts); records arrival. */
  observe(ssrc: number, ts: number, arrivalMs: number): number {
    if (ssrc !== this.ssrc || this.maxExtTs < 0) {
      this.ssrc = ssrc;
      this.maxExtTs = TS_MOD + ts;
      this.arrivalMs = arrivalMs;
      return this.maxExtTs;
    }
    const ext = this.maxExtTs + ((ts - (this.maxExtTs % TS_MOD)) | 0);
    if (ext >= this.maxExtTs) {
      this.maxExtTs = ext;
      this.arrivalMs = arrivalMs;
    }
    return ext;
  }
  /** The extended form of a wire timestamp near the newest one (no state change). */
  extend(ts: number): number {
    if (this.maxExtTs < 0) return TS_MOD + ts;
    return this.maxExtTs + ((ts - (this.maxExtTs % TS_MOD)) | 0);
  }
  wallMs(extTs: number): number {
    return this.arrivalMs + (extTs - this.maxExtTs) / this.samplesPerMs;
  }
}

function ssrcOf(p: Uint8Array): number {
  return ((p[8] << 24) | (p[9] << 16) | (p[10] << 8) | p[11]) >>> 0;
}
function tsOf(p: Uint8Array): number {
  return ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0;
}

class ClampedCallerToAgentStage implements CallerToAgentStage {
  private readonly stage: AgentClampStage;
  private readonly clock: StreamClock;

  constructor(o: CallerToAgentStageOptions) {
    this.clock = new StreamClock(o.codec === 'opus' ? 48000 : 8000);
    const onDigit = (d: AgentClampDigit): void => o.onDigit({ digit: d.digit, source: d.source, atMs: this.clock.wallMs(this.clock.extend(d.startTs)) });
    // The joined clamp: RFC 4733 events replaced, in-band tones muted inside the
    // lookahead, the tone a gateway leaks around its events muted; every key reported once.
    // Opus legs run the same clamp on audio decoded at 8 kHz and re-encoded (secure mode only).
    // G.722 legs: on the decoded low band, re-encoded in the band domain (wideband kept where no
    // tone was muted).
    this.stage =
      o.codec === 'opus'
        ? createOpusAgentClampStage({ audioPayloadType: o.audioPayloadType, eventPayloadType: o.eventPayloadType, mode: o.clampMode, secure: o.secure, send: o.send, onDigit })
        : o.codec === 'G722'
        ? createG722AgentClampStage({
            audioPayloadType: o.audioPayloadType,
            eventPayloadType: o.eventPayloadType,
            frameSamples: o.frameSamples,
            mode: o.clampMode,
            secure: o.secure,
            send: o.send,
            onDigit,
          })
        : createAgentClampStage({
            codec: o.codec,
            audioPayloadType: o.audioPayloadType,
            eventPayloadType: o.eventPayloadType,
            frameSamples: o.frameSamples,
            mode: o.clampMode,
            secure: o.secure,
            send: o.send,
            onDigit,
          });
  }

  get secure(): boolean {
    return this.stage.secure;
  }
  get adjustment(): SentAdjustment {
    return this.stage.adjustment;
  }
  get stats(): RtpClampStageStats {
    return this.stage.stats;
  }
  get ssrc(): number {
    return this.clock.ssrc;
  }

  setSecure(on: boolean): void {
    this.stage.setSecure(on);
  }

  push(packet: Uint8Array, arrivalMs: number): void {
    if (packet.length >= 12) this.clock.observe(ssrcOf(packet), tsOf(packet), arrivalMs);
    this.stage.push(packet, arrivalMs);
  }

  tick(nowMs: number): void {
    this.stage.tick(nowMs);
  }

  close(): void {
    this.stage.close();
  }
}
