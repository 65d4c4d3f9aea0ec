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
//
// Where each part lives: stack-config.ts (options, limits and their defaults); transport-layer.ts
// (bytes to messages under the limits, sending) over transport-udp.ts and transport-stream.ts
// (TCP/TLS connections and framing), connection-slots.ts and connection-idle.ts (which
// connections are let in and when they are closed); transaction-layer.ts (matching, CANCEL,
// the TU's handler) with transaction-limits.ts, over the machines of transaction-client.ts and
// transaction-server.ts. This class owns their lifetime: close() ends the transactions, then
// the connections and sockets.
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { systemClock } from './clock.js';
import { newCallId, newTag } from './grammar.js';
import { createRequest, type RequestInit } from './message.js';
import type { SipRequest } from './message-types.js';
import { DEFAULT_LIMITS, type SipStackOptions } from './stack-config.js';
import { DEFAULT_TIMERS, type Destination, type SipTransport } from './transaction.js';
import type { ClientTransaction } from './transaction-client.js';
import { TransactionLayer, type RequestHandler } from './transaction-layer.js';
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
export type { RequestHandler } from './transaction-layer.js';

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

export class SipStack extends EventEmitter<SipStackEvents> {
  private readonly transport: TransportLayer;
  private readonly transactions: TransactionLayer;
  private closed = false;

  private constructor(options: SipStackOptions) {
    super();
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const clock = options.clock ?? systemClock;
    const warning = (text: string): void => {
      this.emit('warning', text);
    };
    this.transport = new TransportLayer(options, limits, clock, { message: (message, source) => this.transactions.receive(message, source), warning });
    this.transactions = new TransactionLayer(
      this.transport,
      { clock, limits, timers: { ...DEFAULT_TIMERS, ...options.timers }, userAgent: options.userAgent ?? 'toneguard', trying100DelayMs: options.trying100DelayMs },
      warning,
    );
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
    this.transactions.onRequest(handler);
  }

  /** Builds an out-of-dialog request (From tag and Call-ID generated when absent). */
  createRequest(init: RequestInit): SipRequest {
    const host = this.transport.firstLocalAddress()?.address;
    return createRequest(init, { newTag, newCallId: () => newCallId(host) });
  }

  /** Sends a request in a new client transaction; adds the top Via and Max-Forwards. */
  request(req: SipRequest, destination: Destination): ClientTransaction {
    return this.transactions.request(req, destination);
  }

  /** Sends an ACK for a 2xx outside any transaction (§13.2.2.4), with a new branch. */
  sendAck(ack: SipRequest, destination: Destination): void {
    this.transactions.sendAck(ack, destination);
  }

  /**
   * Keeps a TCP/TLS connection from being closed as idle while a dialog uses it (a call may
   * send nothing for hours between its ACK and its BYE). Returns the release; UDP: a no-op.
   */
  holdConnection(destination: Destination): () => void {
    return this.transport.hold(destination);
  }

  stats(): SipStackStats {
    return {
      serverTransactions: this.transactions.serverTransactions,
      clientTransactions: this.transactions.clientTransactions,
      connections: this.transport.connections,
      malformed: this.transport.malformed,
      refused: this.transactions.refused + this.transport.refused,
    };
  }

  /** Terminates every transaction (sending nothing more), then closes connections and sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transactions.close();
    await this.transport.close();
  }
}
