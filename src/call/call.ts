// One call through toneguard (lifetime: INVITE in to the last BYE), with its two legs (`caller`,
// `agent`; only `caller` in endpoint mode) and its MediaSession. B2BUA (RFC 7092 "signalling and
// media plane B2BUA"): each leg is its own dialog with its own Call-ID, tags and CSeq; SDP is
// negotiated per leg (sdp-offer-answer.ts) so media flows through toneguard's ports; requests
// of one leg are relayed into the other. close() ends both legs and the media, once.
//
// This file is the call's state machine and the one owner of its lifetime: the caller's INVITE
// to our 2xx and its ACK (what the caller hears), the BYE policy, and the end that cascades to
// everything the call holds (legs, the agent leg's setup, the transfer, timers, media). Its parts
// live beside it, each owned by the call: call-types.ts (the contract with the manager),
// call-messages.ts (the SIP messages, pure), call-negotiation.ts (per-leg SDP state),
// agent-leg-setup.ts with upstream-dial.ts (the PBX side of call setup), in-dialog-requests.ts
// with in-dialog-relay.ts (requests inside the dialogs), session-modification.ts (re-INVITE,
// UPDATE, session refresh), result-transfer.ts (endpoint mode's transfer with the result) and
// call-lifetime.ts (the clocks that end a call).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AudioCodecName, LegName, MediaSession } from '../media/media-session.js';
import { Dialog, systemClock, type Destination, type SipRequest, type SipResponse, type ServerTransaction } from '../sip/sip-stack.js';
import { AgentLegSetup, type AgentSetupHost } from './agent-leg-setup.js';
import { CallLifetime, DEFAULT_LIFETIME } from './call-lifetime.js';
import { ALLOWED_METHODS, allowsUpdate, bodyText, isSdp, SDP, unansweredStatus, upstreamInvite, withoutTag } from './call-messages.js';
import { CallNegotiation } from './call-negotiation.js';
import type { CallEndReason, CallEvents, CallHost, CallMode, CallState, CallSummary, UpstreamTarget } from './call-types.js';
import { handleInDialog, type InDialogCall } from './in-dialog-requests.js';
import { Leg } from './leg.js';
import { resultHeaderFields, type PaymentResultHeaders } from './payment-headers.js';
import { ResultTransfer } from './result-transfer.js';
import { parseSdpDescription, type SdpDescription } from './sdp-description.js';
import { notAcceptable, type SdpErrorCode } from './sdp-error.js';
import { acceptAnswer, answerAsEndpoint, ENDPOINT_CODECS, localOffer, SdpError, type RelayedAnswer, type RelayedOffer } from './sdp-offer-answer.js';
import { refreshSession } from './session-modification.js';
import { uacFromResponse, uasDecide, type SessionTimerConfig, type UasDecision } from './session-timer.js';

/**
 * After the agent hung up under a payment, the most the caller stays on to hear the result before
 * the call is ended anyway (ms): the payment ends it sooner, after its result prompt (a charge in
 * flight may take the gateway timeout, 30 s by default).
 */
const AGENT_GONE_GRACE_MS = 60_000;

