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
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createServer, connect as netConnect, isIPv6, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { cidrMatcher } from './cidr.js';
import { systemClock, type SipClock, type TimerHandle } from './clock.js';
import { formatVia, newBranch, newCallId, newTag, parseCSeq, parseVia, tagOf, BRANCH_COOKIE } from './grammar.js';
import { createRequest, createResponse, DEFAULT_PARSE_LIMITS, parseSipMessage, serializeSipMessage, type RequestInit } from './message.js';
import type { SipMessage, SipRequest, SipResponse } from './message-types.js';
import { SipConfigError, SipParseError, SipTransportError } from './sip-error.js';
import { StreamFramer } from './stream-framer.js';
import { DEFAULT_TIMERS, type Destination, type SipTimers, type SipTransport, type TransactionContext } from './transaction.js';
import { ClientTransaction, clientKey, buildCancel } from './transaction-client.js';
import { ServerTransaction } from './transaction-server.js';

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

export interface SipLimits {
  /** Largest message, bytes (bigger: 513 when addressable, else dropped). */
  readonly maxMessageBytes: number;
  /** Most header fields in a message (more: 400). */
  readonly maxHeaders: number;
  /** Open server transactions in all (more: 503 with Retry-After). */
  readonly maxTransactions: number;
  /** Open server transactions from one source IP address (more: 503). */
  readonly maxTransactionsPerSource: number;
  /** INVITEs from one source address not yet finally answered: call attempts in progress (more: 503). */
  readonly maxPendingInvitesPerSource: number;
  /** Open incoming TCP/TLS connections in all, and from one source IP (more: refused). */
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  /**
   * Of maxConnections, slots only trusted sources may take: untrusted sources together hold at
   * most maxConnections - reservedConnections, so a flood of them cannot lock out the PBX.
   */
  readonly reservedConnections: number;
  /** An incoming TCP/TLS connection (after the TLS handshake) must deliver a complete message within this, ms. */
  readonly firstMessageTimeoutMs: number;
  /**
   * A TCP/TLS connection with no complete message for this long, and no transaction or held
   * dialog on it, is closed, ms. Partial bytes do not count (slow-loris).
   */
  readonly tcpIdleTimeoutMs: number;
}

export const DEFAULT_LIMITS: SipLimits = {
  maxMessageBytes: 65_535,
  maxHeaders: 256,
  // A trunk at 20 calls/s keeps about 1,300 transactions open (INVITE and BYE, each held
  // 64*T1 = 32 s after its answer to absorb retransmissions).
  maxTransactions: 20_000,
  maxTransactionsPerSource: 2_000,
  maxPendingInvitesPerSource: 100,
  maxConnections: 1_000,
  maxConnectionsPerSource: 32,
  reservedConnections: 100,
  firstMessageTimeoutMs: 5_000,
  tcpIdleTimeoutMs: 30_000,
};

/** Sources that get the reserved connection slots unless told otherwise (loopback). */
export const DEFAULT_TRUSTED_SOURCES: readonly string[] = ['127.0.0.0/8', '::1/128'];

export interface SipStackOptions {
  /** IP address to listen on (default 127.0.0.1). */
  readonly address?: string;
  /** Port for UDP and TCP (default 5060; 0: one ephemeral port shared by both). */
  readonly port?: number;
  readonly transports?: readonly SipTransport[];
  /** PEM certificate and key, needed for 'tls'; TLS listens on tlsPort (default port + 1, or ephemeral). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer; readonly port?: number };
  /** Outgoing TLS: CAs to trust (default the system's) and whether to verify (default true). */
  readonly tlsClient?: { readonly ca?: string | Buffer; readonly rejectUnauthorized?: boolean };
  readonly limits?: Partial<SipLimits>;
  readonly timers?: Partial<SipTimers>;
  readonly clock?: SipClock;
  /** User-Agent / Server header value (default "toneguard"). */
  readonly userAgent?: string;
  /** ms before an INVITE server transaction sends 100 Trying by itself (default 200; 0: at once). */
  readonly trying100DelayMs?: number;
  /** CIDRs whose connections may use the reserved slots (default DEFAULT_TRUSTED_SOURCES). */
  readonly trustedSources?: readonly string[];
}

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

