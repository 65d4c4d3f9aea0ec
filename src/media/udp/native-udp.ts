// Loader and per-thread demultiplexer of the native UDP addon (native-udp.c, built into
// dist/native/ by scripts/build-native.sh). One engine per thread: the addon fills slots of one
// shared buffer and calls onBatch(count) once per read of its epoll set; each datagram goes to
// its socket's handler as a view of its slot, valid only during the call (nothing downstream
// keeps a received packet: the relay path is synchronous).
// Not built (no C compiler or Node headers where it was installed): available() says why and
// the media sockets use node:dgram instead.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MediaError } from '../media-error.js';
import { messageOf } from '../../errors.js';

interface Addon {
  init(slots: Uint8Array, meta: Int32Array, onBatch: (count: number) => void): number;
  /** [id, handle, bound port] or a negative errno. */
  open(family: 4 | 6, address: string, port: number, recvBufferBytes: number): [number, object, number] | number;
  /** Bytes sent or a negative errno. */
  send(handle: object, packet: Uint8Array, port: number, address: string): number;
  close(handle: object): void;
  /** 0 or a negative errno. */
  forward(handle: object, via: object, fromAddress: string, fromPort: number, toAddress: string, toPort: number, payloadTypes: Uint8Array): number;
  unforward(handle: object): void;
  /** [forwarded, sends that failed]. */
  forwarded(handle: object): [number, number];
  stats(): [number, number, number, number];
}

/** A socket of the addon: its id in the batch meta data, its handle, the bound port. */
export interface NativeUdpSocket {
  readonly id: number;
  readonly handle: object;
  readonly port: number;
}

/** An address and port, as the handlers see sources. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** In a forwarding rule's payload type map: not forwarded, the socket's handler gets it. Must match native-udp.c. */
export const PT_TO_JS = 0xff;

/** Per datagram: source (address text, port) and bytes. */
export type DatagramHandler = (packet: Uint8Array, address: string, port: number) => void;

// Must match native-udp.c.
const SLOT_BYTES = 2048;
const SLOT_DATA = 1984;
const META_INTS = 8;
const SLOTS = 256;
/** IPv4 sources formatted once; bounded so spoofed sources cannot grow it without limit. */
const ADDRESS_CACHE_MAX = 4096;

/** The addon's binary: dist/native/ seen from dist/src/media/udp/ (built) or src/media/udp/ (sources run directly). */
const CANDIDATES = ['../../../native/native-udp.node', '../../../dist/native/native-udp.node'];

let loaded: { addon: Addon } | { error: string } | undefined;

function load(): { addon: Addon } | { error: string } {
  if (loaded !== undefined) return loaded;
  const path = CANDIDATES.map((c) => fileURLToPath(new URL(c, import.meta.url))).find((p) => existsSync(p));
  if (path === undefined) {
    loaded = { error: 'dist/native/native-udp.node is not built (scripts/build-native.sh needs a C compiler and the Node headers)' };
    return loaded;
  }
  try {
    loaded = { addon: createRequire(import.meta.url)(path) as Addon };
  } catch (error) {
    loaded = { error: `dist/native/native-udp.node does not load: ${messageOf(error)}` };
  }
  return loaded;
}

/** Whether the addon can be used here; `reason` when not. */
export function nativeUdpAvailability(): { readonly available: boolean; readonly reason?: string } {
  const l = load();
  return 'addon' in l ? { available: true } : { available: false, reason: l.error };
}

/** This thread's engine (made on first use). */
export class NativeUdpEngine {
  private static instance: NativeUdpEngine | undefined;
  private readonly slots = new Uint8Array(SLOTS * SLOT_BYTES);
  private readonly meta = new Int32Array(SLOTS * META_INTS);
  private readonly handlers = new Map<number, DatagramHandler>();
  private readonly v4Names = new Map<number, string>();
  /** Per slot, the last view handed out: RTP of one codec and ptime repeats its length, so it is reused instead of made per datagram. */
  private readonly views: Uint8Array[] = Array.from({ length: SLOTS }, () => new Uint8Array(0));

