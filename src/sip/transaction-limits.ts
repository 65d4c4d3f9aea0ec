// Limits on open server transactions, so that a flood cannot make the stack hold unbounded
// state: in all, per source address, and INVITEs from one source not yet finally answered (call
// attempts in progress). A request over a limit gets no transaction (the caller answers it 503
// statelessly); CANCEL is always let in, since it only ends a transaction.
import type { SipRequest } from './message-types.js';
import type { SipLimits } from './stack-config.js';
import type { ServerTransaction } from './transaction-server.js';

export class TransactionLimits {
  private readonly perSource = new Map<string, number>();
  private readonly pendingInvites = new Map<string, Set<ServerTransaction>>();
  private readonly txSource = new WeakMap<ServerTransaction, string>();
  /** Requests refused for a limit. */
  private refusedCount = 0;

  constructor(private readonly limits: SipLimits) {}

  get refused(): number {
    return this.refusedCount;
  }

  /**
   * Whether a new request from `address` may open a transaction, with `open` server transactions
   * open in all: undefined if it may, else why not (safe to log).
   */
  refusal(req: SipRequest, address: string, open: number): string | undefined {
    if (req.method === 'CANCEL') return undefined;
    const mine = this.perSource.get(address) ?? 0;
    let invites = 0;
    if (req.method === 'INVITE') {
      const pending = this.pendingInvites.get(address);
      if (pending !== undefined) {
        for (const tx of pending) if (tx.answered || tx.state === 'terminated') pending.delete(tx);
        if (pending.size === 0) this.pendingInvites.delete(address);
        invites = pending.size;
      }
    }
    if (open < this.limits.maxTransactions && mine < this.limits.maxTransactionsPerSource && invites < this.limits.maxPendingInvitesPerSource) return undefined;
    this.refusedCount++;
    return `${address}: transaction limit (${open} open, ${mine} from this source)`;
  }

  /** A server transaction opened for a request from `address`. */
  opened(tx: ServerTransaction, address: string): void {
    this.txSource.set(tx, address);
    this.perSource.set(address, (this.perSource.get(address) ?? 0) + 1);
    if (tx.method === 'INVITE') {
      let pending = this.pendingInvites.get(address);
      if (pending === undefined) this.pendingInvites.set(address, (pending = new Set()));
      pending.add(tx);
    }
  }

  /** A server transaction ended. */
  closed(tx: ServerTransaction): void {
    const src = this.txSource.get(tx);
    const pending = src === undefined ? undefined : this.pendingInvites.get(src);
    if (pending !== undefined && pending.delete(tx) && pending.size === 0 && src !== undefined) this.pendingInvites.delete(src);
    if (src !== undefined) {
      const n = (this.perSource.get(src) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(src);
      else this.perSource.set(src, n);
    }
  }
}
