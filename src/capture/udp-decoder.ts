// Link layer -> IPv4/IPv6 -> UDP. Link types (tcpdump.org/linktypes.html): Ethernet with 802.1Q /
// 802.1ad tags, Linux cooked SLL and SLL2, raw IP, BSD loopback (NULL and LOOP). IPv4 fragments
// (RFC 791) and IPv6 fragments (RFC 8200 §4.5) are reassembled. Frames that are not UDP, or are
// cut short, are counted and skipped: a capture holds much besides RTP.
import type { CaptureFrame } from './capture-file.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as OpenBSD (14) and others (12) number it in old files. */
const DLT_RAW_12 = 12;
const DLT_RAW_14 = 14;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const IPPROTO_UDP = 17;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_DEST_OPTS = 60;
const UDP_HEADER_BYTES = 8;

/** Reassembly limits: incomplete datagrams older than this (capture time) are dropped (RFC 791 suggests 15 s; Linux uses 30 s). */
const REASSEMBLY_TIMEOUT_MS = 30_000;
const MAX_PENDING_REASSEMBLIES = 1024;
const MAX_REASSEMBLED_BYTES = 65_535 + 40;

export interface UdpDatagram {
  readonly frame: number;
  /** Capture time, ms since the epoch. */
  readonly timeMs: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

export interface UdpDecoderStats {
  frames: number;
  udp: number;
  /** Not IP, not UDP, unknown link type. */
  notUdp: number;
  /** IP or UDP header cut short, or UDP length past the captured bytes. */
  malformed: number;
  fragments: number;
  reassembled: number;
}

interface Reassembly {
  readonly firstFrame: number;
  readonly firstTimeMs: number;
  /** Payload pieces after the IP header: offset -> bytes. */
  readonly pieces: Map<number, Uint8Array>;
  totalLength: number; // -1 until the last fragment arrives
}

export interface UdpDecoder {
  readonly stats: UdpDecoderStats;
  readonly reassemblies: Map<string, Reassembly>;
}

export function createUdpDecoder(): UdpDecoder {
  return { stats: { frames: 0, udp: 0, notUdp: 0, malformed: 0, fragments: 0, reassembled: 0 }, reassemblies: new Map() };
}

/** Decodes one frame; calls `onDatagram` for its UDP datagram, if it completes one. */
export function decodeFrame(decoder: UdpDecoder, frame: CaptureFrame, onDatagram: (datagram: UdpDatagram) => void): void {
  decoder.stats.frames++;
  const data = frame.data;
  let at = 0;
  let etherType = -1;
  switch (frame.linkType) {
    case LINKTYPE_ETHERNET: {
      if (data.length < 14) return malformed(decoder);
      etherType = (data[12] << 8) | data[13];
      at = 14;
      while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD) {
        if (data.length < at + 4) return malformed(decoder);
        etherType = (data[at + 2] << 8) | data[at + 3];
        at += 4;
      }
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (data.length < 16) return malformed(decoder);
      etherType = (data[14] << 8) | data[15];
      at = 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (data.length < 20) return malformed(decoder);
      etherType = (data[0] << 8) | data[1];
      at = 20;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (data.length < 4) return malformed(decoder);
      // NULL: address family in the capturing host's byte order; LOOP: network order.
      // AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the OS.
      const family = data[0] !== 0 ? data[0] : data[3];
      etherType = family === 2 ? ETHERTYPE_IPV4 : family === 10 || family === 24 || family === 28 || family === 30 ? ETHERTYPE_IPV6 : -1;
      at = 4;
      break;
    }
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      if (data.length < 1) return malformed(decoder);
      etherType = data[0] >> 4 === 4 ? ETHERTYPE_IPV4 : data[0] >> 4 === 6 ? ETHERTYPE_IPV6 : -1;
      break;
    default:
      decoder.stats.notUdp++;
      return;
  }
  if (etherType === ETHERTYPE_IPV4) decodeIpv4(decoder, frame, data.subarray(at), onDatagram);
  else if (etherType === ETHERTYPE_IPV6) decodeIpv6(decoder, frame, data.subarray(at), onDatagram);
  else decoder.stats.notUdp++;
}

function malformed(decoder: UdpDecoder): void {
  decoder.stats.malformed++;
}

function ipv4Text(ip: Uint8Array, at: number): string {
  return `${ip[at]}.${ip[at + 1]}.${ip[at + 2]}.${ip[at + 3]}`;
}

