// The plain UDP relay of the media-load bench in a worker thread: the `baseline-threads`
// contender runs one per media worker serve would run, each relaying its share of the calls on
// its own native I/O engine (the addon keeps one epoll set per thread), so that the relay is
// measured with the thread layout of toneguard's media workers and not only on one event loop.
// Messages: the thread posts its ports ({ ports }) once its sockets are bound, takes
// { configure: generator ports } (answering { configured: true }) and { close: true }
// (answering { closed: true }). Any failure is posted as { error } and ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../src/errors.js';
import { resolveMediaIo } from '../src/media/udp/media-socket.js';
import { closePlainRelay, openPlainRelay, startPlainRelay, type PlainRelayPair } from './plain-relay.js';

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
  let pairs: PlainRelayPair[];
  try {
    pairs = await openPlainRelay(resolveMediaIo('auto'), calls, address, recvBufferBytes);
  } catch (err) {
    port.postMessage({ error: messageOf(err) } satisfies RelayThreadReply);
    return;
  }
  port.on('message', (m: RelayThreadRequest) => {
    if ('configure' in m) {
      startPlainRelay(pairs, m.configure, address);
      port.postMessage({ configured: true } satisfies RelayThreadReply);
    } else {
      closePlainRelay(pairs);
      port.postMessage({ closed: true } satisfies RelayThreadReply);
      port.close();
    }
  });
  port.postMessage({ ports: pairs.map(([a, b]) => [a.port, b.port]) } satisfies RelayThreadReply);
}

void main();
