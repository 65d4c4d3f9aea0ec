// The caller -> agent clamp stage for a G.722 leg (static PT 9, RFC 3551 §4.5.2: 16 kHz audio on an
// 8000 Hz RTP clock, one payload byte per tick), the G.722 counterpart of createAgentClampStage.
//
// How: as the Opus stage, the G.711 stage's RTP logic (RtpClampStage: RFC 4733 events removed and
// replaced, sequence rewriting, marker rules, secure switching, event windows widened for a
// gateway's leaked tone) and in-band clamp (InbandAudioClamp: detection at 8 kHz, muting inside
// the 26 ms lookahead) run as they are on a *virtual G.711 leg*. G.722 needs no timestamp
// mapping: the virtual packet has the caller's own header, and its payload is the G.722
// payload's low band as mu-law, byte for byte in place (the low band is 8 kHz on the RTP clock).
// Through the G.722 codec port, in the band domain (native-free-dsp/g722.ts):
// - every audio packet of the source is decoded, in order, secure mode or not (an ADPCM decoder
//   started mid-stream at the secure switch would mis-track the signal for tens of ms, the time
//   a digit can slip through), to its low band (0-4 kHz at 8 kHz: the detector's input, with no
//   resampler and no delay) and high band (4-8 kHz), kept in a ring by timestamp;
// - outside secure mode what goes out is the caller's own packet, byte for byte (only the
//   sequence bytes change, and only when secure mode has left an offset, as for G.711);
// - in secure mode what the G.711 stage sends is re-encoded with the agent direction's encoder:
//   a sample the clamp left alone is the caller's own low and high band (wideband; the mu-law
//   code of the virtual leg is only the detector's copy), a sample it replaced is the replacement
//   in the low band with an empty high band (so no band of a muted span reaches the agent).
// The encoder runs on band samples, with no QMF: decode, clamp and re-encode add no delay beyond
// the clamp's lookahead, and RTP timestamps and lengths stay the caller's.
//
// Packets the decoder cannot follow: a late or duplicate audio packet (its time already decoded)
// is not decoded again, and its time is silence for the clamp; a new SSRC resets the decoder. A
// payload over 120 ms (960 bytes) is not decoded: in secure mode it is dropped, outside it passes.
// A gap (loss, or audio the caller did not send while it sent RFC 4733 events) leaves the decoder
// out of step with the caller's encoder: for ~100 ms a tone decodes distorted (the detector may
// miss it) and its end rings on. So in secure mode the first `resyncMs` (default 60) after a gap
// are muted, fail closed; the G.711 stage's event hangover (40 ms) alone let a leaked tail through.
// RFC 4733 events count at 8000 Hz, the audio's RTP clock (RFC 4733 §2.1; telephone-event/8000).
import { linearToUlaw, ulawToLinear, ULAW_SILENCE } from '../../../native-free-dsp/g711.js';
import { rtpPayloadBoundsInto } from '../../rtp/rtp-packet.js';
import { G722Port } from '../codecs/g722-port.js';
import { MediaError } from '../media-error.js';
import type { AgentClampStage } from './agent-clamp.js';
import type { AgentClampDigit } from './agent-clamp-stage.js';
import { MAX_FRAME_SAMPLES, type AudioClamp } from './audio-clamp.js';
import { InbandAudioClamp } from './inband-audio-clamp.js';
import type { ClampMode, InbandClampOptions } from './inband-clamp.js';
import { RtpClampStage, type RtpClampStageStats, type SentAdjustment } from './rtp-clamp-stage.js';

export interface G722AgentClampStageOptions {
  /** The G.722 payload type negotiated (9, RFC 3551; a dynamic one if the SDP mapped it so). */
  readonly audioPayloadType: number;
  /** The telephone-event payload type negotiated, or null (then 101, or 100 if the audio is 101). */
  readonly eventPayloadType: number | null;
  /** Packetisation of replacement frames, samples on the 8 kHz RTP clock (ptime x 8; default 160). */
  readonly frameSamples?: number;
  /** What the agent hears in place of a digit (config `clamp.mode`). */
  readonly mode: ClampMode;
  /** Secure mode at start; switch later with stage.setSecure(on). */
  readonly secure: boolean;
  /** Every packet for the agent leg; a view valid only during the call. */
  readonly send: (packet: Uint8Array) => void;
  /** Every digit the caller pressed, each once; timestamps are the leg's (8 kHz clock). */
  readonly onDigit: (digit: AgentClampDigit) => void;
  /** Tuning of the in-band clamp (lookahead, pads, levels); default DEFAULT_INBAND_CLAMP_OPTIONS. */
  readonly inband?: Partial<Omit<InbandClampOptions, 'mode'>>;
  /** Clamped after an RFC 4733 event's end, samples (a gateway's leaked tail; default 320 = 40 ms). */
  readonly hangoverSamples?: number;
  /** Muted after a gap in the caller's audio, ms, while the decoder regains step (default 60; secure mode). */
  readonly resyncMs?: number;
}

