// The caller -> agent clamp stage for an Opus leg (RTP payload RFC 7587: 48 kHz RTP clock,
// dynamic payload type), the Opus counterpart of createAgentClampStage (G.711).
//
// How: the RTP logic of the G.711 stage (RtpClampStage: RFC 4733 events removed and replaced by
// audio covering their span, sequence rewriting without gaps, marker rules, secure switching,
// the event's clamp window widened by a gateway's leaked tone) and its in-band clamp
// (InbandAudioClamp: detection at 8 kHz, muting inside the 26 ms lookahead) are reused as they
// are, on a *virtual G.711 leg*: each Opus packet becomes a PCMU packet on an 8 kHz timeline
// (virtual timestamp = (RTP timestamp - base) / 6; Opus frames are multiples of 2.5 ms, so the
// division is exact) and what that stage sends is turned back into Opus packets:
// - outside secure mode nothing is decoded: the virtual packet only carries the right length
//   (from the Opus TOC, RFC 6716 §3.1) and what goes out is the caller's own packet, byte for
//   byte (only the two sequence bytes change, and only when secure mode has left an offset, as
//   for G.711);
// - in secure mode each packet whose audio the agent gets (not duplicates, not time an event
//   already covered) is decoded by libopus straight to 8 kHz (the detector's rate;
//   libopus band-limits internally, cheaper than 48 kHz + resampling), clamped, and what the
//   agent gets is re-encoded by an Opus encoder fed at 8 kHz (libopus resamples internally; the
//   RTP clock stays 48 kHz, RFC 7587 §4.1). Timestamps map back exactly, SSRC and sequence
//   continuity are the G.711 stage's.
// Why 8 kHz rather than decoding at 48 kHz and clamping a delayed wideband copy: the secure
// window is the card-entry phase, where the agent hears at most the caller's short remarks; a
// narrowband (4 kHz) secure window costs nothing that matters there, while a wideband path would
// need two time-aligned resamplers and a second delay line whose alignment with the detector's
// decisions is itself a leak risk. The G.711 codes of the virtual leg lose no precision: an
// output sample whose code is the input's code at that time is restored from the decoded 16-bit
// PCM (a sample that was replaced keeps the replacement).
//
// Lost packets: the in-band clamp sees their time as silence (InbandAudioClamp's rule); the agent
// gets no packet for that time (it sees the same loss). telephone-event durations count at
// `eventClockRate` (RFC 4733 §2.1: the audio's clock, 48000 for Opus); their timestamps are the
// stream's 48 kHz ones. baresip (fixtures/rtp/opus.pcapng) signals telephone-event/8000 yet
// counts durations at 48 kHz (960 per 20 ms update): pass 48000 unless the peer is known to count
// at 8 kHz. The virtual timeline wraps after 2^32 / 6 samples at 48 kHz (24.8 h of one SSRC):
// the stage then sees a restart (a new line, the lookahead's silence).
// Limits: a packet over 60 ms (80-120 ms; allowed by RFC 7587, rare) is re-encoded as equal
// frames joined by hand (code 3), falling back to 60 ms (a timestamp gap) in the unlikely case
// the encoder switched mode between them; an event ending off the 2.5 ms grid gets its last
// replacement frame padded to an Opus frame size.
import { linearToUlaw, ulawToLinear, ULAW_SILENCE } from '../../../native-free-dsp/g711.js';
import type { AgentClampStage } from './agent-clamp.js';
import type { AgentClampDigit } from './agent-clamp-stage.js';
import type { AudioClamp } from './audio-clamp.js';
import { InbandAudioClamp } from './inband-audio-clamp.js';
import type { ClampMode, InbandClampOptions } from './inband-clamp.js';
import { MediaError } from '../media-error.js';
import { createOpusCodec, opusDecode, opusEncode, type OpusCodec } from '../codecs/opus-codec.js';
import { joinOpusPackets, opusPacketSamples48 } from '../codecs/opus-toc.js';
import { RtpClampStage, type RtpClampStageStats, type SentAdjustment } from './rtp-clamp-stage.js';
import { rtpPayloadBoundsInto } from '../../rtp/rtp-packet.js';

