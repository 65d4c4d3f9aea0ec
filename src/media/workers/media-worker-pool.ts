// The media workers (config `rtp.workers`): worker_threads that each own the media of the calls
// given to them, so that relaying and clamping use every core while SIP, HTTP and the payment
// dialog stay on the main thread.
//
// Ports: `rtp.ports` is split into one contiguous share of whole even/odd pairs per worker, and
// a worker binds its calls' sockets from its own share (its own PortAllocator). The bound ports
// come back with `opened`, before call control writes its SDP: opening a session is
// asynchronous, as binding already was (CallManager awaits createMedia). A share that is full
// sends the call to the next worker. A replacement worker gets the share of the one it replaces
// (the dead thread's sockets were closed with it).
//
// Placement: the live worker with the fewest calls. A worker that exits (throws, runs out of
// memory, is stopped) fails only its own calls (their sessions emit `failure`, call control ends
// them), rejects the sessions it was opening, and is replaced at once for new calls.
import type { MediaIoChoice } from '../udp/media-io.js';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { CodedError } from '../../errors.js';
import type { ClampMode } from '../clamp/inband-clamp-options.js';
import { PortAllocationError, type PortRange } from '../relay/port-allocator.js';
import type { MediaSessionMode } from '../relay/rtp-media-session.js';
import type { FromWorker, MediaWorkerData, ToWorker } from './media-worker-protocol.js';
import { startWorker } from './start-worker.js';
import { errorFromWire, MediaWorkerError, WorkerMediaSession } from './worker-media-session.js';

export type MediaWorkerPoolErrorCode = 'EWORKERS_OPTIONS' | 'EWORKERS_CLOSED';

export class MediaWorkerPoolError extends CodedError<MediaWorkerPoolErrorCode> {
  override readonly name = 'MediaWorkerPoolError';
}

/** `rtp.workers` unset: one worker per core the process may use. */
export function defaultMediaWorkers(): number {
  return availableParallelism();
}

export interface MediaWorkerPoolOptions {
  readonly workers: number;
  readonly address: string;
  readonly range: PortRange;
  readonly recvBufferBytes?: number;
  /** Socket I/O of the workers' media sockets (default auto). */
  readonly io?: MediaIoChoice;
  readonly clampMode: ClampMode;
  readonly rtpTimeoutMs: number;
  /** Per-worker call count and event-loop lag report period, ms (default 1000; 0: none). */
  readonly reportIntervalMs?: number;
}

export interface MediaWorkerState {
  readonly index: number;
  /** Calls the worker owns, as the main thread counts them. */
  readonly calls: number;
  /** p99 event-loop delay over the last report period, ms (NaN before the first report). */
  readonly lagMs: number;
  /** Times this slot's worker was replaced after exiting. */
  readonly restarts: number;
}

interface PendingOpen {
  readonly resolve: (session: WorkerMediaSession) => void;
  readonly reject: (error: Error) => void;
  readonly mode: MediaSessionMode;
  readonly secure: boolean;
}

/** One worker slot: its port share, the thread now serving it, its sessions. */
class Slot {
  thread: Worker | null = null;
  ready: Promise<void> = Promise.resolve();
  readonly sessions = new Map<number, WorkerMediaSession>();
  readonly pending = new Map<number, PendingOpen>();
  /** Closed on the main thread, the worker's `closed` (final stats) not yet back. */
  readonly closing = new Map<number, WorkerMediaSession>();
  /** Port pairs bound by this worker's calls: from `opened` until the worker's `closed`. */
  portPairs = 0;
  /** settled() calls waiting for this worker's pong, by ping id. */
  readonly pings = new Map<number, () => void>();
  lagMs = NaN;
  restarts = 0;
  constructor(
    readonly index: number,
    readonly ports: PortRange,
  ) {}
  get load(): number {
    return this.sessions.size + this.pending.size;
  }
}

