// The dialog's only contact with time, injected so that tests run instantly and deterministically.

export interface TimerHandle {
  readonly id: number;
}

export interface DialogTimers {
  /** Wall clock, epoch ms (session record times, expiry checks). */
  now(): number;
  /** Calls `fire` once after `ms`. */
  set(ms: number, fire: () => void): TimerHandle;
  clear(handle: TimerHandle): void;
}

/** setTimeout and Date.now. */
export class RealTimers implements DialogTimers {
  readonly #pending = new Map<number, NodeJS.Timeout>();
  #next = 1;

  now(): number {
    return Date.now();
  }

  set(ms: number, fire: () => void): TimerHandle {
    const id = this.#next++;
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      fire();
    }, ms);
    this.#pending.set(id, timer);
    return { id };
  }

  clear(handle: TimerHandle): void {
    clearTimeout(this.#pending.get(handle.id));
    this.#pending.delete(handle.id);
  }
}

/** Virtual time that moves only when told (`advance`), firing due timers in order. */
export class ManualTimers implements DialogTimers {
  #nowMs: number;
  #next = 1;
  readonly #pending = new Map<number, { at: number; fire: () => void }>();

  constructor(startMs: number) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  set(ms: number, fire: () => void): TimerHandle {
    const id = this.#next++;
    this.#pending.set(id, { at: this.#nowMs + ms, fire });
    return { id };
  }

  clear(handle: TimerHandle): void {
    this.#pending.delete(handle.id);
  }

  /** Timers still armed. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  advance(ms: number): void {
    const until = this.#nowMs + ms;
    for (;;) {
      let dueId = -1;
      let dueAt = Infinity;
      for (const [id, t] of this.#pending) {
        if (t.at <= until && t.at < dueAt) {
          dueAt = t.at;
          dueId = id;
        }
      }
      if (dueId < 0) break;
      const timer = this.#pending.get(dueId);
      this.#pending.delete(dueId);
      this.#nowMs = dueAt;
      timer?.fire();
    }
    this.#nowMs = until;
  }
}
