// The media-load bench's contenders as relays behind one interface: per call a caller-side and an
// agent-side port that forward each other's packets. In process: the plain UDP relay (the
// baseline: one socket per stream, on the media plane's socket I/O or node:dgram; on the main
// thread, or split over worker threads as the media workers split calls), RtpMediaSession
// in B2BUA secure mode on the main thread (`rtp.workers: 0`), and the same sessions in media
// worker threads (MediaWorkerPool, `rtp.workers`); end to end through `toneguard serve`:
// bench/serve-contender.ts.
import type { Worker } from 'node:worker_threads';
import type { MediaSession } from '../src/media/media-session.js';
import { parsePortRange, PortAllocator } from '../src/media/relay/port-allocator.js';
import { RtpMediaSession } from '../src/media/relay/rtp-media-session.js';
import type { MediaIo } from '../src/media/udp/media-io.js';
import { resolveMediaIo } from '../src/media/udp/media-socket.js';
import { MediaWorkerPool } from '../src/media/workers/media-worker-pool.js';
import { startWorker } from '../src/media/workers/start-worker.js';
import type { WorkerMediaSession } from '../src/media/workers/worker-media-session.js';
import type { RelayPorts } from './load-generator.js';
import type { LoadContender } from './media-load-result.js';
import type { ServeContender } from './serve-contender.js';
import { pcmuLegConfig } from './pcmu-leg.js';
import { closePlainRelay, openPlainRelay, startPlainRelay } from './plain-relay.js';
import type { RelayThreadData, RelayThreadReply, RelayThreadRequest } from './relay-thread.js';

/** Where every relay and the load generator bind: loopback. */
export const LOAD_ADDRESS = '127.0.0.1';
/** Receive buffer of each relay socket, bytes. */
const RELAY_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/** Sessions opened at once in the workers: each open is a round trip to a worker. */
const WORKER_OPEN_BATCH = 50;

/**
 * One relay under test for `calls` calls: its per-call ports (or the number of calls, when the
 * ports come out of configure) and a close function (a note when closing found a fault).
 */
export interface Relay {
  readonly targets: RelayPorts | number;
  /** Points each call at the generator's ports (caller stream, agent stream); the relay's ports when `targets` was a number. */
  configure(generatorPorts: readonly (readonly [number, number])[]): Promise<RelayPorts | void> | void;
  close(): Promise<string | null | void> | void;
  /** CPU time of the relay, ms, when it is not this process's. */
  cpuMs?(): number;
  /** Why the relay is gone (serve: the server exited), or null. */
  exited?(): string | null;
}

/** What opening a contender's relay may need: the in-process relays' port range, the warm worker pool, the server. */
export interface RelaySources {
  readonly portRange: string;
  /** Threads of the baseline-threads relay (the media workers' count). */
  readonly threads: number;
  readonly pool: () => Promise<MediaWorkerPool>;
  readonly serve: ServeContender;
}

export async function openRelay(contender: LoadContender, calls: number, from: RelaySources): Promise<Relay> {
  if (contender === 'ours') return openOurs(calls, from.portRange);
  if (contender === 'ours-workers') return openWorkers(calls, await from.pool());
  if (contender === 'serve') return from.serve.open(calls, true);
  if (contender === 'serve-plain') return from.serve.open(calls, false);
  if (contender === 'baseline-threads') return openBaselineThreads(calls, from.threads);
  return openBaseline(calls, contender === 'baseline-dgram' ? 'dgram' : resolveMediaIo('auto'));
}

/** The media workers, started once per bench run (as a server keeps them): warm across levels. */
export function startPool(portRange: string, workers: number): Promise<MediaWorkerPool> {
  return MediaWorkerPool.start({ workers, address: LOAD_ADDRESS, range: parsePortRange(portRange), recvBufferBytes: RELAY_RECV_BUFFER_BYTES, clampMode: 'silence', rtpTimeoutMs: 30_000 });
}

function sessionRelay(sessions: readonly MediaSession[], close: () => Promise<void> | void): Relay {
  return {
    targets: sessions.map((s) => [s.local('caller').rtpPort, s.local('agent').rtpPort]),
    configure(gen) {
      sessions.forEach((s, c) => {
        s.configure('caller', pcmuLegConfig(gen[c][0], LOAD_ADDRESS));
        s.configure('agent', pcmuLegConfig(gen[c][1], LOAD_ADDRESS));
      });
    },
    close,
  };
}