export interface OpusAgentClampStageOptions {
  /** The Opus payload type negotiated (SDP rtpmap opus/48000/2; dynamic, e.g. 96 or 111). */
  readonly audioPayloadType: number;
  /** The telephone-event payload type negotiated, or null (then 101, or 100 if the audio is 101). */
  readonly eventPayloadType: number | null;
  /** Clock the event durations count at, Hz (default 48000; see the header). */
  readonly eventClockRate?: 8000 | 48000;
  /** Packetisation of replacement frames, ms (2.5-60 in Opus frame sizes; default 20). */
  readonly frameMs?: 2.5 | 5 | 10 | 20 | 40 | 60;
  /** What the agent hears in place of a digit (config `clamp.mode`). */
  readonly mode: ClampMode;
  /** Secure mode at start; switch later with stage.setSecure(on). */
  readonly secure: boolean;
  /** Every packet for the agent leg; a view valid only during the call. */
  readonly send: (packet: Uint8Array) => void;
  /** Every digit the caller pressed, each once; timestamps are the leg's (48 kHz). */
  readonly onDigit: (digit: AgentClampDigit) => void;
  /** Tuning of the in-band clamp (lookahead, pads, levels); default DEFAULT_INBAND_CLAMP_OPTIONS. */
  readonly inband?: Partial<Omit<InbandClampOptions, 'mode'>>;
  /** Clamped after an RFC 4733 event's end, ms (a gateway's leaked tail; default 40). */
  readonly hangoverMs?: number;
}

const HEADER_BYTES = 12;
const TS_MOD = 2 ** 32;
/** RTP clock / detector rate. */
const RATIO = 6;
/** Largest Opus packet, 8 kHz samples (120 ms, RFC 6716 §3.2.5). */
const MAX_SAMPLES_8K = 960;
/** The first timestamp of a source maps this far into the virtual timeline (10 s): late packets stay positive. */
const BASE_MARGIN_48K = 480_000;
/** Decoded input kept for the precision restore, 8 kHz samples (power of two, > lookahead + frame). */
const RING = 8192;
const MASK = RING - 1;
/** Opus frame sizes at 8 kHz (2.5, 5, 10, 20, 40, 60 ms). */
const OPUS_FRAMES_8K = [20, 40, 80, 160, 320, 480] as const;
/** RFC 3389 comfort noise. */
const CN_PT = 13;

export interface OpusAgentClampStats extends RtpClampStageStats {
  /** Opus packets decoded (secure mode only; 0 while it is off). */
  decoded: number;
  /** Opus packets libopus could not decode in secure mode (their time is concealed as silence). */
  decodeErrors: number;
}

export class OpusAgentClampStage implements AgentClampStage {
  readonly adjustment: SentAdjustment = { packets: 0, octets: 0 };
  readonly audioPayloadType: number;
  readonly eventPayloadType: number;
  readonly eventClockRate: 8000 | 48000;
  /** Delay secure mode adds, RTP samples (48 kHz). */
  readonly lookaheadSamples: number;
  private decodeErrors = 0;
  private decoded = 0;

  private readonly virtual: RtpClampStage;
  private readonly audioClamp: InbandAudioClamp;
  private readonly send: (packet: Uint8Array) => void;
  private readonly encoder: OpusCodec;
  private decoder: OpusCodec;
  private readonly bounds = new Int32Array(3);
  /** The virtual packet being pushed (a view of vbuf), and the caller's packet it stands for. */
  private readonly vbuf = new Uint8Array(HEADER_BYTES + MAX_SAMPLES_8K + 256);
  private currentVirtual: Uint8Array | undefined;
  private currentOriginal: Uint8Array | undefined;
  /** The Opus payload of the audio packet being pushed, until decoded. */
  private pendingOpus: Uint8Array | undefined;
  /** Decoded input (16-bit) by virtual timestamp, for the precision restore. */
  private readonly origPcm = new Int16Array(RING);
  private readonly origTs = new Float64Array(RING).fill(NaN);
  private readonly pcm8 = new Int16Array(MAX_SAMPLES_8K);
  private readonly unknownPt: number;
  private ssrc = -1;
  /** 48 kHz timestamp of virtual timestamp 0 for the current source. */
  private base48 = 0;
  private octetsIn = 0;
  private octetsOut = 0;
  private closed = false;

