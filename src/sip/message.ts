// SIP message parsing and serialisation for the stack (RFC 3261 §7, §25), strict enough for the
// RFC 4475 torture tests: exact start lines, folded and compact headers, LWS around colons,
// Content-Length over bytes, the mandatory headers of §8.1.1 checked and parsed. Never throws:
// bad input is a SipParseError with the status to answer (see sip-error.ts). The one SIP parser:
// captures (replay, scan) are read with it too, in its `capture` mode.
import { parseCSeq, parseNameAddr, parseSipUri, parseVia, isToken } from './grammar.js';
import { applyOptions, canonicalHeaderName, SipHeaders, type MessageOptions, type SipMessage, type SipRequest, type SipResponse } from './message-types.js';
import { SipParseError } from './sip-error.js';

export interface ParseLimits {
  /** Largest message in bytes, headers and body (over it: 513; a declared body over it: 413). */
  readonly maxMessageBytes: number;
  /** Most header fields (after unfolding; over it: 400). */
  readonly maxHeaders: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxMessageBytes: 65_535, maxHeaders: 256 };

/**
 * `strict`: the live edge, where whatever RFC 3261 says to refuse is a SipParseError.
 * `capture`: reading a capture (replay, scan). A message is read as far as its syntax goes: its
 * start line, the header lines that are well formed (others are skipped), and its body as far as
 * it was captured (a snap length may cut it), without the checks of the headers' content
 * (§8.1.1). A message a server would refuse may still carry a card number that some receiver
 * reads, and scan must find it.
 */
export type SipParseMode = 'strict' | 'capture';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Headers whose value must be one name-addr (§20.10, §20.20, §20.39). */
const ADDRESS_HEADERS = ['to', 'from'];
/** RFC 1123 date in GMT (§20.17). */
const SIP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export interface HeadEnd {
  /** Offset of the first body byte. */
  readonly bodyStart: number;
  /** Length of the header section (start line included, terminating blank line excluded). */
  readonly headEnd: number;
}

