// What a new INVITE gets before any call exists for it, pure: the call limits (503 with
// Retry-After), Max-Forwards (483), extensions we do not implement (420, RFC 3261 §8.2.2.3), a
// session interval under our Min-SE (422, RFC 4028 §8.1), a Request-URI we route nowhere (416),
// a body that is not SDP we can read (488); else where the call goes and the caller's offer.
import type { SipRequest, SipUri } from '../sip/sip-stack.js';
import { routeInvite, type CallTarget, type RouteRule } from './call-routing.js';
import { parseSdp, type SdpDescription } from '../sip/sdp.js';
import { notAcceptable } from './sdp-error.js';
import { uasDecide, type SessionTimerConfig } from './session-timer.js';

export interface CallLimits {
  /** Calls at once (more: 503). */
  readonly maxCalls: number;
  /** Calls at once from one source IP address (more: 503). */
  readonly maxCallsPerSource: number;
  /** Of maxCalls, slots only trusted sources may take: digest-authenticated peers get the rest. */
  readonly reservedCalls: number;
}

export const DEFAULT_CALL_LIMITS: CallLimits = { maxCalls: 1000, maxCallsPerSource: 200, reservedCalls: 0 };

/** Retry-After of our 503s, s: long enough for a drain or a burst to pass. */
export const RETRY_AFTER_S = '5';

/** Where the INVITE arrives: the server's counts and configuration. */
export interface InviteContext {
  /** New INVITEs are refused (a drain or a stop). */
  readonly draining: boolean;
  /** Calls, and INVITEs whose media is being set up. */
  readonly calls: number;
  /** Calls from the INVITE's source address. */
  readonly fromSource: number;
  /** The source was admitted by address (`sip.trustedSources`), not by digest. */
  readonly trustedSource: boolean;
  readonly limits: CallLimits;
  readonly sessionTimer: SessionTimerConfig;
  readonly routing: { readonly paymentUri: SipUri | undefined; readonly upstream: SipUri; readonly routes: readonly RouteRule[] };
}

export type InviteScreening =
  | { readonly accepted: true; readonly target: CallTarget; readonly offer: SdpDescription | undefined }
  | { readonly accepted: false; readonly status: number; readonly reason?: string; readonly headers?: Readonly<Record<string, string>> };

export function screenInvite(req: SipRequest, ctx: InviteContext): InviteScreening {
  // A peer admitted by digest rather than by address cannot take the reserved slots.
  const callSlots = ctx.trustedSource ? ctx.limits.maxCalls : ctx.limits.maxCalls - ctx.limits.reservedCalls;
  if (ctx.draining || ctx.calls >= callSlots || ctx.fromSource >= ctx.limits.maxCallsPerSource) {
    return { accepted: false, status: 503, headers: { 'retry-after': RETRY_AFTER_S } };
  }
  if (Number(req.headers.get('max-forwards') ?? '70') <= 0) return { accepted: false, status: 483 };
  // Extensions we do not implement (100rel, ...): 420 names them.
  const required = req.headers
    .list('require')
    .flatMap((v) => v.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '' && x.toLowerCase() !== 'timer');
  if (required.length > 0) return { accepted: false, status: 420, headers: { unsupported: required.join(', ') } };
  const timer = uasDecide(req, ctx.sessionTimer);
  if (timer.kind === 'too-small') return { accepted: false, status: 422, reason: 'Session Interval Too Small', headers: { 'min-se': String(timer.minSeS) } };
  const target = routeInvite(req.uri, ctx.routing);
  if (target === undefined) return { accepted: false, status: 416 };
  // No body: an offerless INVITE (RFC 3261 §13.2.1), we offer in the 200. A body that is
  // not SDP we can read: 488 (415 would need Accept, and SDP is all we take).
  const body = req.body.toString('utf8');
  const offer = body.length > 0 ? parseSdp(body) : undefined;
  if (body.length > 0 && offer === undefined) return { accepted: false, status: 488, headers: notAcceptable('sdp-malformed').headers };
  return { accepted: true, target, offer };
}
