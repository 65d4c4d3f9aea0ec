// Who may call what on the HTTP side. Two roles:
// - master: the bearer token `http.token` (the CTI or admin side), only in the Authorization
//   header: a URL ends up in browser history, proxy logs and Referer headers, so a URL that
//   carries the master token is refused outright;
// - widget: a signed token scoped to one call and a few actions (widget-token.ts), given to an
//   agent's browser; it may sit in `?token=` because EventSource cannot send headers.
// With no master token (the development default) only loopback clients are served, and only
// when the Host header names loopback with our port: a page on another site that rebinds its
// DNS name to 127.0.0.1 sends its own name as Host and is turned away (DNS rebinding).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { WidgetScope, WidgetTokens } from './widget-token.js';

/** What a route allows: anyone (health, the static widget page), the master token only, or a widget token with that scope on the route's call. */
export type RouteAccess = 'public' | 'master' | WidgetScope;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Default: master. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type Principal = { readonly kind: 'master' } | { readonly kind: 'loopback' } | { readonly kind: 'widget'; readonly callId: string; readonly scopes: readonly WidgetScope[] };

export interface AuthOptions {
  /** Empty: loopback clients only, Host checked. */
  readonly token: string;
  readonly widgetTokens: WidgetTokens;
  /** Maps any id a route accepts for a call (either leg's Call-ID) to the id widget tokens are minted for. */
  readonly resolveCallId: (id: string) => string | undefined;
  /** Whether the listener speaks TLS (the default port of a Host header without one). */
  readonly tls: boolean;
}

export type AuthDecision = { readonly ok: true; readonly principal: Principal | null } | { readonly ok: false; readonly status: 401 | 403 | 421; readonly code: string; readonly error: string };

const LOOPBACK_PEERS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A Host header (RFC 9110 §7.2) naming loopback and the port the request arrived on. */
export function isLoopbackHost(host: string | undefined, localPort: number | undefined, tls: boolean): boolean {
  if (host === undefined || localPort === undefined) return false;
  const m = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!m || !LOOPBACK_HOSTS.has(m[1])) return false;
  const port = m[2] === undefined ? (tls ? 443 : 80) : Number(m[2]);
  return port === localPort;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return /^Bearer\s+(\S+)$/i.exec(header)?.[1];
}

function queryToken(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === 'string' ? query.token : undefined;
}

function routeCallId(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const id = params?.id ?? params?.callId;
  return typeof id === 'string' ? id : undefined;
}

const UNAUTHORISED: AuthDecision = { ok: false, status: 401, code: 'ERR_UNAUTHORISED', error: 'unauthorised' };

export function authorise(request: FastifyRequest, access: RouteAccess, options: AuthOptions): AuthDecision {
  if (options.token === '') {
    // Public routes hold nothing a rebinding page could steal (health, the static widget page).
    if (access === 'public') return { ok: true, principal: null };
    if (!isLoopbackHost(request.headers.host, request.socket.localPort, options.tls)) {
      return { ok: false, status: 421, code: 'ERR_HOST_NOT_LOOPBACK', error: 'without http.token only loopback hosts (localhost, 127.0.0.1, [::1]) with this port are served' };
    }
    return LOOPBACK_PEERS.has(request.socket.remoteAddress ?? '') ? { ok: true, principal: { kind: 'loopback' } } : UNAUTHORISED;
  }
  const inUrl = queryToken(request);
  if (inUrl !== undefined && tokenMatches(inUrl, options.token)) {
    return { ok: false, status: 401, code: 'ERR_MASTER_TOKEN_IN_URL', error: 'the master token is not accepted in a URL: send it as "Authorization: Bearer", or mint a widget token' };
  }
  if (access === 'public') return { ok: true, principal: null };
  const inHeader = bearer(request);
  if (inHeader !== undefined && tokenMatches(inHeader, options.token)) return { ok: true, principal: { kind: 'master' } };
  const given = inHeader ?? inUrl;
  const grant = given === undefined ? undefined : options.widgetTokens.verify(given);
  if (grant === undefined) return UNAUTHORISED;
  const principal: Principal = { kind: 'widget', callId: grant.callId, scopes: grant.scopes };
  if (access === 'master' || !grant.scopes.includes(access)) {
    return { ok: false, status: 403, code: 'ERR_FORBIDDEN', error: 'a widget token does not allow this route' };
  }
  const asked = routeCallId(request);
  if (asked === undefined || (asked !== grant.callId && options.resolveCallId(asked) !== grant.callId)) {
    return { ok: false, status: 403, code: 'ERR_FORBIDDEN', error: 'this widget token is for another call' };
  }
  return { ok: true, principal };
}
