// A session changed or refreshed mid-call: a re-INVITE or UPDATE from either leg (RFC 3261 §14,
// RFC 3311) with the session timer it may renegotiate (RFC 4028 §9), its offer relayed into the
// other leg and the answer back (B2BUA) or answered by us (endpoint mode); and the refreshes we
// owe on a leg (§7.4/§10). An offer we cannot carry gets 488 and the call goes on as it was.
import type { LegName, MediaSession } from '../media/media-session.js';
import type { ServerTransaction, SipRequest } from '../sip/sip-stack.js';
import type { CallLifetime, RefreshOutcome } from './call-lifetime.js';
import { ALLOWED_METHODS, bodyText, isSdp, SDP } from './call-messages.js';
import type { CallNegotiation } from './call-negotiation.js';
import type { CallMode, CallState } from './call-types.js';
import type { Leg } from './leg.js';
import { parseSdp } from '../sip/sdp.js';
import { notAcceptable } from './sdp-error.js';
import { answerAsEndpoint, relayAnswer, relayOffer, SdpError, type RelayedOffer } from './sdp-offer-answer.js';
import { uacFromResponse, uacRequestHeaders, uasDecide, type SessionInterval, type SessionTimerConfig } from './session-timer.js';

/** What session modification needs of its call. */
export interface ModifiableCall {
  readonly mode: CallMode;
  readonly state: CallState;
  /** Ending or ended: the media is (being) closed. */
  readonly finished: boolean;
  /** Our Contact. */
  readonly contact: string;
  readonly media: MediaSession;
  readonly negotiation: CallNegotiation;
  readonly lifetime: CallLifetime;
  readonly sessionTimer: SessionTimerConfig;
  leg(name: LegName): Leg;
  /** Whether the leg's peer takes UPDATE (its Allow). */
  allowsUpdate(leg: LegName): boolean;
  /** An asynchronous handler's failure ends the call (500 on `tx`). */
  guard(work: Promise<void>, tx: ServerTransaction): void;
}

/** A re-INVITE or UPDATE in the leg's dialog (already matched and in CSeq order). */
export function onSessionModification(call: ModifiableCall, legName: LegName, req: SipRequest, tx: ServerTransaction): void {
  // RFC 4028 §9: a re-INVITE or UPDATE is a session refresh, and may renegotiate the timer.
  const timer = uasDecide(req, call.sessionTimer);
  if (timer.kind === 'too-small') {
    tx.respond(422, 'Session Interval Too Small', { headers: { 'min-se': String(timer.minSeS) } });
    return;
  }
  call.lifetime.peerRefreshed(legName, timer.kind === 'timer' ? timer.interval : undefined);
  const timerHeaders = { supported: 'timer', ...(timer.kind === 'timer' ? timer.headers : {}) };
  if (req.method === 'UPDATE' && !isSdp(req)) {
    tx.respond(200, undefined, { headers: { contact: call.contact, allow: ALLOWED_METHODS, ...timerHeaders } });
    return;
  }
  call.guard(answerOffer(call, legName, req, tx, timerHeaders), tx);
}

async function answerOffer(call: ModifiableCall, from: LegName, req: SipRequest, tx: ServerTransaction, timerHeaders: Record<string, string>): Promise<void> {
  const offer = isSdp(req) ? parseSdp(bodyText(req)) : undefined;
  if (offer === undefined) {
    // Offerless re-INVITE (offer in our 200, answer in the ACK) is not supported.
    tx.respond(488);
    return;
  }
  const sdp = call.negotiation;
  const okHeaders = { contact: call.contact, allow: ALLOWED_METHODS, ...timerHeaders };
  if (call.mode === 'endpoint') {
    try {
      const answer = answerAsEndpoint({ offer, local: call.media.local('caller'), origin: sdp.nextOrigin('caller'), localKeyBase64: sdp.key('caller') });
      sdp.configure('caller', answer.config);
      tx.respond(200, undefined, { body: sdp.sent('caller', answer.sdp), contentType: SDP, headers: okHeaders });
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      tx.respond(488, undefined, notAcceptable(error.code));
    }
    return;
  }
  if (sdp.relaying || call.state !== 'confirmed') {
    tx.respond(491); // RFC 3261 §14.2: glare
    return;
  }
  const to: LegName = from === 'caller' ? 'agent' : 'caller';
  let relayed: RelayedOffer;
  try {
    relayed = relayOffer({ offer, local: call.media.local(to), origin: sdp.nextOrigin(to), localKeyBase64: sdp.key(to), srtp: sdp.srtpPolicy(to) });
  } catch (error) {
    if (!(error instanceof SdpError)) throw error;
    tx.respond(488, undefined, notAcceptable(error.code));
    return;
  }
  sdp.relaying = true;
  const res = await call.leg(to).request('INVITE', { body: sdp.sent(to, relayed.sdp), contentType: SDP });
  sdp.relaying = false;
  if (call.finished) {
    tx.respond(481); // the call ended (a BYE crossed the re-INVITE): its media is gone
    return;
  }
  if (res === undefined) {
    tx.respond(408);
    return;
  }
  if (res.status >= 300) {
    tx.respond(res.status, res.reason);
    return;
  }
  call.lifetime.peerRefreshed(to, undefined); // a 2xx re-INVITE on that leg refreshes its session too
  const answer = isSdp(res) ? parseSdp(bodyText(res)) : undefined;
  try {
    if (answer === undefined) throw new SdpError('sdp-answer-invalid', 'no SDP in the 2xx to our re-INVITE');
    const result = relayAnswer({ offer, relayed, answer, local: call.media.local(from), origin: sdp.nextOrigin(from), localKeyBase64: sdp.key(from), offerLeg: from });
    sdp.apply(from, result);
    tx.respond(200, undefined, { body: sdp.sent(from, result.sdp), contentType: SDP, headers: okHeaders });
  } catch (error) {
    if (!(error instanceof SdpError)) throw error;
    tx.respond(488, undefined, notAcceptable(error.code));
  }
}

/**
 * A session refresh we owe on a leg (RFC 4028 §7.4/§10): UPDATE without a body when the peer
 * allows it, else a re-INVITE repeating the SDP we last sent there (an unchanged session).
 */
export async function refreshSession(call: ModifiableCall, legName: LegName, interval: SessionInterval): Promise<RefreshOutcome> {
  if (call.state !== 'confirmed') return { kind: 'failed', fatal: false };
  const leg = call.leg(legName);
  const headers = { supported: 'timer', ...uacRequestHeaders(call.sessionTimer, interval) };
  const sdp = call.negotiation.lastSent(legName);
  const useInvite = !call.allowsUpdate(legName) && sdp !== undefined;
  if (useInvite && call.negotiation.relaying) return { kind: 'failed', fatal: false }; // a relayed re-INVITE is in flight: it refreshes too
  const res = await leg.request(useInvite ? 'INVITE' : 'UPDATE', useInvite ? { headers, body: sdp, contentType: SDP } : { headers });
  if (res === undefined || res.status === 408 || res.status === 481) return { kind: 'failed', fatal: true };
  if (res.status >= 300) return { kind: 'failed', fatal: false };
  return { kind: 'refreshed', interval: uacFromResponse(res) ?? interval };
}
