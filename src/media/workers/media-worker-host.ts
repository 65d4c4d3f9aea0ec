// The entry of a media worker thread: it owns the RtpMediaSessions of the calls given to it,
// their sockets (bound here, from this worker's share of `rtp.ports`), clamp state, timers and
// prompt playback, and runs them on its own event loop. Commands come from the main thread's
// WorkerMediaSession proxies; digits, timeouts, prompt ends and failures go back as messages.
// Nothing here logs: the main thread logs from the events.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PortAllocator } from '../relay/port-allocator.js';
import type { LegName, LocalMediaAddress } from '../media-session.js';
import { RtpMediaSession, type LegStats } from '../relay/rtp-media-session.js';
import { toWireError, type FromWorker, type MediaWorkerData, type ToWorker } from './media-worker-protocol.js';

interface Hosted {
  readonly session: RtpMediaSession;
  /** The session's own prompt ids -> the ids the main thread handed out. */
  readonly promptIds: Map<number, number>;
}

function legsOf(session: RtpMediaSession): LegName[] {
  return session.mode === 'b2bua' ? ['caller', 'agent'] : ['caller'];
}

export function hostMediaWorker(port: MessagePort, data: MediaWorkerData): void {
  const ports = new PortAllocator({ address: data.address, ports: data.ports, io: data.io, ...(data.recvBufferBytes === undefined ? {} : { recvBufferBytes: data.recvBufferBytes }) });
  const sessions = new Map<number, Hosted>();
  const post = (message: FromWorker): void => port.postMessage(message);
  // A copy per packet (the session reuses its buffer), moved, not cloned, to the main thread.
  const postAudio = (id: number, pcm: Int16Array): void => {
    const copy = pcm.slice();
    port.postMessage({ op: 'audio', id, pcm: copy } satisfies FromWorker, [copy.buffer]);
  };

  const open = async (id: number, mode: RtpMediaSession['mode'], secure: boolean): Promise<void> => {
    let session: RtpMediaSession;
    try {
      session = await RtpMediaSession.open({ ports, mode, secure, clampMode: data.clampMode, rtpTimeoutMs: data.rtpTimeoutMs });
    } catch (error) {
      post({ op: 'open-failed', id, error: toWireError(error) });
      return;
    }
    const hosted: Hosted = { session, promptIds: new Map() };
    sessions.set(id, hosted);
    session.on('digit', (digit) => post({ op: 'digit', id, digit }));
    session.on('rtp-timeout', (leg) => post({ op: 'rtp-timeout', id, leg }));
    session.on('prompt-end', (end) => {
      const promptId = hosted.promptIds.get(end.id);
      hosted.promptIds.delete(end.id);
      if (promptId !== undefined) post({ op: 'prompt-end', id, promptId, interrupted: end.interrupted });
    });
    session.on('failure', (error) => post({ op: 'failure', id, error: toWireError(error) }));
    const local: Partial<Record<LegName, LocalMediaAddress>> = {};
    for (const leg of legsOf(session)) local[leg] = session.local(leg);
    post({ op: 'opened', id, local });
  };

  const close = (id: number): void => {
    const hosted = sessions.get(id);
    if (hosted === undefined) return;
    sessions.delete(id);
    const stats: Partial<Record<LegName, LegStats>> = {};
    for (const leg of legsOf(hosted.session)) stats[leg] = hosted.session.stats(leg);
    hosted.session.close();
    post({ op: 'closed', id, stats });
  };

  const handle = (message: ToWorker): void => {
    if (message.op === 'open') {
      void open(message.id, message.mode, message.secure);
      return;
    }
    if (message.op === 'close') {
      close(message.id);
      return;
    }
    if (message.op === 'ping') {
      post({ op: 'pong', id: message.id });
      return;
    }
    const hosted = sessions.get(message.id);
    if (hosted === undefined) return; // closed meanwhile: a command racing the close
    const { session } = hosted;
    switch (message.op) {
      case 'configure':
        session.configure(message.leg, message.config);
        break;
      case 'confirmed':
        session.dialogConfirmed(message.leg);
        break;
      case 'secure':
        session.setSecure(message.on);
        break;
      case 'play':
        hosted.promptIds.set(session.play(message.leg, message.pcm, { bargeIn: message.bargeIn }), message.promptId);
        break;
      case 'stop':
        session.stopPlayback(message.leg);
        break;
      case 'info-digit':
        session.injectSipInfoDigit(message.digit, message.atMs);
        break;
      case 'audio-tap':
        session.setCallerAudioSink(message.on ? (pcm) => postAudio(message.id, pcm) : null);
        break;
    }
  };

  port.on('message', (message: ToWorker) => {
    try {
      handle(message);
    } catch (error) {
      // A command the session refused (the main thread checks the same rules first): that call
      // fails, the worker and its other calls go on.
      if (message.op !== 'open' && sessions.has(message.id)) post({ op: 'failure', id: message.id, error: toWireError(error) });
    }
  });

  if (data.reportIntervalMs > 0) {
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const report = setInterval(() => {
      // p99 of the event loop's delay over the interval, ms (the histogram is in ns).
      const lagMs = lag.count === 0 ? 0 : lag.percentile(99) / 1e6;
      lag.reset();
      post({ op: 'report', calls: sessions.size, lagMs });
    }, data.reportIntervalMs);
    report.unref();
  }
  post({ op: 'ready' });
}

if (parentPort !== null && (workerData as Partial<MediaWorkerData> | null)?.ports !== undefined) hostMediaWorker(parentPort, workerData as MediaWorkerData);
