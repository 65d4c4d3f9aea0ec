// One bound UDP socket of a media leg (RTP or RTCP), whichever I/O carries it:
//  - native: the batched addon (native-udp.ts): received datagrams are views of a reused
//    buffer, valid only during the handler; sends go out at once (a full send buffer drops);
//  - dgram: node:dgram, the fallback where the addon is not built, and the reference.
// `rtp.io` chooses: auto (native when built, else dgram), native (required), dgram.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { MediaError } from '../media-error.js';
import type { MediaIo, MediaIoChoice } from './media-io.js';
import { NativeUdpEngine, nativeUdpAvailability, type DatagramHandler, type Endpoint, type NativeUdpSocket } from './native-udp.js';

/**
 * RTP the socket receives from exactly `from`, sent out of `via` to `to` by the I/O itself
 * (the handler is not called), its payload type mapped. The I/O checks only the source, the RTP
 * version and a header's length: a rule is for a stream relayed unchanged.
 */
export interface ForwardRule {
  readonly from: Endpoint;
  readonly via: MediaSocket;
  readonly to: Endpoint;
  /** 128 entries: the payload type sent for each one received, or PT_TO_JS: the handler gets the datagram. */
  readonly payloadTypes: Uint8Array;
}

/** Counts of a socket's forwarding since it was opened. */
export interface ForwardCounts {
  readonly packets: number;
  readonly sendErrors: number;
}

const NO_FORWARDS: ForwardCounts = { packets: 0, sendErrors: 0 };

export interface MediaSocket {
  readonly io: MediaIo;
  /** The bound port (the one asked for, or the system's choice for 0). */
  readonly port: number;
  /** Each datagram received; `packet` must not be kept after the handler returns. */
  onDatagram(handler: DatagramHandler): void;
  /** A send that failed (or an ICMP error dgram reports), counted by the owner. */
  onSendError(handler: () => void): void;
  /**
   * `transient`: the caller reuses the bytes once this returns (dgram, which may send later,
   * copies them; native sends before returning).
   */
  send(packet: Uint8Array, port: number, address: string, transient: boolean): void;
  /**
   * Sets the socket's forwarding rule (null clears it). False when not set: this I/O cannot
   * forward (dgram), or the rule was refused (a closed socket, an address of the wrong family);
   * the handler then gets every datagram.
   */
  forward(rule: ForwardRule | null): boolean;
  forwarded(): ForwardCounts;
  close(): void;
}

/** The addon's socket behind each native MediaSocket (a rule names the socket it sends from). */
const nativeSockets = new WeakMap<MediaSocket, NativeUdpSocket>();

/** What `choice` means on this machine; MediaError ENATIVEIO when native is required and missing. */
export function resolveMediaIo(choice: MediaIoChoice): MediaIo {
  if (choice === 'dgram') return 'dgram';
  const native = nativeUdpAvailability();
  if (native.available) return 'native';
  if (choice === 'native') throw new MediaError('ENATIVEIO', `rtp.io is native but ${native.reason ?? 'the addon is missing'}`);
  return 'dgram';
}

/** Binds `address`:`port`; undefined when the port cannot be bound (in use, not permitted). */
export async function openMediaSocket(io: MediaIo, address: string, port: number, recvBufferBytes: number | undefined): Promise<MediaSocket | undefined> {
  return io === 'native' ? openNative(address, port, recvBufferBytes) : openDgram(address, port, recvBufferBytes);
}

function openNative(address: string, port: number, recvBufferBytes: number | undefined): MediaSocket | undefined {
  const engine = NativeUdpEngine.get();
  let onDatagram: DatagramHandler = () => undefined;
  let onSendError = (): void => undefined;
  const socket = engine.open(isIP(address) === 6 ? 6 : 4, address, port, recvBufferBytes ?? 0, (packet, from, fromPort) => onDatagram(packet, from, fromPort));
  if (typeof socket === 'number') return undefined;
  let open = true;
  const media: MediaSocket = {
    io: 'native',
    port: socket.port,
    onDatagram(handler) {
      onDatagram = handler;
    },
    onSendError(handler) {
      onSendError = handler;
    },
    send(packet, toPort, toAddress) {
      if (!open || engine.send(socket, packet, toPort, toAddress) < 0) onSendError();
    },
    forward(rule) {
      if (!open) return rule === null;
      const via = rule === null ? undefined : nativeSockets.get(rule.via);
      if (rule !== null && via !== undefined && engine.forward(socket, via, rule.from, rule.to, rule.payloadTypes) === 0) return true;
      // Cleared, or refused: no rule stays behind, the handler gets every datagram.
      engine.unforward(socket);
      return rule === null;
    },
    forwarded() {
      return engine.forwarded(socket);
    },
    close() {
      if (!open) return;
      open = false;
      engine.close(socket);
    },
  };
  nativeSockets.set(media, socket);
  return media;
}

function openDgram(address: string, port: number, recvBufferBytes: number | undefined): Promise<MediaSocket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    const onBindError = (): void => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', onBindError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onBindError);
      if (recvBufferBytes !== undefined) {
        try {
          socket.setRecvBufferSize(recvBufferBytes);
        } catch {
          // Above net.core.rmem_max without privileges: the kernel's limit stays.
        }
      }
      resolve(dgramSocket(socket));
    });
  });
}

function dgramSocket(socket: Socket): MediaSocket {
  let onDatagram: DatagramHandler = () => undefined;
  let onSendError = (): void => undefined;
  socket.on('message', (msg, rinfo) => onDatagram(msg, rinfo.address, rinfo.port));
  // A socket error (e.g. ICMP port unreachable surfacing on send) must never crash the process:
  // the owner counts it.
  socket.on('error', () => onSendError());
  let open = true;
  return {
    io: 'dgram',
    port: socket.address().port,
    onDatagram(handler) {
      onDatagram = handler;
    },
    onSendError(handler) {
      onSendError = handler;
    },
    send(packet, port, address, transient) {
      if (!open) return;
      // dgram may send after this returns: a buffer the caller reuses gets its own copy.
      socket.send(transient ? Uint8Array.prototype.slice.call(packet) : packet, port, address);
    },
    forward(rule) {
      return rule === null;
    },
    forwarded() {
      return NO_FORWARDS;
    },
    close() {
      if (!open) return;
      open = false;
      socket.close();
    },
  };
}
