// RTP packets (RFC 3550 §5.1) through werift-rtp, behind a validating edge.
//
// werift-rtp's RtpPacket.deSerialize checks nothing: it reads past the end of short buffers
// (a RangeError thrown from inside Buffer), accepts any version, computes a negative payload end
// when the padding count exceeds the payload, and leaves the payload offset inside the extension
// when a one-byte extension element has ID 15. So every packet is checked here first (version,
// CSRC count, extension length, padding) and the payload bounds are computed here; werift then
// parses the checked bytes (CSRCs, RFC 8285 extension elements). Bad packets become an
// RtpParseError value, never an exception.
import { RtpHeader, RtpPacket, RtcpPacketConverter, type Extension, type RtcpPacket } from 'werift-rtp';
import { CodedError, messageOf } from '../errors.js';

export type RtpParseErrorCode =
  /** Fewer bytes than the fixed header, CSRC list and extension header need. */
  | 'ESHORT'
  /** Version field is not 2. */
  | 'EVERSION'
  /** The header extension runs past the end of the packet. */
  | 'EEXTENSION'
  /** Padding count of 0, or larger than what follows the header. */
  | 'EPADDING'
  /** RTCP packet type range (RFC 5761 §4), not RTP. */
  | 'ERTCP';

export class RtpParseError extends CodedError<RtpParseErrorCode> {
  override readonly name = 'RtpParseError';
}

export interface RtpExtension {
  readonly id: number;
  readonly payload: Uint8Array;
}

export interface ParsedRtp {
  readonly payloadType: number;
  readonly marker: boolean;
  /** 16-bit. */
  readonly sequence: number;
  /** 32-bit, in the payload format's clock (Hz from SDP). */
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  /** RFC 8285 elements (one- or two-byte headers), or one element with id 0 for other profiles. */
  readonly extensionProfile: number | undefined;
  readonly extensions: readonly RtpExtension[];
  /** Padding bytes removed (RFC 3550 §5.1, P bit). */
  readonly paddingBytes: number;
  /** The payload, a view into the datagram. */
  readonly payload: Uint8Array;
}

const FIXED_HEADER_BYTES = 12;
const ONE_BYTE_PROFILE = 0xbede;

/** RFC 5761 §4: second byte 192-223 on a shared port is RTCP (200-204 in use). */
export function looksLikeRtcp(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] >> 6 === 2 && bytes[1] >= 192 && bytes[1] <= 223;
}

/** Cheap test before parsing: version 2 and enough bytes for a fixed header. */
export function looksLikeRtp(bytes: Uint8Array): boolean {
  return bytes.length >= FIXED_HEADER_BYTES && bytes[0] >> 6 === 2 && !looksLikeRtcp(bytes);
}

/** The checked header layout: where the payload starts and ends. Returns an error for bad packets. */
export function rtpPayloadBounds(bytes: Uint8Array): { start: number; end: number; paddingBytes: number } | RtpParseError {
  const out = new Int32Array(3);
  const code = rtpPayloadBoundsInto(bytes, out);
  if (code !== undefined) return new RtpParseError(code, boundsMessage(code, bytes));
  return { start: out[0], end: out[1], paddingBytes: out[2] };
}

/**
 * The same check without allocating, for per-packet paths: on success writes payload start,
 * payload end and padding bytes into out[0..2] and returns undefined; else the error code.
 */
export function rtpPayloadBoundsInto(bytes: Uint8Array, out: Int32Array): RtpParseErrorCode | undefined {
  if (bytes.length < FIXED_HEADER_BYTES) return 'ESHORT';
  if (bytes[0] >> 6 !== 2) return 'EVERSION';
  if (bytes[1] >= 192 && bytes[1] <= 223) return 'ERTCP';
  const csrcCount = bytes[0] & 0x0f;
  let start = FIXED_HEADER_BYTES + 4 * csrcCount;
  if (bytes.length < start) return 'ESHORT';
  if ((bytes[0] & 0x10) !== 0) {
    if (bytes.length < start + 4) return 'ESHORT';
    const words = (bytes[start + 2] << 8) | bytes[start + 3];
    start += 4 + 4 * words;
    if (bytes.length < start) return 'EEXTENSION';
  }
  let end = bytes.length;
  let paddingBytes = 0;
  if ((bytes[0] & 0x20) !== 0) {
    paddingBytes = bytes[bytes.length - 1];
    if (paddingBytes === 0 || paddingBytes > end - start) return 'EPADDING';
    end -= paddingBytes;
  }
  out[0] = start;
  out[1] = end;
  out[2] = paddingBytes;
  return undefined;
}

