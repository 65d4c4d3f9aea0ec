// RTP/RTCP port pairs for the media legs (RFC 3550 §11: RTP on an even port, RTCP on the next,
// odd one), both bound on the configured address, from a configured range (config `rtp.ports`,
// default 20000-29999). Pairs are handed out round-robin so a port just released is not reused
// at once (late packets of the old call would land in the new one); a pair is free again as soon
// as its sockets are closed. A port held by another process is skipped (bind fails: tried next).
// The sockets are media sockets (../udp/media-socket.ts): native batched I/O or node:dgram.
import { isIP } from 'node:net';
import { CodedError } from '../../errors.js';
import type { MediaIo, MediaIoChoice } from '../udp/media-io.js';
import { openMediaSocket, resolveMediaIo, type MediaSocket } from '../udp/media-socket.js';

export type PortAllocationErrorCode =
  /** The range string or address is invalid. */
  | 'EPORTRANGE'
  /** Every pair of the range is in use (by us or by another process). */
  | 'EPORTS_EXHAUSTED';

export class PortAllocationError extends CodedError<PortAllocationErrorCode> {
  override readonly name = 'PortAllocationError';
}

export interface PortRange {
  /** First port (made even). */
  readonly min: number;
  /** Last port (the last pair must fit: its RTCP port is at most max). */
  readonly max: number;
}

/** "20000-29999" -> { min: 20000, max: 29999 }; a clear error otherwise. */
export function parsePortRange(text: string): PortRange {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (m === null) throw new PortAllocationError('EPORTRANGE', `RTP port range must look like 20000-29999, got "${text}"`);
  return checkRange({ min: Number(m[1]), max: Number(m[2]) });
}

function checkRange(range: PortRange): PortRange {
  const min = range.min + (range.min % 2);
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < 1024 || range.max > 65535 || min + 1 > range.max) {
    throw new PortAllocationError('EPORTRANGE', `RTP port range ${range.min}-${range.max} must hold at least one even/odd pair within 1024-65535`);
  }
  return { min, max: range.max };
}

/** One leg's two bound sockets. `release()` closes both and frees the pair (idempotent). */
export interface RtpPortPair {
  readonly address: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: MediaSocket;
  readonly rtcp: MediaSocket;
  release(): void;
}

export interface PortAllocatorOptions {
  /** IPv4 or IPv6 literal to bind on. */
  readonly address: string;
  /** Range as in the config ("20000-29999") or as numbers. */
  readonly ports: string | PortRange;
  /** Receive buffer for each socket, bytes (none: the system default). */
  readonly recvBufferBytes?: number;
  /** Socket I/O (config `rtp.io`); default auto: native when the addon is built. */
  readonly io?: MediaIoChoice;
}

export class PortAllocator {
  readonly address: string;
  readonly range: PortRange;
  /** The I/O its sockets use (auto resolved at construction). */
  readonly io: MediaIo;
  private readonly recvBufferBytes: number | undefined;
  private readonly inUse = new Set<number>();
  private next: number;

  constructor(options: PortAllocatorOptions) {
    const family = isIP(options.address);
    if (family === 0) throw new PortAllocationError('EPORTRANGE', `RTP address must be an IP literal, got "${options.address}"`);
    this.address = options.address;
    this.range = typeof options.ports === 'string' ? parsePortRange(options.ports) : checkRange(options.ports);
    this.recvBufferBytes = options.recvBufferBytes;
    this.io = resolveMediaIo(options.io ?? 'auto');
    this.next = this.range.min;
  }

  /** Pairs in the range. */
  get capacity(): number {
    return Math.floor((this.range.max - this.range.min + 1) / 2);
  }

  /** Pairs handed out and not yet released. */
  get used(): number {
    return this.inUse.size;
  }

  /** Binds the next free pair; PortAllocationError EPORTS_EXHAUSTED when none can be bound. */
  async allocate(): Promise<RtpPortPair> {
    const total = this.capacity;
    for (let tried = 0; tried < total; tried++) {
      const port = this.next;
      this.next = port + 2 + 1 > this.range.max ? this.range.min : port + 2;
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      const pair = await this.bindPair(port);
      if (pair !== undefined) return pair;
      this.inUse.delete(port);
    }
    throw new PortAllocationError('EPORTS_EXHAUSTED', `no free RTP port pair in ${this.range.min}-${this.range.max} on ${this.address} (${this.inUse.size} of ${total} in use by toneguard)`);
  }

  private async bindPair(port: number): Promise<RtpPortPair | undefined> {
    const rtp = await openMediaSocket(this.io, this.address, port, this.recvBufferBytes);
    if (rtp === undefined) return undefined;
    const rtcp = await openMediaSocket(this.io, this.address, port + 1, this.recvBufferBytes);
    if (rtcp === undefined) {
      rtp.close();
      return undefined;
    }
    let released = false;
    const inUse = this.inUse;
    return {
      address: this.address,
      rtpPort: port,
      rtcpPort: port + 1,
      rtp,
      rtcp,
      release(): void {
        if (released) return;
        released = true;
        rtp.close();
        rtcp.close();
        inUse.delete(port);
      },
    };
  }
}
