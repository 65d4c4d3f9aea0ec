// What a SipStack is given: where it listens, its transports and TLS material, its timers, and
// the limits that bound what a hostile sender can make it hold (bytes, transactions,
// connections, time), with their defaults. The limits are enforced where the resource is held:
// transport-layer.ts (size), transaction-limits.ts, connection-slots.ts and connection-idle.ts.
import type { SipClock } from './clock.js';
import type { SipTimers, SipTransport } from './transaction.js';

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