/** RFC 5952 text (lower case, longest zero run compressed). */
export function ipv6Text(ip: Uint8Array, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((ip[at + 2 * i] << 8) | ip[at + 2 * i + 1]);
  let bestStart = -1,
    bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

function decodeIpv4(decoder: UdpDecoder, frame: CaptureFrame, ip: Uint8Array, onDatagram: (datagram: UdpDatagram) => void): void {
  if (ip.length < 20 || ip[0] >> 4 !== 4) return malformed(decoder);
  const headerLength = (ip[0] & 0x0f) * 4;
  const totalLength = (ip[2] << 8) | ip[3];
  if (headerLength < 20 || totalLength < headerLength) return malformed(decoder);
  // Ethernet pads short frames: trust the IP total length, not the frame length.
  if (totalLength > ip.length) return malformed(decoder);
  if (ip[9] !== IPPROTO_UDP) {
    decoder.stats.notUdp++;
    return;
  }
  const src = ipv4Text(ip, 12);
  const dst = ipv4Text(ip, 16);
  const flagsOffset = (ip[6] << 8) | ip[7];
  const moreFragments = (flagsOffset & 0x2000) !== 0;
  const fragmentOffset = (flagsOffset & 0x1fff) * 8;
  let payload = ip.subarray(headerLength, totalLength);
  if (moreFragments || fragmentOffset !== 0) {
    const key = `4/${src}/${dst}/${(ip[4] << 8) | ip[5]}`;
    const whole = addFragment(decoder, key, frame, fragmentOffset, moreFragments, payload);
    if (whole === undefined) return;
    payload = whole;
  }
  decodeUdp(decoder, frame, src, dst, payload, onDatagram);
}

function decodeIpv6(decoder: UdpDecoder, frame: CaptureFrame, ip: Uint8Array, onDatagram: (datagram: UdpDatagram) => void): void {
  if (ip.length < 40 || ip[0] >> 4 !== 6) return malformed(decoder);
  const payloadLength = (ip[4] << 8) | ip[5];
  if (40 + payloadLength > ip.length) return malformed(decoder);
  const end = 40 + payloadLength;
  let next = ip[6];
  let at = 40;
  let fragment: { offset: number; more: boolean; id: number } | undefined;
  while (next === IPV6_HOP_BY_HOP || next === IPV6_ROUTING || next === IPV6_DEST_OPTS || next === IPV6_FRAGMENT) {
    if (at + 8 > end) return malformed(decoder);
    const header = next;
    next = ip[at];
    if (header === IPV6_FRAGMENT) {
      const offsetFlags = (ip[at + 2] << 8) | ip[at + 3];
      fragment = { offset: offsetFlags & 0xfff8, more: (offsetFlags & 1) !== 0, id: ((ip[at + 4] << 24) | (ip[at + 5] << 16) | (ip[at + 6] << 8) | ip[at + 7]) >>> 0 };
      at += 8;
    } else {
      at += (ip[at + 1] + 1) * 8;
    }
  }
  if (at > end) return malformed(decoder);
  if (next !== IPPROTO_UDP) {
    decoder.stats.notUdp++;
    return;
  }
  const src = ipv6Text(ip, 8);
  const dst = ipv6Text(ip, 24);
  let payload = ip.subarray(at, end);
  if (fragment !== undefined && (fragment.more || fragment.offset !== 0)) {
    const whole = addFragment(decoder, `6/${src}/${dst}/${fragment.id}`, frame, fragment.offset, fragment.more, payload);
    if (whole === undefined) return;
    payload = whole;
  }
  decodeUdp(decoder, frame, src, dst, payload, onDatagram);
}

/** Adds a fragment; returns the reassembled payload when every byte has arrived. */
function addFragment(decoder: UdpDecoder, key: string, frame: CaptureFrame, offset: number, more: boolean, piece: Uint8Array): Uint8Array | undefined {
  decoder.stats.fragments++;
  const pending = decoder.reassemblies;
  // Expire old incomplete datagrams (capture time), and bound memory on hostile captures.
  for (const [k, r] of pending) {
    if (frame.timeMs - r.firstTimeMs <= REASSEMBLY_TIMEOUT_MS && pending.size < MAX_PENDING_REASSEMBLIES) break;
    pending.delete(k);
  }
  let r = pending.get(key);
  if (r === undefined) {
    r = { firstFrame: frame.number, firstTimeMs: frame.timeMs, pieces: new Map(), totalLength: -1 };
    pending.set(key, r);
  }
  if (offset + piece.length > MAX_REASSEMBLED_BYTES) {
    pending.delete(key);
    malformed(decoder);
    return undefined;
  }
  r.pieces.set(offset, piece);
  if (!more) r.totalLength = offset + piece.length;
  if (r.totalLength < 0) return undefined;
  // Complete when the pieces cover [0, totalLength) without gaps (overlaps: later piece wins).
  const offsets = [...r.pieces.keys()].sort((a, b) => a - b);
  let covered = 0;
  for (const o of offsets) {
    if (o > covered) return undefined;
    covered = Math.max(covered, o + (r.pieces.get(o)?.length ?? 0));
  }
  if (covered < r.totalLength) return undefined;
  const whole = new Uint8Array(r.totalLength);
  for (const o of offsets) {
    const p = r.pieces.get(o);
    if (p !== undefined) whole.set(p.subarray(0, Math.max(0, Math.min(p.length, r.totalLength - o))), o);
  }
  pending.delete(key);
  decoder.stats.reassembled++;
  return whole;
}

function decodeUdp(decoder: UdpDecoder, frame: CaptureFrame, src: string, dst: string, udp: Uint8Array, onDatagram: (datagram: UdpDatagram) => void): void {
  if (udp.length < UDP_HEADER_BYTES) return malformed(decoder);
  const length = (udp[4] << 8) | udp[5];
  // length 0 is legal for IPv6 jumbograms only; otherwise it must fit what was captured.
  if (length < UDP_HEADER_BYTES || length > udp.length) return malformed(decoder);
  decoder.stats.udp++;
  onDatagram({
    frame: frame.number,
    timeMs: frame.timeMs,
    src,
    srcPort: (udp[0] << 8) | udp[1],
    dst,
    dstPort: (udp[2] << 8) | udp[3],
    payload: udp.subarray(UDP_HEADER_BYTES, length),
  });
}
