// The caller leg coming up (lifetime: the caller's INVITE, from our 100 Trying to the ACK of our
// 2xx or our final refusal). The caller side of call setup, as agent-leg-setup.ts is the PBX
// side: what the caller hears. The PBX's 18x (with early media when it carried SDP, RFC 3960),
// its refusal, our 200 with the answer to the caller's offer, or with our own offer when the
// INVITE had none (the answer then comes in the ACK, RFC 3261 §13.2.1), endpoint mode's answer,
// the session timer agreed in our 2xx (RFC 4028 §9), and the final response of a call that ends
// before it was answered (488 with a Warning naming the SDP failure, RFC 3261 §20.43).
// When the call is confirmed and when it ends stay the Call's: this reports through CallerSetupHost.
import type { AudioCodecName, MediaSession } from '../media/media-session.js';
import { Dialog, type ServerTransaction, type SipRequest, type SipResponse } from '../sip/sip-stack.js';
import type { CallLifetime } from './call-lifetime.js';
import { ALLOWED_METHODS, bodyText, isSdp, SDP, unansweredStatus } from './call-messages.js';
import type { CallNegotiation } from './call-negotiation.js';
import type { CallEndReason, CallMode } from './call-types.js';
import type { Leg } from './leg.js';
import { parseSdp, type SdpDescription } from '../sip/sdp.js';
import { notAcceptable, type SdpErrorCode } from './sdp-error.js';
import { acceptAnswer, answerAsEndpoint, ENDPOINT_CODECS, localOffer, SdpError, type RelayedAnswer, type RelayedOffer } from './sdp-offer-answer.js';
import { uasDecide, type SessionTimerConfig, type UasDecision } from './session-timer.js';

/** What the caller leg's setup needs of its call. */
export interface CallerSetupHost {
  /** The caller's INVITE and its server transaction (our responses to it). */
  readonly invite: SipRequest;
  readonly inviteTx: ServerTransaction;
  /** The call's caller leg: its dialog is set here at the first response with our tag. */
  readonly caller: Leg;
  /** Our Contact. */
  readonly contact: string;
  readonly mode: CallMode;
  readonly media: MediaSession;
  readonly negotiation: CallNegotiation;
  readonly lifetime: CallLifetime;
  readonly sessionTimer: SessionTimerConfig;
  /** The call is ending or ended. */
  readonly finished: boolean;
  /** Our 2xx went out: the call is confirmed. */
  confirmed(): void;
  /** The caller's offer cannot be carried: the call ends, its INVITE refused with our 488. */
  offerRefused(): void;
  /** The answer in the caller's ACK is unusable: the call ends (the caller gets a BYE). */
  close(reason: CallEndReason): void;
}

export class CallerLegSetup {
  /** The session timer the caller's INVITE asked for (RFC 4028 §9), answered in our 2xx. */
  private readonly timer: UasDecision;
  /** Our offer in the 200 to an offerless INVITE; the caller's answer comes in its ACK. */
  private offerInOk: RelayedOffer | undefined;
  /** Why the last SDP could not be negotiated (the Warning of the 488 that ends the call). */
  private sdpFailure: SdpErrorCode | undefined;

  constructor(private readonly host: CallerSetupHost) {
    this.timer = uasDecide(host.invite, host.sessionTimer);
  }

  /** The caller's dialog, early until our 2xx: created at the first response that carries our tag. */
  dialog(): Dialog | undefined {
    const { host } = this;
    if (host.caller.dialog === undefined) {
      host.caller.dialog = Dialog.fromUasRequest(host.invite, host.inviteTx.toTag, host.contact, 'early');
    }
    return host.caller.dialog;
  }

  /** The PBX's 18x to the caller; with `answer` (from the PBX's SDP) the caller's early media starts. */
  provisional(res: SipResponse, answer: RelayedAnswer | undefined): void {
    const { host } = this;
    if (answer !== undefined) {
      host.negotiation.apply('caller', answer);
      host.inviteTx.respond(res.status, res.reason, { body: host.negotiation.sent('caller', answer.sdp), contentType: SDP, headers: { contact: host.contact } });
      return;
    }
    host.inviteTx.respond(res.status, res.reason, { headers: { contact: host.contact } });
  }

