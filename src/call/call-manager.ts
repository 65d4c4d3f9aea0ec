// The calls of the server (lifetime: the server). Takes every SIP request from the stack:
// INVITEs start calls (B2BUA towards the PBX, or endpoint mode for the payment URI), requests
// inside a dialog go to their call by Call-ID and our tag (the call checks the rest of the dialog ID), OPTIONS outside a dialog is answered
// (keep-alive pings from PBXs and load balancers). Limits: a global and a per-source count of
// calls (503 with Retry-After over either), and drain() for a graceful stop.
//
// Public API (the integrator wires it in `serve`):
//
//   const manager = new CallManager({ stack, upstream: 'sip:127.0.0.1:5070',
//     routes: [{ user: /^44/, upstream: 'sip:10.0.0.2:5060' }],        // optional, first match wins
//     paymentUri: 'sip:pay@127.0.0.1',                                  // endpoint mode (optional)
//     createMedia: ({ callId, mode }) => mediaSession,                  // ports bound at creation
//     limits: { maxCalls, maxCallsPerSource }, agentSrtp: 'mirror',
//     onPaymentCall: (call, params) => startPaymentDialog(call, params) });
//   manager.on('call-start' | 'call-answer', (call) => ...); manager.on('call-end', (call, reason) => ...);
//   manager.calls() -> CallSummary[] (GET /calls); manager.get(id) -> Call; await manager.drain(ms); manager.close().
//   call.setSecure(on); call.media (digits: call.media.on('digit')); call.close(reason);
//   endpoint mode: await call.transferWithResult(uri, result) / call.hangupWithResult(result).
//
// Session timers (RFC 4028) on both legs: `Require: timer` is honoured, a Session-Expires under
// our Min-SE gets 422. Not supported (answered, never crashed): other Require extensions (420:
// no 100rel), offerless re-INVITE (488), a body that is not SDP (488). REFER from either leg is
// relayed to the other leg with the same Refer-To (the transferee then calls the target itself).
//
// Containment: every entry point into a call (its INVITE, its in-dialog requests, the events it
// listens to) runs under a catch that ends that one call with `error` (500 where a transaction is
// open, BYE otherwise, ports released, call-end emitted) and reports `internal-error`.
//
// Beside it: invite-screening.ts (what a new INVITE gets before any call exists, pure),
// call-routing.ts (where it goes), call-registry.ts (the index of the calls and what they hold).
import { EventEmitter } from 'node:events';
import type { MediaSession } from '../media/media-session.js';
import { tagOf, type Destination, type SipRequest, type SipStack, type SipClock, type SipTransport, type ServerTransaction, type SipUri } from '../sip/sip-stack.js';
import { admit, DIALOG_CREATING, type AdmissionPolicy } from './admission.js';
import { Call } from './call.js';
import { ALLOWED_METHODS } from './call-messages.js';
import { CallRegistry } from './call-registry.js';
import type { CallEndReason, CallMode, CallSummary } from './call-types.js';
import { DEFAULT_LIFETIME, type LifetimeConfig } from './call-lifetime.js';
import { configUri, upstreamTargets, type CallTarget, type RouteRule } from './call-routing.js';
import { DEFAULT_CALL_LIMITS, RETRY_AFTER_S, screenInvite, type CallLimits } from './invite-screening.js';
import { UpstreamPool } from './upstream-pool.js';
import { parsePaymentParams, type PaymentCallParams } from './payment-headers.js';
import type { SdpDescription } from '../sip/sdp.js';
import type { SrtpPolicy } from './sdp-offer-answer.js';

export { DEFAULT_CALL_LIMITS, type CallLimits } from './invite-screening.js';

export interface MediaSessionRequest {
  readonly callId: string;
  readonly mode: CallMode;
  /**
   * The INVITE's offer may settle on Opus (it lists opus), or there is no offer yet. The media
   * workers cannot load the Opus binding (a native addon that loads in one thread only), so such
   * calls keep their media on the main thread.
   */
  readonly mayUseOpus: boolean;
}

