// SIP digest authentication as a server (RFC 3261 §22, RFC 7616 with RFC 8760's SHA-256 for
// SIP; MD5 only for PBXs that know nothing else), for peers that cannot be pinned by address.
// Nonces are stateless: `<issued ms>.<HMAC(key, issued ms | source address)>`, so a challenge
// survives no restart of another instance but needs no table, and a nonce taken from one source
// is worthless from another. Pure functions: the caller owns the key and the clock.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

export interface DigestUser {
  readonly name: string;
  readonly password: string;
}

export interface DigestOptions {
  readonly realm: string;
  readonly users: readonly DigestUser[];
  /** Server secret for nonces (32 random bytes per process is enough). */
  readonly key: Buffer;
  /** How long a nonce is accepted, ms (RFC 7616 §3.3 leaves it to the server). */
  readonly nonceTtlMs: number;
  /** Offer MD5 beside SHA-256 (older PBXs). */
  readonly allowMd5: boolean;
}

/** The auth-params of one Authorization value, names lower case, quotes removed. */
export type DigestParams = ReadonlyMap<string, string>;

/** Longest Authorization value we read; real ones are a few hundred bytes. */
const MAX_VALUE = 4096;

/**
 * `Digest a=b, c="d"`: the parameters, or undefined when the value is not Digest or is malformed
 * (unterminated quote, a duplicate parameter, no `=`).
 */
export function parseDigestCredentials(value: string): DigestParams | undefined {
  if (value.length > MAX_VALUE) return undefined;
  const m = /^\s*Digest\s+/i.exec(value);
  if (m === null) return undefined;
  const params = new Map<string, string>();
  const item = /\s*([A-Za-z0-9\-_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(,|$)/y;
  item.lastIndex = m[0].length;
  while (item.lastIndex < value.length) {
    const at = item.lastIndex;
    const p = item.exec(value);
    if (p === null || item.lastIndex === at) return undefined;
    const name = p[1].toLowerCase();
    if (params.has(name)) return undefined;
    params.set(name, p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]);
    if (p[4] === '') break;
  }
  return params.size > 0 ? params : undefined;
}

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text, 'utf8')
    .digest('hex');
}

function nonceMac(key: Buffer, issued: string, source: string): string {
  return createHmac('sha256', key).update(`${issued}|${source}`).digest('base64url');
}

export function makeNonce(key: Buffer, source: string, nowMs: number): string {
  const issued = String(Math.floor(nowMs));
  return `${issued}.${nonceMac(key, issued, source)}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type NonceCheck = 'valid' | 'stale' | 'invalid';

export function checkNonce(key: Buffer, nonce: string, source: string, nowMs: number, ttlMs: number): NonceCheck {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(nonce);
  if (m === null || !safeEqual(m[2], nonceMac(key, m[1], source))) return 'invalid';
  const age = nowMs - Number(m[1]);
  if (age < 0) return 'invalid';
  return age > ttlMs ? 'stale' : 'valid';
}

/** WWW-Authenticate values for a 401, strongest first (RFC 8760 §2.4). */
export function challenges(options: DigestOptions, source: string, nowMs: number, stale = false): string[] {
  const nonce = makeNonce(options.key, source, nowMs);
  const algorithms: DigestAlgorithm[] = options.allowMd5 ? ['SHA-256', 'MD5'] : ['SHA-256'];
  return algorithms.map((a) => `Digest realm="${options.realm}", nonce="${nonce}", algorithm=${a}, qop="auth"${stale ? ', stale=true' : ''}`);
}

export type DigestVerdict = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly stale: boolean };

/**
 * Checks one request's Authorization value. `method` and the credentials' `uri` enter the hash
 * (RFC 7616 §3.4.3: A2 = method ":" uri); the response is compared in constant time.
 */
export function verifyDigest(options: DigestOptions, credentials: string | undefined, method: string, source: string, nowMs: number): DigestVerdict {
  const refused = { ok: false, stale: false } as const;
  if (credentials === undefined) return refused;
  const p = parseDigestCredentials(credentials);
  if (p === undefined) return refused;
  const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
  if (algorithm !== 'SHA-256' && !(algorithm === 'MD5' && options.allowMd5)) return refused;
  const username = p.get('username');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  if (username === undefined || nonce === undefined || uri === undefined || response === undefined) return refused;
  if (p.get('realm') !== options.realm) return refused;
  const user = options.users.find((u) => u.name === username);
  if (user === undefined) return refused;
  const nonceState = checkNonce(options.key, nonce, source, nowMs, options.nonceTtlMs);
  if (nonceState === 'invalid') return refused;
  const alg = algorithm as DigestAlgorithm;
  const ha1 = hash(alg, `${user.name}:${options.realm}:${user.password}`);
  const ha2 = hash(alg, `${method}:${uri}`);
  const qop = p.get('qop');
  let expected: string;
  if (qop === undefined) expected = hash(alg, `${ha1}:${nonce}:${ha2}`);
  else {
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    if (qop !== 'auth' || nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc) || cnonce === undefined) return refused;
    expected = hash(alg, `${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  }
  if (!safeEqual(expected, response.toLowerCase())) return refused;
  // A right answer to an old nonce: the peer knows the password, it only needs a fresh nonce.
  if (nonceState === 'stale') return { ok: false, stale: true };
  return { ok: true, user: user.name };
}

/** The client side, for tests and `toneguard verify`-style tools: an Authorization value. */
export function digestAuthorization(challenge: string, user: DigestUser, method: string, uri: string, cnonce: string): string | undefined {
  const c = parseDigestCredentials(challenge);
  const realm = c?.get('realm');
  const nonce = c?.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const alg = ((c?.get('algorithm') ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : 'MD5') as DigestAlgorithm;
  const nc = '00000001';
  const ha1 = hash(alg, `${user.name}:${realm}:${user.password}`);
  const ha2 = hash(alg, `${method}:${uri}`);
  const response = hash(alg, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user.name}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${alg}, cnonce="${cnonce}", qop=auth, nc=${nc}`;
}
