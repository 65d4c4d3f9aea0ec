// Where an inbound INVITE goes: the payment URI (endpoint mode, answered by toneguard), or a PBX
// chosen by Request-URI rules, else the static upstream (config `upstream: "sip:host:port"`).
// Pure functions over parsed URIs; URIs compared by user and host (RFC 3261 §19.1.4: user
// case-sensitive after unescaping, host case-insensitive).
import { CodedError } from '../errors.js';
import { parseSipUri, unescape, uriDestination, type SipTransport, type SipUri } from '../sip/sip-stack.js';
import type { UpstreamTarget } from './call-types.js';
import type { Upstream } from './upstream-pool.js';

export class CallConfigError extends CodedError<'call-config-invalid'> {
  constructor(message: string) {
    super('call-config-invalid', message);
  }
}

export interface RouteRule {
  /** Tested against the Request-URI user (unescaped), e.g. /^44/ or /^sales$/. */
  readonly user: RegExp;
  /** The PBX for matching calls, `sip:host:port` (`;transport=tcp` allowed). */
  readonly upstream: string;
}

export type CallTarget =
  | { readonly kind: 'endpoint' }
  | {
      readonly kind: 'b2bua';
      readonly upstream: SipUri;
      /** Request-URI of the outbound INVITE. */
      readonly requestUri: string;
      /** A route rule chose the upstream (else the default upstreams, with failover). */
      readonly fromRule: boolean;
      /** The caller's Request-URI user, still escaped. */
      readonly user: string | undefined;
    };

/** A configured SIP URI, validated at the edge. */
export function configUri(text: string, what: string): SipUri {
  const uri = parseSipUri(text.trim().replace(/^<|>$/g, ''));
  if (uri === undefined) throw new CallConfigError(`${what} is not a sip: URI: ${JSON.stringify(text)}`);
  return uri;
}

function sameUserHost(a: SipUri, b: SipUri): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && unescape(a.user ?? '') === unescape(b.user ?? '');
}

function hostPort(uri: SipUri): string {
  return uri.port === undefined ? uri.host : `${uri.host}:${uri.port}`;
}

/** The outbound Request-URI: the caller's user at the PBX (`sip:user@pbx:port;transport=...`). */
export function upstreamRequestUri(user: string | undefined, upstream: SipUri): string {
  const params = [...upstream.params].map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('');
  return `${upstream.scheme}:${user === undefined ? '' : `${user}@`}${hostPort(upstream)}${params}`;
}

export function routeInvite(requestUri: string, config: { readonly paymentUri: SipUri | undefined; readonly upstream: SipUri; readonly routes: readonly RouteRule[] }): CallTarget | undefined {
  const uri = parseSipUri(requestUri);
  if (uri === undefined) return undefined;
  if (config.paymentUri !== undefined && sameUserHost(uri, config.paymentUri)) return { kind: 'endpoint' };
  const user = uri.user === undefined ? '' : unescape(uri.user);
  const rule = config.routes.find((r) => r.user.test(user));
  const upstream = rule === undefined ? config.upstream : configUri(rule.upstream, 'route upstream');
  return { kind: 'b2bua', upstream, requestUri: upstreamRequestUri(uri.user, upstream), fromRule: rule !== undefined, user: uri.user };
}

/**
 * Where a relayed call's INVITE may go, tried in order: a route rule's upstream alone (with
 * `transport` when its URI names none), else the pool's `candidates` (asked only then).
 */
export function upstreamTargets(target: Extract<CallTarget, { kind: 'b2bua' }>, candidates: () => readonly Upstream[], transport: SipTransport): UpstreamTarget[] {
  if (target.fromRule) {
    const destination = uriDestination(target.requestUri, transport);
    return destination === undefined ? [] : [{ requestUri: target.requestUri, destination, label: target.requestUri }];
  }
  return candidates().map((upstream) => ({ requestUri: upstreamRequestUri(target.user, upstream.uri), destination: upstream.destination, label: upstream.label, upstream }));
}