export interface G722AgentClampStats extends RtpClampStageStats {
  /** G.722 audio packets decoded (every one in order, secure mode or not). */
  decoded: number;
  /** Audio packets not decoded: late, duplicate or oversized (their time is silence for the clamp). */
  notDecoded: number;
  /** Gaps after which the decoder's resynchronisation time was muted (secure mode). */
  resyncs: number;
}

const HEADER_BYTES = 12;
const TS_MOD = 2 ** 32;
/** Decoded bands kept by timestamp, samples (power of two, > lookahead + largest frame). */
const RING = 8192;
const MASK = RING - 1;
/** RFC 3389 comfort noise. */
const CN_PT = 13;

export class G722AgentClampStage implements AgentClampStage {
  readonly adjustment: SentAdjustment = { packets: 0, octets: 0 };
  readonly audioPayloadType: number;
  readonly eventPayloadType: number;
  /** Delay secure mode adds, RTP samples (8 kHz). */
  readonly lookaheadSamples: number;
  private decoded = 0;
  private notDecoded = 0;
  private resyncs = 0;
  /** RTP samples muted after a gap, and whether the packet being pushed follows one. */
  private readonly resyncSamples: number;
  private afterGap = false;

  private readonly virtual: RtpClampStage;
  private readonly audioClamp: InbandAudioClamp;
  private readonly send: (packet: Uint8Array) => void;
  /** The caller's stream decoded (this port's decoder) and the agent's re-encoded (another port's encoder). */
  private readonly callerPort = new G722Port();
  private readonly agentPort = new G722Port();
  private readonly bounds = new Int32Array(3);
  private readonly vbuf = new Uint8Array(HEADER_BYTES + MAX_FRAME_SAMPLES);
  private readonly outBuf = new Uint8Array(HEADER_BYTES + MAX_FRAME_SAMPLES);
  private currentVirtual: Uint8Array | undefined;
  private currentOriginal: Uint8Array | undefined;
  /** Decoded bands by RTP timestamp (32-bit; tag = the timestamp held, NaN = none). */
  private readonly ringLow = new Int16Array(RING);
  private readonly ringHigh = new Int16Array(RING);
  private readonly ringTs = new Float64Array(RING).fill(NaN);
  private readonly low = new Int16Array(MAX_FRAME_SAMPLES);
  private readonly high = new Int16Array(MAX_FRAME_SAMPLES);
  private readonly unknownPt: number;
  private ssrc = -1;
  /** Timestamp just past the last audio decoded (32-bit), -1 before any. */
  private decodedEnd = -1;
  private octetsIn = 0;
  private octetsOut = 0;
  private closed = false;

  constructor(options: G722AgentClampStageOptions) {
    this.audioPayloadType = options.audioPayloadType;
    this.eventPayloadType = options.eventPayloadType ?? (options.audioPayloadType === 101 ? 100 : 101);
    // A payload type neither audio nor events nor CN: what an undecodable G.722 packet becomes on
    // the virtual leg, so the G.711 stage drops it in secure mode (19: reserved, RFC 3551).
    this.unknownPt = [19, 20, 21].find((pt) => pt !== this.audioPayloadType && pt !== this.eventPayloadType) ?? 19;
    const resyncMs = options.resyncMs ?? 60;
    if (!Number.isFinite(resyncMs) || resyncMs < 0 || resyncMs > 1000) throw new MediaError('EOPTIONS', `resyncMs must be 0-1000, got ${resyncMs}`);
    this.resyncSamples = Math.round(resyncMs * 8);
    this.send = options.send;
    const onDigit = options.onDigit;
    this.audioClamp = new InbandAudioClamp({
      codec: 'PCMU',
      mode: options.mode,
      clamp: options.inband,
      onDigit: (d) => onDigit({ digit: d.digit, source: 'inband', startTs: d.startTs % TS_MOD, endTs: d.endTs % TS_MOD }),
    });
    this.lookaheadSamples = this.audioClamp.lookaheadSamples;
    this.virtual = new RtpClampStage({
      codec: 'PCMU',
      audioPayloadType: this.audioPayloadType,
      eventPayloadType: this.eventPayloadType,
      frameSamples: options.frameSamples,
      fill: 'silence', // inside the event's clamp window: the audio clamp puts the mode's signal there
      audioClamp: this.resyncingClamp(),
      hangoverSamples: options.hangoverSamples,
      secure: options.secure,
      send: (p) => this.emit(p),
      onDigit: (d) => onDigit({ digit: d.digit, source: 'rfc4733', startTs: d.startTimestamp % TS_MOD, endTs: (d.startTimestamp + d.duration) % TS_MOD }),
    });
  }