  constructor(options: OpusAgentClampStageOptions) {
    this.audioPayloadType = options.audioPayloadType;
    this.eventPayloadType = options.eventPayloadType ?? (options.audioPayloadType === 101 ? 100 : 101);
    this.eventClockRate = options.eventClockRate ?? 48_000;
    if (this.eventClockRate !== 8000 && this.eventClockRate !== 48_000) throw new MediaError('EOPTIONS', `eventClockRate must be 8000 or 48000, got ${String(this.eventClockRate)}`);
    const frameSamples = (options.frameMs ?? 20) * 8;
    if (!(OPUS_FRAMES_8K as readonly number[]).includes(frameSamples)) throw new MediaError('EOPTIONS', `frameMs must be an Opus frame size (2.5-60 ms), got ${String(options.frameMs)}`);
    const hangoverMs = options.hangoverMs ?? 40;
    if (!Number.isFinite(hangoverMs) || hangoverMs < 0 || hangoverMs > 1000) throw new MediaError('EOPTIONS', `hangoverMs must be 0-1000, got ${hangoverMs}`);
    // A payload type neither audio nor events nor CN: what an unreadable Opus packet becomes on the
    // virtual leg, so the G.711 stage drops it in secure mode (19: reserved, RFC 3551).
    this.unknownPt = [19, 20, 21].find((pt) => pt !== this.audioPayloadType && pt !== this.eventPayloadType) ?? 19;
    this.send = options.send;
    const onDigit = options.onDigit;
    this.audioClamp = new InbandAudioClamp({
      codec: 'PCMU',
      mode: options.mode,
      clamp: options.inband,
      onDigit: (d) => onDigit({ digit: d.digit, source: 'inband', startTs: this.toWire48(d.startTs), endTs: this.toWire48(d.endTs) }),
    });
    this.lookaheadSamples = this.audioClamp.lookaheadSamples * RATIO;
    this.virtual = new RtpClampStage({
      codec: 'PCMU',
      audioPayloadType: this.audioPayloadType,
      eventPayloadType: this.eventPayloadType,
      frameSamples,
      fill: 'silence', // inside the event's clamp window: the audio clamp puts the mode's signal there
      audioClamp: this.decodingClamp(),
      hangoverSamples: Math.round(hangoverMs * 8),
      secure: options.secure,
      send: (p) => this.emit(p),
      onDigit: (d) => onDigit({ digit: d.digit, source: 'rfc4733', startTs: this.toWire48(d.startTimestamp), endTs: this.toWire48(d.startTimestamp + d.duration) }),
    });
    this.encoder = createOpusCodec(1, 8000);
    this.decoder = createOpusCodec(1, 8000);
  }

