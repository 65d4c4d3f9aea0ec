// The stream transports, TCP and TLS (RFC 3261 §18.3, RFC 5630): the listening servers, the table
// of open connections (incoming and our own, one per transport|address|port and reused both
// ways), their framing by Content-Length, and where a message goes when its connection is gone
// (§18.2.2). Which connections are let in is connection-slots.ts; when they close for saying
// nothing is connection-idle.ts.
import { createServer, connect as netConnect, isIPv6, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { SipClock } from './clock.js';
import { ConnectionIdle, type WatchedConnection } from './connection-idle.js';
import { ConnectionSlots } from './connection-slots.js';
import { parseVia } from './grammar.js';
import type { SipMessage } from './message-types.js';
import type { SipLimits, SipStackOptions } from './stack-config.js';
import { SipTransportError } from './sip-error.js';
import { StreamFramer } from './stream-framer.js';
import type { Destination, SipTransport } from './transaction.js';

interface Connection extends WatchedConnection {
  readonly socket: Socket | TLSSocket;
  readonly remote: Destination;
}

export interface StreamEvents {
  /** A complete message (framed, not yet parsed). */
  message(bytes: Buffer, remote: Destination): void;
  /**
   * The stream cannot be framed (no or bad Content-Length, over the size limit): `head` is what
   * can be read of the message, to answer `status` if it is a request. The connection is closing.
   */
  framingError(head: Buffer, status: number, reason: string, remote: Destination): void;
}

const connKey = (transport: SipTransport, address: string, port: number): string => `${transport}|${address}|${port}`;

export class StreamTransport {
  private tcp: Server | undefined;
  private tls: Server | undefined;
  private readonly connections = new Map<string, Connection>();
  private readonly slots: ConnectionSlots;
  private readonly idle: ConnectionIdle;
  /** Incoming connections refused for a limit. */
  private refusedCount = 0;
  private closed = false;

  constructor(
    private readonly options: Pick<SipStackOptions, 'tls' | 'tlsClient'>,
    private readonly limits: SipLimits,
    clock: SipClock,
    trusted: (address: string) => boolean,
    private readonly events: StreamEvents,
  ) {
    this.slots = new ConnectionSlots(limits, trusted);
    this.idle = new ConnectionIdle(clock, limits);
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  get refused(): number {
    return this.refusedCount;
  }

  /** Listens for TCP; resolves with the bound port. */
  listenTcp(address: string, port: number): Promise<number> {
    this.tcp = createServer((socket) => {
      if (this.admit(socket)) this.adoptIncoming(socket, 'tcp');
      else socket.destroy();
    });
    return listenServer(this.tcp, address, port);
  }

  /** Listens for TLS with the configured certificate and key; resolves with the bound port. */
  listenTls(tls: NonNullable<SipStackOptions['tls']>, address: string, port: number): Promise<number> {
    // The handshake gets the same short window as the first message; slots are taken by the
    // raw connection, before the handshake, so handshakes cannot be used to hold them either.
    this.tls = createTlsServer({ cert: tls.cert, key: tls.key, handshakeTimeout: this.limits.firstMessageTimeoutMs }, (socket) => this.adoptIncoming(socket, 'tls'));
    this.tls.on('connection', (raw: Socket) => {
      if (!this.admit(raw)) raw.destroy();
    });
    this.tls.on('tlsClientError', () => undefined);
    return listenServer(this.tls, address, port);
  }

  /**
   * Keeps the connection to `destination` from being closed as idle (a transaction or a dialog
   * lives on it). Returns the release.
   */
  hold(destination: Destination): () => void {
    const key = connKey(destination.transport, destination.address, destination.port);
    this.idle.use(key, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.idle.use(key, -1);
    };
  }

  /**
   * Writes a message on the connection to `destination`, opening one if there is none. Throws
   * what the socket API throws synchronously; a failed connect calls onError.
   */
  send(message: SipMessage, bytes: Buffer, destination: Destination, onError?: (err: Error) => void): void {
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
      conn = this.adopt(socket, destination);
      const target = destination;
      socket.once('error', (err) => onError?.(new SipTransportError('SIP_TRANSPORT', `${target.transport} connect: ${err.message}`)));
    }
    conn.socket.write(bytes);
  }

  /** Destroys every connection and closes the servers. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.stop();
    for (const c of [...this.connections.values()]) c.socket.destroy();
    this.connections.clear();
    const closing: Promise<void>[] = [];
    for (const server of [this.tcp, this.tls]) {
      if (server !== undefined && server.listening) closing.push(new Promise((resolve) => server.close(() => resolve())));
    }
    await Promise.all(closing);
  }

  /** Takes a slot for an incoming connection, freed when it closes; false: refused. */
  private admit(socket: Socket): boolean {
    const release = this.closed ? undefined : this.slots.take(socket.remoteAddress ?? '');
    if (release === undefined) {
      this.refusedCount++;
      return false;
    }
    socket.once('close', release);
    return true;
  }

  private adoptIncoming(socket: Socket, transport: SipTransport): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = this.adopt(socket, { transport, address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, true);
    this.idle.watchIncoming(conn);
  }

  private adopt(socket: Socket, remote: Destination, incoming = false): Connection {
    const key = connKey(remote.transport, remote.address, remote.port);
    const conn: Connection = { socket, key, remote, lastMessageAt: undefined, timer: undefined };
    this.connections.set(key, conn);
    const framer = new StreamFramer(this.limits.maxMessageBytes);
    if (!incoming) this.idle.watchOutgoing(conn);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if (frame.kind === 'message') {
          // Only a complete message proves the peer alive (partial bytes never do).
          this.idle.heard(conn);
          this.events.message(frame.bytes, remote);
        } else {
          this.events.framingError(frame.head, frame.status, frame.reason, remote);
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
