// The SIP stack (RFC 3261) the call control is built on: UDP, TCP and TLS transports (§18),
// transactions (§17, RFC 6026), CANCEL (§9), and limits against hostile senders.
//
// Public API (stable; the call control codes against it):
//
//   const stack = await SipStack.listen({ address: '127.0.0.1', port: 5060,
//     transports: ['udp', 'tcp'],                       // + 'tls' with tls: { cert, key } (PEM)
//     limits: { maxMessageBytes, maxTransactions, maxTransactionsPerSource,
//               maxPendingInvitesPerSource, maxConnectionsPerSource, tcpIdleTimeoutMs, ... },
//     trustedSources: ['127.0.0.0/8', '::1/128'] });     // CIDRs that get the reserved connection slots
//       Over a limit: 503 + Retry-After (transactions), 413/513 (size), connection refused.
//   const release = stack.holdConnection(source);
//       Keeps a TCP/TLS connection open while a dialog lives on it (idle connections are closed).
//   stack.onRequest((req: SipRequest, tx: ServerTransaction | undefined, source: Destination) => { ... });
//       Every new request but CANCEL. `tx` is undefined only for ACK (the ACK of a 2xx is
//       dialog-level: it reaches the TU, and stops the 2xx retransmissions itself).
//       tx.respond(status, reason?, { headers, body, contentType }) builds the response from the
//       request (§8.2.6; tx.toTag is the To tag); 100 Trying goes out by itself for INVITE after
//       `trying100DelayMs` (200); a 2xx to INVITE is retransmitted until its ACK; tx emits
//       'cancel' (CANCEL matched; 200 to the CANCEL and 487 to the INVITE already sent),
//       'ackTimeout', 'terminated'.
//   const ctx = stack.request(req, { transport: 'udp', address: '127.0.0.1', port: 5070 });
//       Adds the top Via (new branch, rport) and Max-Forwards; returns a ClientTransaction with
//       events 'provisional', 'final', 'timeout', 'transportError', 'terminated'. The ACK of a
//       non-2xx is sent by the transaction; the ACK of a 2xx by the TU: ctx.ack(dialog.createAck(n))
//       (re-sent on 2xx retransmissions) or stack.sendAck(ack, destination). ctx.cancel() CANCELs.
//   Dialog.fromUacResponse(req, res) / Dialog.fromUasRequest(req, tx.toTag, contact);
//       dialog.createRequest('BYE' | 'INFO' | 'REFER' | 'INVITE', { headers, body }), dialog.nextHop().
//   createRequest({ method, uri, from, to, contact, ... }) for out-of-dialog requests;
//   stack.contact(transport, user) is this stack's Contact; stack.localAddress(transport).
//   await stack.close() closes sockets, connections and transactions.
//
// Messages: SipRequest / SipResponse with `headers: SipHeaders` (case-insensitive, compact forms
// expanded) and `body: Buffer`; parseSipMessage(buf) returns a message or a SipParseError (never
// throws); serializeSipMessage(msg) -> Buffer. Grammar helpers in grammar.ts.
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { systemClock, type SipClock } from './clock.js';
import { formatVia, newBranch, newCallId, newTag, parseCSeq, parseVia, tagOf, BRANCH_COOKIE } from './grammar.js';
import { createRequest, type RequestInit } from './message.js';
import type { SipMessage, SipRequest, SipResponse } from './message-types.js';
import { DEFAULT_LIMITS, type SipLimits, type SipStackOptions } from './stack-config.js';
import { DEFAULT_TIMERS, type Destination, type SipTimers, type SipTransport, type TransactionContext } from './transaction.js';
import { ClientTransaction, clientKey, buildCancel } from './transaction-client.js';
import { ServerTransaction } from './transaction-server.js';
import { TransportLayer } from './transport-layer.js';

