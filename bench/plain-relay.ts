// The plain UDP relay of the media-load bench, the baseline every contender is measured against:
// per call two sockets, each forwarding what it receives out of the other. One piece for the
// relay on the main thread (bench/media-load-relays.ts) and the relay in worker threads
// (bench/relay-thread.ts).
import type { MediaIo } from '../src/media/udp/media-io.js';
import { openMediaSocket, type MediaSocket } from '../src/media/udp/media-socket.js';

/** A call's caller-side and agent-side sockets. */
export type PlainRelayPair = readonly [MediaSocket, MediaSocket];

/** Binds two sockets per call on `address` (any free ports); on a failure closes those bound and throws. */
export async function openPlainRelay(io: MediaIo, calls: number, address: string, recvBufferBytes: number): Promise<PlainRelayPair[]> {
  const sockets: MediaSocket[] = [];
  try {
    for (let i = 0; i < 2 * calls; i++) {
      const s = await openMediaSocket(io, address, 0, recvBufferBytes);
      if (s === undefined) throw new Error(`plain relay: no free UDP port on ${address}`);
      sockets.push(s);
    }
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  return Array.from({ length: calls }, (_, c) => [sockets[2 * c], sockets[2 * c + 1]] as const);
}

/** Call c's caller side forwards to the generator's agent port ports[c][1], its agent side to ports[c][0]. */
export function startPlainRelay(pairs: readonly PlainRelayPair[], ports: readonly (readonly [number, number])[], address: string): void {
  pairs.forEach(([a, b], c) => {
    const [callerPort, agentPort] = ports[c];
    a.onDatagram((m) => b.send(m, agentPort, address, false));
    b.onDatagram((m) => a.send(m, callerPort, address, false));
  });
}

export function closePlainRelay(pairs: readonly PlainRelayPair[]): void {
  for (const [a, b] of pairs) {
    a.close();
    b.close();
  }
}
