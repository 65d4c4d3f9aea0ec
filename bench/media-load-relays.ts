// The media-load bench's contenders as relays behind one interface: per call a caller-side and an
// agent-side port that forward each other's packets. In process: the plain UDP relay (the
// baseline: one socket per stream, on the media plane's socket I/O or node:dgram), RtpMediaSession
// in B2BUA secure mode on the main thread (`rtp.workers: 0`), and the same sessions in media
// worker threads (MediaWorkerPool, `rtp.workers`); end to end through `toneguard serve`:
// bench/serve-contender.ts.
import type { MediaSession } from '../src/media/media-session.js';
import { parsePortRange, PortAllocator } from '../src/media/relay/port-allocator.js';
import { RtpMediaSession } from '../src/media/relay/rtp-media-session.js';
import type { MediaIo } from '../src/media/udp/media-io.js';
import { openMediaSocket, resolveMediaIo, type MediaSocket } from '../src/media/udp/media-socket.js';
import { MediaWorkerPool } from '../src/media/workers/media-worker-pool.js';
import type { WorkerMediaSession } from '../src/media/workers/worker-media-session.js';
import type { RelayPorts } from './load-generator.js';
import type { LoadContender } from './media-load-result.js';
import type { ServeContender } from './serve-contender.js';
import { pcmuLegConfig } from './pcmu-leg.js';

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
  readonly pool: () => Promise<MediaWorkerPool>;
  readonly serve: ServeContender;
}

export async function openRelay(contender: LoadContender, calls: number, from: RelaySources): Promise<Relay> {
  if (contender === 'ours') return openOurs(calls, from.portRange);
  if (contender === 'ours-workers') return openWorkers(calls, await from.pool());
  if (contender === 'serve') return from.serve.open(calls);
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

async function bind(io: MediaIo): Promise<MediaSocket> {
  const s = await openMediaSocket(io, LOAD_ADDRESS, 0, RELAY_RECV_BUFFER_BYTES);
  if (s === undefined) throw new Error(`plain relay: no free UDP port on ${LOAD_ADDRESS}`);
  return s;
}

/** The baseline: per call two sockets, each forwarding what it receives out of the other. */
async function openBaseline(calls: number, io: MediaIo): Promise<Relay> {
  const pairs: [MediaSocket, MediaSocket][] = [];
  for (let c = 0; c < calls; c++) pairs.push([await bind(io), await bind(io)]);
  return {
    targets: pairs.map(([a, b]) => [a.port, b.port]),
    configure(gen) {
      pairs.forEach(([a, b], c) => {
        const [callerPort, agentPort] = gen[c];
        a.onDatagram((m) => b.send(m, agentPort, LOAD_ADDRESS, false));
        b.onDatagram((m) => a.send(m, callerPort, LOAD_ADDRESS, false));
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
