// The transport layer (RFC 3261 §18): opens the UDP, TCP and TLS transports on one address,
// turns received bytes into messages under the size and header limits, and sends messages by
// the transport their destination names. Hostile bytes end here: a message over the limit or
// malformed is counted, answered statelessly (513/413/400 ...) when it is a request with a
// readable Via and not an ACK, else dropped; only parsed messages go up.
import { cidrMatcher } from './cidr.js';
import type { SipClock } from './clock.js';
import { newTag } from './grammar.js';
import { createResponse, parseSipMessage, serializeSipMessage } from './message.js';
import type { SipMessage, SipRequest } from './message-types.js';
import { SipConfigError, SipParseError, SipTransportError } from './sip-error.js';
import { DEFAULT_TRUSTED_SOURCES, type SipLimits, type SipStackOptions } from './stack-config.js';
import type { Destination, SipTransport } from './transaction.js';
import { StreamTransport } from './transport-stream.js';
import { UdpTransport } from './transport-udp.js';
import { messageOf } from '../errors.js';

export interface TransportEvents {
  /** A well-formed message within the limits. */
  message(message: SipMessage, source: Destination): void;
  /** A malformed or refused message (no content: safe to log). */
  warning(text: string): void;
}

export class TransportLayer {
  private udp: UdpTransport | undefined;
  private readonly stream: StreamTransport;
  private readonly bound = new Map<SipTransport, { address: string; port: number }>();
  private readonly userAgent: string;
  private malformedCount = 0;
  private closed = false;

  constructor(
    private readonly options: SipStackOptions,
    private readonly limits: SipLimits,
    clock: SipClock,
    private readonly events: TransportEvents,
  ) {
    this.userAgent = options.userAgent ?? 'toneguard';
    const trusted = cidrMatcher(options.trustedSources ?? DEFAULT_TRUSTED_SOURCES);
    this.stream = new StreamTransport(options, limits, clock, trusted, {
      message: (bytes, remote) => this.receive(bytes, remote),
      framingError: (head, status, reason, remote) => {
        this.malformedCount++;
        const parsed = parseSipMessage(head, { maxMessageBytes: Infinity, maxHeaders: this.limits.maxHeaders });
        const req = parsed instanceof SipParseError ? parsed.partial : parsed.kind === 'request' ? parsed : undefined;
        if (req !== undefined && req.method !== 'ACK') this.sendStateless(req, status, remote);
        this.events.warning(`${remote.transport} ${remote.address}:${remote.port}: ${reason}`);
      },
    });
  }

  /** Opens the configured transports; on failure the caller still close()s what was opened. */
  async open(): Promise<void> {
    const address = this.options.address ?? '127.0.0.1';
    const transports = this.options.transports ?? ['udp', 'tcp'];
    let port = this.options.port ?? 5060;
    if (transports.includes('udp')) {
      const udp = new UdpTransport(
        address,
        (bytes, source) => {
          if (!this.closed) this.receive(bytes, source);
        },
        (err) => this.events.warning(`udp: ${err.message}`),
      );
      this.udp = udp;
      port = await udp.bind(address, port);
      this.bound.set('udp', { address, port });
    }
    if (transports.includes('tcp')) {
      port = await this.stream.listenTcp(address, port);
      this.bound.set('tcp', { address, port });
    }
    if (transports.includes('tls')) {
      const tls = this.options.tls;
      if (tls === undefined) throw new SipConfigError('SIP_CONFIG', "transport 'tls' needs tls: { cert, key }");
      const tlsPort = tls.port ?? (port === 0 || this.options.port === 0 ? 0 : port + 1);
      this.bound.set('tls', { address, port: await this.stream.listenTls(tls, address, tlsPort) });
    }
  }

  /** Where a transport listens. */
  localAddress(transport: SipTransport): { address: string; port: number } | undefined {
    return this.bound.get(transport);
  }

  /** Where the first opened transport listens. */
  firstLocalAddress(): { address: string; port: number } | undefined {
    return this.bound.values().next().value;
  }

  /** Open TCP/TLS connections. */
  get connections(): number {
    return this.stream.size;
  }

  /** Messages rejected or dropped as malformed. */
  get malformed(): number {
    return this.malformedCount;
  }

  /** Connections refused for a limit. */
  get refused(): number {
    return this.stream.refused;
  }

  /** Keeps a TCP/TLS connection from being closed as idle; returns the release. UDP: a no-op. */
  hold(destination: Destination): () => void {
    if (destination.transport === 'udp') return () => undefined;
    return this.stream.hold(destination);
  }

  /** Sends; any failure (synchronous or not) goes to onError, never to the caller. */
  send(message: SipMessage, destination: Destination, onError?: (err: Error) => void): void {
    if (this.closed) return;
    // A peer's Contact, Via or Record-Route may name port 0 or an address the socket API
    // rejects; Node throws those synchronously, which must fail this send, not the caller.
    if (!Number.isInteger(destination.port) || destination.port < 1 || destination.port > 65535) {
      onError?.(new SipTransportError('SIP_TRANSPORT', `cannot send to port ${destination.port}`));
      return;
    }
    try {
      const bytes = serializeSipMessage(message);
      if (destination.transport !== 'udp') this.stream.send(message, bytes, destination, onError);
      else if (this.udp === undefined) onError?.(new SipTransportError('SIP_TRANSPORT', 'UDP is not enabled'));
      else this.udp.send(bytes, destination, onError);
    } catch (error) {
      onError?.(new SipTransportError('SIP_TRANSPORT', `${destination.transport} send to ${destination.address}:${destination.port}: ${messageOf(error)}`));
    }
  }

  /** Answers a request outside any transaction (malformed, over a limit): new To tag, Server. */
  sendStateless(req: SipRequest, status: number, destination: Destination): void {
    const res = createResponse(req, status, undefined, { toTag: newTag(), headers: status === 503 ? { 'Retry-After': '5', Server: this.userAgent } : { Server: this.userAgent } });
    this.send(res, destination);
  }

  /** Stops sending and receiving, destroys the connections and closes the sockets. */
  async close(): Promise<void> {
    this.closed = true;
    const closing = [this.stream.close()];
    if (this.udp !== undefined) closing.push(this.udp.close());
    await Promise.all(closing);
  }

  private receive(bytes: Buffer, source: Destination): void {
    const oversize = bytes.length > this.limits.maxMessageBytes;
    // Oversize datagrams are still read (bounded by the 64 KiB UDP limit) to address a 513.
    const parsed = parseSipMessage(bytes, { maxMessageBytes: oversize ? Infinity : this.limits.maxMessageBytes, maxHeaders: this.limits.maxHeaders });
    if (oversize) {
      this.malformedCount++;
      const req = parsed instanceof SipParseError ? parsed.partial : parsed.kind === 'request' ? parsed : undefined;
      if (req !== undefined && req.method !== 'ACK') this.sendStateless(req, 513, source);
      this.events.warning(`${source.transport} ${source.address}:${source.port}: message over ${this.limits.maxMessageBytes} bytes`);
      return;
    }
    if (parsed instanceof SipParseError) {
      this.malformedCount++;
      if (parsed.partial !== undefined && parsed.partial.method !== 'ACK') this.sendStateless(parsed.partial, parsed.status, source);
      this.events.warning(`${source.transport} ${source.address}:${source.port}: ${parsed.message}`);
      return;
    }
    this.events.message(parsed, source);
  }
}
