// The transaction layer's table (RFC 3261 §17): matches each received message to its
// transaction (responses by branch and CSeq method, §17.1.3; requests by branch, sent-by and
// method, or the RFC 2543 keys, §17.2.3; the ACK of a 2xx to its INVITE by Call-ID, CSeq number
// and From tag, §13.3.1.4), answers CANCEL (§9.2), opens server transactions within the limits
// and hands new requests to the TU, and starts the TU's client transactions. The machines
// themselves are transaction-client.ts and transaction-server.ts; bytes are transport-layer.ts.
import { isIPv6 } from 'node:net';
import type { SipClock } from './clock.js';
import { formatVia, newBranch, newTag, parseCSeq, parseVia, tagOf, BRANCH_COOKIE } from './grammar.js';
import type { SipMessage, SipRequest, SipResponse } from './message-types.js';
import type { SipLimits } from './stack-config.js';
import type { Destination, SipTimers, SipTransport, TransactionContext } from './transaction.js';
import { buildCancel, clientKey, ClientTransaction } from './transaction-client.js';
import { SipTransportError } from './sip-error.js';
import { TransactionLimits } from './transaction-limits.js';
import { ServerTransaction } from './transaction-server.js';
import type { TransportLayer } from './transport-layer.js';

export type RequestHandler = (req: SipRequest, tx: ServerTransaction | undefined, source: Destination) => void;

export interface TransactionLayerOptions {
  readonly clock: SipClock;
  readonly timers: SipTimers;
  readonly limits: SipLimits;
  /** User-Agent of requests and Server of responses. */
  readonly userAgent: string;
  readonly trying100DelayMs?: number;
}

