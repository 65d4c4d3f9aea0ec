// Media load bench: how many concurrent calls the media plane carries, against
// a minimal plain UDP relay (one socket per stream, the baseline) in the same run.
// Each call: G.711 at 50 packets/s each way; ours runs RtpMediaSession in B2BUA secure mode
// (clamp stage + in-band detector tap + delay clamp on caller -> agent), the caller injecting a
// digit as RFC 4733 events once a second. The load generator and sink run in a worker thread
// (bench/media-load-worker.ts).
// A level passes with 0 loss and a p99 audio latency within budget. Audio latency = packet
// transit (wall clock, send to receive) + the media delay the path adds by design: for ours the
// clamp's lookahead (26 ms, an RTP-timestamp delay: packets are not held, the audio in them is
// the input of 26 ms earlier, see src/media/clamp/audio-clamp.ts), for the baseline 0. Budget = that
// media delay + 2 ms, i.e. at most 2 ms of transit at p99 for both. Capacity = the largest level
// that passes; the ratio is ours over the baseline.
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CLAMP_LOOKAHEAD_MS } from '../src/media/clamp/create-clamp-stage.js';
import { PortAllocator } from '../src/media/relay/port-allocator.js';
import { RtpMediaSession } from '../src/media/relay/rtp-media-session.js';
import type { LoadWorkerData, LoadWorkerResult } from './media-load-worker.js';

const ADDRESS = '127.0.0.1';
/** Ports of our sessions (4 per call); tests use 30000-31999. */
/** RTP ports of the relay under test unless `ports` says otherwise (below the kernel's ephemeral range). */
export const DEFAULT_BENCH_PORTS = '32000-39999';
const RECV_BUFFER_BYTES = 32 * 1024 * 1024;
const LOOKAHEAD_MS = CLAMP_LOOKAHEAD_MS;
const SLACK_MS = 2;
/** Share of late sends beyond which a level is not a measurement of the relay. */
const GENERATOR_LATE_LIMIT = 0.05;
/** Calls tried, in order, until one fails (quick mode stops at the first failure). */
const QUICK_LEVELS = [100, 250, 500, 750, 1000, 1250, 1500];
const FULL_LEVELS = [100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000];

export type LoadContender = 'ours' | 'baseline';

export interface MediaLoadLevel {
  readonly contender: LoadContender;
  readonly calls: number;
  readonly expected: number;
  readonly lost: number;
  readonly p50Ms: number;
  /** p99 of packet transit, ms. */
  readonly p99Ms: number;
  readonly maxMs: number;
  /** p99 transit + the media delay of the path (the clamp's lookahead for ours). */
  readonly p99AudioMs: number;
  readonly budgetMs: number;
  readonly lateSendShare: number;
  /** The generator itself fell behind (over GENERATOR_LATE_LIMIT of its sends late): the level measures the machine, not the relay. */
  readonly generatorLimited: boolean;
  readonly pass: boolean;
  /**
   * CPU time of the relay's thread (the main thread; the generator has its own) per packet
   * relayed, us, over the whole run: a figure a loaded machine does not spoil (time the thread
   * waits for a core is not counted), unlike latency.
   */
  readonly cpuUsPerPacket: number;
  /** Calls one core carries at that cost (100 packets/s per call). */
  readonly callsPerCore: number;
}

export interface MediaLoadBenchOptions {
  readonly quick?: boolean;
  /** Explicit levels (calls); default QUICK_LEVELS or FULL_LEVELS. */
  readonly levels?: readonly number[];
  readonly warmupMs?: number;
  readonly measureMs?: number;
  /** RTP port range of the relay under test, `FIRST-LAST` (default DEFAULT_BENCH_PORTS). */
  readonly ports?: string;
}

export interface MediaLoadBenchResult {
  readonly levels: MediaLoadLevel[];
  readonly oursCapacity: number;
  readonly baselineCapacity: number;
  readonly ratio: number;
  /** Largest level with 0 loss whatever the latency (a shared, loaded machine spoils p99 first). */
  readonly oursZeroLoss: number;
  readonly baselineZeroLoss: number;
  readonly lookaheadMs: number;
}

/** One relay under test for `calls` calls: returns its per-call ports and a close function. */
interface Relay {
  readonly targets: [number, number][];
  configure(generatorPorts: readonly (readonly [number, number])[]): void;
  close(): void;
}