export interface CallManagerOptions {
  readonly stack: SipStack;
  /** The PBX, `sip:host:port` (config `upstream`), or a pool of PBXs with failover. */
  readonly upstream: string | UpstreamPool;
  /** An upstream that sends no response at all within this long is given up for the next, ms (default 5000). */
  readonly inviteTimeoutMs?: number;
  /** Request-URI rules tried in order before `upstream`. */
  readonly routes?: readonly RouteRule[];
  /** Calls to this URI (user@host) are answered by toneguard (config `payment.uri`). */
  readonly paymentUri?: string;
  /** A MediaSession per call, ports bound (local() answers at once). */
  /** A MediaSession per call with its ports bound (local() answers at once); may be async (socket binding). */
  readonly createMedia: (request: MediaSessionRequest) => MediaSession | Promise<MediaSession>;
  readonly limits?: Partial<CallLimits>;
  /** SRTP towards the PBX: `mirror` the caller (default), `never`, `always`. */
  readonly agentSrtp?: SrtpPolicy;
  /** Transport of our Contact and of the INVITE to the PBX when its URI names none (default udp). */
  readonly transport?: SipTransport;
  /** Maximum duration, hold timeout and session timers of every call (default DEFAULT_LIFETIME). */
  readonly lifetime?: Partial<LifetimeConfig>;
  /** Timers of the calls (default systemClock; tests pass a ManualClock). */
  readonly clock?: SipClock;
  /**
   * RFC 3325 trust domain: P-Asserted-Identity, P-Preferred-Identity and Remote-Party-ID from a
   * caller at this address reach the PBX (`sip.trustedIdentitySources`; default: nobody).
   */
  readonly trustedIdentity?: (address: string) => boolean;
  /**
   * Who may create dialogs (`sip.trustedSources`, `sip.auth`); everyone else gets 403 (or a
   * digest challenge). Default: loopback only.
   */
  readonly admission?: AdmissionPolicy;
  /** An endpoint-mode call was answered: the payment dialog starts here. */
  readonly onPaymentCall?: (call: Call, params: PaymentCallParams) => void;
}

export type CallManagerEvents = {
  'call-start': [Call];
  'call-answer': [Call];
  'call-end': [Call, CallEndReason];
  'payment-call': [Call, PaymentCallParams];
  /** A problem worth a log line (no SIP content, no card data). */
  warning: [string];
  /** Something threw inside a call (the call, when known, was ended with `error`). */
  'internal-error': [unknown, Call | undefined];
};

const DEFAULT_INVITE_TIMEOUT_MS = 5000;

