// Which source a leg accepts RTP (or RTCP) from: symmetric RTP (RFC 4961) with latching.
// A packet is accepted only from the SDP-negotiated address:port or, for a peer behind NAT
// whose source port differs from its SDP, from the negotiated IP: the first such packet latches
// the leg to its exact source, and from then on only that address:port is accepted and replies
// go there, except the negotiated address:port itself, which takes a latch made elsewhere over:
// a third party on the peer's IP that latches first (it only has to send before the peer does)
// would otherwise keep the leg for the whole call. Nothing else is accepted (no RTP injection,
// no bleed from a previous call on the port). A re-negotiation (re-INVITE) with a new remote
// unlatches. Pure state, no allocation per packet.

export class RemoteLatch {
  /** Negotiated remote (SDP), or null: nothing is accepted and nothing sent. */
  private address: string | null = null;
  private port = 0;
  private latchedAddress: string | null = null;
  private latchedPort = 0;
  /** Packets refused (foreign source, or no remote). */
  dropped = 0;
  /** Changes each time what is accepted or where to send changes (a cheap test for "moved?"). */
  generation = 0;

  /** Sets the negotiated remote; a change unlatches. */
  setRemote(address: string | null, port: number): void {
    const normalized = address === null || isUnspecified(address) || port <= 0 ? null : normalizeAddress(address);
    if (normalized === this.address && port === this.port) return;
    this.address = normalized;
    this.port = port;
    this.latchedAddress = null;
    this.latchedPort = 0;
    this.generation++;
  }

  get latched(): boolean {
    return this.latchedAddress !== null;
  }

  /**
   * Whether a packet from `address`:`port` may be accepted (counted as dropped when not). Does
   * not latch: call `latch` once the packet is known good (e.g. it authenticated under SRTP), so
   * a forged packet from the right IP cannot capture the leg.
   */
  accepts(address: string, port: number): boolean {
    if (this.latchedAddress !== null) {
      if (port === this.latchedPort && address === this.latchedAddress) return true;
      if (this.isNegotiated(address, port)) return true;
      this.dropped++;
      return false;
    }
    if (this.address === null || normalizeAddress(address) !== this.address) {
      this.dropped++;
      return false;
    }
    return true;
  }

  /** Latches to the source of a good packet that `accepts` let in (once latched, only the negotiated remote moves it). */
  latch(address: string, port: number): void {
    // Every packet of a latched stream comes here: its own source first, before the tests that
    // normalise addresses.
    if (address === this.latchedAddress && port === this.latchedPort) return;
    if (this.latchedAddress !== null && !(this.latchedElsewhere && this.isNegotiated(address, port))) return;
    this.latchedAddress = address;
    this.latchedPort = port;
    this.generation++;
  }

  /** Whether `address`:`port` is the negotiated remote itself. */
  isNegotiated(address: string, port: number): boolean {
    return this.address !== null && port === this.port && normalizeAddress(address) === this.address;
  }

  /** Latched to another source than the negotiated remote (a NAT changed the port). */
  get latchedElsewhere(): boolean {
    return this.latchedAddress !== null && !this.isNegotiated(this.latchedAddress, this.latchedPort);
  }

  /** Where to send: the latched source, else the negotiated remote; null when none. */
  get sendAddress(): string | null {
    return this.latchedAddress ?? this.address;
  }

  get sendPort(): number {
    return this.latchedAddress !== null ? this.latchedPort : this.port;
  }
}

/** SDP hold (RFC 3264 §8.4 legacy c=0.0.0.0) or an unspecified address: no remote. */
function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

/** IPv4-mapped IPv6 sources (::ffff:a.b.c.d on dual-stack sockets) compare as IPv4. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}