  get stats(): OpusAgentClampStats {
    return Object.assign(this.virtual.stats, { decoded: this.decoded, decodeErrors: this.decodeErrors });
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
    const ssrc = ((packet[8] << 24) | (packet[9] << 16) | (packet[10] << 8) | packet[11]) >>> 0;
    const ts48 = ((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]) >>> 0;
    if (ssrc !== this.ssrc && (pt !== this.eventPayloadType || this.ssrc === -1)) {
      this.ssrc = ssrc;
      this.base48 = (ts48 - BASE_MARGIN_48K + TS_MOD) % TS_MOD;
      this.decoder = createOpusCodec(1, 8000); // a new source: no state of the old one
    }
    const vts = Math.floor(((ts48 - this.base48 + TS_MOD) % TS_MOD) / RATIO);
    const payload = packet.subarray(start, end);
    let length: number;
    let vpt = pt;
    if (pt === this.audioPayloadType) {
      const n48 = opusPacketSamples48(payload);
      if (n48 === undefined) {
        vpt = this.unknownPt;
        length = 0;
      } else {
        length = n48 / RATIO;
        // Decoded only if the G.711 stage hands it to the audio clamp (secure mode, not a
        // duplicate, not time an event already covered): see decodingClamp().
        this.pendingOpus = payload;
        this.vbuf.fill(ULAW_SILENCE, HEADER_BYTES, HEADER_BYTES + length);
      }
    } else {
      length = Math.min(payload.length, this.vbuf.length - HEADER_BYTES);
      this.vbuf.set(payload.subarray(0, length), HEADER_BYTES);
      if (pt === this.eventPayloadType && length >= 4 && this.eventClockRate === 48_000) {
        // Duration to the 8 kHz timeline, rounded up (the clamp window never falls short).
        const d8 = Math.ceil(((this.vbuf[HEADER_BYTES + 2] << 8) | this.vbuf[HEADER_BYTES + 3]) / RATIO);
        this.vbuf[HEADER_BYTES + 2] = d8 >> 8;
        this.vbuf[HEADER_BYTES + 3] = d8 & 0xff;
      }
    }
    const v = this.vbuf.subarray(0, HEADER_BYTES + length);
    v[0] = 0x80;
    v[1] = (packet[1] & 0x80) | vpt;
    v[2] = packet[2];
    v[3] = packet[3];
    v[4] = vts >>> 24;
    v[5] = (vts >>> 16) & 0xff;
    v[6] = (vts >>> 8) & 0xff;
    v[7] = vts & 0xff;
    v.set(packet.subarray(8, 12), 8);
    this.pushVirtual(v, packet, arrivalMs, end - start);
  }

  private pushVirtual(virtualPacket: Uint8Array, original: Uint8Array, arrivalMs: number, payloadBytes: number): void {
    const duplicates = this.virtual.stats.duplicates;
    this.currentVirtual = virtualPacket;
    this.currentOriginal = original;
    try {
      this.virtual.push(virtualPacket, arrivalMs);
    } finally {
      this.currentVirtual = this.currentOriginal = this.pendingOpus = undefined;
    }
    if (this.virtual.stats.duplicates === duplicates) this.octetsIn += payloadBytes;
    this.adjustment.packets = this.virtual.adjustment.packets;
    this.adjustment.octets = this.octetsOut - this.octetsIn;
  }

  /**
   * The in-band clamp as the G.711 stage sees it: a frame of the packet being pushed is first
   * decoded into the virtual payload. So libopus decodes exactly the packets whose audio the
   * agent will get (never outside secure mode, never duplicates), in order of arrival.
   */
  private decodingClamp(): AudioClamp {
    const inner = this.audioClamp;
    return {
      lookaheadSamples: inner.lookaheadSamples,
      process: (payload, extTs) => {
        const opus = this.pendingOpus;
        if (opus !== undefined && payload.buffer === this.vbuf.buffer && payload.byteOffset === this.vbuf.byteOffset + HEADER_BYTES) {
          this.pendingOpus = undefined;
          this.decodeInto(opus, extTs, payload.length);
        }
        inner.process(payload, extTs);
      },
      clampWindow: (from, to) => inner.clampWindow(from, to),
      reset: () => inner.reset(),
      close: () => inner.close(),
    };
  }

  /** Secure mode: the packet decoded to 8 kHz into the virtual payload (mu-law) and the precision ring. */
  private decodeInto(payload: Uint8Array, vts: number, length: number): void {
    this.decoded++;
    const pcm = opusDecode(this.decoder, payload);
    const ok = pcm !== undefined && pcm.length === length;
    if (!ok) this.decodeErrors++;
    for (let i = 0; i < length; i++) {
      const s = ok ? pcm[i] : 0; // unreadable: its time is silence
      this.vbuf[HEADER_BYTES + i] = linearToUlaw(s);
      const j = (vts + i) & MASK;
      this.origPcm[j] = s;
      this.origTs[j] = vts + i;
    }
  }

