// Synthetic caller streams for the clamp stage tests: G.711 audio packets and RFC 4733 event
// packets as a sender lays them out on one SSRC, and checks of the stage's output stream.
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../native-free-dsp/g711.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { parseRtp, rtpMarker, rtpPayloadBounds, rtpPayloadType, rtpSequence, rtpSsrc, rtpTimestamp, RtpParseError, serializeRtp, type ParsedRtp } from '../../src/rtp/rtp-packet.js';

export const SSRC = 0x11223344;
export const AUDIO_PT = 0;
export const EVENT_PT = 101;
export const FRAME = 160;

export interface StreamPacket {
  readonly bytes: Uint8Array;
  /** Arrival time, ms. */
  readonly atMs: number;
}

export type Segment =
  /** `frames` audio frames (PCM taken from `pcm` at the running timestamp offset, or a constant code). */
  | { readonly kind: 'audio'; readonly frames: number }
  /** One digit as RFC 4733 packets (updates every `intervalSamples`), occupying its duration. */
  | { readonly kind: 'digit'; readonly digit: DtmfDigit; readonly samples: number; readonly intervalSamples?: number };

export interface StreamSpec {
  readonly seq0?: number;
  readonly ts0?: number;
  readonly ssrc?: number;
  readonly codec?: 'PCMU' | 'PCMA';
  /** Linear PCM of the whole stream (indexed by timestamp - ts0); default: a ramp code pattern. */
  readonly pcm?: Int16Array;
  readonly segments: readonly Segment[];
}

/** Packets in send order; arrival 20 ms per packet-time of audio, event packets at their update time. */
export function buildStream(spec: StreamSpec): StreamPacket[] {
  const out: StreamPacket[] = [];
  let seq = spec.seq0 ?? 1000;
  const ts0 = spec.ts0 ?? 50000;
  const ssrc = spec.ssrc ?? SSRC;
  const codec = spec.codec ?? 'PCMU';
  let offset = 0;
  let first = true;
  for (const s of spec.segments) {
    if (s.kind === 'audio') {
      for (let f = 0; f < s.frames; f++) {
        const payload = new Uint8Array(FRAME);
        if (spec.pcm !== undefined) {
          const pcm = new Int16Array(FRAME);
          pcm.set(spec.pcm.subarray(offset, Math.min(offset + FRAME, spec.pcm.length)));
          (codec === 'PCMU' ? encodeUlaw : encodeAlaw)(pcm, payload);
        } else {
          for (let i = 0; i < FRAME; i++) payload[i] = 0x10 + ((offset + i) % 0x60);
        }
        out.push({
          bytes: serializeRtp({ payloadType: codec === 'PCMU' ? 0 : 8, marker: first, sequence: seq++ & 0xffff, timestamp: (ts0 + offset) >>> 0, ssrc, payload }),
          atMs: offset / 8 + 20,
        });
        first = false;
        offset += FRAME;
      }
    } else {
      const plan = planDigitPackets(s.digit, (ts0 + offset) >>> 0, s.samples, s.intervalSamples ?? FRAME);
      const interval = s.intervalSamples ?? FRAME;
      plan.forEach((p, i) => {
        out.push({
          bytes: serializeRtp({ payloadType: EVENT_PT, marker: p.marker, sequence: seq++ & 0xffff, timestamp: p.timestamp, ssrc, payload: p.payload }),
          atMs: (offset + Math.min((i + 1) * interval, s.samples)) / 8 + 20 + (i >= plan.length - 3 ? i - plan.length + 3 : 0),
        });
      });
      offset += s.samples;
    }
  }
  return out;
}

/**
 * parseRtp's result (throws a bad packet's RtpParseError). A packet without CSRCs or an extension
 * (what the stages send) is read with the fixed-header readers: parseRtp's werift header parse
 * costs about 10 µs a packet, which was most of the CPU of a fidelity test reading its outputs.
 */
export function parsed(bytes: Uint8Array): ParsedRtp {
  if (bytes.length >= 1 && (bytes[0] & 0x1f) === 0) {
    const bounds = rtpPayloadBounds(bytes);
    if (bounds instanceof RtpParseError) throw bounds;
    return {
      payloadType: rtpPayloadType(bytes),
      marker: rtpMarker(bytes),
      sequence: rtpSequence(bytes),
      timestamp: rtpTimestamp(bytes),
      ssrc: rtpSsrc(bytes),
      csrcs: [],
      extensionProfile: undefined,
      extensions: [],
      paddingBytes: bounds.paddingBytes,
      payload: bytes.subarray(bounds.start, bounds.end),
    };
  }
  const p = parseRtp(bytes);
  if (p instanceof RtpParseError) throw p;
  return p;
}

export interface StreamCheck {
  readonly eventPackets: number;
  readonly ssrcs: ReadonlySet<number>;
  /** Places where seq did not advance by exactly one (in send order). */
  readonly seqBreaks: readonly string[];
  /** Places where ts did not continue from the previous packet's end (in send order). */
  readonly tsBreaks: readonly string[];
  readonly markers: number;
  /** Total samples of audio sent. */
  readonly samples: number;
}

/** Output checks in send order (the stage never reorders what it sends itself). */
export function checkStream(packets: readonly Uint8Array[], eventPt = EVENT_PT): StreamCheck {
  let eventPackets = 0;
  let markers = 0;
  let samples = 0;
  const ssrcs = new Set<number>();
  const seqBreaks: string[] = [];
  const tsBreaks: string[] = [];
  let prev: ParsedRtp | undefined;
  for (const [i, b] of packets.entries()) {
    const p = parsed(b);
    ssrcs.add(p.ssrc);
    if (p.payloadType === eventPt) eventPackets++;
    if (p.marker) markers++;
    samples += p.payload.length;
    if (prev !== undefined) {
      if (p.sequence !== ((prev.sequence + 1) & 0xffff)) seqBreaks.push(`#${i}: ${prev.sequence} -> ${p.sequence}`);
      const expected = (prev.timestamp + prev.payload.length) >>> 0;
      if (p.timestamp !== expected) tsBreaks.push(`#${i}: ${prev.timestamp}+${prev.payload.length} -> ${p.timestamp}`);
    }
    prev = p;
  }
  return { eventPackets, ssrcs, seqBreaks, tsBreaks, markers, samples };
}

/** The output audio laid out by timestamp from the first packet's (linear PCM). */
export function decodeByTimestamp(packets: readonly Uint8Array[], codec: 'PCMU' | 'PCMA' = 'PCMU'): Int16Array {
  const ps = packets.map(parsed);
  if (ps.length === 0) return new Int16Array(0);
  const ts0 = ps[0].timestamp;
  let end = 0;
  for (const p of ps) end = Math.max(end, ((p.timestamp - ts0) >>> 0) + p.payload.length);
  const pcm = new Int16Array(end);
  for (const p of ps) {
    const at = (p.timestamp - ts0) >>> 0;
    (codec === 'PCMU' ? decodeUlaw : decodeAlaw)(p.payload, pcm.subarray(at, at + p.payload.length));
  }
  return pcm;
}
