// Synthetic G.722 caller streams (RFC 3551 §4.5.2: PT 9, 8000 Hz RTP clock, one byte per tick,
// 20 ms = 160 bytes) for the G.722 clamp stage tests, built from 16 kHz PCM with our encoder
// (bit-exact with spandsp), with RFC 4733 events (telephone-event/8000) in place of some audio;
// and what the agent receives, decoded by timestamp and brought to 8 kHz for the DTMF decoders.
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { G722Decoder, G722Encoder } from '../../native-free-dsp/g722.js';
import { resample } from '../../native-free-dsp/resample.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { parsed, type StreamPacket } from './rtp-streams.js';

export const G722_PT = 9;
export const G722_EVENT_PT = 101;
export const G722_SSRC = 0x6722aa01;
/** 20 ms: RTP ticks (= payload bytes) and 16 kHz samples. */
export const TICKS_20MS = 160;
export const SAMPLES_20MS = 320;

export interface G722EventSpec {
  readonly digit: DtmfDigit;
  readonly startFrame: number;
  readonly frames: number;
}

export interface G722StreamSpec {
  /** 16 kHz PCM of the whole stream (padded to whole 20 ms frames). */
  readonly pcm16k: Int16Array;
  readonly events?: readonly G722EventSpec[];
  readonly seq0?: number;
  readonly ts0?: number;
}

/** Packets in send order, arrival 20 ms apart. The encoder runs over event time too (a phone's does). */
export function buildG722Stream(spec: G722StreamSpec): StreamPacket[] {
  const frames = Math.ceil(spec.pcm16k.length / SAMPLES_20MS);
  const padded = new Int16Array(frames * SAMPLES_20MS);
  padded.set(spec.pcm16k);
  const codes = new Uint8Array(frames * TICKS_20MS);
  new G722Encoder().encode(padded, codes);
  const out: StreamPacket[] = [];
  let seq = spec.seq0 ?? 7000;
  const ts0 = spec.ts0 ?? 0xfffe0000; // wraps 32 bits after 16 s
  const eventAt = new Map<number, G722EventSpec>();
  for (const e of spec.events ?? []) eventAt.set(e.startFrame, e);
  let marker = true;
  for (let f = 0; f < frames;) {
    const ts = (ts0 + f * TICKS_20MS) >>> 0;
    const e = eventAt.get(f);
    if (e !== undefined) {
      for (const [i, p] of planDigitPackets(e.digit, ts, e.frames * TICKS_20MS, TICKS_20MS).entries()) {
        out.push({
          bytes: serializeRtp({ payloadType: G722_EVENT_PT, marker: p.marker, sequence: seq++ & 0xffff, timestamp: p.timestamp, ssrc: G722_SSRC, payload: p.payload }),
          atMs: (f + Math.min(i + 1, e.frames)) * 20,
        });
      }
      f += e.frames;
      continue;
    }
    const payload = codes.slice(f * TICKS_20MS, (f + 1) * TICKS_20MS);
    out.push({ bytes: serializeRtp({ payloadType: G722_PT, marker, sequence: seq++ & 0xffff, timestamp: ts, ssrc: G722_SSRC, payload }), atMs: f * 20 });
    marker = false;
    f++;
  }
  return out;
}

/** What the agent hears: the G.722 packets decoded in arrival order (as a phone does), laid out at 16 kHz by timestamp from `ts0`. */
export function decodeG722ByTimestamp(packets: readonly Uint8Array[], ts0: number, pt = G722_PT): Int16Array {
  const decoder = new G722Decoder();
  const ps = packets.map(parsed).filter((p) => p.payloadType === pt);
  let end = 0;
  for (const p of ps) end = Math.max(end, ((p.timestamp - ts0) >>> 0) + p.payload.length);
  const pcm = new Int16Array(2 * end);
  const frame = new Int16Array(2 * 2048);
  for (const p of ps) {
    const n = decoder.decode(p.payload, frame);
    pcm.set(frame.subarray(0, n), 2 * ((p.timestamp - ts0) >>> 0));
  }
  return pcm;
}

/** 16 kHz to 8 kHz (the DTMF decoders' rate). */
export function to8k(pcm16k: Int16Array): Int16Array {
  return resample(pcm16k, 16_000, 8000);
}

export interface G722StreamCheck {
  readonly eventPackets: number;
  readonly ssrcs: ReadonlySet<number>;
  readonly seqBreaks: readonly string[];
  /** Where ts did not continue from the previous packet's end (its byte count). */
  readonly tsBreaks: readonly string[];
  readonly markers: number;
}

export function checkG722Stream(packets: readonly Uint8Array[], eventPt = G722_EVENT_PT): G722StreamCheck {
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
    }
    if (p.marker) markers++;
    if (prevEnd >= 0 && p.timestamp !== prevEnd) tsBreaks.push(`#${i}: expected ${prevEnd} got ${p.timestamp}`);
    prevEnd = (p.timestamp + p.payload.length) >>> 0;
  }
  return { eventPackets, ssrcs, seqBreaks, tsBreaks, markers };
}

/** Power in a band [loHz, hiHz) of 16 kHz PCM over [from, to), dB relative to full scale (a sum of Goertzel bins every 100 Hz). */
export function bandPowerDb(pcm: Int16Array, from: number, to: number, loHz: number, hiHz: number): number {
  let total = 0;
  const n = to - from;
  for (let hz = loHz; hz < hiHz; hz += 100) {
    const w = (2 * Math.PI * hz) / 16_000;
    const c = 2 * Math.cos(w);
    let s1 = 0,
      s2 = 0;
    for (let i = from; i < to; i++) {
      const s0 = pcm[i] / 32768 + c * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    total += (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n);
  }
  return 10 * Math.log10(total + 1e-20);
}