function boundsMessage(code: RtpParseErrorCode, bytes: Uint8Array): string {
  const csrcCount = bytes.length > 0 ? bytes[0] & 0x0f : 0;
  switch (code) {
    case 'ESHORT':
      return bytes.length < FIXED_HEADER_BYTES
        ? `RTP packet of ${bytes.length} bytes (fixed header is 12)`
        : bytes.length < FIXED_HEADER_BYTES + 4 * csrcCount
          ? `RTP packet of ${bytes.length} bytes cannot hold ${csrcCount} CSRCs`
          : 'RTP header extension header cut short';
    case 'EVERSION':
      return `RTP version ${bytes[0] >> 6}, expected 2`;
    case 'ERTCP':
      return 'RTCP packet type, not RTP';
    case 'EEXTENSION': {
      const at = FIXED_HEADER_BYTES + 4 * csrcCount;
      return `RTP header extension of ${4 * ((bytes[at + 2] << 8) | bytes[at + 3])} bytes runs past the packet`;
    }
    case 'EPADDING':
      return `RTP padding count ${bytes[bytes.length - 1]} does not fit the packet`;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses one RTP packet; a bad packet is an RtpParseError value (not thrown). */
export function parseRtp(bytes: Uint8Array): ParsedRtp | RtpParseError {
  const bounds = rtpPayloadBounds(bytes);
  if (bounds instanceof RtpParseError) return bounds;
  const hasExtension = (bytes[0] & 0x10) !== 0;
  // werift parses only the validated header (its extension loop stops at the declared length;
  // elements running past it are cut to the header here).
  let header: RtpHeader;
  try {
    header = RtpHeader.deSerialize(asBuffer(bytes.subarray(0, bounds.start)));
  } catch (error) {
    return new RtpParseError('EEXTENSION', `RTP header extension elements are malformed (${messageOf(error)})`);
  }
  const extensionsEnd = bounds.start;
  const extensions: RtpExtension[] = hasExtension ? header.extensions.map((e: Extension) => ({ id: e.id, payload: clip(e.payload, bytes, extensionsEnd) })) : [];
  return {
    payloadType: header.payloadType,
    marker: header.marker,
    sequence: header.sequenceNumber,
    timestamp: header.timestamp >>> 0,
    ssrc: header.ssrc >>> 0,
    csrcs: header.csrc,
    extensionProfile: hasExtension ? header.extensionProfile : undefined,
    extensions,
    paddingBytes: bounds.paddingBytes,
    payload: bytes.subarray(bounds.start, bounds.end),
  };
}

/** An extension element view never reaches past the header. */
function clip(payload: Uint8Array, packet: Uint8Array, headerEnd: number): Uint8Array {
  const offset = payload.byteOffset - packet.byteOffset;
  const end = Math.min(offset + payload.length, headerEnd);
  return end <= offset ? new Uint8Array(0) : payload;
}

/**
 * Fixed header fields without werift and without allocation, for the replay hot path (the
 * fields every packet needs). Call only on bytes rtpPayloadBounds accepted.
 */
export function rtpSequence(bytes: Uint8Array): number {
  return (bytes[2] << 8) | bytes[3];
}
export function rtpTimestamp(bytes: Uint8Array): number {
  return ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0;
}
export function rtpSsrc(bytes: Uint8Array): number {
  return ((bytes[8] << 24) | (bytes[9] << 16) | (bytes[10] << 8) | bytes[11]) >>> 0;
}
export function rtpPayloadType(bytes: Uint8Array): number {
  return bytes[1] & 0x7f;
}
export function rtpMarker(bytes: Uint8Array): boolean {
  return (bytes[1] & 0x80) !== 0;
}

export interface RtpPacketFields {
  readonly payloadType: number;
  readonly marker?: boolean;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs?: readonly number[];
  /** RFC 8285 one-byte elements (id 1-14, 1-16 bytes each). */
  readonly extensions?: readonly RtpExtension[];
  /** Padding bytes to add (1-255). */
  readonly padding?: number;
  readonly payload: Uint8Array;
}

/** Serialises an RTP packet with werift-rtp. */
export function serializeRtp(fields: RtpPacketFields): Uint8Array {
  const extensions = fields.extensions ?? [];
  const header = new RtpHeader({
    payloadType: fields.payloadType,
    marker: fields.marker ?? false,
    sequenceNumber: fields.sequence & 0xffff,
    timestamp: fields.timestamp >>> 0,
    ssrc: fields.ssrc >>> 0,
    csrc: [...(fields.csrcs ?? [])],
    csrcLength: fields.csrcs?.length ?? 0,
    extension: extensions.length > 0,
    extensionProfile: ONE_BYTE_PROFILE,
    extensions: extensions.map((e) => ({ id: e.id, payload: Buffer.from(e.payload) })),
    padding: (fields.padding ?? 0) > 0,
    paddingSize: fields.padding ?? 0,
  });
  const packet = new RtpPacket(header, Buffer.from(fields.payload));
  return new Uint8Array(packet.serialize());
}

/** Serialises RTCP packets (SR, RR, SDES, feedback) into one compound packet with werift-rtp. */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const parts = packets.map((p) => p.serialize());
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** RTCP compound packet through werift; undefined when werift cannot parse it. */
export function parseRtcp(bytes: Uint8Array): RtcpPacket[] | undefined {
  if (!looksLikeRtcp(bytes)) return undefined;
  try {
    return RtcpPacketConverter.deSerialize(asBuffer(bytes));
  } catch {
    return undefined;
  }
}