interface Connection {
  readonly socket: Socket | TLSSocket;
  readonly key: string;
  readonly remote: Destination;
  /** clock ms of the last complete message received; undefined before the first. */
  lastMessageAt: number | undefined;
  timer: TimerHandle | undefined;
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

const connKey = (transport: SipTransport, address: string, port: number): string => `${transport}|${address}|${port}`;

export class SipStack extends EventEmitter<SipStackEvents> {
  private readonly limits: SipLimits;
  private readonly timers: SipTimers;
  private readonly clock: SipClock;
  private readonly userAgent: string;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private tls: Server | undefined;
  private readonly bound = new Map<SipTransport, { address: string; port: number }>();
  private handler: RequestHandler | undefined;
  private readonly serverTxs = new Map<string, ServerTransaction>();
  private readonly acceptedByAck = new Map<string, ServerTransaction>();
  private readonly clientTxs = new Map<string, ClientTransaction>();
  private readonly perSource = new Map<string, number>();
  private readonly pendingInvites = new Map<string, Set<ServerTransaction>>();
  private readonly txSource = new WeakMap<ServerTransaction, string>();
  private readonly connections = new Map<string, Connection>();
  private readonly connectionsPerSource = new Map<string, number>();
  /** Incoming connections holding a slot: all, and those from untrusted sources. */
  private slotsUsed = 0;
  private untrustedSlotsUsed = 0;
  private readonly trusted: (address: string) => boolean;
  /** Transactions and held dialogs per connection key: such a connection is not idle. */
  private readonly connectionUsers = new Map<string, number>();
  private readonly txConnection = new WeakMap<ClientTransaction | ServerTransaction, string>();
  private readonly ctx: TransactionContext;
  private malformed = 0;
  private refused = 0;
  private closed = false;

