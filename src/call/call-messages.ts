// Pure reading and writing of the SIP messages of one call: whether a body is SDP, the status an
// unanswered INVITE ends with, the INVITE a caller's INVITE becomes towards the PBX (and its one
// retry after a 422), which headers ride along when an in-dialog request crosses to the other
// leg, and the SIP INFO DTMF key and the transfer NOTIFY status a call reacts to. No state, no
// sockets: the Call decides when, these say what is on the wire.
import { sipInfoDigit } from '../sip/sip-info-dtmf.js';
import { isDtmfInfo } from '../sip/sip-info-filter.js';
import { parseCSeq, type SipRequest, type SipResponse } from '../sip/sip-stack.js';
import type { CallEndReason } from './call-types.js';
import { headersForUpstream } from './header-hygiene.js';
import { uacRequestHeaders, type SessionTimerConfig } from './session-timer.js';

export const SDP = 'application/sdp';
/** Methods we take; sent in Allow (RFC 3261 §20.5). */
export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, MESSAGE, UPDATE';
/** Headers relayed with in-dialog requests between legs. */
const RELAYED_HEADERS = ['event', 'subscription-state', 'refer-to', 'referred-by', 'info-package', 'replaces'];

/** The caller's INVITE status when the call ends before it was answered. */
export function unansweredStatus(reason: CallEndReason): number {
  switch (reason) {
    case 'drain':
      return 503;
    case 'no-answer':
      return 408;
    case 'negotiation-failed':
      return 488;
    case 'error':
      return 500;
    case 'rtp-timeout':
      return 408;
    default:
      return 480;
  }
}

/** Whether a peer's Allow lists UPDATE (RFC 3311). */
export function allowsUpdate(m: SipRequest | SipResponse): boolean {
  return m.headers.list('allow').some((v) => v.split(',').some((x) => x.trim().toUpperCase() === 'UPDATE'));
}

/** A From/To value without its tag (what an API shows). */
export function withoutTag(value: string): string {
  return value.replace(/;\s*tag\s*=[^;]*/i, '');
}

export function bodyText(m: SipRequest | SipResponse): string {
  return m.body.toString('utf8');
}

export function isSdp(m: SipRequest | SipResponse): boolean {
  return m.body.length > 0 && (m.headers.get('content-type') ?? SDP).split(';')[0].trim().toLowerCase() === SDP;
}

/** The key of a SIP INFO that carries DTMF (any vendor's format the shared readers know), else undefined. */
export function infoDigit(req: SipRequest): string | undefined {
  if (!isDtmfInfo(req)) return undefined;
  return sipInfoDigit(req)?.digit;
}

/** The final status (>= 200) in a transfer NOTIFY's message/sipfrag body (RFC 3515 §2.4.5), else undefined. */
export function sipfragFinalStatus(req: SipRequest): number | undefined {
  // The status line of the transferee's INVITE.
  const status = Number(/^SIP\/2\.0\s+(\d{3})/.exec(bodyText(req).trim())?.[1]);
  return Number.isInteger(status) && status >= 200 ? status : undefined;
}

/** The headers of an in-dialog request that travel with it into the other leg. */
export function relayedHeaders(req: SipRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of RELAYED_HEADERS) {
    const value = req.headers.get(name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

export interface UpstreamInviteInput {
  /** The caller's INVITE. */
  readonly invite: SipRequest;
  /** The caller's From without its tag. */
  readonly from: string;
  /** toneguard's id of the call. */
  readonly callId: string;
  /** RFC 3325: the caller's source may assert an identity to the PBX. */
  readonly identityTrusted: boolean;
  readonly sessionTimer: SessionTimerConfig;
  readonly requestUri: string;
  /** Our address on the transport towards the PBX (host part of our From). */
  readonly localAddress: string | undefined;
}

/** What our INVITE towards the PBX carries besides the SDP: its headers, From (a new tag is added) and To. */
export function upstreamInvite(input: UpstreamInviteInput): { headers: Record<string, string | string[]>; from: string; to: string } {
  const { invite, requestUri, localAddress } = input;
  const headers: Record<string, string | string[]> = headersForUpstream(invite.headers.entries(), input.identityTrusted);
  const maxForwards = Number(invite.headers.get('max-forwards') ?? '70');
  headers['max-forwards'] = String(Math.max(0, (Number.isFinite(maxForwards) ? maxForwards : 70) - 1));
  headers.allow = ALLOWED_METHODS;
  // RFC 4028 §7.1: we ask the PBX for a session timer on its leg.
  headers.supported = 'timer';
  Object.assign(headers, uacRequestHeaders(input.sessionTimer));
  // The PBX side (agent desktop, CTI) finds this call in the API by this id.
  headers['x-toneguard-call-id'] = input.callId;
  const fromUser = /<?sips?:([^@>;]+)@/.exec(input.from)?.[1];
  const display = /^\s*("(?:[^"\\]|\\.)*")\s*</.exec(input.from)?.[1];
  const localHost = localAddress === undefined ? '127.0.0.1' : localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  return {
    headers,
    from: `${display === undefined ? '' : `${display} `}<sip:${fromUser ?? 'anonymous'}@${localHost}>`,
    to: `<${requestUri.replace(/;.*$/, '')}>`,
  };
}

/** RFC 4028 §7.4: our INVITE once more after a 422, with the larger interval: same Call-ID and From tag, next CSeq, a new Via. */
export function inviteRetry(req: SipRequest, larger: SessionTimerConfig): SipRequest {
  const retry = { ...req, headers: req.headers.clone() };
  retry.headers.delete('via');
  const seq = (parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? 1) + 1;
  retry.headers.set('cseq', `${seq} INVITE`);
  for (const [name, value] of Object.entries(uacRequestHeaders(larger))) retry.headers.set(name, value);
  return retry;
}