/** The default `sip.trustedSources` (127.0.0.0/8, ::1) when the integrator gives no policy. */
const LOOPBACK_ONLY: AdmissionPolicy = { trusted: (a) => a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.') };

export class CallManager extends EventEmitter<CallManagerEvents> {
  private readonly stack: SipStack;
  private readonly upstream: SipUri;
  private readonly pool: UpstreamPool;
  private readonly routes: readonly RouteRule[];
  private readonly paymentUri: SipUri | undefined;
  private readonly limits: CallLimits;
  private readonly transport: SipTransport;
  private readonly contact: string;
  private readonly lifetime: LifetimeConfig;
  private readonly registry = new CallRegistry();
  private draining = false;
  /** INVITEs whose media is being set up (counted against the limits like calls). */
  private pending = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: CallManagerOptions) {
    super();
    this.stack = options.stack;
    this.pool =
      typeof options.upstream === 'string' ? new UpstreamPool({ stack: options.stack, upstreams: [{ uri: options.upstream, priority: 0, weight: 1 }], probe: { intervalMs: 0 } }) : options.upstream;
    this.upstream = this.pool.upstreams[0].uri;
    this.routes = options.routes ?? [];
    for (const r of this.routes) configUri(r.upstream, 'route upstream');
    this.paymentUri = options.paymentUri === undefined || options.paymentUri === '' ? undefined : configUri(options.paymentUri, 'payment.uri');
    this.limits = { ...DEFAULT_CALL_LIMITS, ...options.limits };
    this.transport = options.transport ?? 'udp';
    this.lifetime = { ...DEFAULT_LIFETIME, ...options.lifetime };
    this.contact = this.stack.contact(this.transport, 'toneguard');
    this.stack.onRequest((req, tx, source) => this.onRequest(req, tx, source));
  }

  /** Calls in progress, for `GET /calls`. */
  calls(): CallSummary[] {
    return this.registry.calls().map((c) => c.summary());
  }

  /** A call by toneguard's id or either leg's SIP Call-ID (the PBX side knows only its own). */
  get(id: string): Call | undefined {
    return this.registry.get(id);
  }

  get size(): number {
    return this.registry.size;
  }

  /**
   * Graceful stop: new INVITEs get 503 from now on; calls still up after `graceMs` are ended
   * (BYE both legs). Resolves when no call is left.
   */
  drain(graceMs: number): Promise<void> {
    this.draining = true;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.registry.size > 0) return;
        this.off('call-end', check);
        clearTimeout(this.drainTimer);
        resolve();
      };
      this.on('call-end', check);
      clearTimeout(this.drainTimer);
      this.drainTimer = setTimeout(() => {
        for (const call of this.registry.calls()) call.close('drain');
      }, graceMs);
      check();
    });
  }

  /** Ends every call now and stops taking requests (the stack is closed by its owner). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    clearTimeout(this.drainTimer);
    for (const call of this.registry.calls()) call.close('local');
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | undefined, source: Destination): void {
    const toTag = tagOf(req.headers.get('to'));
    if (toTag !== undefined) {
      const found = this.registry.dialog(req.headers.get('call-id'), toTag);
      if (found === undefined) {
        if (req.method !== 'ACK') tx?.respond(481);
        return;
      }
      try {
        found.call.handleInDialog(found.leg, req, tx, source);
      } catch (error) {
        found.call.fail(error, tx);
      }
      return;
    }
    if (tx === undefined) return; // a stray ACK
    let bySource = true;
    if (DIALOG_CREATING.has(req.method)) {
      const verdict = admit(this.options.admission ?? LOOPBACK_ONLY, req, source.address, Date.now());
      if (!verdict.admitted) {
        if (verdict.status === 403) this.emit('warning', `${req.method} refused: source ${source.address} is not in sip.trustedSources`);
        tx.respond(verdict.status, undefined, verdict.headers === undefined ? undefined : { headers: verdict.headers });
        return;
      }
      bySource = verdict.by === 'source';
    }
    switch (req.method) {
      case 'INVITE':
        this.onInvite(req, tx, source, bySource);
        return;
      case 'OPTIONS':
        // A draining instance says so to load balancers probing it (Kamailio's dispatcher
        // marks it down on anything but 200), as it does to new INVITEs.
        if (this.draining) tx.respond(503, undefined, { headers: { 'retry-after': RETRY_AFTER_S } });
        else tx.respond(200, undefined, { headers: { allow: ALLOWED_METHODS, accept: 'application/sdp', 'accept-language': 'en', supported: 'timer' } });
        return;
      case 'REGISTER':
        tx.respond(405, undefined, { headers: { allow: ALLOWED_METHODS } });
        return;
      default:
        tx.respond(481);
    }
  }

  private onInvite(req: SipRequest, tx: ServerTransaction, source: Destination, trustedSource: boolean): void {
    const screening = screenInvite(req, {
      draining: this.draining,
      calls: this.registry.size + this.pending,
      fromSource: this.registry.fromSource(source.address),
      trustedSource,
      limits: this.limits,
      sessionTimer: this.lifetime.sessionTimer,
      routing: { paymentUri: this.paymentUri, upstream: this.upstream, routes: this.routes },
    });
    if (!screening.accepted) {
      tx.respond(screening.status, screening.reason, screening.headers === undefined ? undefined : { headers: screening.headers });
      return;
    }
    const { target, offer } = screening;
    tx.respond(100);
    const mode: CallMode = target.kind === 'endpoint' ? 'endpoint' : 'b2bua';
    const callId = req.headers.get('call-id') ?? '';
    if (this.registry.hasSipCallId(callId)) {
      tx.respond(482); // the same Call-ID already in a call here: a loop through us
      return;
    }
    // Binding the media ports is asynchronous: the INVITE's transaction absorbs retransmissions
    // meanwhile, a CANCEL in that window is remembered, and the call counts against the limits.
    let cancelled = false;
    const onCancel = (): void => {
      cancelled = true;
    };
    tx.on('cancel', onCancel);
    this.pending += 1;
    let created: MediaSession | Promise<MediaSession>;
    try {
      const mayUseOpus = offer === undefined || offer.media.some((m) => m.codecs.some((c) => c.encoding.toLowerCase() === 'opus'));
      created = this.options.createMedia({ callId, mode, mayUseOpus });
    } catch {
      this.pending -= 1;
      tx.off('cancel', onCancel);
      this.mediaFailed(tx);
      return;
    }
    void Promise.resolve(created).then(
      (media) => {
        this.pending -= 1;
        tx.off('cancel', onCancel);
        if (cancelled || this.closed || this.registry.hasSipCallId(callId)) {
          media.close();
          if (!cancelled) tx.respond(this.closed ? 503 : 482);
          return;
        }
        this.startCall(req, tx, source, mode, media, target, offer);
      },
      () => {
        this.pending -= 1;
        tx.off('cancel', onCancel);
        if (!cancelled) this.mediaFailed(tx);
      },
    );
  }

  private mediaFailed(tx: ServerTransaction): void {
    this.emit('warning', 'media session could not be created (ports exhausted?)');
    tx.respond(503, undefined, { headers: { 'retry-after': RETRY_AFTER_S } });
  }

  private startCall(req: SipRequest, tx: ServerTransaction, source: Destination, mode: CallMode, media: MediaSession, target: CallTarget, offer: SdpDescription | undefined): void {
    let call: Call;
    try {
      call = new Call(
        {
          stack: this.stack,
          contact: this.contact,
          agentSrtp: this.options.agentSrtp ?? 'mirror',
          register: (c, leg, id, tag) => this.registry.register(c, leg, id, tag),
          ended: (c, reason) => this.ended(c, reason),
          answered: (c) => this.emit('call-answer', c),
          failed: (c, error) => this.emit('internal-error', error, c),
          clock: this.options.clock,
          lifetime: this.lifetime,
          trustsIdentity: (source) => this.options.trustedIdentity?.(source.address) ?? false,
          warn: (message) => this.emit('warning', message),
          inviteTimeoutMs: this.options.inviteTimeoutMs ?? DEFAULT_INVITE_TIMEOUT_MS,
          upstreamOutcome: (upstream, outcome, retryAfterS) => this.pool.report(upstream, outcome, retryAfterS),
        },
        req,
        tx,
        source,
        mode,
        media,
      );
    } catch (error) {
      media.close();
      tx.respond(500);
      this.emit('internal-error', error, undefined);
      return;
    }
    this.registry.add(call, this.stack.holdConnection(source));
    try {
      this.answerOrRelay(call, req, target, offer);
    } catch (error) {
      call.fail(error);
    }
  }

  private answerOrRelay(call: Call, req: SipRequest, target: CallTarget, offer: SdpDescription | undefined): void {
    this.emit('call-start', call);
    if (target.kind === 'endpoint') {
      if (!call.answerEndpoint(offer)) return;
      const params = parsePaymentParams((name) => req.headers.get(name));
      this.emit('payment-call', call, params);
      this.options.onPaymentCall?.(call, params);
      return;
    }
    const targets = upstreamTargets(target, () => this.pool.candidates(), this.transport);
    if (targets.length === 0) {
      call.close('error');
      return;
    }
    for (const t of targets) this.registry.hold(call, this.stack.holdConnection(t.destination));
    call.startB2bua(targets, offer);
  }

  private ended(call: Call, reason: CallEndReason): void {
    if (!this.registry.remove(call)) return;
    try {
      this.emit('call-end', call, reason);
    } catch (error) {
      this.emit('internal-error', error, call);
    }
  }
}
