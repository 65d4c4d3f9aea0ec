// The PBXs behind toneguard (lifetime: the server). Each upstream has a priority (lower first) and
// a weight (share of calls among equals, RFC 2782 style); OPTIONS keep-alives mark it down after
// `failureThreshold` unanswered or 5xx probes in a row and up again on the first answer
// (Kamailio dispatcher's rule: any final response but 5xx/408 means the server is alive). A call
// tries the upstreams that are up, in order, and fails over on timeout, 5xx, 503 and transport
// errors; while none is up toneguard is not ready (/health/ready) and still tries them all.
import { EventEmitter } from 'node:events';
import type { Destination, SipStack, SipTransport, SipUri } from '../sip/sip-stack.js';
import { uriDestination } from '../sip/sip-stack.js';
import { CallConfigError, configUri } from './call-routing.js';

export interface UpstreamConfig {
  readonly uri: string;
  /** Lower is tried first. */
  readonly priority: number;
  /** Relative share among upstreams of the same priority. */
  readonly weight: number;
}

export interface UpstreamProbe {
  /** Between OPTIONS keep-alives to each upstream, ms; 0 turns probing off. */
  readonly intervalMs: number;
  /** A probe with no final response within this long failed, ms. */
  readonly timeoutMs: number;
  /** Failed probes in a row that mark an upstream down. */
  readonly failureThreshold: number;
}

export const DEFAULT_UPSTREAM_PROBE: UpstreamProbe = { intervalMs: 10_000, timeoutMs: 2_000, failureThreshold: 3 };

export class Upstream {
  readonly uri: SipUri;
  readonly label: string;
  readonly destination: Destination;
  readonly priority: number;
  readonly weight: number;
  up = true;
  /** Failures in a row (probes or INVITEs). */
  failures = 0;
  /** Not before this time (epoch ms): a 503 with Retry-After. */
  retryAfter = 0;

  constructor(config: UpstreamConfig, transport: SipTransport) {
    this.uri = configUri(config.uri, 'upstream');
    this.label = config.uri;
    const destination = uriDestination(config.uri, transport);
    if (destination === undefined) throw new CallConfigError(`upstream ${config.uri} has no host`);
    this.destination = destination;
    this.priority = config.priority;
    this.weight = Math.max(0, config.weight);
  }
}

export type UpstreamOutcome = 'answered' | 'rejected' | 'timeout' | 'server-error' | 'unavailable' | 'transport-error';

/** What a final response to an INVITE says about the upstream that sent it. */
export function finalOutcome(status: number): UpstreamOutcome {
  if (status < 300) return 'answered';
  if (status === 503) return 'unavailable';
  if (status === 408) return 'timeout';
  if (status >= 500 && status < 600) return 'server-error';
  return 'rejected';
}

export type UpstreamPoolEvents = {
  /** An upstream went up or down. */
  change: [Upstream];
  /** One INVITE attempt's outcome (metrics). */
  attempt: [Upstream, UpstreamOutcome];
};

/** Weighted random order within one priority (RFC 2782 §"Usage rules" selection). */
function weightedOrder(group: Upstream[], random: () => number): Upstream[] {
  const rest = [...group];
  const out: Upstream[] = [];
  while (rest.length > 0) {
    const total = rest.reduce((s, u) => s + u.weight, 0);
    let pick = 0;
    if (total > 0) {
      let x = random() * total;
      pick = rest.findIndex((u) => (x -= u.weight) < 0);
      if (pick < 0) pick = rest.length - 1;
    }
    out.push(rest.splice(pick, 1)[0]);
  }
  return out;
}

export class UpstreamPool extends EventEmitter<UpstreamPoolEvents> {
  readonly upstreams: readonly Upstream[];
  readonly #stack: SipStack;
  readonly #probe: UpstreamProbe;
  readonly #random: () => number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: {
    readonly stack: SipStack;
    readonly upstreams: readonly UpstreamConfig[];
    readonly transport?: SipTransport;
    readonly probe?: Partial<UpstreamProbe>;
    readonly random?: () => number;
    readonly now?: () => number;
  }) {
    super();
    if (options.upstreams.length === 0) throw new CallConfigError('at least one upstream is needed');
    this.upstreams = options.upstreams.map((u) => new Upstream(u, options.transport ?? 'udp'));
    this.#stack = options.stack;
    this.#probe = { ...DEFAULT_UPSTREAM_PROBE, ...options.probe };
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** Starts the OPTIONS keep-alives (one round now, then every interval). */
  start(): void {
    if (this.#probe.intervalMs <= 0 || this.#timer !== undefined) return;
    this.#probeAll();
    this.#timer = setInterval(() => this.#probeAll(), this.#probe.intervalMs);
    this.#timer.unref();
  }

  /** The order in which a new call tries the upstreams: up ones by priority, then the rest. */
  candidates(): Upstream[] {
    const now = this.#now();
    const usable = (u: Upstream) => u.up && u.retryAfter <= now;
    const byPriority = (list: Upstream[]) => {
      const priorities = [...new Set(list.map((u) => u.priority))].sort((a, b) => a - b);
      return priorities.flatMap((p) =>
        weightedOrder(
          list.filter((u) => u.priority === p),
          this.#random,
        ),
      );
    };
    const good = this.upstreams.filter(usable);
    return [...byPriority(good), ...byPriority(this.upstreams.filter((u) => !usable(u)))];
  }

  /** Some upstream is up: toneguard can place calls. */
  get anyUp(): boolean {
    return this.upstreams.some((u) => u.up);
  }

  /** An INVITE attempt ended this way (failover decisions and health). */
  report(upstream: Upstream, outcome: UpstreamOutcome, retryAfterS?: number): void {
    this.emit('attempt', upstream, outcome);
    if (outcome === 'answered' || outcome === 'rejected') this.#succeeded(upstream);
    else {
      if (outcome === 'unavailable' && retryAfterS !== undefined && retryAfterS > 0) upstream.retryAfter = this.#now() + Math.min(retryAfterS, 3600) * 1000;
      this.#failed(upstream);
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #succeeded(u: Upstream): void {
    u.failures = 0;
    if (!u.up) {
      u.up = true;
      this.emit('change', u);
    }
  }

  #failed(u: Upstream): void {
    u.failures += 1;
    if (u.up && u.failures >= this.#probe.failureThreshold) {
      u.up = false;
      this.emit('change', u);
    }
  }

  #probeAll(): void {
    for (const u of this.upstreams) this.#probeOne(u);
  }

  #probeOne(u: Upstream): void {
    if (this.#closed) return;
    let settled = false;
    const settle = (alive: boolean): void => {
      if (settled || this.#closed) return;
      settled = true;
      clearTimeout(timer);
      if (alive) this.#succeeded(u);
      else this.#failed(u);
    };
    const timer = setTimeout(() => settle(false), this.#probe.timeoutMs);
    timer.unref();
    try {
      const target = `${u.uri.scheme}:${u.destination.address.includes(':') ? `[${u.destination.address}]` : u.destination.address}:${u.destination.port}`;
      const req = this.#stack.createRequest({ method: 'OPTIONS', uri: target, from: '<sip:toneguard@invalid>', to: `<${target}>`, headers: { 'max-forwards': '0' } });
      const tx = this.#stack.request(req, u.destination);
      // 408/5xx: reached but not serving; anything else (200, 404, 483 for Max-Forwards 0) is alive.
      tx.on('final', (res) => settle(!(res.status === 408 || res.status >= 500)));
      tx.on('timeout', () => settle(false));
      tx.on('transportError', () => settle(false));
    } catch {
      settle(false);
    }
  }
}