async function openOurs(calls: number, portRange: string): Promise<Relay> {
  const ports = new PortAllocator({ address: LOAD_ADDRESS, ports: portRange, recvBufferBytes: RELAY_RECV_BUFFER_BYTES });
  const sessions: RtpMediaSession[] = [];
  try {
    for (let c = 0; c < calls; c++) sessions.push(await RtpMediaSession.open({ ports, mode: 'b2bua', secure: true }));
  } catch (err) {
    for (const s of sessions) s.close();
    throw err;
  }
  return sessionRelay(sessions, () => sessions.forEach((s) => s.close()));
}

async function openWorkers(calls: number, pool: MediaWorkerPool): Promise<Relay> {
  const sessions: WorkerMediaSession[] = [];
  const closeAll = async (): Promise<void> => {
    for (const s of sessions) s.close();
    // The workers free the ports once they have the close: wait for their final counters.
    await Promise.all(sessions.map((s) => s.finalStats()));
  };
  try {
    for (let c = 0; c < calls; c += WORKER_OPEN_BATCH) {
      const batch = await Promise.all(Array.from({ length: Math.min(WORKER_OPEN_BATCH, calls - c) }, () => pool.open('b2bua', true)));
      sessions.push(...batch);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  const relay = sessionRelay(sessions, closeAll);
  return {
    ...relay,
    // The workers build each call's clamp as its legs are configured: wait for that, so that
    // the measured CPU is the packets', not the set-up's.
    async configure(gen) {
      await relay.configure(gen);
      await pool.settled();
    },
  };
}

/** The baseline: per call two sockets, each forwarding what it receives out of the other. */
async function openBaseline(calls: number, io: MediaIo): Promise<Relay> {
  const pairs = await openPlainRelay(io, calls, LOAD_ADDRESS, RELAY_RECV_BUFFER_BYTES);
  return {
    targets: pairs.map(([a, b]) => [a.port, b.port]),
    configure: (gen) => startPlainRelay(pairs, gen, LOAD_ADDRESS),
    close: () => closePlainRelay(pairs),
  };
}

/** How long a relay thread may take to bind, configure or close its sockets, ms. */
const RELAY_THREAD_TIMEOUT_MS = 30_000;

/** The next reply of a relay thread that `accept` takes; an error reply, an exit or the time-out rejects. */
function reply<T>(thread: Worker, accept: (m: RelayThreadReply) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      thread.off('message', onMessage);
      thread.off('error', onError);
      thread.off('exit', onExit);
    };
    const onMessage = (m: RelayThreadReply): void => {
      if ('error' in m) {
        done();
        reject(new Error(`plain relay thread: ${m.error}`));
        return;
      }
      const value = accept(m);
      if (value === undefined) return;
      done();
      resolve(value);
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onExit = (code: number): void => {
      done();
      reject(new Error(`plain relay thread exited (${code})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`plain relay thread: no reply in ${RELAY_THREAD_TIMEOUT_MS} ms`));
    }, RELAY_THREAD_TIMEOUT_MS);
    thread.on('message', onMessage);
    thread.on('error', onError);
    thread.on('exit', onExit);
  });
}

/**
 * The baseline split over `threads` worker threads, consecutive calls to each (as the media
 * workers take theirs), each thread relaying on its own native I/O engine: the plain relay with
 * the thread layout of `toneguard serve`'s media, so that what two threads on shared cores cost
 * is in both figures. CPU: the bench process's, the threads included (the C generator is a
 * process of its own).
 */
async function openBaselineThreads(calls: number, threads: number): Promise<Relay> {
  const n = Math.max(1, Math.min(threads, calls));
  const shares = Array.from({ length: n }, (_, i) => Math.floor((calls * (i + 1)) / n) - Math.floor((calls * i) / n));
  const workers: Worker[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      workers.map(async (w) => {
        try {
          const closed = reply(w, (m) => ('closed' in m ? true : undefined));
          w.postMessage({ close: true } satisfies RelayThreadRequest);
          await closed;
        } finally {
          await w.terminate();
        }
      }),
    );
  };
  try {
    const ports: [number, number][][] = await Promise.all(
      shares.map((share) => {
        const w = startWorker(import.meta.url, './relay-thread', { calls: share, address: LOAD_ADDRESS, recvBufferBytes: RELAY_RECV_BUFFER_BYTES } satisfies RelayThreadData);
        workers.push(w);
        return reply(w, (m) => ('ports' in m ? m.ports : undefined));
      }),
    );
    return {
      targets: ports.flat(),
      async configure(gen) {
        let first = 0;
        await Promise.all(
          workers.map((w, i) => {
            const configured = reply(w, (m) => ('configured' in m ? true : undefined));
            w.postMessage({ configure: gen.slice(first, first + shares[i]) } satisfies RelayThreadRequest);
            first += shares[i];
            return configured;
          }),
        );
      },
      close: stop,
    };
  } catch (err) {
    await Promise.allSettled(workers.map((w) => w.terminate()));
    throw err;
  }
}
