// What the media-load bench measures and reports: the contenders, one level's figures, the run's
// result, and the pass criteria. A level passes with 0 loss and a p99 audio latency within budget:
// audio latency = packet transit (wall clock, send to receive) + the media delay the path adds by
// design (the clamp's lookahead for toneguard, 0 for the plain relay); budget = that media delay
// + SLACK_MS. The goal criterion: 0 loss and p99 transit <= GOAL_TRANSIT_MS.
import { CLAMP_LOOKAHEAD_MS } from '../src/media/clamp/create-clamp-stage.js';
import type { MediaIo } from '../src/media/udp/media-io.js';

/** p99 transit allowed on top of the path's media delay, ms. */
export const SLACK_MS = 2;
/** The wider goal: p99 packet transit within this, with 0 loss, ms. */
export const GOAL_TRANSIT_MS = 10;

export const LOAD_CONTENDERS = ['baseline', 'baseline-threads', 'baseline-dgram', 'ours', 'ours-workers', 'serve', 'serve-plain'] as const;
export type LoadContender = (typeof LOAD_CONTENDERS)[number];

/** The plain relays: events pass through them, and they add no media delay. */
export function isPlainRelay(c: LoadContender): boolean {
  return c === 'baseline' || c === 'baseline-threads' || c === 'baseline-dgram';
}

/** The contenders through `toneguard serve`: secure (`serve`) or left outside secure mode (`serve-plain`). */
export function isServe(c: LoadContender): boolean {
  return c === 'serve' || c === 'serve-plain';
}

/** Digits pass unchanged (events as events, no clamp delay): the plain relays and `serve` outside secure mode. */
export function passesDigits(c: LoadContender): boolean {
  return isPlainRelay(c) || c === 'serve-plain';
}

/**
 * The media delay the contender's path adds by design, ms: the clamp's lookahead (26 ms, an
 * RTP-timestamp delay: packets are not held, the audio in them is the input of 26 ms earlier,
 * see src/media/clamp/audio-clamp.ts) for toneguard, 0 for the plain relay.
 */
export function mediaDelayMs(c: LoadContender): number {
  return passesDigits(c) ? 0 : CLAMP_LOOKAHEAD_MS;
}

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
  /** 0 loss and p99 transit <= GOAL_TRANSIT_MS (and not generator-limited). */
  readonly goalPass: boolean;
  /**
   * CPU time of the relay per packet relayed, us, over the whole run: with the C generator (a
   * process of its own) the whole relay process's for every contender (V8's GC and compiler
   * threads included, as for serve); with the Node generator in the process, the main thread's
   * for baseline and ours and NaN for ours-workers. A loaded machine does not spoil it (time
   * waiting for a core is not counted), unlike latency.
   */
  readonly cpuUsPerPacket: number;
  /** Calls one core carries at that cost (100 packets/s per call). */
  readonly callsPerCore: number;
  /** The relay's CPU time over the run's wall time (cores used; NaN where cpuUsPerPacket is). */
  readonly relayCores: number;
  /** The generator's CPU time over its wall time (cores used; null for the Node generator). */
  readonly generatorCores: number | null;
  /**
   * Digits that came out of the agent side: RFC 4733 event packets, and audio frames holding the
   * in-band digit's tones (null with the Node generator, which sends no in-band digits). The
   * plain relay passes both; toneguard in secure mode neither.
   */
  readonly digitsAtAgent: { readonly events: number; readonly toneFrames: number | null };
  /** Time to configure the relay for the level's calls, ms (serve: SIP setup of every call and secure mode on over HTTP). */
  readonly setupMs: number;
  /** Why the level failed before or after measuring (serve: setup, secure mode, teardown, the server died); null otherwise. */
  readonly note: string | null;
}

/** A contender's capacity: strict budget, largest zero-loss level, goal (p99 transit <= GOAL_TRANSIT_MS). */
export interface ContenderCapacity {
  readonly strict: number;
  readonly zeroLoss: number;
  readonly goal: number;
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
  /** Per contender run: capacity (strict budget), zero-loss level, goal capacity (p99 transit <= 10 ms). */
  readonly capacity: Partial<Record<LoadContender, ContenderCapacity>>;
  readonly workers: number;
  /** rtp.workers of the serve contender's server (its default when not set: one per core). */
  readonly serveWorkers: number;
  /** The media plane's socket I/O in this run (the baseline's and the in-process contenders'). */
  readonly io: MediaIo;
  readonly generator: 'c' | 'node';
  readonly generatorNote: string | null;
  readonly digits: string;
}
