// RFC 4028 session timers, the negotiation as pure functions: what a UAS answers to an INVITE or
// UPDATE (§9: 422 when the interval is under our Min-SE, else the interval and who refreshes),
// what a UAC asks for (§7.1) and what it learns from the 2xx (§7.2). "uac"/"uas" in the
// refresher parameter are relative to the transaction that carried it (§7.1).
import type { SipHeaders } from '../sip/sip-stack.js';

export interface SessionTimerConfig {
  /** The interval we ask for and the most we accept, s (Session-Expires). */
  readonly sessionExpiresS: number;
  /** The least we accept, s (Min-SE; RFC 4028 §4: never below 90). */
  readonly minSeS: number;
}

export const DEFAULT_SESSION_TIMER: SessionTimerConfig = { sessionExpiresS: 1800, minSeS: 90 };

/** RFC 4028 §4: the smallest Min-SE anyone may use, s. */
export const ABSOLUTE_MIN_SE_S = 90;

export type Refresher = 'uac' | 'uas';

/** A negotiated session interval on one leg, from our side: do we send the refreshes? */
export interface SessionInterval {
  readonly intervalS: number;
  readonly weRefresh: boolean;
}

export interface SessionExpires {
  readonly deltaS: number;
  readonly refresher: Refresher | undefined;
}

/** `Session-Expires: 1800;refresher=uac` (compact form x is expanded by the parser). */
export function parseSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d{1,10})\s*((?:;[^;]*)*)$/.exec(value);
  if (m === null) return undefined;
  const refresher = /;\s*refresher\s*=\s*(uac|uas)\s*(?:;|$)/i.exec(m[2])?.[1]?.toLowerCase() as Refresher | undefined;
  return { deltaS: Number(m[1]), refresher };
}

/** `Min-SE: 90` (parameters ignored). */
export function parseMinSe(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d{1,10})\s*(?:;.*)?$/.exec(value);
  return m === null ? undefined : Number(m[1]);
}

/** Whether an option tag is listed in Supported/Require (compact form k is expanded by the parser). */
export function hasOptionTag(headers: SipHeaders, name: 'supported' | 'require', tag: string): boolean {
  return headers.list(name).some((v) => v.split(',').some((t) => t.trim().toLowerCase() === tag));
}

export type UasDecision =
  /** 422 Session Interval Too Small with this Min-SE (§9). */
  | { readonly kind: 'too-small'; readonly minSeS: number }
  /** No session timer for this request (neither side asked for one). */
  | { readonly kind: 'none' }
  | { readonly kind: 'timer'; readonly interval: SessionInterval; readonly headers: Readonly<Record<string, string>> };

/** As the UAS of an INVITE or UPDATE (initial or refresh): RFC 4028 §9. */
export function uasDecide(req: { readonly headers: SipHeaders }, config: SessionTimerConfig): UasDecision {
  const se = parseSessionExpires(req.headers.get('session-expires'));
  const uacSupports = hasOptionTag(req.headers, 'supported', 'timer') || hasOptionTag(req.headers, 'require', 'timer');
  const ourMin = Math.max(ABSOLUTE_MIN_SE_S, config.minSeS);
  if (se !== undefined && se.deltaS < ourMin) return { kind: 'too-small', minSeS: ourMin };
  if (se === undefined && !uacSupports) return { kind: 'none' };
  const theirMin = Math.max(ABSOLUTE_MIN_SE_S, parseMinSe(req.headers.get('min-se')) ?? ABSOLUTE_MIN_SE_S);
  // We may lower the interval (never below either Min-SE) but never raise it.
  const wanted = Math.max(config.sessionExpiresS, ourMin, theirMin);
  const intervalS = se === undefined ? wanted : Math.min(se.deltaS, wanted);
  // The request's choice stands; else the UAC refreshes when it can (it knows timers), we otherwise.
  const refresher: Refresher = se?.refresher ?? (uacSupports ? 'uac' : 'uas');
  const headers: Record<string, string> = { 'session-expires': `${intervalS};refresher=${refresher}` };
  // §9: Require: timer tells a UAC that supports timers that it must honour the result.
  if (uacSupports) headers.require = 'timer';
  return { kind: 'timer', interval: { intervalS, weRefresh: refresher === 'uas' }, headers };
}

/** Headers of a request where we are the UAC (initial INVITE, or a refresh at `intervalS`). */
export function uacRequestHeaders(config: SessionTimerConfig, refresh?: SessionInterval): Record<string, string> {
  const minSe = Math.max(ABSOLUTE_MIN_SE_S, config.minSeS);
  if (refresh === undefined) return { 'session-expires': String(Math.max(config.sessionExpiresS, minSe)), 'min-se': String(minSe) };
  return { 'session-expires': `${refresh.intervalS};refresher=${refresh.weRefresh ? 'uac' : 'uas'}`, 'min-se': String(minSe) };
}

/** What the 2xx to our request says (§7.2): no Session-Expires, no timer. */
export function uacFromResponse(res: { readonly headers: SipHeaders }): SessionInterval | undefined {
  const se = parseSessionExpires(res.headers.get('session-expires'));
  if (se === undefined || se.deltaS <= 0) return undefined;
  // §7.2: a 2xx without a refresher parameter leaves refreshing to us, the UAC.
  return { intervalS: se.deltaS, weRefresh: se.refresher !== 'uas' };
}

/** The Session-Expires of a retry after 422 (§7.4): the larger of our wish and their Min-SE. */
export function retryAfterTooSmall(res: { readonly headers: SipHeaders }, config: SessionTimerConfig): SessionTimerConfig | undefined {
  const theirMin = parseMinSe(res.headers.get('min-se'));
  if (theirMin === undefined || theirMin <= config.sessionExpiresS) return undefined;
  return { sessionExpiresS: theirMin, minSeS: Math.max(config.minSeS, theirMin) };
}

/** §10: the refresher refreshes at half the interval; the other side gives up at interval - min(32, interval/3). */
export function refreshDelayMs(interval: SessionInterval): number {
  return (interval.intervalS * 1000) / 2;
}

export function expiryDelayMs(interval: SessionInterval): number {
  return interval.weRefresh ? interval.intervalS * 1000 : (interval.intervalS - Math.min(32, interval.intervalS / 3)) * 1000;
}