async function openOurs(calls: number, portRange: string): Promise<Relay> {
  const ports = new PortAllocator({ address: ADDRESS, ports: portRange, recvBufferBytes: 4 * 1024 * 1024 });
  const sessions: RtpMediaSession[] = [];
  try {
    for (let c = 0; c < calls; c++) sessions.push(await RtpMediaSession.open({ ports, mode: 'b2bua', secure: true }));
  } catch (err) {
    for (const s of sessions) s.close();
    throw err;
  }
  return {
    targets: sessions.map((s) => [s.local('caller').rtpPort, s.local('agent').rtpPort]),
    configure(gen) {
      sessions.forEach((s, c) => {
        for (const [leg, port] of [['caller', gen[c][0]], ['agent', gen[c][1]]] as const) {
          s.configure(leg, {
            remote: { address: ADDRESS, rtpPort: port, rtcpPort: port + 1 },
            codec: 'PCMU',
            payloadType: 0,
            clockRate: 8000,
            eventPayloadType: 101,
            ptimeMs: 20,
            direction: 'sendrecv',
            srtp: null,
          });
        }
      });
    },
    close() {
      for (const s of sessions) s.close();
    },
  };
}

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, ADDRESS, () => {
      s.on('error', () => undefined);
      try {
        s.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // Capped by net.core.rmem_max.
      }
      resolve(s);
    });
  });
}

/** The baseline: per call two sockets, each forwarding what it receives out of the other. */
async function openBaseline(calls: number): Promise<Relay> {
  const pairs: [Socket, Socket][] = [];
  for (let c = 0; c < calls; c++) pairs.push([await bind(), await bind()]);
  return {
    targets: pairs.map(([a, b]) => [a.address().port, b.address().port]),
    configure(gen) {
      pairs.forEach(([a, b], c) => {
        const [callerPort, agentPort] = gen[c];
        a.on('message', (m) => b.send(m, agentPort, ADDRESS));
        b.on('message', (m) => a.send(m, callerPort, ADDRESS));
      });
    },
    close() {
      for (const [a, b] of pairs) {
        a.close();
        b.close();
      }
    },
  };
}

/** CPU time (user + system) of this process's main thread, ms; NaN where /proc is missing. */
function mainThreadCpuMs(): number {
  try {
    // /proc/self/task/<pid>/stat: the main thread's tid is the pid; utime and stime are fields
    // 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function workerUrl(): URL {
  // Compiled: dist/bench/media-load-worker.js beside this file; under a TS loader (tests): .ts.
  const js = new URL('./media-load-worker.js', import.meta.url);
  return existsSync(fileURLToPath(js)) ? js : new URL('./media-load-worker.ts', import.meta.url);
}

async function runLevel(contender: LoadContender, calls: number, warmupMs: number, measureMs: number, portRange: string): Promise<MediaLoadLevel> {
  const relay = contender === 'ours' ? await openOurs(calls, portRange) : await openBaseline(calls);
  try {
    const data: LoadWorkerData = {
      address: ADDRESS,
      targets: relay.targets,
      warmupMs,
      measureMs,
      eventsRelayed: contender === 'baseline',
      recvBufferBytes: RECV_BUFFER_BYTES,
    };
    const worker = new Worker(workerUrl(), { workerData: data });
    let cpuFrom = 0;
    let cpuTo = 0;
    const result = await new Promise<LoadWorkerResult>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (msg: { type: string; ports?: [number, number][]; result?: LoadWorkerResult }) => {
        if (msg.type === 'ready' && msg.ports !== undefined) {
          relay.configure(msg.ports);
          cpuFrom = mainThreadCpuMs();
          worker.postMessage({ type: 'start' });
        } else if (msg.type === 'result' && msg.result !== undefined) {
          cpuTo = mainThreadCpuMs();
          resolve(msg.result);
        }
      });
    });
    await worker.terminate();
    const delay = contender === 'ours' ? LOOKAHEAD_MS : 0;
    const budget = delay + SLACK_MS;
    const lost = result.expected - result.received;
    const cpuUsPerPacket = ((cpuTo - cpuFrom) * 1000) / Math.max(1, result.sent);
    return {
      cpuUsPerPacket,
      callsPerCore: Math.floor(1e6 / (cpuUsPerPacket * 100)),
      contender,
      calls,
      expected: result.expected,
      lost,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      p99AudioMs: result.p99Ms + delay,
      budgetMs: budget,
      lateSendShare: result.lateSendShare,
      generatorLimited: result.lateSendShare > GENERATOR_LATE_LIMIT,
      pass: lost === 0 && result.expected > 0 && result.p99Ms + delay <= budget && result.lateSendShare <= GENERATOR_LATE_LIMIT,
    };
  } finally {
    relay.close();
  }
}

