// The vocabulary a Call shares with the code around it: its states and end reasons (the KPI row
// and the API read them), the row of `GET /calls`, its events, and what it needs from its
// manager (CallHost). Kept apart from call.ts so that a reader of the contract does not have to
// read the call flow, and a module that only names these types loads no call code.
import type { LegName } from '../media/media-session.js';
import type { Destination, SipClock, SipStack } from '../sip/sip-stack.js';
import type { Call } from './call.js';
import type { LifetimeConfig } from './call-lifetime.js';
import type { SrtpPolicy } from './sdp-offer-answer.js';
import type { Upstream, UpstreamOutcome } from './upstream-pool.js';

export type CallState = 'trying' | 'early' | 'confirmed' | 'ending' | 'ended';
export type CallMode = 'b2bua' | 'endpoint';
export type CallEndReason =
  | 'caller-hangup'
  | 'agent-hangup'
  | 'cancelled'
  | 'rejected'
  | 'no-answer'
  | 'negotiation-failed'
  | 'rtp-timeout'
  | 'ack-timeout'
  | 'transferred'
  | 'drain'
  | 'local'
  | 'error'
  /** sip.maxCallSeconds reached. */
  | 'max-duration'
  /** A leg on hold (or inactive) for rtp.holdTimeoutSeconds. */
  | 'hold-timeout'
  /** An RFC 4028 session timer ran out without a refresh (or a refresh got 408/481). */
  | 'session-expired';

/** One row of `GET /calls`. */
export interface CallSummary {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly state: CallState;
  readonly mode: CallMode;
  readonly secure: boolean;
  /** The caller leg's SIP Call-ID. */
  readonly callerCallId: string;
  /** The PBX leg as the PBX sees it (B2BUA mode, once the INVITE went out). */
  readonly agent: { readonly callId: string; readonly from: string; readonly to: string } | null;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly answeredAt: number | null;
}

export type CallEvents = {
  answer: [];
  end: [CallEndReason];
};

/** What a Call needs from its manager. */
export interface CallHost {
  readonly stack: SipStack;
  /** Our Contact (name-addr) on both legs. */
  readonly contact: string;
  /** SRTP towards the PBX (per leg, RFC 4568): mirror the caller by default. */
  readonly agentSrtp: SrtpPolicy;
  /** A leg's dialog is known under Call-ID and our tag: in-dialog requests reach it. */
  register(call: Call, leg: LegName, callId: string, localTag: string): void;
  ended(call: Call, reason: CallEndReason): void;
  answered(call: Call): void;
  /** Timers of the call (default systemClock) and its lifetime limits (default DEFAULT_LIFETIME). */
  readonly clock?: SipClock;
  readonly lifetime?: LifetimeConfig;
  /** Something threw inside this call (it is being ended with `error`); for a log line and a counter. */
  failed(call: Call, error: unknown): void;
  /** RFC 3325: asserted identity from this source may be passed to the PBX. */
  trustsIdentity(source: Destination): boolean;
  /** A problem worth a log line (no SIP content, no card data). */
  warn(message: string): void;
  /** How long an upstream may take to send its first response before the next one is tried, ms. */
  readonly inviteTimeoutMs: number;
  /** One INVITE attempt's outcome at an upstream (health and metrics). */
  upstreamOutcome(upstream: Upstream, outcome: UpstreamOutcome, retryAfterS: number | undefined): void;
}

/** One place the caller's INVITE may go: tried in order until one answers. */
export interface UpstreamTarget {
  readonly requestUri: string;
  readonly destination: Destination;
  /** For logs. */
  readonly label: string;
  /** The pool's upstream (health), absent for a route's fixed upstream. */
  readonly upstream?: Upstream;
}
