// SDP (RFC 8866), the one model of it: what replay, verify and call control read (for each m=
// line its port, protocol and formats, and for audio the connection address, rtpmap/fmtp,
// ptime, direction (RFC 3264 §5.1), a=rtcp (RFC 3605) and a=crypto (RFC 4568 SDES)) and what
// call control writes. Lines are tokenised by `sdp-transform` (mediasoup's parser); every value
// it yields is checked here, because it passes through whatever a hostile offer wrote. Anything
// else is dropped: the SDP we send is written fresh, so no line of one leg reaches the other.
import { parse as tokenise } from 'sdp-transform';

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

/** RFC 3551 §6, the audio ones toneguard can name. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, { readonly encoding: string; readonly clockRate: number; readonly channels: number }> = new Map([
  [0, { encoding: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { encoding: 'GSM', clockRate: 8000, channels: 1 }],
  [8, { encoding: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { encoding: 'G722', clockRate: 8000, channels: 1 }],
  [13, { encoding: 'CN', clockRate: 8000, channels: 1 }],
  [18, { encoding: 'G729', clockRate: 8000, channels: 1 }],
]);

/** The codec a static payload type (RFC 3551 §6) stands for when no rtpmap names it. */
export function staticPayloadType(pt: number): SdpCodec | undefined {
  const known = STATIC_PAYLOAD_TYPES.get(pt);
  return known === undefined ? undefined : { payloadType: pt, ...known, fmtp: undefined };
}

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

// sdp-transform's fields as they may really be: absent, or a string where a number was expected.
type Loose<T> = { readonly [K in keyof T]?: unknown };

function integerIn(value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : undefined;
}

function array(value: unknown): readonly Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null) : [];
}

/** c=IN IP4 127.0.0.1 (or IP6); multicast TTL suffixes dropped. */
function connectionAddress(connection: unknown): string | undefined {
  if (typeof connection !== 'object' || connection === null) return undefined;
  const ip = text((connection as { ip?: unknown }).ip);
  const address = ip?.split('/')[0];
  return address === undefined || address === '' ? undefined : address;
}

function direction(value: unknown): Direction | undefined {
  return typeof value === 'string' && DIRECTIONS.has(value) ? (value as Direction) : undefined;
}

function codecsOf(m: Loose<SdpTransformMedia>, formats: readonly string[]): SdpCodec[] {
  const rtpmap = new Map<number, { encoding: string; clockRate: number; channels: number }>();
  for (const r of array(m.rtp)) {
    const pt = integerIn(r.payload, 0, 127);
    const encoding = text(r.codec);
    const clockRate = integerIn(r.rate, 1, 1_000_000);
    if (pt === undefined || encoding === undefined || encoding === '' || clockRate === undefined) continue;
    rtpmap.set(pt, { encoding, clockRate, channels: integerIn(r.encoding, 1, 255) ?? 1 });
  }
  const fmtp = new Map<number, string>();
  for (const f of array(m.fmtp)) {
    const pt = integerIn(f.payload, 0, 127);
    const config = text(f.config)?.trim();
    if (pt !== undefined && config !== undefined) fmtp.set(pt, config);
  }
  // Each payload type once (a format listed twice is one codec), so a hostile m= line of
  // thousands of formats still gives at most 128 codecs.
  const codecs: SdpCodec[] = [];
  const seen = new Set<number>();
  for (const f of formats) {
    const pt = integerIn(f, 0, 127);
    if (pt === undefined || seen.has(pt)) continue;
    seen.add(pt);
    const known = rtpmap.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
    if (known !== undefined) codecs.push({ payloadType: pt, encoding: known.encoding, clockRate: known.clockRate, channels: known.channels, fmtp: fmtp.get(pt) });
  }
  return codecs;
}

function cryptoOf(m: Loose<SdpTransformMedia>): SdpCrypto[] {
  return array(m.crypto).flatMap((c) => {
    const tag = integerIn(c.id, 0, 999_999_999);
    const suite = text(c.suite);
    // inline:KEY||SALT|2^20|1:4 (RFC 4568 §9.1): the key without lifetime or MKI.
    const key = /^inline:([A-Za-z0-9+/=]+)/.exec(text(c.config) ?? '');
    return tag === undefined || suite === undefined || suite === '' || key === null ? [] : [{ tag, suite, keyBase64: key[1] }];
  });
}

