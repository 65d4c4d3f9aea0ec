// Nothing lives forever: the clocks that end a call by themselves. A maximum duration from the
// first INVITE; a hold timeout for a leg that is not expected to send RTP (held with
// c=0.0.0.0, sendonly/inactive: the RTP timeout does not apply to it, so without this a held
// call would keep its ports for good); and per leg the RFC 4028 session timer, refreshed by us
// (at half the interval) or by the peer (before interval - min(32, interval/3), §10).
// Time comes from a SipClock, so tests run hours in microseconds.
import type { LegMediaConfig, LegName } from '../media/media-session.js';
import type { SipClock, TimerHandle } from '../sip/clock.js';
import { DEFAULT_SESSION_TIMER, expiryDelayMs, refreshDelayMs, type SessionInterval, type SessionTimerConfig } from './session-timer.js';

export interface LifetimeConfig {
  /** A call ends this long after its INVITE arrived, ms (0: never). */
  readonly maxCallMs: number;
  /** A leg on hold or inactive for this long ends the call, ms (0: never). */
  readonly holdTimeoutMs: number;
  readonly sessionTimer: SessionTimerConfig;
}

export const DEFAULT_LIFETIME: LifetimeConfig = { maxCallMs: 4 * 3600_000, holdTimeoutMs: 900_000, sessionTimer: DEFAULT_SESSION_TIMER };

export type LifetimeEndReason = 'max-duration' | 'hold-timeout' | 'session-expired';

/** What a refresh we sent came to: the interval now in force, or a failure (fatal: 408/481/no answer, §10). */
export type RefreshOutcome = { readonly kind: 'refreshed'; readonly interval: SessionInterval | undefined } | { readonly kind: 'failed'; readonly fatal: boolean };

export interface LifetimeHost {
  readonly clock: SipClock;
  end(reason: LifetimeEndReason): void;
  /** Send a session refresh on the leg (UPDATE or re-INVITE). */
  refresh(leg: LegName, interval: SessionInterval): Promise<RefreshOutcome>;
}

interface LegTimers {
  hold: TimerHandle | undefined;
  refresh: TimerHandle | undefined;
  expiry: TimerHandle | undefined;
  interval: SessionInterval | undefined;
}

/** A leg we do not expect RTP from (RFC 3264 §8.4 hold, or inactive). */
export function isHeld(config: LegMediaConfig): boolean {
  return config.remote === null || config.direction === 'sendonly' || config.direction === 'inactive';
}

export class CallLifetime {
  private readonly legs: Record<LegName, LegTimers> = {
    caller: { hold: undefined, refresh: undefined, expiry: undefined, interval: undefined },
    agent: { hold: undefined, refresh: undefined, expiry: undefined, interval: undefined },
  };
  private readonly maxTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly config: LifetimeConfig,
    private readonly host: LifetimeHost,
  ) {
    this.maxTimer = config.maxCallMs > 0 ? host.clock.setTimer(config.maxCallMs, () => this.end('max-duration')) : undefined;
  }

  /** A leg's media was (re)negotiated: hold starts or stops that leg's hold clock. */
  mediaConfigured(leg: LegName, config: LegMediaConfig): void {
    if (this.closed || this.config.holdTimeoutMs <= 0) return;
    const l = this.legs[leg];
    if (!isHeld(config)) {
      l.hold?.cancel();
      l.hold = undefined;
    } else if (l.hold === undefined) {
      l.hold = this.host.clock.setTimer(this.config.holdTimeoutMs, () => this.end('hold-timeout'));
    }
  }

  /** The session interval negotiated on a leg (undefined: none) starts or restarts its clocks. */
  sessionInterval(leg: LegName, interval: SessionInterval | undefined): void {
    if (this.closed) return;
    const l = this.legs[leg];
    l.refresh?.cancel();
    l.expiry?.cancel();
    l.refresh = undefined;
    l.expiry = undefined;
    l.interval = interval;
    if (interval === undefined) return;
    const clock = this.host.clock;
    l.expiry = clock.setTimer(expiryDelayMs(interval), () => this.end('session-expired'));
    if (interval.weRefresh) l.refresh = clock.setTimer(refreshDelayMs(interval), () => void this.refresh(leg, interval));
  }

  /** The peer refreshed the session on a leg (a re-INVITE or UPDATE it sent); `interval` when it renegotiated. */
  peerRefreshed(leg: LegName, interval: SessionInterval | undefined): void {
    const next = interval ?? this.legs[leg].interval;
    if (next !== undefined) this.sessionInterval(leg, next);
  }

  /** The interval in force on a leg, if any. */
  interval(leg: LegName): SessionInterval | undefined {
    return this.legs[leg].interval;
  }

  private async refresh(leg: LegName, interval: SessionInterval): Promise<void> {
    this.legs[leg].refresh = undefined;
    let outcome: RefreshOutcome;
    try {
      outcome = await this.host.refresh(leg, interval);
    } catch {
      outcome = { kind: 'failed', fatal: false };
    }
    if (this.closed) return;
    if (outcome.kind === 'refreshed') this.sessionInterval(leg, outcome.interval ?? interval);
    else if (outcome.fatal) this.end('session-expired');
    // Otherwise the expiry clock still runs: the session ends unless a later refresh succeeds.
  }

  private end(reason: LifetimeEndReason): void {
    if (this.closed) return;
    this.close();
    this.host.end(reason);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.maxTimer?.cancel();
    for (const l of Object.values(this.legs)) {
      l.hold?.cancel();
      l.refresh?.cancel();
      l.expiry?.cancel();
    }
  }
}
