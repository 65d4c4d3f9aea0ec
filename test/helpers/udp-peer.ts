// A UDP endpoint on loopback for the media session tests: sends what it is told and keeps what
// it receives, with arrival times.
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { encodeUlaw } from '../../native-free-dsp/g711.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import type { LegMediaConfig } from '../../src/media/media-session.js';
import { pcmuLegConfig } from '../../bench/pcmu-leg.js';

export interface Received {
  readonly data: Buffer;
  readonly port: number;
  readonly atMs: number;
}

export class UdpPeer {
  readonly socket: Socket;
  readonly port: number;
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    this.port = socket.address().port;
    socket.on('message', (data, rinfo) => {
      this.received.push({ data, port: rinfo.port, atMs: performance.now() });
      for (const w of this.waiters) w();
    });
  }

  static async bind(port = 0): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => resolve());
    });
    return new UdpPeer(socket);
  }

  send(data: Uint8Array, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, address, (err) => (err ? reject(err) : resolve())));
  }

  /** Resolves when `count` packets have arrived or after `timeoutMs` (then with what came). */
  async waitFor(count: number, timeoutMs = 2000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
    return this.received;
  }

  close(): void {
    this.socket.close();
  }
}

/** A plain PCMU leg (PT 0, telephone-event 101, 20 ms, sendrecv, no SRTP) whose remote is `peer` on loopback. */
export function pcmuLeg(peer: UdpPeer, over: Partial<LegMediaConfig> = {}): LegMediaConfig {
  return { ...pcmuLegConfig(peer.port, '127.0.0.1'), ...over };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface CallerStream {
  /** Packets in send order with their offsets (ms of media time). */
  readonly packets: { readonly bytes: Uint8Array; readonly ms: number }[];
}

/**
 * A caller's G.711 mu-law stream of `pcm` (PT 0), plus RFC 4733 packets (PT 101) for `events`
 * laid in at their update times on the same SSRC (a phone that sends a key both ways).
 */
export function callerStream(pcm: Int16Array, events: readonly { digit: DtmfDigit; startSample: number; samples: number }[] = [], ssrc = 0x5eed1234, seq0 = 40000, ts0 = 123456): CallerStream {
  const items: { bytes: (seq: number) => Uint8Array; at: number; order: number }[] = [];
  for (let off = 0; off + 160 <= pcm.length; off += 160) {
    const payload = new Uint8Array(160);
    encodeUlaw(pcm.subarray(off, off + 160), payload);
    items.push({ bytes: (seq) => serializeRtp({ payloadType: 0, marker: off === 0, sequence: seq, timestamp: (ts0 + off) >>> 0, ssrc, payload }), at: off + 160, order: 0 });
  }
  for (const e of events) {
    const plan = planDigitPackets(e.digit, (ts0 + e.startSample) >>> 0, e.samples);
    plan.forEach((p, i) => {
      const at = e.startSample + Math.min((i + 1) * 160, e.samples);
      items.push({ bytes: (seq) => serializeRtp({ payloadType: 101, marker: p.marker, sequence: seq, timestamp: p.timestamp, ssrc, payload: p.payload }), at, order: 1 + i });
    });
  }
  items.sort((a, b) => a.at - b.at || a.order - b.order);
  let seq = seq0;
  return { packets: items.map((it) => ({ bytes: it.bytes(seq++ & 0xffff), ms: it.at / 8 })) };
}

/** Sends a stream from `peer` to `port`, `msPerPacketMs` apart in real time (0: as fast as the loop). */
export async function sendStream(peer: UdpPeer, stream: CallerStream, port: number, pace: 'media' | 'fast' = 'fast'): Promise<void> {
  const t0 = performance.now();
  for (const p of stream.packets) {
    if (pace === 'media') {
      const wait = t0 + p.ms - performance.now();
      if (wait > 1) await sleep(wait);
    }
    await peer.send(p.bytes, port);
  }
}
