// Media load bench: how many concurrent calls the media plane carries, against a minimal plain
// UDP relay (one socket per stream, the baseline) in the same run. Each call: G.711 at 50
// packets/s each way, a digit in every call once a second. Contenders:
//   baseline      the plain relay (main thread) on the media plane's socket I/O (the native
//                 batched addon when built: src/media/udp/), the fair baseline for CPU per packet;
//   baseline-dgram the same relay on node:dgram (what a plain Node relay costs);
//   ours          RtpMediaSession in B2BUA secure mode on the main thread (`rtp.workers: 0`);
//   ours-workers  the same sessions in media worker threads (MediaWorkerPool, `rtp.workers`);
//   serve         end to end through `toneguard serve` (a child process), every call set up over
//                 SIP and switched to secure mode over the HTTP API (bench/serve-contender.ts).
// This module runs the levels and sums them up; the pieces:
//   bench/media-load-relays.ts  the contenders as relays behind one interface;
//   bench/media-load-level.ts   one level: drive a relay and measure loss, transit, CPU;
//   bench/media-load-result.ts  the figures and the pass criteria (0 loss, p99 audio latency
//                               within the path's media delay + 2 ms; goal: p99 transit <= 10 ms);
//   bench/load-generator.ts     the load generator and sink (bench/rtp-load-generator.c, or a
//                               Node worker thread without gcc);
//   bench/media-load-format.ts  the output lines.
// Capacity = the largest level that passes; the ratio is ours over the baseline.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CLAMP_LOOKAHEAD_MS } from '../src/media/clamp/create-clamp-stage.js';
import { resolveMediaIo } from '../src/media/udp/media-socket.js';
import type { MediaWorkerPool } from '../src/media/workers/media-worker-pool.js';
import { projectRoot } from './fixture.js';
import { createLoadGenerator } from './load-generator.js';
import { runLevel } from './media-load-level.js';
import { LOAD_ADDRESS, startPool } from './media-load-relays.js';
import { LOAD_CONTENDERS, type LoadContender, type MediaLoadBenchResult, type MediaLoadLevel } from './media-load-result.js';
import { ServeContender } from './serve-contender.js';

/** RTP ports of the relay under test unless `ports` says otherwise (below the kernel's ephemeral range). */
export const DEFAULT_BENCH_PORTS = '32000-39999';
/** rtp.ports of the serve contender's server unless `servePorts` says otherwise (two pairs per call: 1,000 calls). */
export const DEFAULT_SERVE_PORTS = '40000-47999';
/** Calls tried, in order, until one fails (quick mode stops at the first failure). */
const QUICK_LEVELS = [100, 250, 500, 750, 1000, 1250, 1500];
const FULL_LEVELS = [100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000];

export interface MediaLoadBenchOptions {
  readonly quick?: boolean;
  /** Explicit levels (calls); default QUICK_LEVELS or FULL_LEVELS. */
  readonly levels?: readonly number[];
  readonly warmupMs?: number;
  readonly measureMs?: number;
  /** RTP port range of the relay under test, `FIRST-LAST` (default DEFAULT_BENCH_PORTS). */
  readonly ports?: string;
  /** Contenders run (default all of LOAD_CONTENDERS). */
  readonly contenders?: readonly LoadContender[];
  /** Media workers of ours-workers (default one per core). */
  readonly workers?: number;
  /** rtp.workers of the serve contender's server (default: the server's default, one per core). */
  readonly serveWorkers?: number;
  /** rtp.ports of the serve contender's server (default DEFAULT_SERVE_PORTS). */
  readonly servePorts?: string;
  /** Node flags for the serve contender's server (none by default). */
  readonly serveNodeArgs?: readonly string[];
  /** SIP port of the serve contender's server (the gateway simulator takes the next); default a free one. */
  readonly sipPort?: number;
  /** The built CLI the serve contender runs (default dist/src/cli/main.js of the package). */
  readonly serveCli?: string;
}

/**
 * A contender's capacities as the levels come in. It stays in until it loses packets (for the
 * zero-loss figure); each capacity is the last level before its first failure of that criterion.
 */
class CapacityTally {
  strict = 0;
  zeroLoss = 0;
  goal = 0;
  #strictFailed = false;
  #goalFailed = false;
  #lossFailed = false;