  /** What the G.711 stage sends, as the agent's Opus packet. */
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
    const vts = ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0;
    let body: Uint8Array;
    if ((p[1] & 0x7f) === this.audioPayloadType) body = this.encodeClamped(p.subarray(HEADER_BYTES), vts);
    else if ((p[1] & 0x7f) === CN_PT) body = p.slice(HEADER_BYTES);
    else return; // nothing else leaves the G.711 stage in secure mode
    const out = new Uint8Array(HEADER_BYTES + body.length);
    out.set(p.subarray(0, HEADER_BYTES));
    out[0] = 0x80; // no CSRC, no extension (header extensions such as audio level, RFC 6464, would leak)
    const ts48 = (this.base48 + vts * RATIO) % TS_MOD;
    out[4] = ts48 >>> 24;
    out[5] = (ts48 >>> 16) & 0xff;
    out[6] = (ts48 >>> 8) & 0xff;
    out[7] = ts48 & 0xff;
    out.set(body, HEADER_BYTES);
    this.octetsOut += body.length;
    this.send(out);
  }

  /** Clamped mu-law codes of virtual timestamps [vts, vts + n) (input vts - lookahead) to one Opus packet. */
  private encodeClamped(codes: Uint8Array, vts: number): Uint8Array {
    const n = codes.length;
    // Opus frames come in fixed sizes; a cut replacement frame (an event's end off the 2.5 ms grid)
    // is padded with silence to the next size (at most 2.5 ms past the event's end on the wire).
    const size = OPUS_FRAMES_8K.find((f) => f >= n) ?? MAX_SAMPLES_8K;
    const pcm = size === this.pcm8.length ? this.pcm8 : this.pcm8.subarray(0, size);
    pcm.fill(0);
    const from = vts - this.audioClamp.lookaheadSamples;
    for (let i = 0; i < n; i++) {
      const code = codes[i];
      const j = (from + i) & MASK;
      const orig = this.origPcm[j];
      // Unreplaced: the decoded input's own 16-bit sample; replaced: the replacement.
      pcm[i] = this.origTs[j] === from + i && linearToUlaw(orig) === code ? orig : ulawToLinear(code);
    }
    if (size > 480) return this.encodeLong(pcm, n);
    return opusEncode(this.encoder, pcm);
  }

  /**
   * 80-120 ms of audio as one Opus packet: equal frames (2 x 40, 5 x 20 or 2 x 60 ms) encoded one
   * by one and joined (code 3, RFC 6716 §3.2.5), which needs one TOC configuration for all; if
   * the encoder switched mode between them, the first only (a timestamp gap, never a crash).
   */
  private encodeLong(pcm: Int16Array, n: number): Uint8Array {
    const frame = n <= 640 ? 320 : n <= 800 ? 160 : 480;
    const parts: Uint8Array[] = [];
    for (let k = 0; k * frame < n; k++) parts.push(opusEncode(this.encoder, pcm.subarray(k * frame, (k + 1) * frame)));
    return joinOpusPackets(parts) ?? parts[0];
  }

  /** A virtual (8 kHz, extended) timestamp as the leg's 48 kHz wire timestamp. */
  private toWire48(vts: number): number {
    return (this.base48 + (vts % TS_MOD) * RATIO) % TS_MOD;
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('ECLOSED', 'OpusAgentClampStage used after close()');
  }
}

/** The caller -> agent clamp stage for one Opus leg: push(packet, arrivalMs), setSecure, tick, close. */
export function createOpusAgentClampStage(options: OpusAgentClampStageOptions): OpusAgentClampStage {
  return new OpusAgentClampStage(options);
}
