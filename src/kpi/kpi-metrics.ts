// Real-time KPIs as Prometheus metrics (prom-client, a registry of our own: a library embedding
// toneguard keeps its default registry to itself). Names are listed in docs/architecture.md, "KPIs".
//
// Label cardinality is bounded: mode, result, step, field, error type and digit source come from
// the vocabulary; merchant IDs and card types come from callers and headers, so only the first
// MAX_MERCHANTS / MAX_CARD_TYPES distinct values get their own series and the rest count as `other`.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AUDIT_ACTIONS, type AuditAction } from '../audit/audit-trail.js';
import { PAYMENT_MODES, type DigitSource, type PaymentSessionRecord } from '../dialog/vocabulary.js';
import type { LegName } from '../media/media-session.js';
import type { SessionEnteredEvent } from './kpi-types.js';

export const MAX_MERCHANTS = 100;
export const MAX_CARD_TYPES = 20;
/** Label value for a merchant or card type past the cap. */
export const OTHER_LABEL = 'other';
/** Label value when a session had no merchant ID / card type. */
export const NONE_LABEL = 'none';

/** Session durations, seconds: a payment takes from a few seconds (hang-up) to minutes (retries). */
const DURATION_BUCKETS_S = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600];

export type RtpDirection = 'in' | 'out';

/** Where an internal error was caught (label `source` of toneguard_internal_errors_total). */
export type InternalErrorSource = 'call' | 'uncaught-exception' | 'unhandled-rejection';
export const INTERNAL_ERROR_SOURCES: readonly InternalErrorSource[] = ['call', 'uncaught-exception', 'unhandled-rejection'];

/** The live numbers the dashboard's tiles show, read from the metrics. */
export interface LiveCounters {
  readonly callsActive: number;
  readonly callsTotal: number;
  readonly rtpPackets: number;
  readonly rtpPacketsLost: number;
  readonly rtpPacketsDropped: number;
  readonly dtmfDigits: Partial<Record<DigitSource, number>>;
  readonly dtmfDigitsClamped: number;
}

