// The parts of an SDP (RFC 8866) call control reads and writes: for each m= line its port,
// protocol and formats, and for the audio one the connection address, rtpmap/fmtp, ptime,
// direction (RFC 3264 §5.1), a=rtcp (RFC 3605) and a=crypto (RFC 4568 SDES). Anything else is
// dropped: the SDP we send is written fresh, so no line of one leg reaches the other leg.
import { staticPayloadType } from '../sip/sdp.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SdpCodec {
  readonly payloadType: number;
  /** Encoding name as written (PCMU, PCMA, opus, telephone-event, ...). */
  readonly encoding: string;
  /** Hz. */
  readonly clockRate: number;
  readonly channels: number;
  /** a=fmtp parameters for this payload type, or undefined. */
  readonly fmtp: string | undefined;
}

export interface SdpCrypto {
  readonly tag: number;
  readonly suite: string;
  /** The inline key||salt, base64, without lifetime/MKI suffixes. */
  readonly keyBase64: string;
}

export interface SdpMediaLine {
  readonly media: string;
  readonly port: number;
  /** RTP/AVP, RTP/SAVP, RTP/AVPF, ... */
  readonly protocol: string;
  /** Format list as written (payload types for RTP). */
  readonly formats: readonly string[];
  /** Connection address (media level over session level), undefined if absent. */
  readonly address: string | undefined;
  /** Only the codecs named by rtpmap or static (RFC 3551 §6), in m= order. */
  readonly codecs: readonly SdpCodec[];
  /** a=ptime, ms. */
  readonly ptimeMs: number | undefined;
  /** Media-level direction, else session-level, else sendrecv. */
  readonly direction: Direction;
  /** a=rtcp port (RFC 3605), undefined when absent (then port + 1). */
  readonly rtcpPort: number | undefined;
  readonly crypto: readonly SdpCrypto[];
}

export interface SdpDescription {
  /** o= session id and version, to notice a changed SDP (RFC 3264 §8). */
  readonly originId: string;
  readonly originVersion: string;
  readonly media: readonly SdpMediaLine[];
}

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function connectionAddress(value: string): string | undefined {
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3 || parts[0] !== 'IN') return undefined;
  return parts[2].split('/')[0];
}

interface MutableMedia {
  media: string;
  port: number;
  protocol: string;
  formats: string[];
  address: string | undefined;
  rtpmap: Map<number, { encoding: string; clockRate: number; channels: number }>;
  fmtp: Map<number, string>;
  ptimeMs: number | undefined;
  direction: Direction | undefined;
  rtcpPort: number | undefined;
  crypto: SdpCrypto[];
}

/** undefined when the body has no v=/o=/m= structure at all (not SDP). */
export function parseSdpDescription(body: string): SdpDescription | undefined {
  const media: MutableMedia[] = [];
  let sessionAddress: string | undefined;
  let sessionDirection: Direction | undefined;
  let originId: string | undefined;
  let originVersion = '0';
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const type = line[0];
    const value = line.slice(2);
    const current = media[media.length - 1];
    if (type === 'o') {
      const parts = value.split(/\s+/);
      if (parts.length >= 3) {
        originId = parts[1];
        originVersion = parts[2];
      }
    } else if (type === 'm') {
      const parts = value.split(/\s+/);
      const port = Number(parts[1]?.split('/')[0]);
      if (parts.length < 3 || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
      media.push({
        media: parts[0],
        port,
        protocol: parts[2],
        formats: parts.slice(3),
        address: undefined,
        rtpmap: new Map(),
        fmtp: new Map(),
        ptimeMs: undefined,
        direction: undefined,
        rtcpPort: undefined,
        crypto: [],
      });
    } else if (type === 'c') {
      if (current === undefined) sessionAddress = connectionAddress(value);
      else current.address = connectionAddress(value);
    } else if (type === 'a') {
      const colon = value.indexOf(':');
      const name = colon < 0 ? value : value.slice(0, colon);
      const arg = colon < 0 ? '' : value.slice(colon + 1).trim();
      if (DIRECTIONS.has(name)) {
        if (current === undefined) sessionDirection = name as Direction;
        else current.direction = name as Direction;
        continue;
      }
      if (current === undefined) continue;
      if (name === 'rtpmap') {
        const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(arg);
        if (m !== null && Number(m[1]) <= 127) {
          current.rtpmap.set(Number(m[1]), { encoding: m[2], clockRate: Number(m[3]), channels: m[4] === undefined ? 1 : Number(m[4]) });
        }
      } else if (name === 'fmtp') {
        const m = /^(\d+)\s+(.*)$/.exec(arg);
        if (m !== null) current.fmtp.set(Number(m[1]), m[2].trim());
      } else if (name === 'ptime') {
        const ms = Number(arg);
        if (Number.isFinite(ms) && ms > 0 && ms <= 1000) current.ptimeMs = ms;
      } else if (name === 'rtcp') {
        const port = Number(arg.split(/\s+/)[0]);
        if (Number.isInteger(port) && port > 0 && port <= 65535) current.rtcpPort = port;
      } else if (name === 'crypto') {
        // a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:4 (RFC 4568 §9.1)
        const m = /^(\d+)\s+(\S+)\s+inline:([A-Za-z0-9+/=]+)/.exec(arg);
        if (m !== null) current.crypto.push({ tag: Number(m[1]), suite: m[2], keyBase64: m[3] });
      }
    }
  }
  if (originId === undefined && media.length === 0) return undefined;
  return {
    originId: originId ?? '0',
    originVersion,
    media: media.map((m) => ({
      media: m.media,
      port: m.port,
      protocol: m.protocol,
      formats: m.formats,
      address: m.address ?? sessionAddress,
      codecs: m.formats.flatMap((f) => {
        const pt = Number(f);
        if (!/^\d+$/.test(f) || pt > 127) return [];
        const mapped = m.rtpmap.get(pt);
        const known = mapped ?? staticPayloadType(pt);
        if (known === undefined) return [];
        return [{ payloadType: pt, encoding: known.encoding, clockRate: known.clockRate, channels: known.channels, fmtp: m.fmtp.get(pt) }];
      }),
      ptimeMs: m.ptimeMs,
      direction: m.direction ?? sessionDirection ?? 'sendrecv',
      rtcpPort: m.rtcpPort,
      crypto: m.crypto,
    })),
  };
}

