// The caller's INVITE on its way to the PBX (B2BUA mode; lifetime: from the call's start until a
// target answers, refuses or all have failed, or the call ends and cancels it). One INVITE per
// target in order: no response at all within inviteTimeoutMs, a timeout, a transport error, 408
// or 5xx move on to the next target while the caller has heard nothing but 100 Trying (after a
// 18x the caller's call belongs to that PBX); one retry after a 422 (RFC 4028 §7.4). What the
// responses mean for the call (early media, the agent's dialog, the 2xx to the caller) is the
// Call's: this only decides which attempt is current and when to give up.
import type { ClientTransaction, Destination, SipRequest, SipResponse, SipStack } from '../sip/sip-stack.js';
import type { UpstreamTarget } from './call-types.js';
import { inviteRetry } from './call-messages.js';
import { retryAfterTooSmall, type SessionTimerConfig } from './session-timer.js';
import { finalOutcome, type Upstream, type UpstreamOutcome } from './upstream-pool.js';

/** What an UpstreamDial needs from its call. */
export interface DialHost {
  readonly stack: SipStack;
  /** How long a target may take to send its first response before the next one is tried, ms. */
  readonly inviteTimeoutMs: number;
  readonly sessionTimer: SessionTimerConfig;
  /** A new INVITE towards `target` (its own Call-ID and From tag), its dialog registered. */
  invite(target: UpstreamTarget): SipRequest;
  /** The caller has heard nothing but 100 Trying: another target may still take the call. */
  mayFailOver(): boolean;
  /** The call is ending or ended. */
  finished(): boolean;
  /** A provisional response of the current attempt. */
  provisional(res: SipResponse): void;
  /**
   * A final response to be acted on: the current attempt's 2xx or refusal, or a 2xx from an
   * attempt given up on (the call ACKs and ends that dialog; `dial.isCurrent(ctx)` tells which).
   */
  final(req: SipRequest, ctx: ClientTransaction, destination: Destination, res: SipResponse): void;
  /** Every target failed: the call ends. */
  exhausted(reason: 'no-answer' | 'error'): void;
  upstreamOutcome(upstream: Upstream, outcome: UpstreamOutcome, retryAfterS: number | undefined): void;
  warn(message: string): void;
  /** The call's containment: a throw in `handler` ends the call, not the process. */
  contained<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void;
}

export class UpstreamDial {
  /** The attempt whose responses still count; older ones are only cleaned up. */
  private attempt: ClientTransaction | undefined;
  /** Our INVITE was already retried after a 422 (§7.4: once per call). */
  private retriedTooSmall = false;

  constructor(
    private readonly host: DialHost,
    private readonly targets: readonly UpstreamTarget[],
  ) {}

  start(): void {
    this.tryTarget(0);
  }

  /** Whether `ctx` is the attempt that may still set up the agent leg. */
  isCurrent(ctx: ClientTransaction): boolean {
    return this.attempt === ctx;
  }

  /** CANCEL the attempt in flight (RFC 3261 §9.1; the transaction sends it once a response came). */
  cancel(): void {
    this.attempt?.cancel();
  }

  private tryTarget(index: number): void {
    this.send(index, this.host.invite(this.targets[index]));
  }

  private send(index: number, req: SipRequest): void {
    const host = this.host;
    const target = this.targets[index];
    const { destination } = target;
    const ctx = host.stack.request(req, destination);
    this.attempt = ctx;
    const current = (): boolean => this.attempt === ctx;
    let heard = false;
    /** This attempt failed with `outcome`: true when that is handled (another target tried, or a stale attempt). */
    const failed = (outcome: UpstreamOutcome, res?: SipResponse): boolean => {
      clearTimeout(firstAnswer);
      if (!current()) return true;
      const retryAfter = Number.parseInt(res?.headers.get('retry-after') ?? '', 10);
      if (target.upstream !== undefined) host.upstreamOutcome(target.upstream, outcome, Number.isFinite(retryAfter) ? retryAfter : undefined);
      if (!host.mayFailOver() || index + 1 >= this.targets.length) return false;
      host.warn(`upstream ${target.label} failed (${outcome}); trying ${this.targets[index + 1].label}`);
      this.tryTarget(index + 1);
      return true;
    };
    const firstAnswer = setTimeout(
      host.contained(() => {
        if (heard || !current()) return;
        ctx.cancel();
        if (!failed('timeout')) host.exhausted('no-answer');
      }),
      host.inviteTimeoutMs,
    );
    firstAnswer.unref();
    ctx.on(
      'provisional',
      host.contained((res: SipResponse) => {
        heard = true;
        clearTimeout(firstAnswer);
        if (current()) host.provisional(res);
      }),
    );
    ctx.on(
      'final',
      host.contained((res: SipResponse) => {
        heard = true;
        clearTimeout(firstAnswer);
        if (!current()) {
          // An upstream we gave up on answered after all: end that dialog (ACK and BYE).
          if (res.status < 300) host.final(req, ctx, destination, res);
          return;
        }
        const retry = this.retryTooSmall(req, res);
        if (retry !== undefined) {
          this.send(index, retry);
          return;
        }
        const outcome = finalOutcome(res.status);
        if (outcome !== 'answered' && outcome !== 'rejected' && failed(outcome, res)) return;
        if (target.upstream !== undefined && (outcome === 'answered' || outcome === 'rejected')) host.upstreamOutcome(target.upstream, outcome, undefined);
        host.final(req, ctx, destination, res);
      }),
    );
    ctx.on(
      'timeout',
      host.contained(() => {
        if (!failed('timeout')) host.exhausted('no-answer');
      }),
    );
    ctx.on(
      'transportError',
      host.contained(() => {
        if (!failed('transport-error')) host.exhausted('error');
      }),
    );
  }

  /** RFC 4028 §7.4: after a 422, once more with the PBX's Min-SE. */
  private retryTooSmall(req: SipRequest, res: SipResponse): SipRequest | undefined {
    if (res.status !== 422 || this.retriedTooSmall || this.host.finished()) return undefined;
    const larger = retryAfterTooSmall(res, this.host.sessionTimer);
    if (larger === undefined) return undefined;
    this.retriedTooSmall = true;
    return inviteRetry(req, larger);
  }
}
