// Client transactions (RFC 3261 §17.1): INVITE (timers A, B, D; RFC 6026 Accepted with timer M)
// and non-INVITE (E, F, K), CANCEL held until a provisional response (§9.1), and the ACK and
// CANCEL requests the client side builds from its INVITE.
import { EventEmitter } from 'node:events';
import { parseCSeq, parseVia } from './grammar.js';
import { SipHeaders, type SipMessage, type SipRequest, type SipResponse } from './message-types.js';
import { TransactionTimers, type Destination, type TransactionContext } from './transaction.js';

export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export type ClientTransactionEvents = {
  /** 1xx (100 included). */
  provisional: [SipResponse];
  /** A final response; for INVITE, every 2xx with a new To tag (forking) and the first non-2xx. */
  final: [SipResponse];
  /** Timer B or F fired, or 64*T1 after a CANCEL with no final response (§9.1). */
  timeout: [];
  transportError: [Error];
  terminated: [];
};

/** Top Via branch of a message. */
export function topBranch(message: SipMessage): string | undefined {
  const top = message.headers.list('via')[0];
  return top === undefined ? undefined : parseVia(top)?.branch;
}

export class ClientTransaction extends EventEmitter<ClientTransactionEvents> {
  readonly request: SipRequest;
  readonly destination: Destination;
  readonly method: string;
  readonly branch: string;
  private stateValue: ClientTransactionState;
  private readonly timers: TransactionTimers;
  private lastFinal: SipResponse | undefined;
  private ackForNon2xx: SipRequest | undefined;
  private ack2xx: SipRequest | undefined;
  private readonly seenTags = new Set<string>();
  private cancelWanted = false;
  private cancelSent = false;

  constructor(
    private readonly ctx: TransactionContext,
    request: SipRequest,
    destination: Destination,
  ) {
    super();
    this.request = request;
    this.destination = destination;
    this.method = request.method;
    const branch = topBranch(request);
    if (branch === undefined) throw new Error('client transaction needs a top Via with a branch');
    this.branch = branch;
    this.stateValue = request.method === 'INVITE' ? 'calling' : 'trying';
    this.timers = new TransactionTimers(ctx.clock);
  }

  get state(): ClientTransactionState {
    return this.stateValue;
  }

  get reliable(): boolean {
    return this.destination.transport !== 'udp';
  }

  /** Transaction key (§17.1.3): branch and CSeq method. */
  get key(): string {
    return clientKey(this.branch, this.method);
  }

  start(): void {
    const { T1, T2 } = this.ctx.timers;
    this.transmit(this.request);
    if (this.method === 'INVITE') {
      if (!this.reliable) this.retransmitEvery('A', T1, Infinity);
      this.timers.start('B', 64 * T1, () => this.timeout());
    } else {
      if (!this.reliable) this.retransmitEvery('E', T1, T2);
      this.timers.start('F', 64 * T1, () => this.timeout());
    }
  }

  /** Timer A (INVITE, doubling without cap) or E (non-INVITE, capped at T2; T2 in Proceeding). */
  private retransmitEvery(name: string, interval: number, cap: number): void {
    this.timers.start(name, interval, () => {
      if (this.stateValue !== 'calling' && this.stateValue !== 'trying' && this.stateValue !== 'proceeding') return;
      this.transmit(this.request);
      const next = this.stateValue === 'proceeding' ? this.ctx.timers.T2 : Math.min(interval * 2, cap);
      this.retransmitEvery(name, next, cap);
    });
  }

  private transmit(message: SipMessage): void {
    this.ctx.send(message, this.destination, (err) => {
      if (this.stateValue === 'terminated') return;
      this.emit('transportError', err);
      this.terminate();
    });
  }

  private timeout(): void {
    if (this.stateValue === 'terminated' || this.stateValue === 'completed' || this.stateValue === 'accepted') return;
    this.emit('timeout');
    this.terminate();
  }

