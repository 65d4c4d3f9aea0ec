// The KPI store's boundary: the events it is fed and the numbers it answers with. The summary's
// shape is the `toneguard kpi --json` object (docs/cli.md, keys in that order).
import type { PaymentMode, PaymentResult, PaymentSessionRecord, PaymentStep, CaptureField, ErrorType, FieldInput } from '../dialog/vocabulary.js';

/** A payment session started (the caller entered the payment application). */
export interface SessionEnteredEvent {
  readonly sessionId: string;
  readonly mode: PaymentMode;
  readonly merchantId: string | null;
  /** Epoch ms. */
  readonly at: number;
}

/** Time range on the session's entry time, epoch ms: from inclusive, to exclusive; absent = open. */
export interface KpiRange {
  readonly from?: number;
  readonly to?: number;
}

/** `--by` / `?by=`: day and hour are UTC buckets of the entry time; outcome is the result (null while running or lost). */
export const KPI_GROUPINGS = ['day', 'hour', 'merchant', 'outcome', 'mode', 'card-type'] as const;
export type KpiGroupBy = (typeof KPI_GROUPINGS)[number];

export function isKpiGroupBy(value: string): value is KpiGroupBy {
  return (KPI_GROUPINGS as readonly string[]).includes(value);
}

export interface KpiSummary {
  /** Sessions that entered the payment application (including those still running or lost in a crash). */
  readonly entered: number;
  /** Ended with result `success`. */
  readonly successful: number;
  /** Ended with any other result. */
  readonly unsuccessful: number;
  /** Cards submitted to the gateway (payment attempts; a session may make several). */
  readonly attempted: number;
  /** Ended with result `caller-hung-up`. */
  readonly hangups: number;
  /** Mean session duration per result, seconds (ms precision); only results that occurred. */
  readonly avgDurationSeconds: Partial<Record<PaymentResult, number>>;
  /** Ended sessions that reached each step, every step in flow order. */
  readonly funnel: Record<PaymentStep, number>;
}

/** One group of `grouped()`: the group's key (a day `YYYY-MM-DD`, hour `YYYY-MM-DDTHH:00Z`, merchant, result, mode or card type; null for none) and its numbers. */
export interface KpiGroup {
  readonly key: string | null;
  readonly summary: KpiSummary;
}

/** Errors per field: `for` -> `errorType` -> occurrences. */
export type FieldErrorCounts = Partial<Record<CaptureField, Partial<Record<ErrorType, number>>>>;

/** Fields captured, per field and how the caller gave them (`dtmf`, `speech`, `dtmf speech`): never what was given. */
export interface FieldInputCount {
  readonly for: CaptureField;
  readonly input: FieldInput;
  /** Ended sessions in which this field was captured this way. */
  readonly count: number;
}

/** History of payment sessions. Every method may reject with KpiError. */
export interface KpiStore {
  /** Keeps a row for the session from its start, so `entered` counts it even if it never ends. Idempotent. */
  sessionEntered(event: SessionEnteredEvent): Promise<void>;
  /** Completes the session's row (creates it when its entry was never seen). A repeat replaces the first. */
  sessionEnded(record: PaymentSessionRecord): Promise<void>;
  summary(range: KpiRange): Promise<KpiSummary>;
  /** Groups in ascending key order, null key last. */
  grouped(range: KpiRange & { readonly by: KpiGroupBy }): Promise<KpiGroup[]>;
  fieldErrors(range: KpiRange): Promise<FieldErrorCounts>;
  /** In vocabulary order (field, then input); only pairs that occurred. Sessions stored without input modes add nothing. */
  fieldInputs(range: KpiRange): Promise<FieldInputCount[]>;
  /** Waits for nothing pending (every method resolves after its write) and releases the database. Idempotent. */
  close(): Promise<void>;
}
