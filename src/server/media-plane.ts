// Where the calls' media runs: with rtp.workers > 0 in worker threads, each binding from its
// share of the RTP range (src/media/workers/); with 0 in this thread, from one PortAllocator.
// The rest of the server sees one plane: a session per call, the ports in use, each leg's final
// counters, and one close.
import type { MediaSessionRequest } from '../call/call-manager.js';
import type { ToneguardConfig } from '../config/config-schema.js';
import type { KpiMetrics } from '../kpi/kpi-metrics.js';
import type { LegName, MediaSession } from '../media/media-session.js';
import { PortAllocator } from '../media/relay/port-allocator.js';
import { RtpMediaSession, type LegStats } from '../media/relay/rtp-media-session.js';
import type { MediaIo } from '../media/udp/media-io.js';
import { defaultMediaWorkers, MediaWorkerPool } from '../media/workers/media-worker-pool.js';
import { WorkerMediaSession } from '../media/workers/worker-media-session.js';

/** Socket receive buffer of every RTP socket, bytes (bursts of many calls at once). */
const RECV_BUFFER_BYTES = 1 << 20;

export interface MediaPlane {
  /** The I/O the RTP sockets use (rtp.io with auto resolved). */
  readonly io: MediaIo;
  /** RTP port pairs bound by calls, in this thread and in the workers. */
  readonly portPairsInUse: number;
  /** A call's media session, its ports bound (CallManagerOptions.createMedia). */
  open(request: MediaSessionRequest): Promise<MediaSession>;
  /**
   * Each leg's final counters once the session closed: at once from this thread, after a worker
   * has closed the call's sockets for a worker's session (never when that worker died).
   */
  finalStats(media: MediaSession, legs: readonly LegName[], each: (leg: LegName, stats: LegStats | undefined) => void): void;
  close(): Promise<void>;
}

export async function openMediaPlane(config: ToneguardConfig, metrics: KpiMetrics): Promise<MediaPlane> {
  const ports = new PortAllocator({ address: config.rtp.address, ports: `${config.rtp.ports.first}-${config.rtp.ports.last}`, recvBufferBytes: RECV_BUFFER_BYTES, io: config.rtp.io });
  const workerCount = config.rtp.workers ?? defaultMediaWorkers();
  const workers =
    workerCount === 0
      ? null
      : await MediaWorkerPool.start({
          workers: Math.min(workerCount, ports.capacity),
          address: config.rtp.address,
          range: ports.range,
          recvBufferBytes: RECV_BUFFER_BYTES,
          // Resolved here: rtp.io native without the addon fails the start, not each worker.
          io: ports.io,
          clampMode: config.clamp.mode,
          rtpTimeoutMs: config.rtp.timeoutSeconds * 1000,
        });
  if (workers !== null) metrics.mediaWorkers(() => workers.state());
  return {
    io: ports.io,
    get portPairsInUse() {
      return ports.used + (workers?.portPairsInUse ?? 0);
    },
    open: ({ mode, mayUseOpus }) => {
      const secure = mode === 'endpoint' || config.secureMode === 'always';
      // Opus stays on the main thread: its binding loads in one thread only (MediaSessionRequest).
      if (workers !== null && !mayUseOpus) return workers.open(mode, secure);
      return RtpMediaSession.open({ ports, mode, clampMode: config.clamp.mode, rtpTimeoutMs: config.rtp.timeoutSeconds * 1000, secure });
    },
    finalStats: (media, legs, each) => {
      if (media instanceof RtpMediaSession) for (const leg of legs) each(leg, media.stats(leg));
      else if (media instanceof WorkerMediaSession) void media.finalStats().then((stats) => legs.forEach((leg) => each(leg, stats?.[leg])));
    },
    close: async () => {
      await workers?.close();
    },
  };
}
