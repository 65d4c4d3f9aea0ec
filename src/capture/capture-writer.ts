// Writes pcap and pcapng captures (the formats capture-file.ts reads): for fixtures derived from
// recordings, and for tests of the reader in both byte orders and both timestamp resolutions.

export interface WrittenFrame {
  /** ms since the epoch. */
  readonly timeMs: number;
  readonly data: Uint8Array;
  /** pcapng only: index into the interfaces. */
  readonly interfaceId?: number;
}

export interface PcapWriteOptions {
  readonly linkType: number;
  readonly littleEndian?: boolean;
  readonly nanoseconds?: boolean;
  readonly snapLength?: number;
}

export function encodePcap(frames: readonly WrittenFrame[], options: PcapWriteOptions): Uint8Array {
  const little = options.littleEndian ?? true;
  const total = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, options.nanoseconds === true ? 0xa1b23c4d : 0xa1b2c3d4, little);
  view.setUint16(4, 2, little);
  view.setUint16(6, 4, little);
  view.setUint32(16, options.snapLength ?? 262144, little);
  view.setUint32(20, options.linkType, little);
  const perSecond = options.nanoseconds === true ? 1e9 : 1e6;
  let at = 24;
  for (const f of frames) {
    const seconds = Math.floor(f.timeMs / 1000);
    const fraction = Math.round(((f.timeMs - seconds * 1000) / 1000) * perSecond);
    view.setUint32(at, seconds, little);
    view.setUint32(at + 4, Math.min(fraction, perSecond - 1), little);
    view.setUint32(at + 8, f.data.length, little);
    view.setUint32(at + 12, f.data.length, little);
    out.set(f.data, at + 16);
    at += 16 + f.data.length;
  }
  return out;
}

export interface PcapngInterfaceSpec {
  readonly linkType: number;
  /** if_tsresol byte (pcapng §4.2): 6 = µs (default), 9 = ns, 0x80 | n = 2^-n s. */
  readonly tsresol?: number;
}

export interface PcapngWriteOptions {
  readonly interfaces: readonly PcapngInterfaceSpec[];
  readonly littleEndian?: boolean;
  /** Write frames as Simple Packet Blocks (interface 0, no timestamp). */
  readonly simple?: boolean;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function unitsPerSecond(tsresol: number): number {
  return (tsresol & 0x80) === 0 ? 10 ** (tsresol & 0x7f) : 2 ** (tsresol & 0x7f);
}

export function encodePcapng(frames: readonly WrittenFrame[], options: PcapngWriteOptions): Uint8Array {
  const little = options.littleEndian ?? true;
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array): void => {
    const length = 12 + pad4(body.length);
    const out = new Uint8Array(length);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, little);
    view.setUint32(4, length, little);
    out.set(body, 8);
    view.setUint32(length - 4, length, little);
    blocks.push(out);
  };
  const shb = new Uint8Array(16);
  const shbView = new DataView(shb.buffer);
  shbView.setUint32(0, 0x1a2b3c4d, little);
  shbView.setUint16(4, 1, little);
  shbView.setUint16(6, 0, little);
  shbView.setInt32(8, -1, little);
  shbView.setInt32(12, -1, little);
  block(0x0a0d0d0a, shb);
  for (const iface of options.interfaces) {
    const hasResolution = iface.tsresol !== undefined;
    const body = new Uint8Array(8 + (hasResolution ? 8 + 4 : 0));
    const view = new DataView(body.buffer);
    view.setUint16(0, iface.linkType, little);
    view.setUint32(4, 262144, little);
    if (hasResolution) {
      view.setUint16(8, 9, little);
      view.setUint16(10, 1, little);
      body[12] = iface.tsresol ?? 6;
      // opt_endofopt: four zero bytes already there
    }
    block(0x00000001, body);
  }
  for (const f of frames) {
    if (options.simple === true) {
      const body = new Uint8Array(4 + pad4(f.data.length));
      new DataView(body.buffer).setUint32(0, f.data.length, little);
      body.set(f.data, 4);
      block(0x00000003, body);
      continue;
    }
    const id = f.interfaceId ?? 0;
    const units = Math.round((f.timeMs / 1000) * unitsPerSecond(options.interfaces[id]?.tsresol ?? 6));
    const body = new Uint8Array(20 + pad4(f.data.length));
    const view = new DataView(body.buffer);
    view.setUint32(0, id, little);
    view.setUint32(4, Math.floor(units / 4294967296), little);
    view.setUint32(8, units % 4294967296, little);
    view.setUint32(12, f.data.length, little);
    view.setUint32(16, f.data.length, little);
    body.set(f.data, 20);
    block(0x00000006, body);
  }
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** An IPv4/UDP packet (header checksum computed, UDP checksum 0 = none, RFC 768). */
export function ipv4UdpPacket(src: string, srcPort: number, dst: string, dstPort: number, payload: Uint8Array, id = 0): Uint8Array {
  const out = new Uint8Array(28 + payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0x45;
  view.setUint16(2, out.length);
  view.setUint16(4, id);
  out[8] = 64;
  out[9] = 17;
  out.set(src.split('.').map(Number), 12);
  out.set(dst.split('.').map(Number), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += view.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  view.setUint16(10, ~sum & 0xffff);
  view.setUint16(20, srcPort);
  view.setUint16(22, dstPort);
  view.setUint16(24, 8 + payload.length);
  out.set(payload, 28);
  return out;
}

/** Ethernet II frame (zero MAC addresses, as Linux captures loopback) around an IPv4 packet. */
export function ethernetFrame(ipPacket: Uint8Array, etherType = 0x0800): Uint8Array {
  const out = new Uint8Array(14 + ipPacket.length);
  out[12] = etherType >> 8;
  out[13] = etherType & 0xff;
  out.set(ipPacket, 14);
  return out;
}
