// The agent leg coming up (B2BUA mode; lifetime: from the caller's INVITE relayed to the PBX
// until the PBX's final response, and any late 2xx after it). The PBX side of call setup: the
// caller's offer relayed (or our own offer for an offerless INVITE), the INVITE dialled through
// UpstreamDial, the PBX's 18x/2xx SDP turned into the caller's answer (an early answer is reused
// when the 2xx repeats it, RFC 3960 gateway model), the ACK, and a second or late 2xx (forking,
// RFC 3261 §13.2.2.4, or an answer after the caller left) ACKed and ended with a BYE. Each INVITE
// towards the PBX is a new agent dialog, built here from the caller's (call-messages.ts says what
// of the caller's signalling crosses). What the caller hears (18x, 200, the refusal) is the
// Call's: this reports it through AgentSetupHost.
import type { AudioCodecName, MediaSession } from '../media/media-session.js';
import { Dialog, parseCSeq, type ClientTransaction, type Destination, type SipRequest, type SipResponse, type SipStack } from '../sip/sip-stack.js';
import { bodyText, isSdp, SDP, upstreamInvite, withoutTag } from './call-messages.js';
import type { CallNegotiation } from './call-negotiation.js';
import type { CallEndReason, CallSummary, UpstreamTarget } from './call-types.js';
import { Leg } from './leg.js';
import { parseSdp, type SdpDescription } from '../sip/sdp.js';
import type { SdpErrorCode } from './sdp-error.js';
import { acceptAnswer, localOffer, relayAnswer, relayOffer, SdpError, type RelayedAnswer, type RelayedOffer, type SrtpPolicy } from './sdp-offer-answer.js';
import type { SessionTimerConfig } from './session-timer.js';
import { UpstreamDial } from './upstream-dial.js';
import type { Upstream, UpstreamOutcome } from './upstream-pool.js';

/** What the agent leg's setup needs of its call. */
export interface AgentSetupHost {
  readonly stack: SipStack;
  /** Our Contact. */
  readonly contact: string;
  readonly agentSrtp: SrtpPolicy;
  readonly inviteTimeoutMs: number;
  readonly sessionTimer: SessionTimerConfig;
  readonly media: MediaSession;
  readonly negotiation: CallNegotiation;
  /** The call's agent leg: its dialog is set here when the PBX answers. */
  readonly agent: Leg;
  /** The caller has heard nothing but 100 Trying. */
  readonly trying: boolean;
  /** The call is ending or ended. */
  readonly finished: boolean;
  /** The caller's INVITE, what our INVITE towards the PBX is made from. */
  readonly callerInvite: SipRequest;
  /** The caller's From without its tag. */
  readonly from: string;
  /** toneguard's id of the call (X-Toneguard-Call-Id). */
  readonly callId: string;
  /** RFC 3325: the caller's asserted identity may reach the PBX. */
  readonly identityTrusted: boolean;
  /** Our INVITE towards the PBX opens this dialog (our From tag): requests in it must reach the call. */
  dialling(leg: NonNullable<CallSummary['agent']>, fromTag: string): void;
  upstreamOutcome(upstream: Upstream, outcome: UpstreamOutcome, retryAfterS: number | undefined): void;
  warn(message: string): void;
  contained<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void;
  /** The PBX sent a provisional response other than 100: the call is early. */
  ringing(): void;
  /** That provisional response for the caller, with our answer when it carried the PBX's SDP. */
  provisional(res: SipResponse, answer: RelayedAnswer | undefined): void;
  /** The PBX refused: its status goes to the caller and the call ends. */
  rejected(res: SipResponse): void;
  /** The PBX's 2xx set up the agent dialog (its Allow, its session timer). */
  agentAnswered(res: SipResponse): void;
  /** Our answer to the caller's offer, for the 200. */
  answered(answer: RelayedAnswer): void;
  /** Offerless INVITE: the PBX took `codec`, which the caller is offered in the 200. */
  offerless(codec: AudioCodecName): void;
  /** The caller's offer cannot be carried (488 with this Warning) and the call ends. */
  refuse(code: SdpErrorCode): void;
  /** Every upstream failed. */
  end(reason: CallEndReason): void;
}

export class AgentLegSetup {
  private dial: UpstreamDial | undefined;
  /** The PBX's early SDP and our answer from it (a 2xx repeating that SDP gets the same answer). */
  private earlyAnswer: { readonly pbxBody: string; readonly result: RelayedAnswer } | undefined;
  /** Why the PBX's SDP could not be answered (the Warning of the 488 that ends the call). */
  private sdpFailure: SdpErrorCode | undefined;

  constructor(
    private readonly host: AgentSetupHost,
    /** The caller's offer; undefined for an offerless INVITE (RFC 3261 §13.2.1). */
    private readonly offer: SdpDescription | undefined,
  ) {}

  /** Our offer towards the PBX, then the INVITE to the first target; 488 to the caller when the offer cannot be relayed. */
  start(targets: readonly UpstreamTarget[]): void {
    const { host, offer } = this;
    const sdp = host.negotiation;
    let relayed: RelayedOffer;
    try {
      relayed =
        offer === undefined
          ? localOffer({ local: host.media.local('agent'), origin: sdp.origin('agent'), localKeyBase64: sdp.key('agent'), srtp: host.agentSrtp === 'always' })
          : relayOffer({ offer, local: host.media.local('agent'), origin: sdp.origin('agent'), localKeyBase64: sdp.key('agent'), srtp: sdp.srtpPolicy('agent') });
    } catch (error) {
      if (error instanceof SdpError) {
        host.refuse(error.code);
        return;
      }
      throw error;
    }
    this.dial = new UpstreamDial(
      {
        stack: host.stack,
        inviteTimeoutMs: host.inviteTimeoutMs,
        sessionTimer: host.sessionTimer,
        invite: (target) => this.invite(target, relayed.sdp),
        mayFailOver: () => host.trying,
        finished: () => host.finished,
        provisional: (res) => this.onProvisional(relayed, res),
        final: (req, ctx, destination, res) => this.onFinal(relayed, req, ctx, destination, res),
        exhausted: (reason) => host.end(reason),
        upstreamOutcome: (upstream, outcome, retryAfterS) => host.upstreamOutcome(upstream, outcome, retryAfterS),
        warn: (message) => host.warn(message),
        contained: (handler) => host.contained(handler),
      },
      targets,
    );
    this.dial.start();
  }