/** What we write on one m= line (audio: full; others: rejected with port 0, RFC 3264 §6). */
export interface SdpMediaToWrite {
  readonly media: string;
  readonly port: number;
  readonly protocol: string;
  readonly formats: readonly string[];
  readonly codecs: readonly SdpCodec[];
  readonly ptimeMs: number | undefined;
  readonly direction: Direction;
  readonly rtcpPort: number | undefined;
  readonly crypto: readonly SdpCrypto[];
}

export interface SdpToWrite {
  readonly originId: string;
  readonly originVersion: number;
  readonly address: string;
  readonly media: readonly SdpMediaToWrite[];
}

function ipVersion(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

/**
 * A plain description of one audio stream, sendrecv, 20 ms: the given codecs (8000 in SDP; G.722
 * too, RFC 3551 §4.5.2), then telephone-event (RFC 4733) keys 0-16 at `eventPt`. What the test
 * callers, `toneguard verify` and the load bench offer or answer.
 */
export function plainAudioSdp(address: string, port: number, audio: readonly { readonly payloadType: number; readonly encoding: string }[], eventPt: number): string {
  const codecs: SdpCodec[] = [
    ...audio.map((c) => ({ payloadType: c.payloadType, encoding: c.encoding, clockRate: 8000, channels: 1, fmtp: undefined })),
    { payloadType: eventPt, encoding: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' },
  ];
  const media: SdpMediaToWrite = {
    media: 'audio',
    port,
    protocol: 'RTP/AVP',
    formats: codecs.map((c) => String(c.payloadType)),
    codecs,
    ptimeMs: 20,
    direction: 'sendrecv',
    rtcpPort: undefined,
    crypto: [],
  };
  return writeSdp({ originId: String(port), originVersion: 1, address, media: [media] });
}

export function writeSdp(sdp: SdpToWrite): string {
  const ip = ipVersion(sdp.address);
  const lines = ['v=0', `o=toneguard ${sdp.originId} ${sdp.originVersion} IN ${ip} ${sdp.address}`, 's=toneguard', `c=IN ${ip} ${sdp.address}`, 't=0 0'];
  for (const m of sdp.media) {
    const formats = m.formats.length > 0 ? m.formats : ['0'];
    lines.push(`m=${m.media} ${m.port} ${m.protocol} ${formats.join(' ')}`);
    if (m.port === 0) continue;
    if (m.rtcpPort !== undefined) lines.push(`a=rtcp:${m.rtcpPort}`);
    for (const c of m.codecs) {
      lines.push(`a=rtpmap:${c.payloadType} ${c.encoding}/${c.clockRate}${c.channels > 1 ? `/${c.channels}` : ''}`);
      if (c.fmtp !== undefined) lines.push(`a=fmtp:${c.payloadType} ${c.fmtp}`);
    }
    if (m.ptimeMs !== undefined) lines.push(`a=ptime:${m.ptimeMs}`);
    for (const c of m.crypto) lines.push(`a=crypto:${c.tag} ${c.suite} inline:${c.keyBase64}`);
    lines.push(`a=${m.direction}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}