type SdpTransformMedia = ReturnType<typeof tokenise>['media'][number];

/**
 * Beyond what any call's SDP has: lines (a WebRTC offer with its candidates has a few hundred),
 * m= lines (each one is answered, RFC 3264 §6), formats on one (RTP has 128 payload types).
 * Such a body is refused before it is tokenised, which costs microseconds a line.
 */
const MAX_LINES = 1024;
const MAX_MEDIA_LINES = 64;
const MAX_FORMATS = 256;

function cheapEnough(body: string): boolean {
  let newlines = 0;
  for (let at = body.indexOf('\n'); at >= 0; at = body.indexOf('\n', at + 1)) if (++newlines > MAX_LINES) return false;
  let lines = 0;
  for (let at = body.indexOf('m='); at >= 0; at = body.indexOf('m=', at + 2)) {
    if (at !== 0 && body[at - 1] !== '\n') continue;
    if (++lines > MAX_MEDIA_LINES) return false;
    let end = body.indexOf('\n', at);
    if (end < 0) end = body.length;
    let spaces = 0;
    for (let i = at; i < end; i++) if (body.charCodeAt(i) === 32 && ++spaces > MAX_FORMATS + 2) return false;
  }
  return true;
}

/**
 * The description, or undefined when the body is not SDP (no o= and no m=), has an m= line
 * whose port is not one (RFC 8866 §5.14), more than MAX_MEDIA_LINES m= lines or more than
 * MAX_FORMATS formats on one: such an offer is refused, not half read.
 */
export function parseSdp(body: string): SdpDescription | undefined {
  // One line ending, the one the limits count (sdp-transform would also break at a lone CR); and
  // sdp-transform reads only lines that start in column one, where RFC 8866 has no indentation.
  const unindented = body.replace(/\r\n?/g, '\n').replace(/^[ \t]+/gm, '');
  if (!cheapEnough(unindented)) return undefined;
  let session: Loose<ReturnType<typeof tokenise>>;
  try {
    session = tokenise(unindented);
  } catch {
    // Not seen in fuzzing, but a package's parser is not ours to trust: unreadable, refused.
    return undefined;
  }
  const media = array(session.media) as Loose<SdpTransformMedia>[];
  const origin = typeof session.origin === 'object' && session.origin !== null ? (session.origin as Record<string, unknown>) : undefined;
  if (origin === undefined && media.length === 0) return undefined;
  const sessionAddress = connectionAddress(session.connection);
  const sessionDirection = direction(session.direction);
  const lines: SdpMediaLine[] = [];
  for (const m of media) {
    const port = integerIn(m.port, 0, 65535);
    const kind = text(m.type);
    const protocol = text(m.protocol);
    if (port === undefined || kind === undefined || kind === '' || protocol === undefined || protocol === '') return undefined;
    const formats = (text(m.payloads) ?? '').split(/\s+/).filter((f) => f !== '');
    const ptime = typeof m.ptime === 'number' && Number.isFinite(m.ptime) && m.ptime > 0 && m.ptime <= 1000 ? m.ptime : undefined;
    const rtcp = typeof m.rtcp === 'object' && m.rtcp !== null ? integerIn((m.rtcp as { port?: unknown }).port, 1, 65535) : undefined;
    lines.push({
      media: kind,
      port,
      protocol,
      formats,
      address: connectionAddress(m.connection) ?? sessionAddress,
      codecs: codecsOf(m, formats),
      ptimeMs: ptime,
      direction: direction(m.direction) ?? sessionDirection ?? 'sendrecv',
      rtcpPort: rtcp,
      crypto: cryptoOf(m),
    });
  }
  return { originId: text(origin?.sessionId) ?? '0', originVersion: text(origin?.sessionVersion) ?? '0', media: lines };
}

/**
 * What we write on one m= line (audio: full; others: rejected with port 0, RFC 3264 §6): a
 * line as read, without the address, which the session-level c= of SdpToWrite gives.
 */
export type SdpMediaToWrite = Omit<SdpMediaLine, 'address'>;

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
