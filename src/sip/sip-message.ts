// Just enough SIP (RFC 3261 §7) to read captures: start line, headers (compact forms, §7.3.3),
// body by Content-Length. Anything that is not a well-formed SIP message is `undefined`: a capture
// is full of other UDP traffic.

export interface SipMessage {
  /** Request method (INVITE, INFO, ...), or undefined for a response. */
  readonly method: string | undefined;
  /** Response status code, or undefined for a request. */
  readonly status: number | undefined;
  /** Lower-case full header names -> values, in order (repeated headers keep every value). */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
}

const COMPACT_HEADERS: Readonly<Record<string, string>> = {
  i: 'call-id',
  c: 'content-type',
  l: 'content-length',
  f: 'from',
  t: 'to',
  v: 'via',
  m: 'contact',
  e: 'content-encoding',
  k: 'supported',
  s: 'subject',
};

const REQUEST_LINE = /^([A-Z]+) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6][0-9]{2})(?: .*)?$/;
/** Enough of a start line to tell SIP from RTP before decoding text. */
const MIN_SIP_BYTES = 12;

/** A first byte that can start a SIP message: an upper-case letter (method or "SIP/2.0"). */
export function maybeSip(bytes: Uint8Array): boolean {
  return bytes.length >= MIN_SIP_BYTES && bytes[0] >= 0x41 && bytes[0] <= 0x5a;
}

export function header(message: SipMessage, name: string): string | undefined {
  return message.headers.get(name)?.[0];
}

export function parseSipMessage(bytes: Uint8Array): SipMessage | undefined {
  if (!maybeSip(bytes)) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n');
  const lfEnd = headerEnd < 0 ? text.indexOf('\n\n') : -1;
  const head = headerEnd >= 0 ? text.slice(0, headerEnd) : lfEnd >= 0 ? text.slice(0, lfEnd) : text;
  const bodyStart = headerEnd >= 0 ? headerEnd + 4 : lfEnd >= 0 ? lfEnd + 2 : text.length;
  const lines = head.split(/\r?\n/);
  const startLine = lines[0];
  const request = REQUEST_LINE.exec(startLine);
  const response = request === null ? STATUS_LINE.exec(startLine) : null;
  if (request === null && response === null) return undefined;
  const headers = new Map<string, string[]>();
  let last: string[] | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined && last.length > 0) {
      last[last.length - 1] += ` ${line.trim()}`; // folded header line (§7.3.1)
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT_HEADERS[name] ?? name;
    const value = line.slice(colon + 1).trim();
    last = headers.get(name);
    if (last === undefined) {
      last = [];
      headers.set(name, last);
    }
    last.push(value);
  }
  let body = text.slice(bodyStart);
  const declared = Number(headers.get('content-length')?.[0]);
  if (Number.isInteger(declared) && declared >= 0 && declared < body.length) body = body.slice(0, declared);
  return {
    method: request !== null ? request[1] : undefined,
    status: response !== null ? Number(response[1]) : undefined,
    headers,
    body,
  };
}
