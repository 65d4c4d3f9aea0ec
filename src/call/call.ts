// One call through toneguard (lifetime: INVITE in to the last BYE), with its two legs (`caller`,
// `agent`; only `caller` in endpoint mode) and its MediaSession. B2BUA (RFC 7092 "signalling and
// media plane B2BUA"): each leg is its own dialog with its own Call-ID, tags and CSeq; SDP is
// negotiated per leg (sdp-offer-answer.ts) so media flows through toneguard's ports; requests
// of one leg are relayed into the other. close() ends both legs and the media, once.
//
// This file is the call's state machine and the one owner of its lifetime: its states, the BYE
// policy, and the end that cascades to everything the call holds (legs, both legs' setup, the
// transfer, timers, media). Its parts live beside it, each owned by the call: call-types.ts (the
// contract with the manager), call-messages.ts (the SIP messages, pure), call-negotiation.ts
// (per-leg SDP state), caller-leg-setup.ts (what the caller hears until our 2xx is ACKed),
// agent-leg-setup.ts with upstream-dial.ts (the PBX side of call setup), in-dialog-requests.ts
// with in-dialog-relay.ts (requests inside the dialogs), session-modification.ts (re-INVITE,
// UPDATE, session refresh), result-transfer.ts (endpoint mode's transfer with the result),
// agent-hangup-grace.ts (the caller kept on after the agent's BYE under a payment) and
// call-lifetime.ts (the clocks that end a call).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { LegName, MediaSession } from '../media/media-session.js';
import { systemClock, type Destination, type SipRequest, type ServerTransaction } from '../sip/sip-stack.js';
import { AgentHangupGrace } from './agent-hangup-grace.js';
import { AgentLegSetup, type AgentSetupHost } from './agent-leg-setup.js';
import { CallLifetime, DEFAULT_LIFETIME } from './call-lifetime.js';
import { allowsUpdate, withoutTag } from './call-messages.js';
import { CallNegotiation } from './call-negotiation.js';
import type { CallEndReason, CallEvents, CallHost, CallMode, CallState, CallSummary, UpstreamTarget } from './call-types.js';
import { CallerLegSetup } from './caller-leg-setup.js';
import { handleInDialog, type InDialogCall } from './in-dialog-requests.js';
import { Leg } from './leg.js';
import { resultHeaderFields, type PaymentResultHeaders } from './payment-headers.js';
import { ResultTransfer } from './result-transfer.js';
import type { SdpDescription } from '../sip/sdp.js';
import { refreshSession } from './session-modification.js';
import { uacFromResponse, type SessionTimerConfig } from './session-timer.js';

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
  /** What the caller hears until our 2xx is ACKed. */
  private readonly callerSetup: CallerLegSetup;
  /** The agent leg coming up (B2BUA), once started. */
  private agentSetup: AgentLegSetup | undefined;
  /** Endpoint mode: the caller returned with the payment result. */
  private readonly transfer: ResultTransfer;
  private readonly lifetime: CallLifetime;
  private readonly sessionTimer: SessionTimerConfig;
  /** Whether each peer takes UPDATE (its Allow), the cheaper session refresh (RFC 4028 §7.4). */
  private readonly allowsUpdate: Record<LegName, boolean> = { caller: false, agent: false };
  private readonly agentHangup: AgentHangupGrace;
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
    this.agentHangup = new AgentHangupGrace({
      agent: this.agent,
      end: () => this.end('agent-hangup', 'agent'),
      contained: (handler) => this.contained(handler),
    });
    const lifetime = host.lifetime ?? DEFAULT_LIFETIME;
    this.sessionTimer = lifetime.sessionTimer;
    this.allowsUpdate.caller = allowsUpdate(invite);
    this.lifetime = new CallLifetime(lifetime, {
      clock: host.clock ?? systemClock,
      end: (reason) => this.close(reason),
      refresh: (leg, interval) => refreshSession(this.parts, leg, interval),
    });
    this.negotiation = new CallNegotiation(media, this.lifetime, host.agentSrtp);
    this.callerSetup = this.callerSetupPart();
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

  /** The caller's side of setup: our responses to its INVITE, and what they start. */
  private callerSetupPart(): CallerLegSetup {
    const call = this;
    const host = this.host;
    return new CallerLegSetup({
      invite: this.invite,
      inviteTx: this.inviteTx,
      caller: this.caller,
      get contact(): string {
        return host.contact;
      },
      mode: this.mode,
      media: this.media,
      negotiation: this.negotiation,
      lifetime: this.lifetime,
      sessionTimer: this.sessionTimer,
      get finished(): boolean {
        return call.finished;
      },
      confirmed: () => this.confirm(),
      offerRefused: () => this.end('negotiation-failed', 'caller'),
      close: (reason) => this.close(reason),
    });
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
      callerInvite: this.invite,
      from: this.from,
      callId: this.id,
      get identityTrusted(): boolean {
        return host.trustsIdentity(call.source);
      },
      dialling: (leg, fromTag) => {
        this.agentLeg = leg;
        host.register(this, 'agent', leg.callId, fromTag);
      },
      upstreamOutcome: (upstream, outcome, retryAfterS) => host.upstreamOutcome(upstream, outcome, retryAfterS),
      warn: (message) => host.warn(message),
      contained: (handler) => this.contained(handler),
      ringing: () => {
        this.stateValue = 'early';
        this.callerSetup.dialog();
      },
      provisional: (res, answer) => this.callerSetup.provisional(res, answer),
      rejected: (res) => {
        this.callerSetup.rejected(res);
        this.end('rejected', 'agent');
      },
      agentAnswered: (res) => {
        this.allowsUpdate.agent = allowsUpdate(res);
        this.lifetime.sessionInterval('agent', uacFromResponse(res));
      },
      answered: (answer) => this.callerSetup.answered(answer),
      offerless: (codec) => this.callerSetup.offer([codec]),
      refuse: (code) => this.callerSetup.refuseOffer(code),
      end: (reason) => this.end(reason, 'agent'),
    };
  }

  /** Our 2xx went out (caller-leg-setup.ts): the call is up. */
  private confirm(): void {
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
    return this.callerSetup.answerAsEndpoint(offer);
  }

  /**
   * Returns the caller to `targetUri` with the result (REFER, result-transfer.ts). Resolves true when the transfer succeeded (NOTIFY with a 2xx sipfrag; we then hang up),
   * false when refused or failed.
   */
  async transferWithResult(targetUri: string, result: PaymentResultHeaders): Promise<boolean> {
    // One transfer at a time: a second REFER while the first awaits its NOTIFY would leave the
    // first's outcome to whichever NOTIFY came; it is refused instead.
    if (this.mode !== 'endpoint' || this.stateValue !== 'confirmed' || this.transfer.pending) return false;
    return this.transfer.start(targetUri, result);
  }

  /**
   * While a payment runs (B2BUA), an agent's BYE ends only the agent leg and calls `handler`: the
   * caller stays on to hear the payment's result, and the payment ends the call (or, as a
   * backstop, agent-hangup-grace.ts's grace later the call ends as `agent-hangup`). null: an
   * agent's BYE ends the whole call again.
   */
  keepCallerOnAgentHangup(handler: (() => void) | null): void {
    this.agentHangup.keepCaller(this.mode === 'b2bua' ? handler : null);
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
    this.callerSetup.ack(ack);
    if (this.stateValue === 'confirmed') this.media.dialogConfirmed('caller');
  }

  /** A BYE from the leg's peer (answered): the call ends, or only the agent leg while a payment runs. */
  private bye(legName: LegName): void {
    if (legName === 'agent' && this.agentHangup.agentLeft()) return;
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
    this.agentHangup.close();
    // Each step runs even when one before it threw: the ports and the call's entry are released
    // and call-end is emitted whatever happened (the first error is rethrown to the caller).
    try {
      if (!this.inviteTx.answered) this.callerSetup.refuse(reason);
      else if (from !== 'caller' && this.caller.dialog?.state === 'confirmed') void this.caller.request('BYE', byeHeaders === undefined ? undefined : { headers: byeHeaders });
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