  get stats(): G722AgentClampStats {
    return Object.assign(this.virtual.stats, { decoded: this.decoded, notDecoded: this.notDecoded, resyncs: this.resyncs });
  }

  get secure(): boolean {
    return this.virtual.secure;
  }

  get clamping(): boolean {
    return this.virtual.clamping;
  }

  /** Audio replaced by the in-band clamp since secure mode last started, ms (0 on clean speech). */
  get mutedMs(): number {
    return this.audioClamp.mutedSamples / 8;
  }

  setSecure(on: boolean): void {
    this.assertOpen();
    this.virtual.setSecure(on);
  }

  tick(nowMs: number): void {
    this.assertOpen();
    this.virtual.tick(nowMs);
  }

  close(): void {
    if (this.closed) return;
    this.virtual.close();
    this.closed = true;
  }

  push(packet: Uint8Array, arrivalMs: number): void {
    this.assertOpen();
    if (rtpPayloadBoundsInto(packet, this.bounds) !== undefined) {
      // Unreadable: the G.711 stage passes it (not secure) or drops it (secure), as it is.
      this.pushVirtual(packet, packet, arrivalMs, 0);
      return;
    }
    const start = this.bounds[0];
    const end = this.bounds[1];
    const pt = packet[1] & 0x7f;
    const payload = packet.subarray(start, end);
    let length = Math.min(payload.length, MAX_FRAME_SAMPLES);
    let vpt = pt;
    if (pt === this.audioPayloadType) {
      if (payload.length > MAX_FRAME_SAMPLES) {
        this.notDecoded++;
        vpt = this.unknownPt;
        length = 0;
      } else this.decodeInto(packet, payload);
    } else {
      this.vbuf.set(payload.subarray(0, length), HEADER_BYTES);
    }
    const v = this.vbuf.subarray(0, HEADER_BYTES + length);
    v.set(packet.subarray(0, HEADER_BYTES));
    v[0] = 0x80;
    v[1] = (packet[1] & 0x80) | vpt;
    this.pushVirtual(v, packet, arrivalMs, end - start);
  }

  /** The audio packet's bands into the ring and its low band as mu-law into the virtual payload. */
  private decodeInto(packet: Uint8Array, payload: Uint8Array): void {
    const ssrc = ((packet[8] << 24) | (packet[9] << 16) | (packet[10] << 8) | packet[11]) >>> 0;
    const ts = ((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]) >>> 0;
    const n = payload.length;
    if (ssrc !== this.ssrc) {
      this.ssrc = ssrc;
      this.decodedEnd = -1;
      this.callerPort.reset(); // a new source: no state of the old one
    }
    // Serial-number arithmetic (RFC 3550 timestamps wrap): behind what was decoded = late or duplicate.
    const fresh = this.decodedEnd < 0 || ((ts - this.decodedEnd) | 0) >= 0;
    const codes = this.vbuf.subarray(HEADER_BYTES, HEADER_BYTES + n);
    if (!fresh) {
      this.notDecoded++;
      codes.fill(ULAW_SILENCE);
      return;
    }
    this.decoded++;
    this.afterGap = this.decodedEnd >= 0 && ts !== this.decodedEnd;
    this.callerPort.decodeBands(payload, this.low, this.high);
    for (let i = 0; i < n; i++) {
      const j = (ts + i) & MASK;
      this.ringLow[j] = this.low[i];
      this.ringHigh[j] = this.high[i];
      this.ringTs[j] = (ts + i) % TS_MOD;
      // The low band is 15-bit: x 2 is the 16-bit scale the detector and G.711 work in.
      codes[i] = linearToUlaw(this.low[i] * 2);
    }
    this.decodedEnd = (ts + n) % TS_MOD;
  }