  /** A response whose top Via branch and CSeq method matched this transaction. */
  receive(res: SipResponse): void {
    const { T1, T4 } = this.ctx.timers;
    if (this.method === 'INVITE') {
      if (res.status < 200) {
        if (this.stateValue === 'calling' || this.stateValue === 'proceeding') {
          this.stateValue = 'proceeding';
          this.timers.stop('A');
          this.timers.stop('B');
          this.emit('provisional', res);
          if (this.cancelWanted && !this.cancelSent) this.sendCancelNow();
        }
        return;
      }
      if (res.status < 300) {
        const tag = toTagOf(res) ?? '';
        if (this.stateValue === 'calling' || this.stateValue === 'proceeding') {
          // RFC 6026 §7.2: Accepted, timer M absorbs 2xx retransmissions and forks.
          this.stateValue = 'accepted';
          this.timers.stop('A');
          this.timers.stop('B');
          this.timers.stop('cancel');
          this.timers.start('M', 64 * T1, () => this.terminate());
          this.seenTags.add(tag);
          this.lastFinal = res;
          this.emit('final', res);
        } else if (this.stateValue === 'accepted') {
          if (!this.seenTags.has(tag)) {
            this.seenTags.add(tag);
            this.emit('final', res);
          } else if (this.ack2xx !== undefined) this.ctx.send(this.ack2xx, this.destination);
        }
        return;
      }
      if (this.stateValue === 'calling' || this.stateValue === 'proceeding') {
        this.stateValue = 'completed';
        this.timers.stop('A');
        this.timers.stop('B');
        this.timers.stop('cancel');
        this.lastFinal = res;
        this.ackForNon2xx = buildNon2xxAck(this.request, res);
        this.ctx.send(this.ackForNon2xx, this.destination);
        this.emit('final', res);
        // Timer D: 32 s or more over UDP, 0 over reliable transports (§17.1.1.2).
        this.timers.start('D', this.reliable ? 0 : Math.max(32_000, 64 * T1), () => this.terminate());
      } else if (this.stateValue === 'completed' && this.ackForNon2xx !== undefined) {
        this.ctx.send(this.ackForNon2xx, this.destination);
      }
      return;
    }
    // Non-INVITE (§17.1.2.2).
    if (this.stateValue !== 'trying' && this.stateValue !== 'proceeding') return;
    if (res.status < 200) {
      this.stateValue = 'proceeding';
      this.emit('provisional', res);
      return;
    }
    this.stateValue = 'completed';
    this.timers.stop('E');
    this.timers.stop('F');
    this.lastFinal = res;
    this.emit('final', res);
    this.timers.start('K', this.reliable ? 0 : T4, () => this.terminate());
  }

  /** The final response, once one arrived. */
  get finalResponse(): SipResponse | undefined {
    return this.lastFinal;
  }

  /**
   * Sends the ACK for a 2xx (built by the TU, usually `dialog.createAck()`) to this transaction's
   * destination, and again for each retransmitted 2xx while in Accepted.
   */
  ack(ack: SipRequest, destination: Destination = this.destination): void {
    if (!ack.headers.has('via')) this.ctx.stampVia?.(ack, destination.transport);
    this.ack2xx = ack;
    this.ctx.send(ack, destination);
  }

  /**
   * CANCEL this INVITE (§9.1): sent at once if a provisional response arrived, else when one
   * does; if no final response follows within 64*T1, `timeout` is emitted.
   */
  cancel(): void {
    if (this.method !== 'INVITE' || this.cancelWanted) return;
    if (this.stateValue !== 'calling' && this.stateValue !== 'proceeding') return;
    this.cancelWanted = true;
    if (this.stateValue === 'proceeding') this.sendCancelNow();
    this.timers.start('cancel', 64 * this.ctx.timers.T1, () => this.timeout());
  }

  private sendCancelNow(): void {
    this.cancelSent = true;
    this.ctx.sendCancel?.(this);
  }

  /** Ends the transaction now (no event but `terminated`). */
  terminate(): void {
    if (this.stateValue === 'terminated') return;
    this.stateValue = 'terminated';
    this.timers.stopAll();
    this.ctx.removed(this);
    this.emit('terminated');
    this.removeAllListeners();
  }
}

export function clientKey(branch: string, method: string): string {
  return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
}

function toTagOf(res: SipResponse): string | undefined {
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(res.headers.get('to') ?? '');
  return m === null ? undefined : m[1];
}

/** ACK for a non-2xx final response (§17.1.1.3): same branch, the response's To. */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const headers = new SipHeaders();
  const via = invite.headers.list('via')[0];
  if (via !== undefined) headers.append('via', via);
  for (const r of invite.headers.getAll('route')) headers.append('route', r);
  headers.append('max-forwards', '70');
  headers.append('from', invite.headers.get('from') ?? '');
  headers.append('to', res.headers.get('to') ?? invite.headers.get('to') ?? '');
  headers.append('call-id', invite.headers.get('call-id') ?? '');
  const seq = parseCSeq(invite.headers.get('cseq') ?? '')?.seq ?? 0;
  headers.append('cseq', `${seq} ACK`);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/** CANCEL for a pending INVITE (§9.1): same Request-URI, Call-ID, From, To, CSeq number, top Via, Route. */
export function buildCancel(invite: SipRequest): SipRequest {
  const headers = new SipHeaders();
  const via = invite.headers.list('via')[0];
  if (via !== undefined) headers.append('via', via);
  for (const r of invite.headers.getAll('route')) headers.append('route', r);
  headers.append('max-forwards', '70');
  headers.append('from', invite.headers.get('from') ?? '');
  headers.append('to', invite.headers.get('to') ?? '');
  headers.append('call-id', invite.headers.get('call-id') ?? '');
  const seq = parseCSeq(invite.headers.get('cseq') ?? '')?.seq ?? 0;
  headers.append('cseq', `${seq} CANCEL`);
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