export async function measureMediaLoadBenchmark(options: MediaLoadBenchOptions = {}): Promise<MediaLoadBenchResult> {
  const levels = options.levels ?? (options.quick === false ? FULL_LEVELS : QUICK_LEVELS);
  const warmupMs = options.warmupMs ?? 1000;
  const measureMs = options.measureMs ?? (options.quick === false ? 5000 : 2000);
  const portRange = options.ports ?? DEFAULT_BENCH_PORTS;
  const out: MediaLoadLevel[] = [];
  const capacity: Record<LoadContender, number> = { ours: 0, baseline: 0 };
  const zeroLoss: Record<LoadContender, number> = { ours: 0, baseline: 0 };
  const latencyFailed: Record<LoadContender, boolean> = { ours: false, baseline: false };
  const lossFailed: Record<LoadContender, boolean> = { ours: false, baseline: false };
  // A short unmeasured run of each first: JIT and module loading would otherwise fall on the
  // first measured level of whichever contender runs first.
  for (const contender of ['baseline', 'ours'] as const) await runLevel(contender, 10, 200, 300, portRange);
  for (const calls of levels) {
    // Interleaved per level, so drift on the shared machine hits both. A contender stays in
    // until it loses packets (for the zero-loss figure); its capacity is the last level before
    // its first failure of either criterion.
    for (const contender of ['baseline', 'ours'] as const) {
      if (lossFailed[contender]) continue;
      const level = await runLevel(contender, calls, warmupMs, measureMs, portRange);
      out.push(level);
      if (level.lost === 0 && level.expected > 0 && !level.generatorLimited) zeroLoss[contender] = calls;
      else lossFailed[contender] = true;
      if (level.pass && !latencyFailed[contender]) capacity[contender] = calls;
      else latencyFailed[contender] = true;
    }
    if (lossFailed.ours && lossFailed.baseline) break;
  }
  return {
    levels: out,
    oursZeroLoss: zeroLoss.ours,
    baselineZeroLoss: zeroLoss.baseline,
    oursCapacity: capacity.ours,
    baselineCapacity: capacity.baseline,
    ratio: capacity.baseline === 0 ? NaN : capacity.ours / capacity.baseline,
    lookaheadMs: LOOKAHEAD_MS,
  };
}

export function formatMediaLoadBenchmark(r: MediaLoadBenchResult, json: boolean): string[] {
  if (json) {
    return [
      JSON.stringify({
        benchmark: 'media-load',
        unit: 'calls',
        ours: r.oursCapacity,
        baseline: 'plain-udp-relay',
        baselineValue: r.baselineCapacity,
        ratio: Number.isNaN(r.ratio) ? null : Math.round(r.ratio * 1e4) / 1e4,
        lookaheadMs: r.lookaheadMs,
        oursZeroLoss: r.oursZeroLoss,
        baselineZeroLoss: r.baselineZeroLoss,
        zeroLossRatio: r.baselineZeroLoss === 0 ? null : Math.round((r.oursZeroLoss / r.baselineZeroLoss) * 1e4) / 1e4,
        criterion: `0 loss and p99 audio latency <= media delay + ${SLACK_MS} ms`,
        levels: r.levels.map((l) => ({ ...l, cpuUsPerPacket: round2(l.cpuUsPerPacket), p50Ms: round2(l.p50Ms), p99Ms: round2(l.p99Ms), maxMs: round2(l.maxMs), p99AudioMs: round2(l.p99AudioMs) })),
      }),
    ];
  }
  const lines = r.levels.map(
    (l) =>
      `  ${l.contender.padEnd(8)} ${String(l.calls).padStart(5)} calls: lost ${l.lost}/${l.expected}, transit p50 ${l.p50Ms.toFixed(2)} p99 ${l.p99Ms.toFixed(2)} max ${l.maxMs.toFixed(1)} ms, ` +
      `cpu ${l.cpuUsPerPacket.toFixed(2)} us/packet (${l.callsPerCore} calls/core), ` +
      `audio p99 ${l.p99AudioMs.toFixed(2)} ms (budget ${l.budgetMs.toFixed(0)}) ${l.pass ? 'pass' : 'FAIL'}${l.generatorLimited ? ` (generator-limited: ${(l.lateSendShare * 100).toFixed(0)} % of sends late)` : ''}`,
  );
  return [
    `media-load: ${r.oursCapacity} calls (RtpMediaSession, secure, RFC 4733 digits), plain-udp-relay ${r.baselineCapacity} calls, ratio ${Number.isNaN(r.ratio) ? 'n/a' : r.ratio.toFixed(4)} (0 loss, p99 audio latency <= media delay + ${SLACK_MS} ms; lookahead ${r.lookaheadMs} ms); zero-loss levels: ours ${r.oursZeroLoss}, plain-udp-relay ${r.baselineZeroLoss}`,
    ...lines,
  ];
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