function sourceOf(message: SipMessage, transport: SipTransport): string {
  void transport;
  const top = message.headers.list('via')[0];
  const via = top === undefined ? undefined : parseVia(top);
  return via === undefined ? '' : `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

/** Server transaction key (§17.2.3), or the RFC 2543 fallback for branches without the cookie. */
function serverKey(req: SipRequest, transport: SipTransport): string {
  const top = req.headers.list('via')[0] ?? '';
  const branch = parseVia(top)?.branch ?? '';
  const method = req.method === 'ACK' ? 'INVITE' : req.method;
  if (branch.startsWith(BRANCH_COOKIE)) return `${branch}|${sourceOf(req, transport)}|${method}`;
  const cseq = parseCSeq(req.headers.get('cseq') ?? '')?.seq;
  return `2543|${req.headers.get('call-id')}|${cseq}|${tagOf(req.headers.get('from'))}|${top}|${method}`;
}

/** Matches the ACK of a 2xx to its INVITE (§13.3.1.4): Call-ID, CSeq number, From tag. */
function ackKey(req: SipRequest): string {
  return `${req.headers.get('call-id')}|${parseCSeq(req.headers.get('cseq') ?? '')?.seq}|${tagOf(req.headers.get('from'))}`;
}

export class TransactionLayer {
  private readonly serverTxs = new Map<string, ServerTransaction>();
  private readonly acceptedByAck = new Map<string, ServerTransaction>();
  private readonly clientTxs = new Map<string, ClientTransaction>();
  /** Releases of the stream connections transactions live on (they keep them from idling out). */
  private readonly connectionHolds = new WeakMap<ClientTransaction | ServerTransaction, () => void>();
  private readonly txLimits: TransactionLimits;
  private readonly ctx: TransactionContext;
  private handler: RequestHandler | undefined;
  private closed = false;

  constructor(
    private readonly transport: TransportLayer,
    private readonly options: TransactionLayerOptions,
    private readonly warning: (text: string) => void,
  ) {
    this.txLimits = new TransactionLimits(options.limits);
    this.ctx = {
      clock: options.clock,
      timers: options.timers,
      trying100DelayMs: options.trying100DelayMs,
      serverName: options.userAgent,
      send: (message, destination, onError) => this.send(message, destination, onError),
      removed: (tx) => this.removed(tx),
      sendCancel: (invite) => this.sendCancel(invite),
      stampVia: (req, transport) => this.stampVia(req, transport),
    };
  }

  get serverTransactions(): number {
    return this.serverTxs.size;
  }

  get clientTransactions(): number {
    return this.clientTxs.size;
  }

  /** Requests refused for a transaction limit. */
  get refused(): number {
    return this.txLimits.refused;
  }

  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** A parsed message from the transport layer. */
  receive(message: SipMessage, source: Destination): void {
    if (message.kind === 'response') this.onResponse(message);
    else this.onIncomingRequest(message, source);
  }

  /** Sends a request in a new client transaction; adds the top Via, Max-Forwards and User-Agent. */
  request(req: SipRequest, destination: Destination): ClientTransaction {
    this.stampVia(req, destination.transport);
    if (!req.headers.has('max-forwards')) req.headers.set('max-forwards', '70');
    if (!req.headers.has('user-agent')) req.headers.append('user-agent', this.options.userAgent);
    const tx = new ClientTransaction(this.ctx, req, destination);
    this.clientTxs.set(tx.key, tx);
    this.holdConnection(tx, destination);
    queueMicrotask(() => {
      if (tx.state !== 'terminated') tx.start();
    });
    return tx;
  }

  /** Sends an ACK for a 2xx outside any transaction (§13.2.2.4), with a new branch. */
  sendAck(ack: SipRequest, destination: Destination): void {
    this.stampVia(ack, destination.transport);
    this.send(ack, destination);
  }

  /** Sends nothing from now on and terminates every transaction (server ones first). */
  close(): void {
    this.closed = true;
    for (const tx of [...this.serverTxs.values()]) tx.terminate();
    for (const tx of [...this.clientTxs.values()]) tx.terminate();
  }

  private send(message: SipMessage, destination: Destination, onError?: (err: Error) => void): void {
    // Closed: nothing goes out, and a transaction that tries (one the TU started while the stack
    // closed) learns it from the error and ends, instead of running its timers for nothing.
    if (this.closed) onError?.(new SipTransportError('SIP_TRANSPORT', 'the SIP stack is closed'));
    else this.transport.send(message, destination, onError);
  }

  private stampVia(req: SipRequest, transport: SipTransport): void {
    const local = this.transport.localAddress(transport) ?? this.transport.localAddress('udp') ?? { address: '127.0.0.1', port: 5060 };
    const host = isIPv6(local.address) ? `[${local.address}]` : local.address;
    req.headers.prepend('via', `SIP/2.0/${transport.toUpperCase()} ${host}:${local.port};branch=${newBranch()};rport`);
  }

  private sendCancel(invite: ClientTransaction): void {
    const cancel = buildCancel(invite.request);
    const tx = new ClientTransaction(this.ctx, cancel, invite.destination);
    this.clientTxs.set(tx.key, tx);
    tx.start();
  }

  private onResponse(res: SipResponse): void {
    const top = res.headers.list('via')[0];
    const branch = top === undefined ? undefined : parseVia(top)?.branch;
    const method = parseCSeq(res.headers.get('cseq') ?? '')?.method;
    if (branch === undefined || method === undefined) return;
    const tx = this.clientTxs.get(clientKey(branch, method));
    if (tx !== undefined) tx.receive(res);
    // Stray responses are dropped (§18.1.2).
  }

  private onIncomingRequest(req: SipRequest, source: Destination): void {
    const key = serverKey(req, source.transport);
    const existing = this.serverTxs.get(key);
    if (req.method === 'ACK') {
      if (existing !== undefined && existing.state !== 'accepted') {
        existing.receiveRequest(req); // ACK of a non-2xx: absorbed by the transaction
        return;
      }
      const accepted = this.acceptedByAck.get(ackKey(req));
      accepted?.acknowledge();
      this.deliver(req, undefined, source);
      return;
    }
    if (existing !== undefined) {
      existing.receiveRequest(req);
      return;
    }
    const refusal = this.txLimits.refusal(req, source.address, this.serverTxs.size);
    if (refusal !== undefined) {
      this.transport.sendStateless(req, 503, source);
      this.warning(refusal);
      return;
    }
    stampReceived(req, source);
    const tx = new ServerTransaction(this.ctx, req, source, key, newTag());
    this.serverTxs.set(key, tx);
    this.txLimits.opened(tx, source.address);
    this.holdConnection(tx, source);
    if (req.method === 'INVITE') {
      const ak = ackKey(req);
      tx.on('terminated', () => {
        if (this.acceptedByAck.get(ak) === tx) this.acceptedByAck.delete(ak);
      });
      this.acceptedByAck.set(ak, tx);
    }
    tx.start();
    if (tx.state === 'terminated') return;
    if (req.method === 'CANCEL') {
      const inviteKey = serverKey({ ...req, method: 'INVITE' }, source.transport);
      const invite = this.serverTxs.get(inviteKey);
      if (invite === undefined) tx.respond(481);
      else {
        tx.respond(200);
        invite.cancelled(req);
      }
      return;
    }
    this.deliver(req, tx, source);
  }

  private deliver(req: SipRequest, tx: ServerTransaction | undefined, source: Destination): void {
    if (this.handler === undefined) {
      tx?.respond(req.method === 'OPTIONS' ? 200 : 501);
      return;
    }
    try {
      this.handler(req, tx, source);
    } catch (err) {
      tx?.respond(500);
      this.warning(`request handler threw: ${err instanceof Error ? err.name : 'error'}`);
    }
  }

  /** A transaction on a stream connection keeps it from being closed as idle. */
  private holdConnection(tx: ClientTransaction | ServerTransaction, where: Destination): void {
    if (where.transport === 'udp') return;
    this.connectionHolds.set(tx, this.transport.hold(where));
  }

  private removed(tx: ClientTransaction | ServerTransaction): void {
    const release = this.connectionHolds.get(tx);
    if (release !== undefined) {
      this.connectionHolds.delete(tx);
      release();
    }
    if (tx instanceof ClientTransaction) {
      if (this.clientTxs.get(tx.key) === tx) this.clientTxs.delete(tx.key);
      return;
    }
    if (this.serverTxs.get(tx.key) === tx) this.serverTxs.delete(tx.key);
    this.txLimits.closed(tx);
  }
}

/**
 * §18.2.1: `received` on the top Via when its host is not the source address, and RFC 3581
 * `rport` filled in when the client asked for it. Responses then carry where the request came from.
 */
function stampReceived(req: SipRequest, source: Destination): void {
  const top = req.headers.list('via')[0];
  const via = top === undefined ? undefined : parseVia(top);
  if (via === undefined) return;
  const wantsRport = via.params.has('rport') && via.params.get('rport') === null;
  const host = via.host.replace(/^\[|\]$/g, '');
  if (!wantsRport && host === source.address) return;
  const params = new Map(via.params);
  params.set('received', source.address);
  if (wantsRport) params.set('rport', String(source.port));
  req.headers.shift('via');
  req.headers.prepend('via', formatVia({ ...via, params }));
}