  private constructor(private readonly options: SipStackOptions) {
    super();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.clock = options.clock ?? systemClock;
    this.userAgent = options.userAgent ?? 'toneguard';
    this.trusted = cidrMatcher(options.trustedSources ?? DEFAULT_TRUSTED_SOURCES);
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
        await stack.open();
        return stack;
      } catch (err) {
        await stack.close();
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || options.port !== 0 || attempt >= 4) throw err;
      }
    }
  }

  private async open(): Promise<void> {
    const address = this.options.address ?? '127.0.0.1';
    const transports = this.options.transports ?? ['udp', 'tcp'];
    let port = this.options.port ?? 5060;
    if (transports.includes('udp')) {
      const udp = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
      this.udp = udp;
      udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
      udp.on('error', (err) => this.emit('warning', `udp: ${err.message}`));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      port = udp.address().port;
      this.bound.set('udp', { address, port });
      // A burst (a scan, a flood) should not push good requests out of the socket buffer; the
      // kernel caps this at net.core.rmem_max.
      try {
        udp.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // keep the default
      }
    }
    if (transports.includes('tcp')) {
      this.tcp = createServer((socket) => {
        if (this.admitConnection(socket)) this.adoptIncoming(socket, 'tcp');
        else socket.destroy();
      });
      port = await listenServer(this.tcp, address, port);
      this.bound.set('tcp', { address, port });
    }
    if (transports.includes('tls')) {
      const tls = this.options.tls;
      if (tls === undefined) throw new SipConfigError('SIP_CONFIG', "transport 'tls' needs tls: { cert, key }");
      // The handshake gets the same short window as the first message; slots are taken by the
      // raw connection, before the handshake, so handshakes cannot be used to hold them either.
      this.tls = createTlsServer({ cert: tls.cert, key: tls.key, handshakeTimeout: this.limits.firstMessageTimeoutMs }, (socket) => this.adoptIncoming(socket, 'tls'));
      this.tls.on('connection', (raw: Socket) => {
        if (!this.admitConnection(raw)) raw.destroy();
      });
      this.tls.on('tlsClientError', () => undefined);
      const tlsPort = tls.port ?? (port === 0 || this.options.port === 0 ? 0 : port + 1);
      this.bound.set('tls', { address, port: await listenServer(this.tls, address, tlsPort) });
    }
  }

  /** Where a transport listens. */
  localAddress(transport: SipTransport): { address: string; port: number } | undefined {
    return this.bound.get(transport);
  }

  /** This stack's Contact for a transport: `<sip:user@address:port;transport=tcp>`. */
  contact(transport: SipTransport = 'udp', user?: string): string {
    const local = this.bound.get(transport) ?? this.bound.values().next().value ?? { address: '127.0.0.1', port: 5060 };
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
    const host = this.bound.values().next().value?.address;
    return createRequest(init, { newTag, newCallId: () => newCallId(host) });
  }

  /** Sends a request in a new client transaction; adds the top Via and Max-Forwards. */
  request(req: SipRequest, destination: Destination): ClientTransaction {
    this.stampVia(req, destination.transport);
    if (!req.headers.has('max-forwards')) req.headers.set('max-forwards', '70');
    if (!req.headers.has('user-agent')) req.headers.append('user-agent', this.userAgent);
    const tx = new ClientTransaction(this.ctx, req, destination);
    this.clientTxs.set(tx.key, tx);
    this.trackOnConnection(tx, destination);
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
    const local = this.bound.get(transport) ?? this.bound.get('udp') ?? { address: '127.0.0.1', port: 5060 };
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
      connections: this.connections.size,
      malformed: this.malformed,
      refused: this.refused,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const tx of [...this.serverTxs.values()]) tx.terminate();
    for (const tx of [...this.clientTxs.values()]) tx.terminate();
    for (const c of [...this.connections.values()]) c.socket.destroy();
    this.connections.clear();
    const closing: Promise<void>[] = [];
    if (this.udp !== undefined) {
      const udp = this.udp;
      closing.push(
        new Promise((resolve) => {
          try {
            udp.close(() => resolve());
          } catch {
            resolve();
          }
        }),
      );
    }
    for (const server of [this.tcp, this.tls]) {
      if (server !== undefined && server.listening) closing.push(new Promise((resolve) => server.close(() => resolve())));
    }
    await Promise.all(closing);
  }

  // --- transport ------------------------------------------------------------------------------

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const source: Destination = { transport: 'udp', address: rinfo.address, port: rinfo.port };
    // Keep-alive (RFC 5626 §3.5.1: CRLF CRLF) and empty datagrams are nothing.
    if (msg.length <= 4 && msg.every((b) => b === 0x0d || b === 0x0a)) return;
    this.receiveBytes(msg, source);
  }

  private receiveBytes(bytes: Buffer, source: Destination): void {
    const oversize = bytes.length > this.limits.maxMessageBytes;
    // Oversize datagrams are still read (bounded by the 64 KiB UDP limit) to address a 513.
    const parsed = parseSipMessage(bytes, { maxMessageBytes: oversize ? Infinity : this.limits.maxMessageBytes, maxHeaders: this.limits.maxHeaders });
    if (oversize) {
      this.malformed++;
      const req = parsed instanceof SipParseError ? parsed.partial : parsed.kind === 'request' ? parsed : undefined;
      if (req !== undefined && req.method !== 'ACK') this.sendStateless(req, 513, source);
      this.emit('warning', `${source.transport} ${source.address}:${source.port}: message over ${this.limits.maxMessageBytes} bytes`);
      return;
    }
    if (parsed instanceof SipParseError) {
      this.malformed++;
      if (parsed.partial !== undefined && parsed.partial.method !== 'ACK') this.sendStateless(parsed.partial, parsed.status, source);
      this.emit('warning', `${source.transport} ${source.address}:${source.port}: ${parsed.message}`);
      return;
    }
    if (parsed.kind === 'response') this.onResponse(parsed);
    else this.onIncomingRequest(parsed, source);
  }

  /**
   * Takes a slot for an incoming connection, or refuses it: the global limit (untrusted sources
   * short of the reserved slots) and the per-source limit. The slot is freed when it closes.
   */
  private admitConnection(socket: Socket): boolean {
    const address = socket.remoteAddress ?? '';
    const trusted = this.trusted(address);
    const mine = this.connectionsPerSource.get(address) ?? 0;
    const cap = trusted ? this.limits.maxConnections : this.limits.maxConnections - this.limits.reservedConnections;
    const used = trusted ? this.slotsUsed : Math.max(this.untrustedSlotsUsed, this.slotsUsed - this.limits.reservedConnections);
    if (this.closed || used >= cap || this.slotsUsed >= this.limits.maxConnections || mine >= this.limits.maxConnectionsPerSource) {
      this.refused++;
      return false;
    }
    this.slotsUsed++;
    if (!trusted) this.untrustedSlotsUsed++;
    this.connectionsPerSource.set(address, mine + 1);
    socket.once('close', () => {
      this.slotsUsed--;
      if (!trusted) this.untrustedSlotsUsed--;
      const n = (this.connectionsPerSource.get(address) ?? 1) - 1;
      if (n <= 0) this.connectionsPerSource.delete(address);
      else this.connectionsPerSource.set(address, n);
    });
    return true;
  }

  private adoptIncoming(socket: Socket, transport: SipTransport): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = this.adoptSocket(socket, { transport, address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, true);
    // A complete message soon, or the connection goes (slow-loris: bytes trickled to hold a slot).
    conn.timer = this.clock.setTimer(this.limits.firstMessageTimeoutMs, () => {
      if (conn.lastMessageAt === undefined) socket.destroy();
    });
  }

  /** Closes the connection once idle long enough with nothing living on it; else looks again later. */
  private armIdleCheck(conn: Connection, delayMs: number): void {
    conn.timer?.cancel();
    conn.timer = this.clock.setTimer(delayMs, () => {
      conn.timer = undefined;
      if (this.closed || conn.socket.destroyed) return;
      const idleFor = this.clock.now() - (conn.lastMessageAt ?? 0);
      const idle = this.limits.tcpIdleTimeoutMs;
      if (idleFor < idle) this.armIdleCheck(conn, idle - idleFor);
      else if ((this.connectionUsers.get(conn.key) ?? 0) === 0) conn.socket.destroy();
      else this.armIdleCheck(conn, idle);
    });
  }

  /**
   * Keeps a TCP/TLS connection from being closed as idle while a dialog uses it (a call may
   * send nothing for hours between its ACK and its BYE). Returns the release; UDP: a no-op.
   */
  holdConnection(destination: Destination): () => void {
    if (destination.transport === 'udp') return () => undefined;
    const key = connKey(destination.transport, destination.address, destination.port);
    this.useConnection(key, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.useConnection(key, -1);
    };
  }

  private useConnection(key: string, delta: number): void {
    const n = (this.connectionUsers.get(key) ?? 0) + delta;
    if (n <= 0) this.connectionUsers.delete(key);
    else this.connectionUsers.set(key, n);
  }

  private adoptSocket(socket: Socket, remote: Destination, incoming = false): Connection {
    const key = connKey(remote.transport, remote.address, remote.port);
    const conn: Connection = { socket, key, remote, lastMessageAt: undefined, timer: undefined };
    this.connections.set(key, conn);
    const framer = new StreamFramer(this.limits.maxMessageBytes);
    if (!incoming) {
      // Our own connection: the peer has no first message to send; idle rules from now.
      conn.lastMessageAt = this.clock.now();
      this.armIdleCheck(conn, this.limits.tcpIdleTimeoutMs);
    }
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if (frame.kind === 'message') {
          // Only a complete message proves the peer alive (partial bytes never do).
          const first = conn.lastMessageAt === undefined;
          conn.lastMessageAt = this.clock.now();
          if (first) this.armIdleCheck(conn, this.limits.tcpIdleTimeoutMs);
          this.receiveBytes(frame.bytes, remote);
        } else {
          this.malformed++;
          const parsed = parseSipMessage(frame.head, { maxMessageBytes: Infinity, maxHeaders: this.limits.maxHeaders });
          const req = parsed instanceof SipParseError ? parsed.partial : parsed.kind === 'request' ? parsed : undefined;
          if (req !== undefined && req.method !== 'ACK') this.sendStateless(req, frame.status, remote);
          this.emit('warning', `${remote.transport} ${remote.address}:${remote.port}: ${frame.reason}`);
          socket.end();
          setTimeout(() => socket.destroy(), 1000).unref();
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.timer?.cancel();
      if (this.connections.get(key) === conn) this.connections.delete(key);
    });
    return conn;
  }

  private send(message: SipMessage, destination: Destination, onError?: (err: Error) => void): void {
    if (this.closed) return;
    // A peer's Contact, Via or Record-Route may name port 0 or an address the socket API
    // rejects; Node throws those synchronously, which must fail this send, not the caller.
    if (!Number.isInteger(destination.port) || destination.port < 1 || destination.port > 65535) {
      onError?.(new SipTransportError('SIP_TRANSPORT', `cannot send to port ${destination.port}`));
      return;
    }
    try {
      this.sendChecked(message, destination, onError);
    } catch (error) {
      onError?.(new SipTransportError('SIP_TRANSPORT', `${destination.transport} send to ${destination.address}:${destination.port}: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  private sendChecked(message: SipMessage, destination: Destination, onError?: (err: Error) => void): void {
    const bytes = serializeSipMessage(message);
    if (destination.transport === 'udp') {
      if (this.udp === undefined) {
        onError?.(new SipTransportError('SIP_TRANSPORT', 'UDP is not enabled'));
        return;
      }
      this.udp.send(bytes, destination.port, destination.address, (err) => {
        if (err !== null && err !== undefined) onError?.(new SipTransportError('SIP_TRANSPORT', `udp send: ${err.message}`));
      });
      return;
    }
    let conn = this.connections.get(connKey(destination.transport, destination.address, destination.port));
    if (conn === undefined && message.kind === 'response') {
      // §18.2.2: the connection the request came on is gone; open one to the top Via's
      // received address and its sent-by port (rport when given).
      const top = message.headers.list('via')[0];
      const via = top === undefined ? undefined : parseVia(top);
      const rport = via?.params.get('rport');
      const port = rport !== undefined && rport !== null && /^\d{1,5}$/.test(rport) ? Number(rport) : (via?.port ?? (destination.transport === 'tls' ? 5061 : 5060));
      const address = via?.params.get('received') ?? via?.host.replace(/^\[|\]$/g, '');
      if (address === undefined || address === null) {
        onError?.(new SipTransportError('SIP_TRANSPORT', 'connection closed and no Via to reopen it'));
        return;
      }
      destination = { transport: destination.transport, address, port };
      conn = this.connections.get(connKey(destination.transport, destination.address, destination.port));
    }
    if (conn === undefined) {
      const socket =
        destination.transport === 'tls'
          ? tlsConnect({
              host: destination.address,
              port: destination.port,
              ca: this.options.tlsClient?.ca,
              rejectUnauthorized: this.options.tlsClient?.rejectUnauthorized ?? true,
              servername: isIPv6(destination.address) || /^[\d.]+$/.test(destination.address) ? undefined : destination.address,
            })
          : netConnect({ host: destination.address, port: destination.port });
      conn = this.adoptSocket(socket, destination);
      socket.once('error', (err) => onError?.(new SipTransportError('SIP_TRANSPORT', `${destination.transport} connect: ${err.message}`)));
    }
    conn.socket.write(bytes);
  }

  private sendStateless(req: SipRequest, status: number, destination: Destination): void {
    const res = createResponse(req, status, undefined, { toTag: newTag(), headers: status === 503 ? { 'Retry-After': '5', Server: this.userAgent } : { Server: this.userAgent } });
    this.send(res, destination);
  }

  // --- transaction layer ----------------------------------------------------------------------

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
    this.trackOnConnection(tx, source);
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
    this.sendStateless(req, 503, source);
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
  private trackOnConnection(tx: ClientTransaction | ServerTransaction, where: Destination): void {
    if (where.transport === 'udp') return;
    const key = connKey(where.transport, where.address, where.port);
    this.txConnection.set(tx, key);
    this.useConnection(key, 1);
  }

  private removed(tx: ClientTransaction | ServerTransaction): void {
    const onConnection = this.txConnection.get(tx);
    if (onConnection !== undefined) {
      this.txConnection.delete(tx);
      this.useConnection(onConnection, -1);
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

function listenServer(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : port);
    });
  });
}
