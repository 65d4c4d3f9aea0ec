// The parts of SDP (RFC 8866) replay needs: each audio m= line's connection address and port,
// and its payload types (rtpmap, or the static ones of RFC 3551 §6).

export interface SdpPayloadType {
  readonly payloadType: number;
  /** Encoding name as written (PCMU, PCMA, opus, telephone-event, ...). */
  readonly encoding: string;
  /** Hz. */
  readonly clockRate: number;
  readonly channels: number;
}

export interface SdpMedia {
  readonly media: string;
  /** Connection address (c=, media level over session level); undefined if absent. */
  readonly address: string | undefined;
  readonly port: number;
  readonly payloadTypes: readonly SdpPayloadType[];
}

/** RFC 3551 §6, the audio ones replay can name. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, SdpPayloadType> = new Map([
  [0, { payloadType: 0, encoding: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { payloadType: 3, encoding: 'GSM', clockRate: 8000, channels: 1 }],
  [8, { payloadType: 8, encoding: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { payloadType: 9, encoding: 'G722', clockRate: 8000, channels: 1 }],
  [13, { payloadType: 13, encoding: 'CN', clockRate: 8000, channels: 1 }],
  [18, { payloadType: 18, encoding: 'G729', clockRate: 8000, channels: 1 }],
]);

export function staticPayloadType(pt: number): SdpPayloadType | undefined {
  return STATIC_PAYLOAD_TYPES.get(pt);
}

/** c=IN IP4 127.0.0.1 (or IP6); multicast TTL suffixes dropped. */
function connectionAddress(value: string): string | undefined {
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3 || parts[0] !== 'IN') return undefined;
  return parts[2].split('/')[0];
}

export function parseSdp(body: string): SdpMedia[] {
  const media: { media: string; address: string | undefined; port: number; formats: number[]; rtpmap: Map<number, SdpPayloadType> }[] = [];
  let sessionAddress: string | undefined;
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const type = line[0];
    const value = line.slice(2);
    const current = media[media.length - 1];
    if (type === 'm') {
      const parts = value.split(/\s+/);
      const port = Number(parts[1]?.split('/')[0]);
      if (parts.length < 3 || !Number.isInteger(port) || port < 0 || port > 65535) continue;
      const formats = parts
        .slice(3)
        .map(Number)
        .filter((pt) => Number.isInteger(pt) && pt >= 0 && pt <= 127);
      media.push({ media: parts[0], address: undefined, port, formats, rtpmap: new Map() });
    } else if (type === 'c') {
      if (current === undefined) sessionAddress = connectionAddress(value);
      else current.address = connectionAddress(value);
    } else if (type === 'a' && current !== undefined && value.startsWith('rtpmap:')) {
      const match = /^rtpmap:(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(value);
      if (match === null) continue;
      const pt = Number(match[1]);
      if (pt > 127) continue;
      current.rtpmap.set(pt, { payloadType: pt, encoding: match[2], clockRate: Number(match[3]), channels: match[4] === undefined ? 1 : Number(match[4]) });
    }
  }
  return media.map((m) => ({
    media: m.media,
    address: m.address ?? sessionAddress,
    port: m.port,
    payloadTypes: m.formats.flatMap((pt) => {
      const known = m.rtpmap.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
      return known === undefined ? [] : [known];
    }),
  }));
}