  /** Our INVITE carrying `sdp` towards one target: a new agent dialog (Call-ID, From tag) made known to the call. */
  private invite(target: UpstreamTarget, sdp: string): SipRequest {
    const { host } = this;
    const { requestUri, destination } = target;
    const local = host.stack.localAddress(destination.transport) ?? host.stack.localAddress('udp');
    const fields = upstreamInvite({
      invite: host.callerInvite,
      from: host.from,
      callId: host.callId,
      identityTrusted: host.identityTrusted,
      sessionTimer: host.sessionTimer,
      requestUri,
      localAddress: local?.address,
    });
    const req = host.stack.createRequest({
      method: 'INVITE',
      uri: requestUri,
      from: fields.from, // a new tag is added
      to: fields.to,
      contact: host.contact,
      headers: fields.headers,
      body: host.negotiation.sent('agent', sdp),
      contentType: SDP,
    });
    const fromTag = /;\s*tag=([^;\s]+)/.exec(req.headers.get('from') ?? '')?.[1] ?? '';
    host.dialling({ callId: req.headers.get('call-id') ?? '', from: withoutTag(req.headers.get('from') ?? ''), to: withoutTag(req.headers.get('to') ?? '') }, fromTag);
    host.agent.peerAddress = destination.address;
    return req;
  }

  /** The call ends before the PBX answered: CANCEL (a 2xx after it is ACKed and BYEd in onFinal). */
  cancel(): void {
    this.dial?.cancel();
  }

  private onProvisional(relayed: RelayedOffer, res: SipResponse): void {
    if (res.status === 100 || this.host.finished) return;
    this.host.ringing();
    // Early media (RFC 3960 gateway model): the 18x SDP is the PBX's answer; media starts now.
    this.host.provisional(res, isSdp(res) ? this.initialAnswer(relayed, res) : undefined);
  }

  private onFinal(relayed: RelayedOffer, req: SipRequest, ctx: ClientTransaction, destination: Destination, res: SipResponse): void {
    const host = this.host;
    if (res.status >= 300) {
      if (host.finished) return;
      host.rejected(res);
      return;
    }
    const dialog = Dialog.fromUacResponse(req, res);
    if (dialog === undefined) return;
    dialog.localContact = host.contact;
    const seq = parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? 1;
    const hop = dialog.nextHop(destination.transport) ?? destination;
    ctx.ack(dialog.createAck(seq), hop);
    if (host.agent.dialog !== undefined || this.dial?.isCurrent(ctx) !== true || host.finished) {
      // A second 2xx (forking, RFC 3261 §13.2.2.4) or an answer after the caller left: end that dialog.
      const stray = new Leg('agent', host.stack, destination);
      stray.dialog = dialog;
      void stray.request('BYE');
      return;
    }
    host.agent.dialog = dialog;
    host.agentAnswered(res);
    if (this.offer === undefined) {
      this.answerOfferless(relayed, res);
      return;
    }
    const result = this.initialAnswer(relayed, res);
    if (result === undefined) {
      host.refuse(this.sdpFailure ?? 'sdp-answer-invalid');
      return;
    }
    host.answered(result);
  }

  /** Our answer to the caller from the PBX's SDP in a 18x or the 2xx; undefined when there is none to give. */
  private initialAnswer(relayed: RelayedOffer, res: SipResponse): RelayedAnswer | undefined {
    const { offer, host } = this;
    const pbxBody = bodyText(res);
    if (this.earlyAnswer !== undefined && (!isSdp(res) || pbxBody === this.earlyAnswer.pbxBody)) return this.earlyAnswer.result;
    if (!isSdp(res)) return undefined;
    const answer = parseSdp(pbxBody);
    if (answer === undefined || offer === undefined) return undefined;
    try {
      const sdp = host.negotiation;
      const origin = this.earlyAnswer === undefined ? sdp.origin('caller') : sdp.nextOrigin('caller');
      const result = relayAnswer({ offer, relayed, answer, local: host.media.local('caller'), origin, localKeyBase64: sdp.key('caller') });
      this.earlyAnswer = { pbxBody, result };
      return result;
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.sdpFailure = error.code;
      return undefined;
    }
  }

  /** Offerless INVITE: the PBX answered our own offer; its codec is what the caller is offered. */
  private answerOfferless(relayed: RelayedOffer, res: SipResponse): void {
    const answer = isSdp(res) ? parseSdp(bodyText(res)) : undefined;
    let agentConfig;
    try {
      if (answer === undefined) throw new SdpError('sdp-answer-invalid', 'no SDP in the 2xx');
      agentConfig = acceptAnswer(relayed, answer, 'b2bua', 'agent');
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.host.refuse(error.code);
      return;
    }
    this.host.negotiation.configure('agent', agentConfig);
    this.host.negotiation.srtpAgreed('agent', agentConfig);
    this.host.offerless(agentConfig.codec);
  }
}