  get inTheRun(): boolean {
    return !this.#lossFailed;
  }

  add(level: MediaLoadLevel): void {
    if (level.note === null && level.lost === 0 && level.expected > 0 && !level.generatorLimited) this.zeroLoss = level.calls;
    else this.#lossFailed = true;
    if (level.pass && !this.#strictFailed) this.strict = level.calls;
    else this.#strictFailed = true;
    if (level.goalPass && !this.#goalFailed) this.goal = level.calls;
    else this.#goalFailed = true;
  }
}

export async function measureMediaLoadBenchmark(options: MediaLoadBenchOptions = {}): Promise<MediaLoadBenchResult> {
  const levels = options.levels ?? (options.quick === false ? FULL_LEVELS : QUICK_LEVELS);
  const warmupMs = options.warmupMs ?? 1000;
  const measureMs = options.measureMs ?? (options.quick === false ? 5000 : 2000);
  const portRange = options.ports ?? DEFAULT_BENCH_PORTS;
  const contenders = options.contenders ?? LOAD_CONTENDERS;
  const workers = options.workers ?? availableParallelism();
  const root = projectRoot();
  const { generator, note } = createLoadGenerator(root);
  const serve = new ServeContender({
    cli: options.serveCli ?? join(root, 'dist', 'src', 'cli', 'main.js'),
    address: LOAD_ADDRESS,
    rtpPorts: options.servePorts ?? DEFAULT_SERVE_PORTS,
    ...(options.sipPort === undefined ? {} : { sipPort: options.sipPort }),
    ...(options.serveWorkers === undefined ? {} : { workers: options.serveWorkers }),
    ...(options.serveNodeArgs === undefined ? {} : { nodeArgs: options.serveNodeArgs }),
  });
  let started: Promise<MediaWorkerPool> | undefined;
  const pool = (): Promise<MediaWorkerPool> => (started ??= startPool(portRange, workers));
  const out: MediaLoadLevel[] = [];
  const tally = Object.fromEntries(LOAD_CONTENDERS.map((c) => [c, new CapacityTally()])) as Record<LoadContender, CapacityTally>;
  try {
    const base = { warmupMs, measureMs, portRange, generator, pool, serve, threads: workers };
    // A short unmeasured run of each first: JIT and module loading would otherwise fall on the
    // first measured level of whichever contender runs first.
    for (const contender of contenders) await runLevel({ ...base, contender, calls: 10, warmupMs: 200, measureMs: 300 });
    for (const calls of levels) {
      // Interleaved per level, so drift on the shared machine hits every contender.
      for (const contender of contenders) {
        if (!tally[contender].inTheRun) continue;
        const level = await runLevel({ ...base, contender, calls });
        out.push(level);
        tally[contender].add(level);
      }
      if (contenders.every((c) => !tally[c].inTheRun)) break;
    }
  } finally {
    generator.close();
    await serve.close();
    if (started !== undefined) await (await started).close();
  }
  const capacity: MediaLoadBenchResult['capacity'] = Object.fromEntries(contenders.map((c) => [c, { strict: tally[c].strict, zeroLoss: tally[c].zeroLoss, goal: tally[c].goal }]));
  const { ours, baseline } = tally;
  return {
    levels: out,
    oursZeroLoss: ours.zeroLoss,
    baselineZeroLoss: baseline.zeroLoss,
    oursCapacity: ours.strict,
    baselineCapacity: baseline.strict,
    ratio: baseline.strict === 0 ? NaN : ours.strict / baseline.strict,
    lookaheadMs: CLAMP_LOOKAHEAD_MS,
    capacity,
    workers,
    serveWorkers: options.serveWorkers ?? availableParallelism(),
    io: resolveMediaIo('auto'),
    generator: generator.kind,
    generatorNote: note,
    digits: generator.digits,
  };
}

export { formatMediaLoadBenchmark, mediaLoadTable } from './media-load-format.js';
export { GOAL_TRANSIT_MS, LOAD_CONTENDERS, SLACK_MS, type LoadContender, type MediaLoadBenchResult, type MediaLoadLevel } from './media-load-result.js';
