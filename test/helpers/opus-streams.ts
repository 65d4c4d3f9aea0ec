// Synthetic Opus caller streams (RFC 7587: 48 kHz RTP clock, PT 111, 20 ms frames) for the Opus
// clamp stage tests, built from 8 kHz PCM (upsampled to 48 kHz, encoded by libopus), with RFC 4733
// events in place of some audio; and what the agent receives, decoded back to 8 kHz by timestamp.
import { resample } from '../../native-free-dsp/resample.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { createOpusCodec, opusDecode, opusEncode } from '../../src/media/codecs/opus-codec.js';
import { joinOpusPackets, opusPacketSamples48 } from '../../src/media/codecs/opus-toc.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { parsed, type StreamPacket } from './rtp-streams.js';

export const OPUS_PT = 111;
export const OPUS_EVENT_PT = 101;
export const OPUS_SSRC = 0x5eed0b05;
/** 20 ms at 48 kHz and at 8 kHz. */
export const FRAME_48K = 960;
export const FRAME_8K = 160;

/** An RFC 4733 event sent instead of audio over [startFrame, startFrame + frames) (20 ms frames). */
export interface OpusEventSpec {
  readonly digit: DtmfDigit;
  readonly startFrame: number;
  readonly frames: number;
  /** Clock the durations count at (default 48000). */
  readonly clockRate?: 8000 | 48000;
}

export interface OpusStreamSpec {
  /** 8 kHz PCM of the whole stream (padded to whole 20 ms frames). */
  readonly pcm: Int16Array;
  readonly events?: readonly OpusEventSpec[];
  readonly seq0?: number;
  readonly ts0?: number;
  /** 120: each packet two 60 ms frames joined (code 3, RFC 6716 §3.2.5); no events then. */
  readonly packetMs?: 20 | 120;
}

/** Packets in send order, arrival 20 ms apart (event updates at their own 20 ms steps). */
export function buildOpusStream(spec: OpusStreamSpec): StreamPacket[] {
  const frames = Math.ceil(spec.pcm.length / FRAME_8K);
  const padded = new Int16Array(frames * FRAME_8K);
  padded.set(spec.pcm);
  const wide = resample(padded, 8000, 48000);
  const encoder = createOpusCodec(1, 48000);
  const out: StreamPacket[] = [];
  let seq = spec.seq0 ?? 4000;
  const ts0 = spec.ts0 ?? 0xfff00000; // wraps 32 bits within the first 22 s
  const eventAt = new Map<number, OpusEventSpec>();
  for (const e of spec.events ?? []) eventAt.set(e.startFrame, e);
  let marker = true;
  for (let f = 0; f < frames;) {
    const ts = (ts0 + f * FRAME_48K) >>> 0;
    const e = eventAt.get(f);
    if (e !== undefined) {
      const scale = (e.clockRate ?? 48000) === 48000 ? 1 : 6;
      for (const [i, p] of planDigitPackets(e.digit, ts, (e.frames * FRAME_48K) / scale, FRAME_48K / scale).entries()) {
        const atMs = (f + Math.min(i + 1, e.frames)) * 20;
        out.push({ bytes: serializeRtp({ payloadType: OPUS_EVENT_PT, marker: p.marker, sequence: seq++ & 0xffff, timestamp: p.timestamp, ssrc: OPUS_SSRC, payload: p.payload }), atMs });
      }
      // The sender's encoder still runs over the event's time (its audio is not sent).
      for (let k = 0; k < e.frames; k++) opusEncode(encoder, wide.subarray((f + k) * FRAME_48K, (f + k + 1) * FRAME_48K));
      f += e.frames;
      continue;
    }
    if (spec.packetMs === 120) {
      if (f + 6 > frames) break;
      const a = opusEncode(encoder, wide.subarray(f * FRAME_48K, (f + 3) * FRAME_48K));
      const b = opusEncode(encoder, wide.subarray((f + 3) * FRAME_48K, (f + 6) * FRAME_48K));
      const payload = joinOpusPackets([a, b]);
      if (payload === undefined) throw new Error('the encoder switched mode between two 60 ms frames');
      out.push({ bytes: serializeRtp({ payloadType: OPUS_PT, marker, sequence: seq++ & 0xffff, timestamp: ts, ssrc: OPUS_SSRC, payload }), atMs: f * 20 });
      marker = false;
      f += 6;
      continue;
    }
    const payload = opusEncode(encoder, wide.subarray(f * FRAME_48K, (f + 1) * FRAME_48K));
    out.push({ bytes: serializeRtp({ payloadType: OPUS_PT, marker, sequence: seq++ & 0xffff, timestamp: ts, ssrc: OPUS_SSRC, payload }), atMs: f * 20 });
    marker = false;
    f++;
  }
  return out;
}

export interface OpusStreamCheck {
  readonly eventPackets: number;
  readonly ssrcs: ReadonlySet<number>;
  readonly seqBreaks: readonly string[];
  /** Where ts did not continue from the previous packet's end (its Opus duration). */
  readonly tsBreaks: readonly string[];
  readonly markers: number;
}

export function checkOpusStream(packets: readonly Uint8Array[], eventPt = OPUS_EVENT_PT): OpusStreamCheck {
  let eventPackets = 0,
    markers = 0;
  const ssrcs = new Set<number>();
  const seqBreaks: string[] = [];
  const tsBreaks: string[] = [];
  let prevSeq = -1;
  let prevEnd = -1;
  for (const [i, b] of packets.entries()) {
    const p = parsed(b);
    ssrcs.add(p.ssrc);
    if (prevSeq >= 0 && p.sequence !== ((prevSeq + 1) & 0xffff)) seqBreaks.push(`#${i}: ${prevSeq} -> ${p.sequence}`);
    prevSeq = p.sequence;
    if (p.payloadType === eventPt) {
      eventPackets++;
      continue;
    } // events: their own timestamps
    if (p.marker) markers++;
    if (prevEnd >= 0 && p.timestamp !== prevEnd) tsBreaks.push(`#${i}: expected ${prevEnd} got ${p.timestamp}`);
    prevEnd = (p.timestamp + (opusPacketSamples48(p.payload) ?? 0)) >>> 0;
  }
  return { eventPackets, ssrcs, seqBreaks, tsBreaks, markers };
}

/** What the agent hears: the Opus packets (payload type `pt`) decoded to 8 kHz, laid out by timestamp from `ts0`. */
export function decodeOpusByTimestamp(packets: readonly Uint8Array[], ts0: number, pt = OPUS_PT): Int16Array {
  const decoder = createOpusCodec(1, 8000);
  const ps = packets.map(parsed).filter((p) => p.payloadType === pt);
  let end = 0;
  for (const p of ps) end = Math.max(end, ((p.timestamp - ts0) >>> 0) / 6 + (opusPacketSamples48(p.payload) ?? 0) / 6);
  const pcm = new Int16Array(end);
  for (const p of ps) {
    const at = ((p.timestamp - ts0) >>> 0) / 6;
    const frame = opusDecode(decoder, p.payload);
    if (frame !== undefined) pcm.set(frame.subarray(0, pcm.length - at), at);
  }
  return pcm;
}

/** Delay of `b` against `a` (samples, 0..maxLag) by cross-correlation. */
export function bestLag(a: Int16Array, b: Int16Array, maxLag: number): number {
  let best = 0,
    bestScore = -Infinity;
  const n = Math.min(a.length, b.length - maxLag);
  for (let lag = 0; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = 0; i < n; i += 2) s += a[i] * b[i + lag];
    if (s > bestScore) {
      bestScore = s;
      best = lag;
    }
  }
  return best;
}
