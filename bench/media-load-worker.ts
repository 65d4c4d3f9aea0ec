// Load generator and sink of the media load bench, in its own thread (its own event loop, so the
// relay under test has the main one). Per call: a "caller" socket and an "agent" socket, each
// sending G.711 (PCMU, 160-byte frames) at 50 packets/s to its side of the relay and receiving
// what the relay forwards from the other side. Calls are spread evenly over the 20 ms frame
// (each stream has its own phase), as independent phones would be, instead of sending in bursts.
// The caller side injects a digit as RFC 4733 events (100 ms, in place of audio, the three end
// packets included) once a second per call, at a per-call offset.
// Latency: every packet's send time is kept by RTP timestamp slot (audio, and the replacement
// frames the clamp stage sends for an event's span) and by sequence number (event packets, which
// a plain relay forwards); the sink looks each arrival up (same thread, same clock).
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadWorkerData {
  readonly address: string;
  /** Per call: the relay's caller-side and agent-side RTP ports; [0, 0] when the start message brings them. */
  readonly targets: readonly (readonly [number, number])[];
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Whether event packets come out as themselves (plain relay) or as audio frames (clamp). */
  readonly eventsRelayed: boolean;
  readonly recvBufferBytes: number;
}

export interface LoadWorkerResult {
  readonly expected: number;
  readonly received: number;
  /** Packets sent over the whole run (warm-up included), both directions. */
  readonly sent: number;
  /** Latencies of the packets sent in the measured window, ms, sorted. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Packets the generator sent more than a frame (20 ms) behind schedule, share. */
  readonly lateSendShare: number;
  /** RFC 4733 event packets that came out of the agent-side ports (a digit the agent would get). */
  readonly eventsAtAgent: number;
}

const FRAME = 160;
const FRAME_MS = 20;
const AUDIO_PT = 0;
const EVENT_PT = 101;
const DIGIT_PERIOD_SLOTS = 50;
const DIGIT_SLOTS = 5;
const SEQ0 = 1000;
const TS0 = 0x10000;
const DRAIN_MS = 300;