export class Call extends EventEmitter<CallEvents> {
  /** toneguard's id of the call (a UUID), sent to the PBX as X-Toneguard-Call-Id. */
  readonly id: string;
  /** The caller leg's SIP Call-ID. */
  readonly callerCallId: string;
  /** The PBX leg as the PBX sees it (Call-ID, From, To without tags); null until the INVITE is sent. */
  agentLeg: { readonly callId: string; readonly from: string; readonly to: string } | null = null;
  readonly mode: CallMode;
  readonly caller: Leg;
  readonly agent: Leg;
  readonly media: MediaSession;
  readonly from: string;
  readonly to: string;
  /** Source address of the caller's INVITE (per-source limits). */
  readonly source: Destination;
  readonly startedAt: number;
  answeredAt: number | null = null;
  endedAt: number | null = null;
  endReason: CallEndReason | null = null;
  private stateValue: CallState = 'trying';
  private readonly negotiation: CallNegotiation;
  /** The agent leg coming up (B2BUA), once started. */
  private agentSetup: AgentLegSetup | undefined;
  /** Our offer in the 200 to an offerless INVITE; the caller's answer comes in its ACK. */
  private offerInOk: RelayedOffer | undefined;
  /** Endpoint mode: the caller returned with the payment result. */
  private readonly transfer: ResultTransfer;
  private readonly lifetime: CallLifetime;
  private readonly sessionTimer: SessionTimerConfig;
  /** The session timer the caller's INVITE asked for (RFC 4028 §9), answered in our 2xx. */
  private readonly callerTimer: UasDecision;
  /** Whether each peer takes UPDATE (its Allow), the cheaper session refresh (RFC 4028 §7.4). */
  private readonly allowsUpdate: Record<LegName, boolean> = { caller: false, agent: false };
  /** Why the last SDP could not be negotiated (the Warning of the 488 that ends the call). */
  private sdpFailure: SdpErrorCode | undefined;
  /** Set while a payment runs on the call: an agent's BYE then ends only the agent leg and calls it. */
  private onAgentHangup: (() => void) | null = null;
  private agentGoneTimer: NodeJS.Timeout | undefined;
  /** This call as in-dialog-requests.ts and session-modification.ts see it. */
  private readonly parts: InDialogCall;
  private readonly onRtpTimeout = this.contained((): void => this.close('rtp-timeout'));
  private readonly onMediaFailure = (error: unknown): void => this.fail(error);

  constructor(
    private readonly host: CallHost,
    readonly invite: SipRequest,
    private readonly inviteTx: ServerTransaction,
    source: Destination,
    mode: CallMode,
    media: MediaSession,
  ) {
    super();
    // Our own id (API, logs, X-Toneguard-Call-Id): each leg's Call-ID is chosen by someone else.
    this.id = randomUUID();
    this.callerCallId = invite.headers.get('call-id') ?? inviteTx.toTag;
    this.mode = mode;
    this.media = media;
    this.source = source;
    // From/To as the caller wrote them, without the tag (an API shows them).
    this.from = withoutTag(invite.headers.get('from') ?? '');
    this.to = withoutTag(invite.headers.get('to') ?? '');
    this.startedAt = Date.now();
    this.caller = new Leg('caller', host.stack, source);
    this.agent = new Leg('agent', host.stack, source);
    const lifetime = host.lifetime ?? DEFAULT_LIFETIME;
    this.sessionTimer = lifetime.sessionTimer;
    this.callerTimer = uasDecide(invite, this.sessionTimer);
    this.allowsUpdate.caller = allowsUpdate(invite);
    this.lifetime = new CallLifetime(lifetime, {
      clock: host.clock ?? systemClock,
      end: (reason) => this.close(reason),
      refresh: (leg, interval) => refreshSession(this.parts, leg, interval),
    });
    this.negotiation = new CallNegotiation(media, this.lifetime, host.agentSrtp);
    this.transfer = new ResultTransfer({
      caller: this.caller,
      get contact(): string {
        return host.contact;
      },
      transferred: () => this.end('transferred', undefined),
      contained: (handler) => this.contained(handler),
    });
    this.parts = this.partsView();
    media.on('rtp-timeout', this.onRtpTimeout);
    media.on('failure', this.onMediaFailure);
    inviteTx.on(
      'ackTimeout',
      this.contained(() => this.close('ack-timeout')),
    );
    inviteTx.on(
      'cancel',
      this.contained(() => this.end('cancelled', 'caller')),
    );
    host.register(this, 'caller', this.callerCallId, inviteTx.toTag);
  }

  // --- Containment: whatever throws inside this call ends this call, never the process ----------