  private pushVirtual(virtualPacket: Uint8Array, original: Uint8Array, arrivalMs: number, payloadBytes: number): void {
    const duplicates = this.virtual.stats.duplicates;
    this.currentVirtual = virtualPacket;
    this.currentOriginal = original;
    try {
      this.virtual.push(virtualPacket, arrivalMs);
    } finally {
      this.currentVirtual = this.currentOriginal = undefined;
      this.afterGap = false;
    }
    if (this.virtual.stats.duplicates === duplicates) this.octetsIn += payloadBytes;
    this.adjustment.packets = this.virtual.adjustment.packets;
    this.adjustment.octets = this.octetsOut - this.octetsIn;
  }

  /**
   * The in-band clamp as the G.711 stage sees it, plus the resynchronisation mute: when the
   * packet being clamped follows a gap, its first resyncSamples are a clamp window.
   */
  private resyncingClamp(): AudioClamp {
    const inner = this.audioClamp;
    return {
      lookaheadSamples: inner.lookaheadSamples,
      process: (payload, extTs) => {
        if (this.afterGap && this.resyncSamples > 0 && payload.buffer === this.vbuf.buffer && payload.byteOffset === this.vbuf.byteOffset + HEADER_BYTES) {
          this.afterGap = false;
          this.resyncs++;
          inner.clampWindow(extTs, extTs + this.resyncSamples);
        }
        inner.process(payload, extTs);
      },
      clampWindow: (from, to) => inner.clampWindow(from, to),
      reset: () => inner.reset(),
      close: () => inner.close(),
    };
  }

  /** What the G.711 stage sends, as the agent's G.722 packet. */
  private emit(p: Uint8Array): void {
    const original = this.currentOriginal;
    if (original !== undefined && (p === original || (p === this.currentVirtual && !this.virtual.clamping))) {
      // Passed through: the caller's own bytes, with the stage's sequence number.
      if (p !== original && (original[2] !== p[2] || original[3] !== p[3])) {
        original[2] = p[2];
        original[3] = p[3];
      }
      this.octetsOut += Math.max(0, original.length - HEADER_BYTES);
      this.send(original);
      return;
    }
    const pt = p[1] & 0x7f;
    const n = p.length - HEADER_BYTES;
    if ((pt !== this.audioPayloadType && pt !== CN_PT) || n < 0 || n > MAX_FRAME_SAMPLES) return; // nothing else leaves the G.711 stage in secure mode
    const out = this.outBuf.subarray(0, p.length);
    out.set(p.subarray(0, HEADER_BYTES));
    out[0] = 0x80; // no CSRC, no extension (header extensions such as audio level, RFC 6464, would leak)
    if (pt === CN_PT) out.set(p.subarray(HEADER_BYTES), HEADER_BYTES);
    else this.encodeClamped(p.subarray(HEADER_BYTES), ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0, out.subarray(HEADER_BYTES));
    this.octetsOut += n;
    this.send(out);
  }

  /**
   * Clamped mu-law codes for timestamps [ts, ts + n) (the input of ts - lookahead) to G.722: each
   * sample the clamp left as it was is the caller's decoded bands; each it replaced is the
   * replacement as the low band, with nothing in the high band.
   */
  private encodeClamped(codes: Uint8Array, ts: number, out: Uint8Array): void {
    const n = codes.length;
    const from = ts - this.audioClamp.lookaheadSamples;
    for (let i = 0; i < n; i++) {
      const t = (from + i + TS_MOD) % TS_MOD;
      const j = t & MASK;
      const code = codes[i];
      if (this.ringTs[j] === t && linearToUlaw(this.ringLow[j] * 2) === code) {
        this.low[i] = this.ringLow[j];
        this.high[i] = this.ringHigh[j];
      } else {
        this.low[i] = ulawToLinear(code) >> 1;
        this.high[i] = 0;
      }
    }
    this.agentPort.encodeBands(this.low, this.high, n, out);
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('ECLOSED', 'G722AgentClampStage used after close()');
  }
}

/** The caller -> agent clamp stage for one G.722 leg: push(packet, arrivalMs), setSecure, tick, close. */
export function createG722AgentClampStage(options: G722AgentClampStageOptions): G722AgentClampStage {
  return new G722AgentClampStage(options);
}