/** Where the header section of a buffer ends (CRLF CRLF, or LF LF from lax senders). */
export function findHeadEnd(buf: Buffer, from = 0): HeadEnd | undefined {
  const crlf = buf.indexOf(CRLFCRLF, from);
  const lf = buf.indexOf(LFLF, from);
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { headEnd: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { headEnd: lf, bodyStart: lf + 2 };
  return undefined;
}

/** Leading CRLFs are skipped (§7.5) and keep-alives (RFC 5626 §3.5.1) are nothing. */
export function skipLeadingCrlf(buf: Buffer, from = 0): number {
  let i = from;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

/** Strips SP and HTAB only (String.trim would also eat a U+FEFF that is part of a value). */
function trimLws(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

interface Head {
  readonly startLine: string;
  readonly headers: SipHeaders;
}

/** The fields read so far, and the first error (the fields before it can still address a 400). */
function parseHead(text: string, limits: ParseLimits, skipBadLines: boolean): Head & { readonly error: SipParseError | undefined } {
  const lines = text.split(/\r?\n/);
  const startLine = lines[0];
  const headers = new SipHeaders();
  let name: string | undefined;
  let value = '';
  const flush = (): SipParseError | undefined => {
    if (name === undefined) return undefined;
    if (headers.size >= limits.maxHeaders) return new SipParseError(400, 'too many header fields');
    if (!isToken(name)) return new SipParseError(400, 'invalid header name');
    headers.append(name, trimLws(value));
    return undefined;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > 0 && (line[0] === ' ' || line[0] === '\t')) {
      // Folded continuation (§7.3.1): replaced by one SP.
      if (name === undefined) {
        if (skipBadLines) continue;
        return { startLine, headers, error: new SipParseError(400, 'continuation line before any header') };
      }
      value += ' ' + trimLws(line);
      continue;
    }
    const err = flush();
    name = undefined;
    if (err !== undefined && !skipBadLines) return { startLine, headers, error: err };
    const colon = line.indexOf(':');
    if (colon <= 0) {
      if (skipBadLines) continue;
      return { startLine, headers, error: new SipParseError(400, 'header line without a name and colon') };
    }
    name = line.slice(0, colon).replace(/[ \t]+$/, '');
    value = line.slice(colon + 1);
  }
  const err = flush();
  return { startLine, headers, error: skipBadLines ? undefined : err };
}

/**
 * One SIP message from the start of `buf` (a datagram, or a frame cut by `frameLength`).
 * Bytes after the declared Content-Length are ignored (RFC 4475 §3.1.1.8); a body shorter than
 * it is an error (§3.1.2.2) in strict mode; no Content-Length means the rest of the buffer
 * (datagrams, §18.3). `mode`: see SipParseMode.
 */
export function parseSipMessage(buf: Buffer, limits: ParseLimits = DEFAULT_PARSE_LIMITS, mode: SipParseMode = 'strict'): SipMessage | SipParseError {
  if (buf.length > limits.maxMessageBytes) return new SipParseError(513, `message of ${buf.length} bytes over ${limits.maxMessageBytes}`);
  const capture = mode === 'capture';
  const start = skipLeadingCrlf(buf);
  const found = findHeadEnd(buf, start);
  // A datagram without the blank line is read to its end, to address the 400 if possible.
  const end = found ?? { headEnd: buf.length, bodyStart: buf.length };
  const head = parseHead(buf.toString('utf8', start, end.headEnd), limits, capture);
  const { startLine, headers } = head;
  const headError = head.error ?? (found === undefined && !capture ? new SipParseError(400, 'no end of header section') : undefined);

  let message: SipMessage;
  if (startLine.startsWith('SIP/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2); empty reason allowed.
    const m = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/.exec(startLine);
    if (m === null) return new SipParseError(400, 'bad status line');
    message = { kind: 'response', status: Number(m[1]), reason: m[2] ?? '', headers, body: Buffer.alloc(0) };
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version (§7.1): exactly one SP each.
    const parts = startLine.split(' ');
    const method = /^[A-Za-z0-9\-.!%*_+`'~]+/.exec(parts[0])?.[0] ?? 'UNKNOWN';
    message = { kind: 'request', method, uri: parts[1] ?? '', headers, body: Buffer.alloc(0) };
    const partial = addressable(message) ? message : undefined;
    if (parts.length !== 3 || !isToken(parts[0]) || parts[1].length === 0) return new SipParseError(400, 'bad request line', partial);
    if (!/^SIP\/\d+\.\d+$/i.test(parts[2])) return new SipParseError(400, 'bad request line', partial);
    if (parts[2].toUpperCase() !== 'SIP/2.0') return new SipParseError(505, 'version not supported', partial);
    const uriError = checkRequestUri(parts[1]);
    if (uriError !== undefined) return new SipParseError(uriError.status, uriError.message, partial);
  }
  const partial = message.kind === 'request' && addressable(message) ? message : undefined;
  if (headError !== undefined) return new SipParseError(headError.status, headError.message, partial);

  // Content-Length (§20.14): one non-negative integer; several different values are an error.
  const lengths = headers.getAll('content-length');
  let bodyLength = buf.length - end.bodyStart;
  if (lengths.length > 0 && capture) {
    // As much of the declared body as was captured; without one sound value, the rest.
    const declared = Number(lengths[0]);
    if (/^\d{1,10}$/.test(lengths[0]) && declared < bodyLength) bodyLength = declared;
  } else if (lengths.length > 0) {
    if (!lengths.every((l) => /^\d{1,10}$/.test(l)) || new Set(lengths.map(Number)).size !== 1) {
      return new SipParseError(400, 'bad Content-Length', partial);
    }
    const declared = Number(lengths[0]);
    if (declared > limits.maxMessageBytes) return new SipParseError(413, 'Content-Length over the message limit', partial);
    if (declared > bodyLength) return new SipParseError(400, 'body shorter than Content-Length', partial);
    bodyLength = declared;
  }
  message.body = Buffer.from(buf.subarray(end.bodyStart, end.bodyStart + bodyLength));

  if (capture) return message;
  const semantic = checkHeaders(message);
  if (semantic !== undefined) return new SipParseError(400, semantic, partial);
  return message;
}

/** 400 for a Request-URI that is not a URI, has brackets or headers; 416 for an unknown scheme. */
function checkRequestUri(uri: string): { status: number; message: string } | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+\-.]*:[^\s<>"]+$/.test(uri)) return { status: 400, message: 'bad Request-URI' };
  if (/^sips?:/i.test(uri)) {
    const parsed = parseSipUri(uri);
    if (parsed === undefined) return { status: 400, message: 'bad Request-URI' };
    // Headers are not allowed in a Request-URI (§19.1.1 table); RFC 4475 §3.1.2.11 allows 400.
    if (parsed.headers.size > 0) return { status: 400, message: 'headers in the Request-URI' };
    return undefined;
  }
  if (/^(tel|urn):/i.test(uri)) return undefined;
  return { status: 416, message: 'unsupported URI scheme' };
}

/**
 * Enough to address a response (§18.2.2): a readable top Via. The response copies whatever
 * Call-ID, CSeq, From and To there are, so a sender can match it when those are sound.
 */
function addressable(req: SipRequest): boolean {
  const via = req.headers.list('via')[0];
  return via !== undefined && /^SIP[ \t]*\/[ \t]*\d+\.\d+[ \t]*\/[ \t]*[A-Za-z]+[ \t]+[^\s;,]+/i.test(via);
}

/** The mandatory headers (§8.1.1, §20) present and well formed; a reason or undefined. */
function checkHeaders(message: SipMessage): string | undefined {
  const h = message.headers;
  const vias = h.list('via');
  if (vias.length === 0) return 'no Via';
  if (h.getAll('via').some((line) => line.trim().endsWith(',') || /,\s*,/.test(line))) return 'empty Via element';
  for (const v of vias) if (parseVia(v) === undefined) return 'bad Via';
  const callIds = h.getAll('call-id');
  if (callIds.length !== 1 || !/^[^\s]+$/.test(callIds[0])) return 'bad or missing Call-ID';
  const cseqs = h.getAll('cseq');
  const cseq = cseqs.length === 1 ? parseCSeq(cseqs[0]) : undefined;
  if (cseq === undefined) return 'bad or missing CSeq';
  for (const name of ADDRESS_HEADERS) {
    const values = h.getAll(name);
    if (values.length !== 1 || parseNameAddr(values[0]) === undefined) return `bad or missing ${name}`;
  }
  for (const c of h.list('contact')) if (c !== '*' && parseNameAddr(c) === undefined) return 'bad Contact';
  for (const name of ['route', 'record-route']) for (const r of h.list(name)) if (parseNameAddr(r) === undefined) return `bad ${name}`;
  const date = h.get('date');
  if (date !== undefined && !SIP_DATE.test(date)) return 'bad Date';
  if (message.kind === 'request') {
    if (cseq.method !== message.method) return 'CSeq method does not match the request method';
    const mf = h.get('max-forwards');
    // Required in requests (§8.1.1.6); 0-255 (§20.22).
    if (mf === undefined || !/^\d{1,10}$/.test(mf) || Number(mf) > 255) return 'bad or missing Max-Forwards';
    const expires = h.get('expires');
    if (expires !== undefined && !/^\d{1,10}$/.test(expires)) return 'bad Expires';
  }
  return undefined;
}

export function serializeSipMessage(message: SipMessage): Buffer {
  let head = message.kind === 'request' ? `${message.method} ${message.uri} SIP/2.0\r\n` : `SIP/2.0 ${message.status} ${message.reason}\r\n`;
  for (const f of message.headers.entries()) {
    if (f.key === 'content-length') continue;
    head += `${canonicalHeaderName(f.key)}: ${f.value}\r\n`;
  }
  head += `Content-Length: ${message.body.length}\r\n\r\n`;
  return message.body.length === 0 ? Buffer.from(head, 'utf8') : Buffer.concat([Buffer.from(head, 'utf8'), message.body]);
}

/** RFC 3261 §21 reason phrases for the codes the stack and the call control send. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
};

/**
 * A response to `req` (§8.2.6): Via (all, in order), From, To, Call-ID and CSeq copied; a To tag
 * added when `toTag` is given and the request's To has none (not for 100, §8.2.6.2).
 */
export function createResponse(req: SipRequest, status: number, reason?: string, options?: MessageOptions & { readonly toTag?: string }): SipResponse {
  const headers = new SipHeaders();
  for (const v of req.headers.getAll('via')) headers.append('via', v);
  const from = req.headers.get('from');
  if (from !== undefined) headers.append('from', from);
  let to = req.headers.get('to');
  if (to !== undefined && status !== 100 && options?.toTag !== undefined && !/;\s*tag\s*=/i.test(to)) to = `${to};tag=${options.toTag}`;
  if (to !== undefined) headers.append('to', to);
  const callId = req.headers.get('call-id');
  if (callId !== undefined) headers.append('call-id', callId);
  const cseq = req.headers.get('cseq');
  if (cseq !== undefined) headers.append('cseq', cseq);
  // A UAS copies the Record-Route of a dialog-creating request into its 101-299 answers
  // (RFC 3261 §12.1.1), so the caller's in-dialog requests come back through the proxies too.
  if (status > 100 && status < 300 && (req.method === 'INVITE' || req.method === 'SUBSCRIBE')) {
    for (const rr of req.headers.getAll('record-route')) headers.append('record-route', rr);
  }
  if (status === 100) {
    const ts = req.headers.get('timestamp');
    if (ts !== undefined) headers.append('timestamp', ts); // §8.2.6.1
  }
  const body = applyOptions(headers, options);
  return { kind: 'response', status, reason: reason ?? REASON_PHRASES[status] ?? 'Unknown', headers, body };
}

export interface RequestInit extends MessageOptions {
  readonly method: string;
  readonly uri: string;
  /** From value (a tag is added when it has none). */
  readonly from: string;
  readonly to: string;
  readonly callId?: string;
  readonly cseq?: number;
  readonly contact?: string;
  readonly maxForwards?: number;
}

/** A request outside any dialog (§8.1.1); the stack adds the Via when it sends it. */
export function createRequest(init: RequestInit, ids: { newTag: () => string; newCallId: () => string }): SipRequest {
  const headers = new SipHeaders();
  headers.append('max-forwards', String(init.maxForwards ?? 70));
  headers.append('from', /;\s*tag\s*=/i.test(init.from) ? init.from : `${init.from};tag=${ids.newTag()}`);
  headers.append('to', init.to);
  headers.append('call-id', init.callId ?? ids.newCallId());
  headers.append('cseq', `${init.cseq ?? 1} ${init.method}`);
  if (init.contact !== undefined) headers.append('contact', init.contact);
  const body = applyOptions(headers, init);
  return { kind: 'request', method: init.method, uri: init.uri, headers, body };
}
