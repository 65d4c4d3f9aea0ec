// The four transaction state machines of RFC 3261 §17 with the RFC 6026 "Accepted" states:
// INVITE client (timers A, B, D; M), non-INVITE client (E, F, K), INVITE server (G, H, I; L and
// the 2xx retransmission of §13.3.1.4), non-INVITE server (J). Timers are read from an injected
// clock; sending goes through an injected function, so the machines are tested without sockets.
import { EventEmitter } from 'node:events';
import type { SipClock, TimerHandle } from './clock.js';
import { parseCSeq, parseVia } from './grammar.js';
import { createResponse } from './message.js';
import { SipHeaders, type MessageOptions, type SipMessage, type SipRequest, type SipResponse } from './message-types.js';

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

class Timers {
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
  private readonly timers: Timers;
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
    this.timers = new Timers(ctx.clock);
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
  private readonly timers: Timers;
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
    this.timers = new Timers(ctx.clock);
    if (this.method !== 'INVITE') {
      // The client gives up after timer F (64*T1); a request the TU never answered is forgotten
      // then, so that a silent TU cannot pile transactions up.
      this.timers.start('unanswered', 64 * ctx.timers.T1, () => {
        if (!this.answered) this.terminate();
      });
    } else {
      // §17.2.1: 100 Trying if the TU will not answer within 200 ms.
      const delay = ctx.trying100DelayMs ?? 200;
      if (delay <= 0) this.respond(100);
      else
        this.timers.start('trying', delay, () => {
          if (this.lastResponse === undefined) this.respond(100);
        });
    }
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
