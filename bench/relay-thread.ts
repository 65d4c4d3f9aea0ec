// The plain UDP relay of the media-load bench in a worker thread: the `baseline-threads`
// contender runs one per media worker serve would run, each relaying its share of the calls on
// its own native I/O engine (the addon keeps one epoll set per thread), so that the relay is
// measured with the thread layout of toneguard's media workers and not only on one event loop.
// Messages: the thread posts its ports ({ ports }) once its sockets are bound, takes
// { configure: generator ports } (answering { configured: true }) and { close: true }
// (answering { closed: true }). Any failure is posted as { error } and ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { openMediaSocket, resolveMediaIo, type MediaSocket } from '../src/media/udp/media-socket.js';

export interface RelayThreadData {
  readonly calls: number;
  readonly address: string;
  readonly recvBufferBytes: number;
}

export type RelayThreadReply = { readonly ports: [number, number][] } | { readonly configured: true } | { readonly closed: true } | { readonly error: string };

export type RelayThreadRequest = { readonly configure: readonly (readonly [number, number])[] } | { readonly close: true };

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('relay-thread: not a worker thread');
  const { calls, address, recvBufferBytes } = workerData as RelayThreadData;
  const io = resolveMediaIo('auto');
  const pairs: [MediaSocket, MediaSocket][] = [];
  const bind = async (): Promise<MediaSocket> => {
    const s = await openMediaSocket(io, address, 0, recvBufferBytes);
    if (s === undefined) throw new Error(`plain relay: no free UDP port on ${address}`);
    return s;
  };
  const closeAll = (): void => {
    for (const [a, b] of pairs) {
      a.close();
      b.close();
    }
  };
  try {
    for (let c = 0; c < calls; c++) pairs.push([await bind(), await bind()]);
  } catch (err) {
    closeAll();
    port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies RelayThreadReply);
    return;
  }
  port.on('message', (m: RelayThreadRequest) => {
    if ('configure' in m) {
      pairs.forEach(([a, b], c) => {
        const [callerPort, agentPort] = m.configure[c];
        a.onDatagram((d) => b.send(d, agentPort, address, false));
        b.onDatagram((d) => a.send(d, callerPort, address, false));
      });
      port.postMessage({ configured: true } satisfies RelayThreadReply);
    } else {
      closeAll();
      port.postMessage({ closed: true } satisfies RelayThreadReply);
      port.close();
    }
  });
  port.postMessage({ ports: pairs.map(([a, b]) => [a.port, b.port]) } satisfies RelayThreadReply);
}

void main();