  /**
   * `handler` for an event this call listens to (a SIP response, a transaction timer, the media
   * plane): a throw ends the call with `error` instead of escaping into the event loop.
   */
  contained<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
    return (...args: A): void => {
      try {
        handler(...args);
      } catch (error) {
        this.fail(error);
      }
    };
  }

  /**
   * An unexpected error inside this call: 500 on `tx` (an open in-dialog transaction) and on an
   * unanswered INVITE, BYE on the legs that are up, media closed and `call-end` emitted (so the
   * KPI row is written). Other calls are not touched.
   */
  fail(error: unknown, tx?: ServerTransaction): void {
    try {
      this.host.failed(this, error);
    } finally {
      if (tx !== undefined && !tx.answered) tx.respond(500);
      this.end('error', undefined);
    }
  }

  /** An asynchronous handler's failure ends the call (500 on `tx`) instead of becoming an unhandled rejection. */
  private guard(work: Promise<void>, tx: ServerTransaction): void {
    work.catch((error: unknown) => {
      this.negotiation.relaying = false;
      this.fail(error, tx);
    });
  }

  /** 488 with a Warning naming what we cannot carry (RFC 3261 §20.43), and the call ends. */
  private refuseOffer(code: SdpErrorCode): void {
    this.sdpFailure = code;
    this.end('negotiation-failed', 'caller');
  }

  get state(): CallState {
    return this.stateValue;
  }

  /** Ending or ended: the media is (being) closed, nothing may touch it any more. */
  private get finished(): boolean {
    return this.stateValue === 'ending' || this.stateValue === 'ended';
  }

  get secure(): boolean {
    return this.media.secure;
  }

  /** Secure mode (digits clamped on the way to the agent), switched by the API. */
  setSecure(on: boolean): void {
    this.media.setSecure(on);
  }

  summary(): CallSummary {
    return {
      id: this.id,
      from: this.from,
      to: this.to,
      state: this.stateValue,
      mode: this.mode,
      secure: this.media.secure,
      callerCallId: this.callerCallId,
      agent: this.agentLeg,
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
    };
  }

  /** The view in-dialog-requests.ts and session-modification.ts work on: live state, the call's own parts. */
  private partsView(): InDialogCall {
    const call = this;
    return {
      mode: this.mode,
      get state(): CallState {
        return call.stateValue;
      },
      get finished(): boolean {
        return call.finished;
      },
      get contact(): string {
        return call.host.contact;
      },
      media: this.media,
      negotiation: this.negotiation,
      lifetime: this.lifetime,
      sessionTimer: this.sessionTimer,
      leg: (name) => (name === 'caller' ? this.caller : this.agent),
      allowsUpdate: (leg) => this.allowsUpdate[leg],
      guard: (work, tx) => this.guard(work, tx),
      transfer: this.transfer,
      callerAck: (ack) => this.callerAck(ack),
      bye: (leg) => this.bye(leg),
      warn: (message) => this.host.warn(message),
    };
  }

  private callerDialog(): Dialog | undefined {
    if (this.caller.dialog === undefined) {
      this.caller.dialog = Dialog.fromUasRequest(this.invite, this.inviteTx.toTag, this.host.contact, 'early');
    }
    return this.caller.dialog;
  }

  // --- B2BUA: the caller's INVITE to the PBX --------------------------------------------------

  /**
   * Sends the INVITE to the PBX (Request-URI from routing); 488 when the offer cannot be relayed.
   * An offerless INVITE (`offer` undefined) gets our own offer towards the PBX, and an offer of
   * the PBX's codec in our 200 to the caller, answered in its ACK (RFC 3261 §13.2.1).
   */
  startB2bua(targets: readonly UpstreamTarget[], offer: SdpDescription | undefined): void {
    this.agentSetup = new AgentLegSetup(this.agentSetupView(), offer);
    this.agentSetup.start(targets);
  }

  /** The view agent-leg-setup.ts works on: the PBX side's needs, and what the caller hears. */
  private agentSetupView(): AgentSetupHost {
    const call = this;
    const host = this.host;
    return {
      stack: host.stack,
      get contact(): string {
        return host.contact;
      },
      agentSrtp: host.agentSrtp,
      inviteTimeoutMs: host.inviteTimeoutMs,
      sessionTimer: this.sessionTimer,
      media: this.media,
      negotiation: this.negotiation,
      agent: this.agent,
      get trying(): boolean {
        return call.stateValue === 'trying';
      },
      get finished(): boolean {
        return call.finished;
      },
      invite: (target, sdp) => this.agentInvite(target, sdp),
      upstreamOutcome: (upstream, outcome, retryAfterS) => host.upstreamOutcome(upstream, outcome, retryAfterS),
      warn: (message) => host.warn(message),
      contained: (handler) => this.contained(handler),
      ringing: () => {
        this.stateValue = 'early';
        this.callerDialog();
      },
      provisional: (res, answer) => this.relayProvisional(res, answer),
      rejected: (res) => {
        // The PBX's refusal goes to the caller as is (busy, not found, ...); a challenge to us is not the caller's to answer.
        const status = res.status === 401 || res.status === 407 ? 403 : res.status;
        this.inviteTx.respond(status, status === res.status ? res.reason : undefined);
        this.end('rejected', 'agent');
      },
      agentAnswered: (res) => {
        this.allowsUpdate.agent = allowsUpdate(res);
        this.lifetime.sessionInterval('agent', uacFromResponse(res));
      },
      answered: (answer) => this.answerCaller(answer),
      offerless: (codec) => this.offerCallerInOk([codec]),
      refuse: (code) => this.refuseOffer(code),
      end: (reason) => this.end(reason, 'agent'),
    };
  }

  /** Our INVITE towards one target: a new agent dialog (Call-ID, From tag) known to the manager. */
  private agentInvite(target: UpstreamTarget, sdp: string): SipRequest {
    const { requestUri, destination } = target;
    const local = this.host.stack.localAddress(destination.transport) ?? this.host.stack.localAddress('udp');
    const fields = upstreamInvite({
      invite: this.invite,
      from: this.from,
      callId: this.id,
      identityTrusted: this.host.trustsIdentity(this.source),
      sessionTimer: this.sessionTimer,
      requestUri,
      localAddress: local?.address,
    });
    const req = this.host.stack.createRequest({
      method: 'INVITE',
      uri: requestUri,
      from: fields.from, // a new tag is added
      to: fields.to,
      contact: this.host.contact,
      headers: fields.headers,
      body: this.negotiation.sent('agent', sdp),
      contentType: SDP,
    });
    const fromTag = /;\s*tag=([^;\s]+)/.exec(req.headers.get('from') ?? '')?.[1] ?? '';
    const agentCallId = req.headers.get('call-id') ?? '';
    this.agentLeg = { callId: agentCallId, from: withoutTag(req.headers.get('from') ?? ''), to: withoutTag(req.headers.get('to') ?? '') };
    this.host.register(this, 'agent', agentCallId, fromTag);
    this.agent.peerAddress = destination.address;
    return req;
  }

  /** The PBX's 18x to the caller; with `answer` (from the PBX's SDP) the caller's early media starts. */
  private relayProvisional(res: SipResponse, answer: RelayedAnswer | undefined): void {
    if (answer !== undefined) {
      this.negotiation.apply('caller', answer);
      this.inviteTx.respond(res.status, res.reason, { body: this.negotiation.sent('caller', answer.sdp), contentType: SDP, headers: { contact: this.host.contact } });
      return;
    }
    this.inviteTx.respond(res.status, res.reason, { headers: { contact: this.host.contact } });
  }

  /** The PBX answered: our 200 to the caller with the answer to its offer. */
  private answerCaller(answer: RelayedAnswer): void {
    this.negotiation.apply('caller', answer);
    const callerDialog = this.callerDialog();
    if (callerDialog !== undefined) callerDialog.state = 'confirmed';
    this.inviteTx.respond(200, undefined, { body: this.negotiation.sent('caller', answer.sdp), contentType: SDP, headers: this.callerOkHeaders() });
    this.confirm();
  }

  private offerCallerInOk(codecs: readonly AudioCodecName[] | undefined): void {
    const sdp = this.negotiation;
    const offer = localOffer({ local: this.media.local('caller'), origin: sdp.origin('caller'), localKeyBase64: sdp.key('caller'), srtp: false, codecs });
    this.offerInOk = offer;
    const dialog = this.callerDialog();
    if (dialog !== undefined) dialog.state = 'confirmed';
    this.inviteTx.respond(200, undefined, { body: sdp.sent('caller', offer.sdp), contentType: SDP, headers: this.callerOkHeaders() });
    this.confirm();
  }

  /** The caller's ACK to a 200 that carried our offer: its answer is in the ACK (§13.2.1). */
  private onAckAnswer(ack: SipRequest): void {
    const offer = this.offerInOk;
    if (offer === undefined || this.finished) return;
    this.offerInOk = undefined;
    const answer = isSdp(ack) ? parseSdpDescription(bodyText(ack)) : undefined;
    try {
      if (answer === undefined) throw new SdpError('sdp-answer-invalid', 'no SDP answer in the ACK');
      const config = acceptAnswer(offer, answer, this.mode, 'caller');
      this.negotiation.configure('caller', config);
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.close('negotiation-failed');
    }
  }

  /** Our 2xx to the caller's INVITE: Contact, Allow, and the session timer we agreed (RFC 4028 §9). */
  private callerOkHeaders(): Record<string, string> {
    const timer = this.callerTimer.kind === 'timer' ? this.callerTimer.headers : {};
    return { contact: this.host.contact, allow: ALLOWED_METHODS, supported: 'timer', ...timer };
  }

  private confirm(): void {
    if (this.callerTimer.kind === 'timer') this.lifetime.sessionInterval('caller', this.callerTimer.interval);
    this.stateValue = 'confirmed';
    this.answeredAt = Date.now();
    this.host.answered(this);
    this.emit('answer');
  }

  // --- Endpoint mode: toneguard answers ---------------------------------------------------------

  /**
   * Answers the caller's INVITE ourselves; false (and 488 sent) when its offer is unusable.
   * Offerless (`offer` undefined): our offer goes in the 200, the answer comes in the ACK.
   */
  answerEndpoint(offer: SdpDescription | undefined): boolean {
    if (offer === undefined) {
      this.offerCallerInOk(ENDPOINT_CODECS);
      return true;
    }
    const sdp = this.negotiation;
    let answer;
    try {
      answer = answerAsEndpoint({ offer, local: this.media.local('caller'), origin: sdp.origin('caller'), localKeyBase64: sdp.key('caller') });
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.refuseOffer(error.code);
      return false;
    }
    sdp.configure('caller', answer.config);
    sdp.srtpAgreed('caller', answer.config);
    const dialog = this.callerDialog();
    if (dialog !== undefined) dialog.state = 'confirmed';
    this.inviteTx.respond(200, undefined, { body: sdp.sent('caller', answer.sdp), contentType: SDP, headers: this.callerOkHeaders() });
    this.confirm();
    return true;
  }

  /**
   * Returns the caller to `targetUri` with the result (REFER, result-transfer.ts). Resolves true when the transfer succeeded (NOTIFY with a 2xx sipfrag; we then hang up),
   * false when refused or failed.
   */
  async transferWithResult(targetUri: string, result: PaymentResultHeaders): Promise<boolean> {
    if (this.mode !== 'endpoint' || this.stateValue !== 'confirmed') return false;
    return this.transfer.start(targetUri, result);
  }

  /**
   * While a payment runs (B2BUA), an agent's BYE ends only the agent leg and calls `handler`: the
   * caller stays on to hear the payment's result, and the payment ends the call (or, as a
   * backstop, AGENT_GONE_GRACE_MS later the call ends as `agent-hangup`). null: an agent's BYE ends
   * the whole call again.
   */
  keepCallerOnAgentHangup(handler: (() => void) | null): void {
    this.onAgentHangup = this.mode === 'b2bua' ? handler : null;
  }

  private agentLeft(handler: () => void): void {
    this.onAgentHangup = null;
    // The agent's dialog is over (its BYE was answered): nothing more is sent on it, not even our BYE.
    if (this.agent.dialog !== undefined) this.agent.dialog.state = 'terminated';
    this.agentGoneTimer = setTimeout(
      this.contained(() => this.end('agent-hangup', 'agent')),
      AGENT_GONE_GRACE_MS,
    );
    this.agentGoneTimer.unref();
    this.contained(handler)();
  }

  /** Ends the call with a BYE carrying the result headers (result vocabulary in src/dialog/vocabulary.ts). */
  hangupWithResult(result: PaymentResultHeaders): void {
    const headers: Record<string, string> = {};
    for (const [name, value] of resultHeaderFields(result)) headers[name] = value;
    this.end('local', undefined, headers);
  }

  // --- In-dialog requests ---------------------------------------------------------------------

  /** A request in one of this call's dialogs (the manager matched Call-ID and our tag): in-dialog-requests.ts. */
  handleInDialog(legName: LegName, req: SipRequest, tx: ServerTransaction | undefined, source: Destination): void {
    handleInDialog(this.parts, legName, req, tx, source);
  }

  /** The caller's ACK. The media may now send towards the caller (it never does for an INVITE nobody ACKs). */
  private callerAck(ack: SipRequest): void {
    this.onAckAnswer(ack);
    if (this.stateValue === 'confirmed') this.media.dialogConfirmed('caller');
  }

  /** A BYE from the leg's peer (answered): the call ends, or only the agent leg while a payment runs. */
  private bye(legName: LegName): void {
    if (legName === 'agent' && this.onAgentHangup !== null) {
      this.agentLeft(this.onAgentHangup);
      return;
    }
    this.end(legName === 'caller' ? 'caller-hangup' : 'agent-hangup', legName);
  }

  // --- Ending -----------------------------------------------------------------------------------

  /** Ends the call: BYE (or a final response / CANCEL) on each leg still up, media closed. Idempotent. */
  close(reason: CallEndReason = 'local'): void {
    this.end(reason, undefined);
  }

  private end(reason: CallEndReason, from: LegName | undefined, byeHeaders?: Record<string, string>): void {
    if (this.stateValue === 'ending' || this.stateValue === 'ended') return;
    this.stateValue = 'ending';
    this.endReason = reason;
    clearTimeout(this.agentGoneTimer);
    // Each step runs even when one before it threw: the ports and the call's entry are released
    // and call-end is emitted whatever happened (the first error is rethrown to the caller).
    try {
      if (!this.inviteTx.answered) {
        const warning = reason === 'negotiation-failed' ? notAcceptable(this.sdpFailure ?? 'sdp-answer-invalid') : undefined;
        this.inviteTx.respond(unansweredStatus(reason), undefined, warning);
      } else if (from !== 'caller' && this.caller.dialog?.state === 'confirmed') void this.caller.request('BYE', byeHeaders === undefined ? undefined : { headers: byeHeaders });
      if (this.mode === 'b2bua' && from !== 'agent') {
        if (this.agent.dialog !== undefined) void this.agent.request('BYE');
        else this.agentSetup?.cancel(); // a 2xx after the CANCEL is ACKed and BYEd by the setup
      }
      if (this.transfer.pending) this.transfer.finish(false);
    } finally {
      try {
        this.lifetime.close();
        this.media.off('rtp-timeout', this.onRtpTimeout);
        this.media.off('failure', this.onMediaFailure);
        this.media.close();
      } finally {
        this.stateValue = 'ended';
        this.endedAt = Date.now();
        this.host.ended(this, reason);
        this.emit('end', reason);
      }
    }
  }
}