/** `range` cut into `n` contiguous shares of whole pairs (the first shares one pair larger). */
export function splitPortRange(range: PortRange, n: number): PortRange[] {
  const pairs = Math.floor((range.max - range.min + 1) / 2);
  if (!Number.isInteger(n) || n < 1 || n > pairs) throw new MediaWorkerPoolError('EWORKERS_OPTIONS', `rtp.workers (${n}) must be between 1 and the number of RTP port pairs (${pairs})`);
  const shares: PortRange[] = [];
  let first = 0;
  for (let i = 0; i < n; i++) {
    const count = Math.floor(pairs / n) + (i < pairs % n ? 1 : 0);
    shares.push({ min: range.min + 2 * first, max: range.min + 2 * (first + count) - 1 });
    first += count;
  }
  return shares;
}

export class MediaWorkerPool {
  private readonly options: MediaWorkerPoolOptions;
  private readonly slots: Slot[];
  private nextId = 1;
  private closing = false;

  private constructor(options: MediaWorkerPoolOptions) {
    this.options = options;
    this.slots = splitPortRange(options.range, options.workers).map((ports, i) => new Slot(i, ports));
  }

  /** Starts the workers and waits until each is listening. */
  static async start(options: MediaWorkerPoolOptions): Promise<MediaWorkerPool> {
    const pool = new MediaWorkerPool(options);
    for (const slot of pool.slots) pool.spawn(slot);
    try {
      await Promise.all(pool.slots.map((s) => s.ready));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** RTP port pairs the workers' calls hold (leak checks: 0 once every call ended and the workers confirmed). */
  get portPairsInUse(): number {
    return this.slots.reduce((n, s) => n + s.portPairs, 0);
  }

  state(): MediaWorkerState[] {
    return this.slots.map((s) => ({ index: s.index, calls: s.sessions.size, lagMs: s.lagMs, restarts: s.restarts }));
  }

  /** A session on the least busy worker, its legs' ports bound. PortAllocationError when every share is full. */
  async open(mode: MediaSessionMode, secure: boolean): Promise<WorkerMediaSession> {
    const order = [...this.slots].sort((a, b) => a.load - b.load || a.index - b.index);
    let last: Error | undefined;
    for (const slot of order) {
      if (this.closing) break;
      try {
        return await this.openOn(slot, mode, secure);
      } catch (error) {
        // A full share, or a worker that died or is being replaced: try the next worker.
        if (!(error instanceof PortAllocationError) && !(error instanceof MediaWorkerError)) throw error;
        last = error;
      }
    }
    throw last ?? new MediaWorkerPoolError('EWORKERS_CLOSED', 'the media workers are shut down');
  }

  /**
   * Resolves once every worker has carried out the commands posted to it before this call
   * (configure, secure, close: a round trip to each; `open` has its own answer), or has exited.
   */
  async settled(): Promise<void> {
    await Promise.all(
      this.slots.map((slot) => {
        const thread = slot.thread;
        if (thread === null) return undefined;
        const id = this.nextId++;
        return new Promise<void>((resolve) => {
          slot.pings.set(id, resolve);
          this.post(thread, { op: 'ping', id });
        });
      }),
    );
  }

  /** Stops one worker as if it had died (operations, tests): its calls fail, a new one takes its place. */
  async terminate(index: number): Promise<void> {
    await this.slots[index]?.thread?.terminate();
  }

  /** Stops every worker; sessions still open are failed. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.thread?.terminate()));
  }

  private async openOn(slot: Slot, mode: MediaSessionMode, secure: boolean): Promise<WorkerMediaSession> {
    await slot.ready;
    const thread = slot.thread;
    if (this.closing) throw new MediaWorkerPoolError('EWORKERS_CLOSED', 'the media workers are shut down');
    if (thread === null) throw new MediaWorkerError('EWORKER_EXIT', `media worker ${slot.index} is being replaced`);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject, mode, secure });
      this.post(thread, { op: 'open', id, mode, secure });
    });
  }

  private post(thread: Worker, message: ToWorker, transfer?: ArrayBuffer[]): void {
    thread.postMessage(message, transfer);
  }

  private spawn(slot: Slot): void {
    const data: MediaWorkerData = {
      index: slot.index,
      address: this.options.address,
      ports: slot.ports,
      ...(this.options.recvBufferBytes === undefined ? {} : { recvBufferBytes: this.options.recvBufferBytes }),
      io: this.options.io ?? 'auto',
      clampMode: this.options.clampMode,
      rtpTimeoutMs: this.options.rtpTimeoutMs,
      reportIntervalMs: this.options.reportIntervalMs ?? 1000,
    };
    const thread = startWorker(import.meta.url, './media-worker-host', data);
    // The main thread's SIP and HTTP keep the process up; the media workers alone do not.
    thread.unref();
    slot.thread = thread;
    slot.lagMs = NaN;
    let started = false;
    slot.ready = new Promise((resolve, reject) => {
      thread.on('message', (message: FromWorker) => {
        if (message.op === 'ready') {
          started = true;
          resolve();
          return;
        }
        this.onMessage(slot, thread, message);
      });
      thread.on('error', () => undefined); // the exit that follows ends its calls
      thread.on('exit', (code) => {
        if (!started) reject(new MediaWorkerError('EWORKER_EXIT', `media worker ${slot.index} exited (code ${code}) before it was ready`));
        this.onExit(slot, thread, code, started);
      });
    });
    // Nobody may be waiting yet (a replacement): its failure to start is handled in onExit.
    slot.ready.catch(() => undefined);
  }

  private onMessage(slot: Slot, thread: Worker, message: FromWorker): void {
    if (message.op === 'report') {
      slot.lagMs = message.lagMs;
      return;
    }
    if (message.op === 'pong') {
      slot.pings.get(message.id)?.();
      slot.pings.delete(message.id);
      return;
    }
    if (message.op === 'opened' || message.op === 'open-failed') {
      const pending = slot.pending.get(message.id);
      if (pending === undefined) return;
      slot.pending.delete(message.id);
      if (message.op === 'open-failed') {
        const { error } = message;
        pending.reject(error.name === 'PortAllocationError' ? new PortAllocationError('EPORTS_EXHAUSTED', error.message) : errorFromWire(error));
        return;
      }
      const session = new WorkerMediaSession({
        id: message.id,
        worker: slot.index,
        mode: pending.mode,
        secure: pending.secure,
        local: message.local,
        link: {
          post: (m, transfer) => this.post(thread, m, transfer),
          released: (id) => {
            slot.sessions.delete(id);
            slot.closing.set(id, session);
          },
        },
      });
      slot.sessions.set(message.id, session);
      slot.portPairs += Object.keys(message.local).length;
      pending.resolve(session);
      return;
    }
    if (message.op === 'closed') {
      slot.portPairs -= Object.keys(message.stats).length;
      slot.closing.get(message.id)?.receive(message);
      slot.closing.delete(message.id);
      return;
    }
    if (message.op !== 'ready') slot.sessions.get(message.id)?.receive(message);
  }

  private onExit(slot: Slot, thread: Worker, code: number, started: boolean): void {
    if (slot.thread !== thread) return;
    slot.thread = null;
    slot.portPairs = 0; // the thread's sockets closed with it
    const error = new MediaWorkerError('EWORKER_EXIT', `media worker ${slot.index} exited (code ${code})`);
    for (const pending of slot.pending.values()) pending.reject(error);
    slot.pending.clear();
    const sessions = [...slot.sessions.values()];
    slot.sessions.clear();
    for (const s of sessions) s.workerGone(code);
    for (const s of slot.closing.values()) s.workerGone(code);
    slot.closing.clear();
    // Its commands will never be carried out: nothing left to wait for.
    for (const settle of slot.pings.values()) settle();
    slot.pings.clear();
    if (this.closing) return;
    slot.restarts += 1;
    if (started) this.spawn(slot);
    else {
      // It died while starting: again at once could spin; a second later. New calls go to the
      // other workers meanwhile (openOn finds no thread here).
      slot.ready = Promise.resolve();
      setTimeout(() => {
        if (!this.closing && slot.thread === null) this.spawn(slot);
      }, 1000).unref();
    }
  }
}