function run(data: LoadWorkerData): void {
  const port = parentPort;
  if (port === null) return;
  const calls = data.targets.length;
  const streams = calls * 2; // stream 2c: caller -> relay (-> agent); 2c+1: agent -> relay (-> caller)
  const slots = Math.ceil((data.warmupMs + data.measureMs) / FRAME_MS);
  const perStreamPackets = slots + Math.ceil(slots / DIGIT_PERIOD_SLOTS) * 2 + 4;
  const sentBySlot = new Float64Array(streams * slots).fill(-1);
  const sentBySeq = new Float64Array(streams * perStreamPackets).fill(-1);
  const gotBySlot = new Uint8Array(streams * slots);
  const gotBySeq = new Uint8Array(streams * perStreamPackets);
  const seq = new Int32Array(streams).fill(SEQ0);
  const latencies: number[] = [];
  let lateSends = 0;
  let eventsAtAgent = 0;
  let sends = 0;
  let packetsSent = 0;
  let t0 = 0;
  let measureFrom = 0;
  let measureTo = 0;

  // One noise-like mu-law frame pattern (codes away from silence, so the detector works on it).
  const pattern = new Uint8Array(FRAME * 50);
  let seed = 7;
  for (let i = 0; i < pattern.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    pattern[i] = 0xe0 + (seed >>> 28); // small positive/negative magnitudes
  }

  const sockets: Socket[] = [];
  let bound = 0;
  const ports: [number, number][] = [];
  const onBound = (): void => {
    if (++bound < streams) return;
    for (let c = 0; c < calls; c++) ports.push([sockets[2 * c].address().port, sockets[2 * c + 1].address().port]);
    port.postMessage({ type: 'ready', ports });
  };
  for (let s = 0; s < streams; s++) {
    const socket = createSocket('udp4');
    socket.on('error', () => undefined);
    // Stream s's socket receives the other direction of its call: 2c gets stream 2c+1's packets.
    const from = s ^ 1;
    socket.on('message', (msg: Buffer) => {
      const now = performance.now();
      if (msg.length < 12) return;
      const pt = msg[1] & 0x7f;
      if (pt === EVENT_PT && (s & 1) === 1) eventsAtAgent++; // the agent stream's socket gets what the agent would
      if (pt === AUDIO_PT) {
        const ts = msg.readUInt32BE(4) - TS0;
        const k = ts / FRAME;
        if (k < 0 || k >= slots || k !== Math.floor(k)) return;
        const i = from * slots + k;
        if (gotBySlot[i] === 1 || sentBySlot[i] < 0) return;
        gotBySlot[i] = 1;
        if (sentBySlot[i] >= measureFrom && sentBySlot[i] < measureTo) latencies.push(now - sentBySlot[i]);
      } else if (pt === EVENT_PT && data.eventsRelayed) {
        const off = ((msg[2] << 8) | msg[3]) - SEQ0;
        if (off < 0 || off >= perStreamPackets) return;
        const i = from * perStreamPackets + off;
        if (gotBySeq[i] === 1 || sentBySeq[i] < 0) return;
        gotBySeq[i] = 1;
        if (sentBySeq[i] >= measureFrom && sentBySeq[i] < measureTo) latencies.push(now - sentBySeq[i]);
      }
    });
    socket.bind(0, data.address, () => {
      try {
        socket.setRecvBufferSize(data.recvBufferBytes);
        socket.setSendBufferSize(data.recvBufferBytes);
      } catch {
        // Capped by net.core.rmem_max / wmem_max.
      }
      // Connected: sends skip the per-packet address lookup (the generator must stay light),
      // and the relay answers from the port we send to (symmetric RTP).
      if (data.targets[s >> 1][s & 1] === 0)
        onBound(); // connected once the start message brings the ports
      else socket.connect(data.targets[s >> 1][s & 1], data.address, onBound);
    });
    sockets.push(socket);
  }

  // Rings of packet buffers: a buffer is written again only RING sends later, long after dgram
  // has sent it, and the generator allocates nothing per packet.
  const RING = 8192;
  const audioRing = Array.from({ length: RING }, () => Buffer.alloc(12 + FRAME));
  const eventRing = Array.from({ length: RING }, () => Buffer.alloc(16));
  let ringAt = 0;
  const send = (s: number, k: number, now: number): void => {
    const c = s >> 1;
    const socket = sockets[s];
    const caller = (s & 1) === 0;
    const inDigit = caller ? (k + c * 7) % DIGIT_PERIOD_SLOTS : DIGIT_SLOTS;
    if (inDigit < DIGIT_SLOTS) {
      // RFC 4733 §2.5.1: updates every frame from the event's start timestamp; the last is the
      // end, sent three times.
      const start = k - inDigit;
      const copies = inDigit === DIGIT_SLOTS - 1 ? 3 : 1;
      for (let n = 0; n < copies; n++) {
        const sq = seq[s]++;
        const event = eventRing[ringAt++ & (RING - 1)];
        event[0] = 0x80;
        event[1] = (inDigit === 0 && n === 0 ? 0x80 : 0) | EVENT_PT;
        event.writeUInt16BE(sq & 0xffff, 2);
        event.writeUInt32BE((TS0 + start * FRAME) >>> 0, 4);
        event.writeUInt32BE(0x1000 + s, 8);
        event[12] = 5;
        event[13] = (inDigit === DIGIT_SLOTS - 1 ? 0x80 : 0) | 10;
        event.writeUInt16BE((inDigit + 1) * FRAME, 14);
        sentBySeq[s * perStreamPackets + (sq - SEQ0)] = now;
        socket.send(event);
        packetsSent++;
      }
      sentBySlot[s * slots + k] = now; // the replacement frame for this slot
      return;
    }
    const sq = seq[s]++;
    const packet = audioRing[ringAt++ & (RING - 1)];
    packet[0] = 0x80;
    packet[1] = AUDIO_PT | (k === 0 ? 0x80 : 0);
    packet.writeUInt16BE(sq & 0xffff, 2);
    packet.writeUInt32BE((TS0 + k * FRAME) >>> 0, 4);
    packet.writeUInt32BE(0x1000 + s, 8);
    const at = ((k + c) % 50) * FRAME;
    packet.set(pattern.subarray(at, at + FRAME), 12);
    sentBySlot[s * slots + k] = now;
    socket.send(packet);
    packetsSent++;
  };

  // Stream s sends slot k at t0 + k * 20 ms + phase(s), phase spread evenly over the frame.
  let cursor = 0;
  const total = slots * streams;
  const phase = (s: number): number => (s * FRAME_MS) / streams;
  const tick = (): void => {
    const now = performance.now();
    // At most a quarter frame's worth per tick: a generator that fell behind catches up over a
    // few ticks instead of one burst that would also starve its own receiving.
    const budget = Math.max(64, streams >> 2);
    let done = 0;
    while (cursor < total && done++ < budget) {
      const k = Math.floor(cursor / streams);
      const s = cursor % streams;
      const due = t0 + k * FRAME_MS + phase(s);
      if (due > now) break;
      if (now - due > FRAME_MS) lateSends++; // a frame behind: falling behind, not timer jitter
      sends++;
      send(s, k, now);
      cursor++;
    }
    if (cursor < total) setTimeout(tick, 1);
    else setTimeout(finish, DRAIN_MS);
  };

  const finish = (): void => {
    let expected = 0;
    let received = 0;
    for (let s = 0; s < streams; s++) {
      for (let k = 0; k < slots; k++) {
        const i = s * slots + k;
        const t = sentBySlot[i];
        if (t < measureFrom || t >= measureTo) continue;
        // With a plain relay, the slots of an event carry no audio packet: only the events count.
        const caller = (s & 1) === 0;
        if (data.eventsRelayed && caller && (k + (s >> 1) * 7) % DIGIT_PERIOD_SLOTS < DIGIT_SLOTS) continue;
        expected++;
        received += gotBySlot[i];
      }
      if (!data.eventsRelayed) continue;
      for (let n = 0; n < perStreamPackets; n++) {
        const i = s * perStreamPackets + n;
        const t = sentBySeq[i];
        if (t < measureFrom || t >= measureTo) continue;
        expected++;
        received += gotBySeq[i];
      }
    }
    const sorted = Float64Array.from(latencies).sort();
    const at = (q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    const result: LoadWorkerResult = {
      expected,
      received,
      sent: packetsSent,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
      lateSendShare: sends === 0 ? 0 : lateSends / sends,
      eventsAtAgent,
    };
    for (const socket of sockets) socket.close();
    port.postMessage({ type: 'result', result });
  };

  const begin = (): void => {
    t0 = performance.now() + 20;
    measureFrom = t0 + data.warmupMs;
    measureTo = t0 + data.warmupMs + data.measureMs;
    setTimeout(tick, 20);
  };
  port.on('message', (msg: { type: string; targets?: readonly (readonly [number, number])[] }) => {
    if (msg.type !== 'start') return;
    if (msg.targets === undefined) return begin();
    const targets = msg.targets;
    let connected = 0;
    for (let s = 0; s < streams; s++) sockets[s].connect(targets[s >> 1][s & 1], data.address, () => ++connected === streams && begin());
  });
}

run(workerData as LoadWorkerData);
