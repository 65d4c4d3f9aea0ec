// Server transactions (RFC 3261 §17.2): INVITE (timers G, H, I; RFC 6026 Accepted with timer L
// and the 2xx retransmission of §13.3.1.4) and non-INVITE (J), 100 Trying when the TU is slow
// (§17.2.1), and the 487 to a CANCELled INVITE (§9.2).
import { EventEmitter } from 'node:events';
import { createResponse } from './message.js';
import type { MessageOptions, SipRequest, SipResponse } from './message-types.js';
import { TransactionTimers, type Destination, type TransactionContext } from './transaction.js';

export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export type ServerTransactionEvents = {
  /** A CANCEL matched this INVITE before its final response; the stack already sent 487. */
  cancel: [SipRequest];
  /** No ACK for the final response (timer H, or 64*T1 of 2xx retransmissions). */
  ackTimeout: [];
  transportError: [Error];
  terminated: [];
};

export class ServerTransaction extends EventEmitter<ServerTransactionEvents> {
  readonly request: SipRequest;
  /** Where responses go: the source of the request (rport behaviour, RFC 3581) or its connection. */
  readonly source: Destination;
  readonly method: string;
  /** The To tag of this transaction's responses (unless the TU writes its own). */
  readonly toTag: string;
  private stateValue: ServerTransactionState;
  private readonly timers: TransactionTimers;
  private lastResponse: SipResponse | undefined;
  private acked = false;

  constructor(
    private readonly ctx: TransactionContext,
    request: SipRequest,
    source: Destination,
    readonly key: string,
    toTag: string,
  ) {
    super();
    this.request = request;
    this.source = source;
    this.method = request.method;
    this.toTag = toTag;
    this.stateValue = request.method === 'INVITE' ? 'proceeding' : 'trying';
    this.timers = new TransactionTimers(ctx.clock);
    if (this.method !== 'INVITE') {
      // The client gives up after timer F (64*T1); a request the TU never answered is forgotten
      // then, so that a silent TU cannot pile transactions up.
      this.timers.start('unanswered', 64 * ctx.timers.T1, () => {
        if (!this.answered) this.terminate();
      });
    }
  }

  /**
   * Starts the INVITE's 100 Trying clock (§17.2.1: sent if the TU does not answer within 200 ms).
   * Called once the transaction is registered: a send that fails at once terminates the
   * transaction, which must find itself in the tables to be removed from them.
   */
  start(): void {
    if (this.method !== 'INVITE' || this.stateValue === 'terminated') return;
    const delay = this.ctx.trying100DelayMs ?? 200;
    if (delay <= 0) this.respond(100);
    else
      this.timers.start('trying', delay, () => {
        if (this.lastResponse === undefined) this.respond(100);
      });
  }

  get state(): ServerTransactionState {
    return this.stateValue;
  }

  get reliable(): boolean {
    return this.source.transport !== 'udp';
  }

  /** The last response sent. */
  get response(): SipResponse | undefined {
    return this.lastResponse;
  }

  /** Whether a final response was sent. */
  get answered(): boolean {
    return this.lastResponse !== undefined && this.lastResponse.status >= 200;
  }

  /**
   * Answers with a response built from the request (§8.2.6; To tag added for status > 100).
   * Ignored (returns undefined) once a final response was sent.
   */
  respond(status: number, reason?: string, options?: MessageOptions): SipResponse | undefined {
    if (this.answered || this.stateValue === 'terminated') return undefined;
    const res = createResponse(this.request, status, reason, { ...options, toTag: this.toTag });
    if (this.ctx.serverName !== undefined && !res.headers.has('server')) res.headers.append('server', this.ctx.serverName);
    this.sendResponse(res);
    return res;
  }

  /** Sends a response built by the TU (its Via, Call-ID, CSeq must be the request's). */
  sendResponse(res: SipResponse): void {
    if (this.answered || this.stateValue === 'terminated') return;
    const { T1, T2 } = this.ctx.timers;
    this.timers.stop('trying');
    if (res.status >= 200) this.timers.stop('unanswered');
    this.lastResponse = res;
    this.transmit(res);
    if (res.status < 200) {
      if (this.stateValue === 'trying') this.stateValue = 'proceeding';
      return;
    }
    if (this.method === 'INVITE') {
      if (res.status < 300) {
        // RFC 6026 Accepted; the 2xx is retransmitted (§13.3.1.4) until its ACK, over any transport.
        this.stateValue = 'accepted';
        const retransmit = (interval: number): void => {
          this.timers.start('2xx', interval, () => {
            if (this.acked || this.stateValue !== 'accepted') return;
            this.transmit(res);
            retransmit(Math.min(interval * 2, T2));
          });
        };
        retransmit(T1);
        this.timers.start('L', 64 * T1, () => {
          if (!this.acked) this.emit('ackTimeout');
          this.terminate();
        });
      } else {
        this.stateValue = 'completed';
        if (!this.reliable) {
          const retransmit = (interval: number): void => {
            this.timers.start('G', interval, () => {
              if (this.stateValue !== 'completed') return;
              this.transmit(res);
              retransmit(Math.min(interval * 2, T2));
            });
          };
          retransmit(T1);
        }
        this.timers.start('H', 64 * T1, () => {
          this.emit('ackTimeout');
          this.terminate();
        });
      }
      return;
    }
    this.stateValue = 'completed';
    this.timers.start('J', this.reliable ? 0 : 64 * T1, () => this.terminate());
  }

  private transmit(res: SipResponse): void {
    this.ctx.send(res, this.source, (err) => {
      if (this.stateValue === 'terminated') return;
      this.emit('transportError', err);
      this.terminate();
    });
  }

  /** A retransmission of the request, or the ACK of a non-2xx (same branch), arrived. */
  receiveRequest(req: SipRequest): void {
    if (req.method === 'ACK') {
      if (this.stateValue === 'completed') {
        this.stateValue = 'confirmed';
        this.timers.stop('G');
        this.timers.stop('H');
        // Timer I: T4 over UDP, 0 over reliable transports.
        this.timers.start('I', this.reliable ? 0 : this.ctx.timers.T4, () => this.terminate());
      }
      return;
    }
    if (this.stateValue === 'proceeding' || this.stateValue === 'completed') {
      if (this.lastResponse !== undefined) this.transmit(this.lastResponse);
    }
    // Trying (non-INVITE, nothing sent yet), Accepted and Confirmed absorb retransmissions.
  }

  /** The ACK of a 2xx (matched by the stack on Call-ID, CSeq number and From tag). */
  acknowledge(): boolean {
    if (this.stateValue !== 'accepted' || this.acked) return false;
    this.acked = true;
    this.timers.stop('2xx');
    return true;
  }

  /** A CANCEL for this INVITE (§9.2): 487 when still pending; true if it was. */
  cancelled(cancel: SipRequest): boolean {
    if (this.method !== 'INVITE' || this.answered || this.stateValue === 'terminated') return false;
    this.respond(487);
    this.emit('cancel', cancel);
    return true;
  }

  terminate(): void {
    if (this.stateValue === 'terminated') return;
    this.stateValue = 'terminated';
    this.timers.stopAll();
    this.ctx.removed(this);
    this.emit('terminated');
    this.removeAllListeners();
  }
}
