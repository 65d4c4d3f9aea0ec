// Time for the transaction timers (RFC 3261 §17), injectable so tests run timer B (32 s) in
// microseconds: the stack only ever asks this interface, never setTimeout directly.

export interface TimerHandle {
  readonly cancel: () => void;
}

export interface SipClock {
  /** ms, monotonic. */
  now(): number;
  /** Calls fn once after ms; the handle cancels it. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: SipClock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told (tests): `advance(ms)` fires due timers in time order. */
export class ManualClock implements SipClock {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.seq++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return { cancel: () => void this.timers.delete(id) };
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /** Whether a pending timer is due exactly at `at` (tests: wait until work has armed its timer). */
  hasTimerDue(at: number): boolean {
    for (const t of this.timers.values()) if (t.at === at) return true;
    return false;
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= target && (t.at < nextAt || (t.at === nextAt && nextId !== undefined && id < nextId))) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId);
      this.timers.delete(nextId);
      this.time = nextAt;
      timer?.fn();
    }
    this.time = target;
  }
}