export { Dialog, uriDestination } from './dialog.js';
export { DEFAULT_TIMERS } from './transaction.js';
export { ClientTransaction } from './transaction-client.js';
export { ServerTransaction } from './transaction-server.js';
export type { Destination, SipTimers, SipTransport } from './transaction.js';
export { createRequest, createResponse, parseSipMessage, serializeSipMessage } from './message.js';
export { SipHeaders } from './message-types.js';
export type { SipMessage, SipRequest, SipResponse, MessageOptions } from './message-types.js';
export * from './grammar.js';
export { SipParseError } from './sip-error.js';
export { ManualClock, systemClock, type SipClock } from './clock.js';
export { DEFAULT_LIMITS, DEFAULT_TRUSTED_SOURCES, type SipLimits, type SipStackOptions } from './stack-config.js';

export type RequestHandler = (req: SipRequest, tx: ServerTransaction | undefined, source: Destination) => void;

export interface SipStackStats {
  readonly serverTransactions: number;
  readonly clientTransactions: number;
  readonly connections: number;
  /** Messages rejected or dropped as malformed. */
  readonly malformed: number;
  /** Requests refused for a limit (503) or connections refused. */
  readonly refused: number;
}

type SipStackEvents = {
  /** A malformed or refused message (no content: safe to log). */
  warning: [string];
};

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

export class SipStack extends EventEmitter<SipStackEvents> {
  private readonly limits: SipLimits;
  private readonly timers: SipTimers;
  private readonly clock: SipClock;
  private readonly userAgent: string;
  private readonly transport: TransportLayer;
  private handler: RequestHandler | undefined;
  private readonly serverTxs = new Map<string, ServerTransaction>();
  private readonly acceptedByAck = new Map<string, ServerTransaction>();
  private readonly clientTxs = new Map<string, ClientTransaction>();
  private readonly perSource = new Map<string, number>();
  private readonly pendingInvites = new Map<string, Set<ServerTransaction>>();
  private readonly txSource = new WeakMap<ServerTransaction, string>();
  /** Releases of the stream connections transactions live on (they keep them from idling out). */
  private readonly connectionHolds = new WeakMap<ClientTransaction | ServerTransaction, () => void>();
  private readonly ctx: TransactionContext;
  private refused = 0;
  private closed = false;

  private constructor(options: SipStackOptions) {
    super();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.clock = options.clock ?? systemClock;
    this.userAgent = options.userAgent ?? 'toneguard';
    this.transport = new TransportLayer(options, this.limits, this.clock, { message: (message, source) => this.receive(message, source), warning: (text) => this.emit('warning', text) });
    this.ctx = {
      clock: this.clock,
      timers: this.timers,
      trying100DelayMs: options.trying100DelayMs,
      serverName: options.userAgent ?? 'toneguard',
      send: (message, destination, onError) => this.send(message, destination, onError),
      removed: (tx) => this.removed(tx),
      sendCancel: (invite) => this.sendCancel(invite),
      stampVia: (req, transport) => this.stampVia(req, transport),
    };
  }

