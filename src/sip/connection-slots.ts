// Admission of incoming TCP/TLS connections: a cap in all, a cap per source address, and slots
// only trusted sources may take, so that a flood of connections from elsewhere cannot lock the
// PBX out. A slot is taken by the raw connection (before any TLS handshake) and freed when it closes.
import type { SipLimits } from './stack-config.js';

export class ConnectionSlots {
  private readonly perSource = new Map<string, number>();
  /** Incoming connections holding a slot: all, and those from untrusted sources. */
  private used = 0;
  private untrustedUsed = 0;

  constructor(
    private readonly limits: SipLimits,
    private readonly trusted: (address: string) => boolean,
  ) {}

  /**
   * Takes a slot for an incoming connection from `address`, or refuses it (undefined): the global
   * limit (untrusted sources short of the reserved slots) and the per-source limit. Returns the
   * release, to call once when the connection closes.
   */
  take(address: string): (() => void) | undefined {
    const trusted = this.trusted(address);
    const mine = this.perSource.get(address) ?? 0;
    const cap = trusted ? this.limits.maxConnections : this.limits.maxConnections - this.limits.reservedConnections;
    const used = trusted ? this.used : Math.max(this.untrustedUsed, this.used - this.limits.reservedConnections);
    if (used >= cap || this.used >= this.limits.maxConnections || mine >= this.limits.maxConnectionsPerSource) return undefined;
    this.used++;
    if (!trusted) this.untrustedUsed++;
    this.perSource.set(address, mine + 1);
    return () => {
      this.used--;
      if (!trusted) this.untrustedUsed--;
      const n = (this.perSource.get(address) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(address);
      else this.perSource.set(address, n);
    };
  }
}
