// Pieces of the RFC 3261 §25 grammar the stack reads and writes: SIP URIs (§19.1), name-addr /
// addr-spec (§20.10, §20.20, §20.39), generic parameters, Via (§20.42), CSeq (§20.16), and the
// random identifiers (branch §8.1.1.7, tag §19.3, Call-ID §8.1.1.4). Pure functions; a parse
// failure is `undefined`, never an exception.
import { randomBytes } from 'node:crypto';

/** token (RFC 3261 §25.1): the characters a method, parameter name or header name may use. */
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
/** A display-name made of tokens separated by LWS (§20.10). */
const TOKEN_WORDS = /^[A-Za-z0-9\-.!%*_+`'~]+(?:[ \t]+[A-Za-z0-9\-.!%*_+`'~]+)*$/;
const HOSTNAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6_REF = /^\[[0-9A-Fa-f:.]+\]$/;
/** Characters of a URI's user, password, parameters and headers (unreserved, escaped, marks). */
const URI_CHARS = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/:[\]@]|%[0-9A-Fa-f]{2})*$/;

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

export function isValidHost(host: string): boolean {
  // RFC 1035 §2.3.4: 255 octets at most (a bracketed IPv6 reference is shorter still).
  if (host.length > 255) return false;
  return IPV4.test(host) || IPV6_REF.test(host) || HOSTNAME.test(host);
}

/** Parameters `;name=value;flag`: lower-case names, values as written (null for a flag). */
export type SipParams = Map<string, string | null>;

export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  /** Still escaped, as written (§19.1.4 compares unescaped; see `unescape`). */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Host name, IPv4 or [IPv6] as written. */
  readonly host: string;
  readonly port: number | undefined;
  readonly params: SipParams;
  /** `?name=value&...`, names as written, values still escaped. */
  readonly headers: ReadonlyMap<string, string>;
}

export function unescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Parameters after a value: `;a=b ; c = "x;y"`. LWS around `;` and `=` is allowed (§25.1 SEMI,
 * EQUAL). Undefined for an empty or malformed parameter.
 */
export function parseParams(text: string): SipParams | undefined {
  // One pass with sticky expressions: no slicing of the rest, so a message full of parameters
  // costs linear time.
  const params: SipParams = new Map();
  const lws = /[ \t]*/y;
  const name = /[A-Za-z0-9\-.!%*_+`'~]+/y;
  const value = /\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.!%*_+`'~:]+/y;
  const skip = (at: number): number => {
    lws.lastIndex = at;
    lws.test(text);
    return lws.lastIndex;
  };
  let i = skip(0);
  while (i < text.length) {
    if (text[i] !== ';') return undefined;
    i = skip(i + 1);
    name.lastIndex = i;
    const n = name.exec(text);
    if (n === null) return undefined;
    i = skip(i + n[0].length);
    let v: string | null = null;
    if (text[i] === '=') {
      i = skip(i + 1);
      if (text[i] === '"') {
        const end = quotedEnd(text, i);
        if (end < 0) return undefined;
        v = text.slice(i, end + 1);
        i = end + 1;
      } else {
        value.lastIndex = i;
        const m = value.exec(text);
        if (m === null) return undefined;
        v = m[0];
        i += m[0].length;
      }
      i = skip(i);
    }
    params.set(n[0].toLowerCase(), v);
  }
  return params;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** Index of the closing quote of the quoted-string starting at `start`, or -1. */
function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** A sip: or sips: URI (§19.1.1, §25.1 SIP-URI). Undefined for other schemes or bad syntax. */
export function parseSipUri(text: string): SipUri | undefined {
  const m = /^(sips?):/i.exec(text);
  if (m === null) return undefined;
  let rest = text.slice(m[0].length);
  if (!URI_CHARS.test(rest)) return undefined;
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    password = colon < 0 ? undefined : userinfo.slice(colon + 1);
    if (user.length === 0) return undefined;
  }
  const hostport = /^(\[[0-9A-Fa-f:.]+\]|[^:;?]+)(?::(\d{1,5}))?/.exec(rest);
  if (hostport === null || !isValidHost(hostport[1])) return undefined;
  const port = hostport[2] === undefined ? undefined : Number(hostport[2]);
  if (port !== undefined && port > 65535) return undefined;
  rest = rest.slice(hostport[0].length);
  const q = rest.indexOf('?');
  const paramText = q < 0 ? rest : rest.slice(0, q);
  const params: SipParams = new Map();
  for (const p of paramText.split(';').slice(1)) {
    if (p.length === 0) return undefined;
    const eq = p.indexOf('=');
    params.set(unescape(eq < 0 ? p : p.slice(0, eq)).toLowerCase(), eq < 0 ? null : p.slice(eq + 1));
  }
  if (paramText.length > 0 && paramText[0] !== ';') return undefined;
  const headers = new Map<string, string>();
  if (q >= 0) {
    for (const h of rest.slice(q + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) return undefined;
      headers.set(h.slice(0, eq), h.slice(eq + 1));
    }
  }
  return { scheme: m[1].toLowerCase() as 'sip' | 'sips', user, password, host: hostport[1], port, params, headers };
}

export function formatSipUri(uri: SipUri): string {
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) out += uri.password === undefined ? `${uri.user}@` : `${uri.user}:${uri.password}@`;
  out += uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatParams(uri.params);
  if (uri.headers.size > 0) out += '?' + [...uri.headers].map(([k, v]) => `${k}=${v}`).join('&');
  return out;
}

