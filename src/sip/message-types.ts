// SIP message values (RFC 3261 §7): requests, responses, and their headers as a case-insensitive
// multimap whose names are stored in full form (compact forms of §7.3.3 and RFC 3262/3515/4028
// expanded on the way in), in arrival order.

/** Compact header forms (RFC 3261 §7.3.3, §20; RFC 3515 r/b; RFC 3841 a, j, d; RFC 4028 x). */
export const COMPACT_HEADER_NAMES: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** How names are written on the wire, for the common ones; others are title-cased per word. */
const CANONICAL: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
};

/** Lower-case full name of a header, compact forms expanded. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT_HEADER_NAMES[lower] ?? lower;
}

export function canonicalHeaderName(key: string): string {
  const known = CANONICAL[key];
  if (known !== undefined) return known;
  return key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

export interface SipHeaderField {
  /** Lower-case full name. */
  readonly key: string;
  readonly value: string;
}

/** Case-insensitive multimap of header fields, in order. Values are unfolded and trimmed. */
export class SipHeaders {
  private fields: SipHeaderField[];

  constructor(fields: Iterable<readonly [string, string]> = []) {
    this.fields = [];
    for (const [name, value] of fields) this.append(name, value);
  }

  /** First value of the header, or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** Every field value of the header, one per header line (comma lists not split: see `list`). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    return this.fields.filter((f) => f.key === key).map((f) => f.value);
  }

  /**
   * Every element of a comma-separated list header (Via, Route, Record-Route, Contact, Allow,
   * Supported, ...) over all its lines (§7.3.1), commas inside quotes and <> kept.
   */
  list(name: string): string[] {
    return this.getAll(name).flatMap((v) => splitList(v));
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every field of the name with one (or removes them when value is undefined). */
  set(name: string, value: string | undefined): this {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => f.key === key);
    this.fields = this.fields.filter((f) => f.key !== key);
    if (value !== undefined) this.fields.splice(at < 0 ? this.fields.length : at, 0, { key, value });
    return this;
  }

  append(name: string, value: string): this {
    this.fields.push({ key: headerKey(name), value });
    return this;
  }

  /** Inserts before every other field of that name (a new top Via or Record-Route). */
  prepend(name: string, value: string): this {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => f.key === key);
    this.fields.splice(at < 0 ? this.fields.length : at, 0, { key, value });
    return this;
  }

  delete(name: string): this {
    const key = headerKey(name);
    this.fields = this.fields.filter((f) => f.key !== key);
    return this;
  }

  /** Removes the first element of a list header (the top Via), whether alone on its line or not. */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => f.key === key);
    if (at < 0) return undefined;
    const items = splitList(this.fields[at].value);
    const first = items.shift();
    if (items.length === 0) this.fields.splice(at, 1);
    else this.fields[at] = { key, value: items.join(', ') };
    return first;
  }

  get size(): number {
    return this.fields.length;
  }

  entries(): readonly SipHeaderField[] {
    return this.fields;
  }

  clone(): SipHeaders {
    const copy = new SipHeaders();
    copy.fields = this.fields.slice();
    return copy;
  }
}

/** Splits on commas outside quoted strings and angle brackets (RFC 3261 §7.3.1). */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (c === ',' && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s.length > 0);
}

export interface SipRequest {
  readonly kind: 'request';
  method: string;
  /** Request-URI as written. */
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** The body's media type (type/subtype of Content-Type, parameters dropped), lower-case; '' without one. */
export function mediaTypeOf(message: SipMessage): string {
  return (message.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

export interface MessageOptions {
  /** Extra or replacing headers, name -> value (an array for several fields). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** The body; Content-Length is always computed. A string is UTF-8. */
  readonly body?: Buffer | string;
  /** Content-Type of the body (default none; set it with a body). */
  readonly contentType?: string;
}

/** Applies MessageOptions to a message being built. */
export function applyOptions(headers: SipHeaders, options: MessageOptions | undefined): Buffer {
  if (options?.headers !== undefined) {
    for (const [name, value] of Object.entries(options.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else {
        headers.delete(name);
        for (const v of value as readonly string[]) headers.append(name, v);
      }
    }
  }
  if (options?.contentType !== undefined) headers.set('content-type', options.contentType);
  const body = options?.body;
  return body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