/** First `max` distinct values keep their name, later ones become `other`. */
class BoundedLabel {
  readonly #seen = new Set<string>();
  constructor(private readonly max: number) {}
  value(raw: string | null): string {
    if (raw === null || raw === '') return NONE_LABEL;
    if (this.#seen.has(raw)) return raw;
    if (this.#seen.size >= this.max) return OTHER_LABEL;
    this.#seen.add(raw);
    return raw;
  }
}

async function total(metric: Counter<string> | Gauge<string>): Promise<number> {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

export class KpiMetrics {
  readonly registry = new Registry();
  readonly #merchants = new BoundedLabel(MAX_MERCHANTS);
  readonly #cardTypes = new BoundedLabel(MAX_CARD_TYPES);

  readonly #entered = new Counter({
    name: 'toneguard_payment_sessions_entered_total',
    help: 'Payment sessions started (the caller entered the payment application)',
    labelNames: ['mode'],
    registers: [this.registry],
  });
  readonly #enteredByMerchant = new Counter({
    name: 'toneguard_payment_sessions_entered_by_merchant_total',
    help: 'Payment sessions started, per merchant (first 100 merchants; later ones as "other")',
    labelNames: ['mode', 'merchant'],
    registers: [this.registry],
  });
  readonly #upstreamUp = new Gauge({
    name: 'toneguard_upstream_up',
    help: 'Upstream PBX reachable (1) or down (0), from OPTIONS keep-alives and INVITE outcomes',
    labelNames: ['upstream'],
    registers: [this.registry],
  });
  readonly #upstreamInvites = new Counter({
    name: 'toneguard_upstream_invites_total',
    help: 'INVITEs sent to each upstream PBX, by outcome',
    labelNames: ['upstream', 'outcome'],
    registers: [this.registry],
  });
  readonly #sessions = new Counter({
    name: 'toneguard_payment_sessions_total',
    help: 'Payment sessions ended, per result (X-Payment-Result values)',
    labelNames: ['mode', 'result'],
    registers: [this.registry],
  });
  readonly #sessionsByMerchant = new Counter({
    name: 'toneguard_payment_sessions_by_merchant_total',
    help: 'Payment sessions ended, per merchant and result',
    labelNames: ['mode', 'merchant', 'result'],
    registers: [this.registry],
  });
  readonly #sessionsByCardType = new Counter({
    name: 'toneguard_payment_sessions_by_card_type_total',
    help: 'Payment sessions ended, per card type (credit-card-type name) and result',
    labelNames: ['mode', 'card_type', 'result'],
    registers: [this.registry],
  });
  readonly #attempts = new Counter({ name: 'toneguard_payment_attempts_total', help: 'Cards submitted to the payment gateway', labelNames: ['mode'], registers: [this.registry] });
  readonly #hangups = new Counter({
    name: 'toneguard_payment_caller_hangups_total',
    help: 'Callers who hung up inside the payment application, per step',
    labelNames: ['mode', 'step'],
    registers: [this.registry],
  });
  readonly #funnel = new Counter({
    name: 'toneguard_payment_steps_reached_total',
    help: 'Ended payment sessions that reached each step (the drop-off funnel)',
    labelNames: ['mode', 'step'],
    registers: [this.registry],
  });
  readonly #fieldErrors = new Counter({
    name: 'toneguard_payment_field_errors_total',
    help: 'Validation and timeout errors per field being collected',
    labelNames: ['mode', 'for', 'error_type'],
    registers: [this.registry],
  });
  readonly #fieldInputs = new Counter({
    name: 'toneguard_payment_fields_captured_total',
    help: 'Fields captured in ended payment sessions, per how the caller gave them (dtmf, speech, "dtmf speech")',
    labelNames: ['mode', 'for', 'input'],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: 'toneguard_payment_session_duration_seconds',
    help: 'Payment session duration, seconds, per result',
    labelNames: ['mode', 'result'],
    buckets: DURATION_BUCKETS_S,
    registers: [this.registry],
  });

  readonly #callsActive = new Gauge({ name: 'toneguard_calls_active', help: 'Calls in progress', registers: [this.registry] });
  /** Per media worker (rtp.workers), read from the pool at scrape time. */
  #workers: () => readonly { readonly index: number; readonly calls: number; readonly lagMs: number }[] = () => [];
  readonly #workerCalls = new Gauge({
    name: 'toneguard_media_worker_calls',
    help: 'Calls whose media a worker thread owns, per worker (rtp.workers)',
    labelNames: ['worker'],
    registers: [this.registry],
    collect: () => {
      this.#workerCalls.reset();
      for (const w of this.#workers()) this.#workerCalls.set({ worker: String(w.index) }, w.calls);
    },
  });
  readonly #workerLag = new Gauge({
    name: 'toneguard_media_worker_event_loop_lag_seconds',
    help: 'p99 event-loop delay of each media worker over its last second, seconds',
    labelNames: ['worker'],
    registers: [this.registry],
    collect: () => {
      this.#workerLag.reset();
      for (const w of this.#workers()) if (Number.isFinite(w.lagMs)) this.#workerLag.set({ worker: String(w.index) }, w.lagMs / 1000);
    },
  });
  readonly #callsTotal = new Counter({ name: 'toneguard_calls_total', help: 'Calls started', registers: [this.registry] });
  readonly #rtpPackets = new Counter({
    name: 'toneguard_rtp_packets_total',
    help: 'RTP packets, per leg and direction (in: received, out: sent)',
    labelNames: ['leg', 'direction'],
    registers: [this.registry],
  });
  readonly #rtpLost = new Counter({ name: 'toneguard_rtp_packets_lost_total', help: 'RTP packets lost on the way to us (sequence gaps), per leg', labelNames: ['leg'], registers: [this.registry] });
  readonly #rtpDropped = new Counter({ name: 'toneguard_rtp_packets_dropped_total', help: 'RTP packets we dropped, per reason', labelNames: ['reason'], registers: [this.registry] });
  readonly #digits = new Counter({ name: 'toneguard_dtmf_digits_total', help: 'DTMF digits detected, per source', labelNames: ['source'], registers: [this.registry] });
  readonly #internalErrors = new Counter({
    name: 'toneguard_internal_errors_total',
    help: 'Errors caught by containment: a call ended with "error" (source call), or the process-wide last-resort handler',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly #audit = new Counter({
    name: 'toneguard_audit_events_total',
    help: 'Audit trail lines written (secure mode changes, payment commands, state-changing API calls, reloads), per action',
    labelNames: ['action'],
    registers: [this.registry],
  });
  readonly #clamped = new Counter({
    name: 'toneguard_dtmf_digits_clamped_total',
    help: 'DTMF digits kept from the agent leg (secure mode), per source',
    labelNames: ['source'],
    registers: [this.registry],
  });

  constructor() {
    // Process and Node runtime metrics (CPU, memory, event-loop lag, GC, handles) beside ours.
    collectDefaultMetrics({ register: this.registry });
    // The per-mode series exist at 0 from the start, so that rate() and alerts see them before the first payment.
    for (const mode of PAYMENT_MODES) {
      this.#entered.inc({ mode }, 0);
      this.#attempts.inc({ mode }, 0);
    }
    for (const action of AUDIT_ACTIONS) this.#audit.inc({ action }, 0);
    for (const source of INTERNAL_ERROR_SOURCES) this.#internalErrors.inc({ source }, 0);
  }

  /** An error caught by containment (never its text: that goes to the log, sanitised). */
  internalError(source: InternalErrorSource): void {
    this.#internalErrors.inc({ source });
  }

  sessionEntered(event: SessionEnteredEvent): void {
    this.#entered.inc({ mode: event.mode });
    this.#enteredByMerchant.inc({ mode: event.mode, merchant: this.#merchants.value(event.merchantId) });
  }

  sessionEnded(record: PaymentSessionRecord): void {
    const { mode, result } = record;
    this.#sessions.inc({ mode, result });
    this.#sessionsByMerchant.inc({ mode, merchant: this.#merchants.value(record.merchantId), result });
    this.#sessionsByCardType.inc({ mode, card_type: this.#cardTypes.value(record.cardType), result });
    if (record.attempts > 0) this.#attempts.inc({ mode }, record.attempts);
    if (result === 'caller-hung-up') {
      // The dialog names the step; a record without one is counted at the last step reached.
      const step = record.hangupStep ?? record.stepsReached[record.stepsReached.length - 1] ?? NONE_LABEL;
      this.#hangups.inc({ mode, step });
    }
    for (const step of new Set(record.stepsReached)) this.#funnel.inc({ mode, step });
    for (const error of record.fieldErrors) this.#fieldErrors.inc({ mode, for: error.for, error_type: error.errorType });
    for (const field of record.fieldInputs ?? []) this.#fieldInputs.inc({ mode, for: field.for, input: field.input });
    this.#duration.observe({ mode, result }, Math.max(0, record.endedAt - record.startedAt) / 1000);
  }

  /** Where the per-worker gauges read from (the media worker pool's state). */
  mediaWorkers(source: () => readonly { readonly index: number; readonly calls: number; readonly lagMs: number }[]): void {
    this.#workers = source;
  }

  callStarted(): void {
    this.#callsActive.inc();
    this.#callsTotal.inc();
  }

  callEnded(): void {
    this.#callsActive.dec();
  }

  /** `count` lets the media plane report in batches rather than per packet. */
  rtpPackets(leg: LegName, direction: RtpDirection, count = 1): void {
    this.#rtpPackets.inc({ leg, direction }, count);
  }

  rtpPacketsLost(leg: LegName, count = 1): void {
    this.#rtpLost.inc({ leg }, count);
  }

  /** `reason`: a short fixed word from the media plane (`unknown-source`, `malformed`, `srtp-auth`...), never free text. */
  /** An upstream PBX went up (1) or down (0); `upstream` is its configured URI (bounded by the config). */
  upstreamState(upstream: string, up: boolean): void {
    this.#upstreamUp.set({ upstream }, up ? 1 : 0);
  }

  /** One INVITE towards an upstream and what came of it (answered, rejected, timeout, ...). */
  upstreamAttempt(upstream: string, outcome: string): void {
    this.#upstreamInvites.inc({ upstream, outcome });
  }

  rtpPacketsDropped(reason: string, count = 1): void {
    this.#rtpDropped.inc({ reason }, count);
  }

  dtmfDigit(source: DigitSource): void {
    this.#digits.inc({ source });
  }

  auditEvent(action: AuditAction): void {
    this.#audit.inc({ action });
  }

  dtmfDigitClamped(source: DigitSource): void {
    this.#clamped.inc({ source });
  }

  /** Prometheus text exposition format. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async live(): Promise<LiveCounters> {
    const digits: Partial<Record<DigitSource, number>> = {};
    for (const v of (await this.#digits.get()).values) {
      const source = v.labels.source as DigitSource;
      digits[source] = (digits[source] ?? 0) + v.value;
    }
    return {
      callsActive: await total(this.#callsActive),
      callsTotal: await total(this.#callsTotal),
      rtpPackets: await total(this.#rtpPackets),
      rtpPacketsLost: await total(this.#rtpLost),
      rtpPacketsDropped: await total(this.#rtpDropped),
      dtmfDigits: digits,
      dtmfDigitsClamped: await total(this.#clamped),
    };
  }
}