/** An absolute URI of any scheme (`scheme:opaque`), as the grammar allows in name-addr. */
function isAbsoluteUri(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+\-.]*:[^\s<>"]+$/.test(text);
}

export interface NameAddr {
  /** Unquoted display name, or undefined. */
  readonly displayName: string | undefined;
  /** The URI as written (any scheme); `parseSipUri` reads sip/sips. */
  readonly uri: string;
  /** Header parameters after the address (tag, expires, q, ...). */
  readonly params: SipParams;
}

/**
 * To, From, Contact, Route, Record-Route, Refer-To value: `"Name" <uri>;params`, `Name <uri>`,
 * `<uri>` or a bare addr-spec whose parameters belong to the header (§20.10). A bare addr-spec
 * with `?`, `,` or `;` in the URI must be in brackets, so a `?` there is an error (RFC 4475
 * §3.1.2.13); spaces inside the brackets are not allowed (§3.1.2.14).
 */
export function parseNameAddr(text: string): NameAddr | undefined {
  const s = text.trim();
  let displayName: string | undefined;
  let uri: string;
  let rest: string;
  if (s.startsWith('"') || s.includes('<')) {
    let i = 0;
    if (s.startsWith('"')) {
      const end = quotedEnd(s, 0);
      if (end < 0) return undefined;
      displayName = s.slice(1, end).replace(/\\(.)/g, '$1');
      i = end + 1;
    }
    const lt = s.indexOf('<', i);
    if (lt < 0) return undefined;
    const between = s.slice(i, lt).trim();
    if (displayName === undefined && between.length > 0) {
      if (!TOKEN_WORDS.test(between)) return undefined;
      displayName = between;
    } else if (displayName !== undefined && between.length > 0) return undefined;
    const gt = s.indexOf('>', lt);
    if (gt < 0) return undefined;
    uri = s.slice(lt + 1, gt);
    rest = s.slice(gt + 1);
  } else {
    const semi = s.indexOf(';');
    uri = (semi < 0 ? s : s.slice(0, semi)).trim();
    rest = semi < 0 ? '' : s.slice(semi);
    if (uri.includes('?')) return undefined;
  }
  if (!isAbsoluteUri(uri)) return undefined;
  if (/^sips?:/i.test(uri) && parseSipUri(uri) === undefined) return undefined;
  const params = parseParams(rest);
  if (params === undefined) return undefined;
  return { displayName, uri, params };
}

export function formatNameAddr(value: NameAddr): string {
  const name = value.displayName === undefined ? '' : `"${value.displayName.replace(/(["\\])/g, '\\$1')}" `;
  return `${name}<${value.uri}>${formatParams(value.params)}`;
}

/** The tag parameter of a To or From value. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const tag = parseNameAddr(value)?.params.get('tag');
  return tag === null ? undefined : tag;
}

export interface Via {
  /** Upper-case: UDP, TCP, TLS, SCTP, WS, or whatever was written. */
  readonly transport: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: SipParams;
  readonly branch: string | undefined;
}

/** One via-parm (§20.42): `SIP / 2.0 / UDP host:port;params`, LWS allowed around `/`. */
export function parseVia(text: string): Via | undefined {
  const m = /^SIP[ \t]*\/[ \t]*2\.0[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+(\[[0-9A-Fa-f:.]+\]|[^ \t:;]+)(?:[ \t]*:[ \t]*(\d{1,5}))?/i.exec(text.trim());
  if (m === null || !isValidHost(m[2])) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && port > 65535) return undefined;
  const params = parseParams(text.trim().slice(m[0].length));
  if (params === undefined) return undefined;
  const branch = params.get('branch');
  if (branch === null) return undefined;
  return { transport: m[1].toUpperCase(), host: m[2], port, params, branch };
}

export function formatVia(via: Via): string {
  return `SIP/2.0/${via.transport} ${via.host}${via.port === undefined ? '' : `:${via.port}`}${formatParams(via.params)}`;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** `CSeq: 0009 INVITE`: the number must be below 2^31 (§8.1.1.5). */
export function parseCSeq(text: string): CSeq | undefined {
  const m = /^(\d{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(text.trim());
  if (m === null) return undefined;
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) return undefined;
  return { seq, method: m[2] };
}

/** The RFC 3261 magic cookie that marks a branch as globally unique (§8.1.1.7). */
export const BRANCH_COOKIE = 'z9hG4bK';

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function newBranch(): string {
  return BRANCH_COOKIE + randomToken(12);
}

/** A From/To tag: 64 bits of randomness (§19.3 asks for at least 32). */
export function newTag(): string {
  return randomToken(8);
}

export function newCallId(host?: string): string {
  return host === undefined ? randomToken(16) : `${randomToken(16)}@${host}`;
}
