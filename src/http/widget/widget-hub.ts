// The widget's live state per call (lifetime: the server). The integrator feeds it from the
// payment dialog's status events; the SSE route and the page read it. Listeners get the full
// state after every update (small, and a late subscriber needs nothing else), then `end`.
import { applyWidgetUpdate, initialWidgetState, type WidgetState, type WidgetStateUpdate } from './widget-state.js';

export type WidgetEvent = { readonly type: 'state'; readonly state: WidgetState } | { readonly type: 'end' };
export type WidgetListener = (event: WidgetEvent) => void;

export interface WidgetHubOptions {
  /** How many ended call IDs to remember, so that a widget opened late is told the call ended. */
  readonly endedMemory?: number;
}

export class WidgetHub {
  private readonly states = new Map<string, WidgetState>();
  private readonly listeners = new Map<string, Set<WidgetListener>>();
  // Insertion-ordered: the oldest is dropped first.
  private readonly ended = new Set<string>();
  private readonly endedMemory: number;

  constructor(options: WidgetHubOptions = {}) {
    this.endedMemory = options.endedMemory ?? 10_000;
  }

  /** Merges `update` into the call's state (created on first update) and tells the listeners. */
  update(callId: string, update: WidgetStateUpdate): WidgetState {
    const state = applyWidgetUpdate(this.states.get(callId) ?? initialWidgetState(callId), update);
    this.states.set(callId, state);
    this.ended.delete(callId);
    this.emit(callId, { type: 'state', state });
    return state;
  }

  /** The call is over: listeners get `end` and are dropped; the state is forgotten. */
  end(callId: string): void {
    this.states.delete(callId);
    this.ended.add(callId);
    if (this.ended.size > this.endedMemory) {
      const oldest = this.ended.values().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    this.emit(callId, { type: 'end' });
    this.listeners.delete(callId);
  }

  /** Listens to one call; returns the unsubscribe function (idempotent). */
  subscribe(callId: string, listener: WidgetListener): () => void {
    let set = this.listeners.get(callId);
    if (!set) {
      set = new Set();
      this.listeners.set(callId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(callId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(callId);
    };
  }

  /** The call's current state; undefined when the hub has never heard of it or it ended. */
  snapshot(callId: string): WidgetState | undefined {
    return this.states.get(callId);
  }

  /** Whether the call ended recently (within the last `endedMemory` ended calls). */
  hasEnded(callId: string): boolean {
    return this.ended.has(callId);
  }

  listenerCount(callId: string): number {
    return this.listeners.get(callId)?.size ?? 0;
  }

  /** Ends every call's listeners (server shutdown). */
  close(): void {
    for (const callId of [...this.listeners.keys()]) this.emit(callId, { type: 'end' });
    this.listeners.clear();
    this.states.clear();
  }

  private emit(callId: string, event: WidgetEvent): void {
    const set = this.listeners.get(callId);
    if (!set) return;
    for (const listener of [...set]) {
      // One broken listener (a closed socket) must not stop the others nor the dialog.
      try {
        listener(event);
      } catch {
        set.delete(listener);
      }
    }
  }
}