  static async listen(options: SipStackOptions = {}): Promise<SipStack> {
    // With port 0, UDP picks the port and TCP must get the same one; if TCP finds it taken, try
    // another (a few times).
    for (let attempt = 0; ; attempt++) {
      const stack = new SipStack(options);
      try {
        await stack.transport.open();
        return stack;
      } catch (err) {
        await stack.close();
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || options.port !== 0 || attempt >= 4) throw err;
      }
    }
  }

  /** Where a transport listens. */
  localAddress(transport: SipTransport): { address: string; port: number } | undefined {
    return this.transport.localAddress(transport);
  }

  /** This stack's Contact for a transport: `<sip:user@address:port;transport=tcp>`. */
  contact(transport: SipTransport = 'udp', user?: string): string {
    const local = this.transport.localAddress(transport) ?? this.transport.firstLocalAddress() ?? { address: '127.0.0.1', port: 5060 };
    const host = isIPv6(local.address) ? `[${local.address}]` : local.address;
    const scheme = transport === 'tls' ? 'sips' : 'sip';
    const param = transport === 'tcp' ? ';transport=tcp' : '';
    return `<${scheme}:${user === undefined ? '' : `${user}@`}${host}:${local.port}${param}>`;
  }

  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** Builds an out-of-dialog request (From tag and Call-ID generated when absent). */
  createRequest(init: RequestInit): SipRequest {
    const host = this.transport.firstLocalAddress()?.address;
    return createRequest(init, { newTag, newCallId: () => newCallId(host) });
  }

  /** Sends a request in a new client transaction; adds the top Via and Max-Forwards. */
  request(req: SipRequest, destination: Destination): ClientTransaction {
    this.stampVia(req, destination.transport);
    if (!req.headers.has('max-forwards')) req.headers.set('max-forwards', '70');
    if (!req.headers.has('user-agent')) req.headers.append('user-agent', this.userAgent);
    const tx = new ClientTransaction(this.ctx, req, destination);
    this.clientTxs.set(tx.key, tx);
    this.holdConnectionFor(tx, destination);
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

  stats(): SipStackStats {
    return {
      serverTransactions: this.serverTxs.size,
      clientTransactions: this.clientTxs.size,
      connections: this.transport.connections,
      malformed: this.transport.malformed,
      refused: this.refused + this.transport.refused,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const tx of [...this.serverTxs.values()]) tx.terminate();
    for (const tx of [...this.clientTxs.values()]) tx.terminate();
    await this.transport.close();
  }

  /**
   * Keeps a TCP/TLS connection from being closed as idle while a dialog uses it (a call may
   * send nothing for hours between its ACK and its BYE). Returns the release; UDP: a no-op.
   */
  holdConnection(destination: Destination): () => void {
    return this.transport.hold(destination);
  }

  private send(message: SipMessage, destination: Destination, onError?: (err: Error) => void): void {
    if (!this.closed) this.transport.send(message, destination, onError);
  }

  // --- transaction layer ----------------------------------------------------------------------

  private receive(message: SipMessage, source: Destination): void {
    if (message.kind === 'response') this.onResponse(message);
    else this.onIncomingRequest(message, source);
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
    if (!this.admit(req, source)) return;
    stampReceived(req, source);
    const tx = new ServerTransaction(this.ctx, req, source, key, newTag());
    this.serverTxs.set(key, tx);
    this.txSource.set(tx, source.address);
    this.holdConnectionFor(tx, source);
    this.perSource.set(source.address, (this.perSource.get(source.address) ?? 0) + 1);
    if (req.method === 'INVITE') {
      let pending = this.pendingInvites.get(source.address);
      if (pending === undefined) this.pendingInvites.set(source.address, (pending = new Set()));
      pending.add(tx);
      const ak = ackKey(req);
      tx.on('terminated', () => {
        if (this.acceptedByAck.get(ak) === tx) this.acceptedByAck.delete(ak);
      });
      this.acceptedByAck.set(ak, tx);
    }
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

  /** Limits on open transactions, in all and per source address: 503 when over. */
  private admit(req: SipRequest, source: Destination): boolean {
    if (req.method === 'CANCEL') return true;
    const total = this.serverTxs.size;
    const mine = this.perSource.get(source.address) ?? 0;
    let invites = 0;
    if (req.method === 'INVITE') {
      const pending = this.pendingInvites.get(source.address);
      if (pending !== undefined) {
        for (const tx of pending) if (tx.answered || tx.state === 'terminated') pending.delete(tx);
        if (pending.size === 0) this.pendingInvites.delete(source.address);
        invites = pending.size;
      }
    }
    if (total < this.limits.maxTransactions && mine < this.limits.maxTransactionsPerSource && invites < this.limits.maxPendingInvitesPerSource) return true;
    this.refused++;
    this.transport.sendStateless(req, 503, source);
    this.emit('warning', `${source.address}: transaction limit (${total} open, ${mine} from this source)`);
    return false;
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
      this.emit('warning', `request handler threw: ${err instanceof Error ? err.name : 'error'}`);
    }
  }

  /** A transaction on a stream connection keeps it from being closed as idle. */
  private holdConnectionFor(tx: ClientTransaction | ServerTransaction, where: Destination): void {
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
