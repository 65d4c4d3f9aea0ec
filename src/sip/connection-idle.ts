// When a TCP/TLS connection is closed for saying nothing: an incoming one must deliver a complete
// message within firstMessageTimeoutMs (slow-loris: bytes trickled to hold a slot), and any one
// with no complete message for tcpIdleTimeoutMs is closed unless something lives on it (a
// transaction, or a dialog that holds it: a call may send nothing for hours between its ACK and
// its BYE). Only complete messages count as activity; partial bytes never do.
import type { SipClock, TimerHandle } from './clock.js';
import type { SipLimits } from './stack-config.js';

/** The part of a stream connection the idle rules read and write. */
export interface WatchedConnection {
  readonly socket: { readonly destroyed: boolean; destroy(): void };
  /** Connection table key (transport|address|port): what holds count against. */
  readonly key: string;
  /** clock ms of the last complete message received; undefined before the first. */
  lastMessageAt: number | undefined;
  timer: TimerHandle | undefined;
}

export class ConnectionIdle {
  /** Transactions and held dialogs per connection key: such a connection is not idle. */
  private readonly users = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly clock: SipClock,
    private readonly limits: SipLimits,
  ) {}

  /** An incoming connection: a complete message soon, or it goes. */
  watchIncoming(conn: WatchedConnection): void {
    conn.timer = this.clock.setTimer(this.limits.firstMessageTimeoutMs, () => {
      if (conn.lastMessageAt === undefined) conn.socket.destroy();
    });
  }

  /** Our own connection: the peer has no first message to send; idle rules from now. */
  watchOutgoing(conn: WatchedConnection): void {
    conn.lastMessageAt = this.clock.now();
    this.armIdleCheck(conn, this.limits.tcpIdleTimeoutMs);
  }

  /** A complete message arrived on the connection. */
  heard(conn: WatchedConnection): void {
    const first = conn.lastMessageAt === undefined;
    conn.lastMessageAt = this.clock.now();
    if (first) this.armIdleCheck(conn, this.limits.tcpIdleTimeoutMs);
  }

  /** Counts one more (+1) or one fewer (-1) user of the connection with this key. */
  use(key: string, delta: number): void {
    const n = (this.users.get(key) ?? 0) + delta;
    if (n <= 0) this.users.delete(key);
    else this.users.set(key, n);
  }

  /** The idle checks still pending do nothing from now on (the stack is closing). */
  stop(): void {
    this.stopped = true;
  }

  /** Closes the connection once idle long enough with nothing living on it; else looks again later. */
  private armIdleCheck(conn: WatchedConnection, delayMs: number): void {
    conn.timer?.cancel();
    conn.timer = this.clock.setTimer(delayMs, () => {
      conn.timer = undefined;
      if (this.stopped || conn.socket.destroyed) return;
      const idleFor = this.clock.now() - (conn.lastMessageAt ?? 0);
      const idle = this.limits.tcpIdleTimeoutMs;
      if (idleFor < idle) this.armIdleCheck(conn, idle - idleFor);
      else if ((this.users.get(conn.key) ?? 0) === 0) conn.socket.destroy();
      else this.armIdleCheck(conn, idle);
    });
  }
}