  private constructor(private readonly addon: Addon) {
    addon.init(this.slots, this.meta, (count) => this.onBatch(count));
  }

  /** The engine of this thread; throws when the addon is not available. */
  static get(): NativeUdpEngine {
    if (NativeUdpEngine.instance === undefined) {
      const l = load();
      if (!('addon' in l)) throw new MediaError('ENATIVEIO', l.error);
      NativeUdpEngine.instance = new NativeUdpEngine(l.addon);
    }
    return NativeUdpEngine.instance;
  }

  /** Binds a non-blocking socket (port 0: any); the bound socket, or a negative errno (e.g. the port is in use). */
  open(family: 4 | 6, address: string, port: number, recvBufferBytes: number, handler: DatagramHandler): NativeUdpSocket | number {
    const r = this.addon.open(family, address, port, recvBufferBytes);
    if (typeof r === 'number') return r;
    this.handlers.set(r[0], handler);
    return { id: r[0], handle: r[1], port: r[2] };
  }

  send(socket: NativeUdpSocket, packet: Uint8Array, port: number, address: string): number {
    return this.addon.send(socket.handle, packet, port, address);
  }

  /**
   * From now on RTP that `socket` receives from exactly `from` is sent out of `via` to `to`
   * without entering JavaScript, its payload type mapped by `payloadTypes` (128 entries;
   * PT_TO_JS: the handler gets it). 0 or a negative errno. Replaces the socket's rule.
   */
  forward(socket: NativeUdpSocket, via: NativeUdpSocket, from: Endpoint, to: Endpoint, payloadTypes: Uint8Array): number {
    return this.addon.forward(socket.handle, via.handle, from.address, from.port, to.address, to.port, payloadTypes);
  }

  unforward(socket: NativeUdpSocket): void {
    this.addon.unforward(socket.handle);
  }

  /** Since the socket was opened: datagrams forwarded under its rules, and those whose send failed. */
  forwarded(socket: NativeUdpSocket): { readonly packets: number; readonly sendErrors: number } {
    const [packets, sendErrors] = this.addon.forwarded(socket.handle);
    return { packets, sendErrors };
  }

  close(socket: NativeUdpSocket): void {
    this.handlers.delete(socket.id);
    this.addon.close(socket.handle);
  }

  /**
   * Since start: datagrams dropped for being longer than a slot, receive errors, batches handed
   * over, and how often the engine went back from its coalescing timer to waiting for readiness.
   */
  stats(): { readonly truncated: number; readonly receiveErrors: number; readonly batches: number; readonly rearms: number } {
    const [truncated, receiveErrors, batches, rearms] = this.addon.stats();
    return { truncated, receiveErrors, batches, rearms };
  }

  private onBatch(count: number): void {
    const meta = this.meta;
    for (let i = 0; i < count; i++) {
      const m = i * META_INTS;
      const handler = this.handlers.get(meta[m]);
      // Its socket was closed by an earlier datagram's handler in this batch.
      if (handler === undefined) continue;
      const start = i * SLOT_BYTES;
      const length = meta[m + 1];
      let packet = this.views[i];
      if (packet.length !== length) packet = this.views[i] = this.slots.subarray(start, start + length);
      const address = meta[m + 2] === 4 ? this.v4Name(meta[m + 4]) : this.v6Name(start + SLOT_DATA);
      try {
        handler(packet, address, meta[m + 3]);
      } catch {
        // Handlers contain their own failures (a session ends its call); a throw reaching here
        // must not stop the other datagrams of the batch, nor the thread.
      }
    }
  }

  private v4Name(n: number): string {
    let name = this.v4Names.get(n);
    if (name === undefined) {
      name = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      if (this.v4Names.size >= ADDRESS_CACHE_MAX) this.v4Names.clear();
      this.v4Names.set(n, name);
    }
    return name;
  }

  private v6Name(at: number): string {
    let end = at;
    while (end < at + (SLOT_BYTES - SLOT_DATA) && this.slots[end] !== 0) end++;
    return String.fromCharCode(...this.slots.subarray(at, end));
  }
}
