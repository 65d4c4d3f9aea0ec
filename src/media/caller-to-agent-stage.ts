// The caller -> agent direction of a B2BUA call, behind one factory: `createCallerToAgentStage`.
// G.711: the joined clamp of src/media/agent-clamp-stage.ts (RFC 4733 events replaced, in-band
// tones muted inside the lookahead, sequence numbers kept continuous, SR adjustment).
// Opus: see OpusEventStage below.
// Digits come out as DialogDigit with wall-clock start times: RFC 4733 and in-band starts are
// RTP timestamps, mapped through the arrival time of the newest audio packet, so one key seen
// both ways gets nearly the same start (the digit merger folds them).
import type { DialogDigit } from '../dialog/vocabulary.js';
import { createRfc4733Decoder, rfc4733Rx, rfc4733Tick, rfc4733Flush, type Rfc4733Decoder, type Rfc4733Digit } from '../rtp/rfc4733.js';
import { rtpPayloadBoundsInto } from '../rtp/rtp-packet.js';
import { createAgentClampStage, type AgentClampDigit } from './agent-clamp-stage.js';
import { DEFAULT_INBAND_CLAMP_OPTIONS, type ClampMode } from './inband-clamp.js';
import type { AudioCodecName } from './media-session.js';
import { RtpClampStage, type RtpClampStageStats, type SentAdjustment } from './rtp-clamp-stage.js';

/** The in-band clamp's lookahead, samples at 8 kHz (26 ms): the latency secure mode adds. */
export const CLAMP_LOOKAHEAD_SAMPLES = DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs * 8;
const TS_MOD = 0x100000000;

export interface CallerToAgentStageOptions {
  readonly codec: AudioCodecName;
  /** The caller leg's payload types (the stage's output keeps them; the session maps them). */
  readonly audioPayloadType: number;
  readonly eventPayloadType: number | null;
  /** RTP clock of the audio, Hz (8000 G.711, 48000 Opus). */
  readonly clockRate: number;
  /** Samples per packet of the caller's audio (ptime x 8 for G.711). */
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
  return options.codec === 'opus' ? new OpusEventStage(options) : new G711CallerToAgentStage(options);
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

class G711CallerToAgentStage implements CallerToAgentStage {
  private readonly stage: RtpClampStage;
  private readonly clock = new StreamClock(8000);

  constructor(o: CallerToAgentStageOptions) {
    // The joined clamp (issue 5): RFC 4733 events replaced, in-band tones muted inside the
    // lookahead, the tone a gateway leaks around its events muted; every key reported once.
    this.stage = createAgentClampStage({
      codec: o.codec === 'PCMA' ? 'PCMA' : 'PCMU',
      audioPayloadType: o.audioPayloadType,
      eventPayloadType: o.eventPayloadType,
      frameSamples: o.frameSamples,
      mode: o.clampMode,
      secure: o.secure,
      send: o.send,
      onDigit: (d: AgentClampDigit) => o.onDigit({ digit: d.digit, source: d.source, atMs: this.clock.wallMs(this.clock.extend(d.startTs)) }),
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

/** Opus (or any codec without a clamp): events dropped in secure mode, digits reported. */
class OpusEventStage implements CallerToAgentStage {
  readonly adjustment: SentAdjustment = { packets: 0, octets: 0 };
  private requested: boolean;
  private readonly events: Rfc4733Decoder | null;
  private readonly eventPt: number | null;
  private readonly send: (packet: Uint8Array) => void;
  private readonly bounds = new Int32Array(3);
  private lastSsrc = -1;
  private closed = false;

  constructor(o: CallerToAgentStageOptions) {
    this.requested = o.secure;
    this.send = o.send;
    this.eventPt = o.eventPayloadType;
    // telephone-event/8000 is the common rtpmap even on Opus legs; the start time is the first
    // event packet's arrival (the event clock is not the audio's).
    const onDigit = o.onDigit;
    this.events = o.eventPayloadType === null ? null : createRfc4733Decoder((d) => onDigit({ digit: d.digit, source: 'rfc4733', atMs: d.firstArrivalMs }));
  }

  get secure(): boolean {
    return this.requested;
  }
  get ssrc(): number {
    return this.lastSsrc;
  }

  setSecure(on: boolean): void {
    this.requested = on;
  }

  push(packet: Uint8Array, arrivalMs: number): void {
    if (this.closed) return;
    const bad = rtpPayloadBoundsInto(packet, this.bounds) !== undefined;
    if (bad) {
      if (!this.requested) this.send(packet);
      return;
    }
    const pt = packet[1] & 0x7f;
    if (this.events !== null && pt === this.eventPt) {
      rfc4733Rx(this.events, tsOf(packet), (packet[1] & 0x80) !== 0, packet.subarray(this.bounds[0], this.bounds[1]), arrivalMs);
      if (this.requested) {
        this.adjustment.packets--;
        this.adjustment.octets -= this.bounds[1] - this.bounds[0];
        return;
      }
    } else this.lastSsrc = ssrcOf(packet);
    this.send(packet);
  }

  tick(nowMs: number): void {
    if (this.events !== null) rfc4733Tick(this.events, nowMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.events !== null) rfc4733Flush(this.events);
  }
}