  /** The PBX's refusal goes to the caller as is (busy, not found, ...); a challenge to us is not the caller's to answer. */
  rejected(res: SipResponse): void {
    const status = res.status === 401 || res.status === 407 ? 403 : res.status;
    this.host.inviteTx.respond(status, status === res.status ? res.reason : undefined);
  }

  /** The PBX answered: our 200 to the caller with the answer to its offer. */
  answered(answer: RelayedAnswer): void {
    this.host.negotiation.apply('caller', answer);
    this.ok(answer.sdp);
  }

  /** Our offer in the 200 (an offerless INVITE), limited to `codecs`; the caller answers in its ACK. */
  offer(codecs: readonly AudioCodecName[] | undefined): void {
    const { host } = this;
    const sdp = host.negotiation;
    const offer = localOffer({ local: host.media.local('caller'), origin: sdp.origin('caller'), localKeyBase64: sdp.key('caller'), srtp: false, codecs });
    this.offerInOk = offer;
    this.ok(offer.sdp);
  }

  /** The caller's ACK to a 200 that carried our offer: its answer is in the ACK (§13.2.1). */
  ack(ack: SipRequest): void {
    const offer = this.offerInOk;
    if (offer === undefined || this.host.finished) return;
    this.offerInOk = undefined;
    const answer = isSdp(ack) ? parseSdp(bodyText(ack)) : undefined;
    try {
      if (answer === undefined) throw new SdpError('sdp-answer-invalid', 'no SDP answer in the ACK');
      const config = acceptAnswer(offer, answer, this.host.mode, 'caller');
      this.host.negotiation.configure('caller', config);
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.host.close('negotiation-failed');
    }
  }

  /**
   * Endpoint mode: we answer the caller's INVITE ourselves; false (and 488 sent) when its offer is
   * unusable. Offerless (`offer` undefined): our offer goes in the 200, the answer comes in the ACK.
   */
  answerAsEndpoint(offer: SdpDescription | undefined): boolean {
    if (offer === undefined) {
      this.offer(ENDPOINT_CODECS);
      return true;
    }
    const { host } = this;
    const sdp = host.negotiation;
    let answer;
    try {
      answer = answerAsEndpoint({ offer, local: host.media.local('caller'), origin: sdp.origin('caller'), localKeyBase64: sdp.key('caller') });
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.refuseOffer(error.code);
      return false;
    }
    sdp.configure('caller', answer.config);
    sdp.srtpAgreed('caller', answer.config);
    this.ok(answer.sdp);
    return true;
  }

  /** The caller's offer cannot be carried: 488 with a Warning naming `code`, and the call ends. */
  refuseOffer(code: SdpErrorCode): void {
    this.sdpFailure = code;
    this.host.offerRefused();
  }

  /** The call ends before our 2xx: the final response for `reason` (a negotiation failure names its cause). */
  refuse(reason: CallEndReason): void {
    const warning = reason === 'negotiation-failed' ? notAcceptable(this.sdpFailure ?? 'sdp-answer-invalid') : undefined;
    this.host.inviteTx.respond(unansweredStatus(reason), undefined, warning);
  }

  /** Our 200 carrying `body`: the dialog confirmed, the session timer we agreed started. */
  private ok(body: string): void {
    const { host } = this;
    const dialog = this.dialog();
    if (dialog !== undefined) dialog.state = 'confirmed';
    host.inviteTx.respond(200, undefined, { body: host.negotiation.sent('caller', body), contentType: SDP, headers: this.okHeaders() });
    if (this.timer.kind === 'timer') host.lifetime.sessionInterval('caller', this.timer.interval);
    host.confirmed();
  }

  /** Our 2xx to the caller's INVITE: Contact, Allow, and the session timer we agreed (RFC 4028 §9). */
  private okHeaders(): Record<string, string> {
    const timer = this.timer.kind === 'timer' ? this.timer.headers : {};
    return { contact: this.host.contact, allow: ALLOWED_METHODS, supported: 'timer', ...timer };
  }
}
