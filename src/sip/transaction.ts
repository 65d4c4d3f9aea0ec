// What every transaction shares (RFC 3261 §17): where a message goes, the timer values T1, T2
// and T4, the context the stack hands a transaction (send, forget, CANCEL, Via), and the named
// timer set each state machine runs on. The machines themselves are in transaction-client.ts and
// transaction-server.ts; they are tested without sockets through this context and an injected clock.
import type { SipClock, TimerHandle } from './clock.js';
import type { SipMessage, SipRequest } from './message-types.js';
import type { ClientTransaction } from './transaction-client.js';
import type { ServerTransaction } from './transaction-server.js';

export type SipTransport = 'udp' | 'tcp' | 'tls';

/** Where a message goes (or came from). */
export interface Destination {
  readonly transport: SipTransport;
  readonly address: string;
  readonly port: number;
}

/** RFC 3261 §17.1.1.1 / Table 4, ms. */
export interface SipTimers {
  readonly T1: number;
  readonly T2: number;
  readonly T4: number;
}

export const DEFAULT_TIMERS: SipTimers = { T1: 500, T2: 4000, T4: 5000 };

export interface TransactionContext {
  readonly clock: SipClock;
  readonly timers: SipTimers;
  /** Sends; an asynchronous failure (TCP connect refused, ...) calls onError. */
  send(message: SipMessage, destination: Destination, onError?: (err: Error) => void): void;
  /** The transaction reached Terminated: forget it. */
  removed(tx: ClientTransaction | ServerTransaction): void;
  /** Starts a CANCEL client transaction for a pending INVITE (§9.1). */
  sendCancel?(invite: ClientTransaction): void;
  /** Adds this side's top Via (new branch) to a request that has none (the ACK of a 2xx). */
  stampVia?(req: SipRequest, transport: SipTransport): void;
  /** Server header for responses that do not set one. */
  readonly serverName?: string;
  /** ms before an INVITE server transaction sends 100 Trying itself (0: at once). */
  readonly trying100DelayMs?: number;
}

/** A transaction's running timers by name (A, B, E, ... of §17); starting one replaces its namesake. */
export class TransactionTimers {
  private readonly handles = new Map<string, TimerHandle>();
  constructor(private readonly clock: SipClock) {}
  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    this.handles.set(
      name,
      this.clock.setTimer(ms, () => {
        this.handles.delete(name);
        fn();
      }),
    );
  }
  stop(name: string): void {
    this.handles.get(name)?.cancel();
    this.handles.delete(name);
  }
  stopAll(): void {
    for (const h of this.handles.values()) h.cancel();
    this.handles.clear();
  }
  get size(): number {
    return this.handles.size;
  }
}
