// The SQL both stores run (one text, two placeholder styles: SQLite `?`, PostgreSQL `$n`) and
// the pure assembly of its rows into summaries, so that SQLite and PostgreSQL answer the same
// numbers by construction. Aggregation in SQL (counts and sums), arithmetic here.
import { CAPTURE_FIELDS, PAYMENT_INPUTS, PAYMENT_RESULTS, PAYMENT_STEPS, type CaptureField, type FieldInput, type PaymentResult, type PaymentStep } from '../dialog/vocabulary.js';
import type { SessionRow } from './kpi-record.js';
import type { FieldErrorCounts, FieldInputCount, KpiGroup, KpiGroupBy, KpiRange, KpiSummary } from './kpi-types.js';

export type Placeholder = (index: number) => string;
export const sqlitePlaceholder: Placeholder = () => '?';
export const postgresPlaceholder: Placeholder = (index) => `$${index}`;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Group key per grouping; `null` = one group (the plain summary). Day/hour: integer UTC bucket number. */
function keyExpression(by: KpiGroupBy | null): string {
  switch (by) {
    case null:
      return "'all'";
    case 'day':
      return `(s.entered_at / ${DAY_MS})`;
    case 'hour':
      return `(s.entered_at / ${HOUR_MS})`;
    case 'merchant':
      return 's.merchant_id';
    case 'outcome':
      return 's.result';
    case 'mode':
      return 's.mode';
    case 'card-type':
      return 's.card_type';
  }
}

export interface Query {
  readonly sql: string;
  readonly params: number[];
}

function where(range: KpiRange, ph: Placeholder): Query {
  const clauses: string[] = [];
  const params: number[] = [];
  if (range.from !== undefined) {
    params.push(range.from);
    clauses.push(`s.entered_at >= ${ph(params.length)}`);
  }
  if (range.to !== undefined) {
    params.push(range.to);
    clauses.push(`s.entered_at < ${ph(params.length)}`);
  }
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

/** Rows: k, r (result or null), n (sessions), attempts (sum), duration_ms (sum over ended sessions). */
export function sessionsQuery(range: KpiRange, by: KpiGroupBy | null, ph: Placeholder): Query {
  const w = where(range, ph);
  return {
    sql: `SELECT ${keyExpression(by)} AS k, s.result AS r, COUNT(*) AS n, COALESCE(SUM(s.attempts), 0) AS attempts,
      COALESCE(SUM(s.ended_at - s.started_at), 0) AS duration_ms
      FROM kpi_sessions s ${w.sql} GROUP BY 1, 2`,
    params: w.params,
  };
}

/** Rows: k, step, n (sessions that reached it). */
export function stepsQuery(range: KpiRange, by: KpiGroupBy | null, ph: Placeholder): Query {
  const w = where(range, ph);
  return {
    sql: `SELECT ${keyExpression(by)} AS k, st.step AS step, COUNT(*) AS n
      FROM kpi_sessions s JOIN kpi_session_steps st ON st.session_id = s.session_id ${w.sql} GROUP BY 1, 2`,
    params: w.params,
  };
}

/** Rows: field, error_type, n (occurrences). */
export function fieldErrorsQuery(range: KpiRange, ph: Placeholder): Query {
  const w = where(range, ph);
  return {
    sql: `SELECT e.field AS field, e.error_type AS error_type, SUM(e.occurrences) AS n
      FROM kpi_field_errors e JOIN kpi_sessions s ON s.session_id = e.session_id ${w.sql} GROUP BY 1, 2`,
    params: w.params,
  };
}

/** Rows: field, input, n (ended sessions that captured the field that way). */
export function fieldInputsQuery(range: KpiRange, ph: Placeholder): Query {
  const w = where(range, ph);
  return {
    sql: `SELECT i.field AS field, i.input AS input, COUNT(*) AS n
      FROM kpi_field_inputs i JOIN kpi_sessions s ON s.session_id = i.session_id ${w.sql} GROUP BY 1, 2`,
    params: w.params,
  };
}

/** Drivers return COUNT/SUM as number, bigint or (pg, BIGINT/NUMERIC) a decimal string. */
export type SqlValue = string | number | bigint | null;

export interface SessionsRow {
  readonly k: SqlValue;
  readonly r: SqlValue;
  readonly n: SqlValue;
  readonly attempts: SqlValue;
  readonly duration_ms: SqlValue;
}
export interface StepsRow {
  readonly k: SqlValue;
  readonly step: SqlValue;
  readonly n: SqlValue;
}
export interface FieldInputsRow {
  readonly field: SqlValue;
  readonly input: SqlValue;
  readonly n: SqlValue;
}
export interface FieldErrorsRow {
  readonly field: SqlValue;
  readonly error_type: SqlValue;
  readonly n: SqlValue;
}

function toNumber(value: SqlValue): number {
  if (value === null) return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A group key as the API shows it: day `YYYY-MM-DD`, hour `YYYY-MM-DDTHH:00Z` (UTC), other keys as stored. */
function formatKey(value: SqlValue, by: KpiGroupBy | null): string | null {
  if (value === null) return null;
  if (by === 'day' || by === 'hour') {
    const date = new Date(toNumber(value) * (by === 'day' ? DAY_MS : HOUR_MS));
    const day = `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
    return by === 'day' ? day : `${day}T${pad2(date.getUTCHours())}:00Z`;
  }
  return String(value);
}

interface Accumulator {
  entered: number;
  successful: number;
  unsuccessful: number;
  attempted: number;
  hangups: number;
  durations: Map<string, { count: number; totalMs: number }>;
  funnel: Map<string, number>;
}

function emptyAccumulator(): Accumulator {
  return { entered: 0, successful: 0, unsuccessful: 0, attempted: 0, hangups: 0, durations: new Map(), funnel: new Map() };
}

function finish(acc: Accumulator): KpiSummary {
  const avgDurationSeconds: Partial<Record<PaymentResult, number>> = {};
  // Vocabulary order, so that output is stable whatever order the database returned.
  for (const result of PAYMENT_RESULTS) {
    const d = acc.durations.get(result);
    // Mean rounded to whole ms, in seconds: the same figure from every store.
    if (d !== undefined && d.count > 0) avgDurationSeconds[result] = Math.round(d.totalMs / d.count) / 1000;
  }
  const funnel = {} as Record<PaymentStep, number>;
  for (const step of PAYMENT_STEPS) funnel[step] = acc.funnel.get(step) ?? 0;
  return { entered: acc.entered, successful: acc.successful, unsuccessful: acc.unsuccessful, attempted: acc.attempted, hangups: acc.hangups, avgDurationSeconds, funnel };
}

export function emptySummary(): KpiSummary {
  return finish(emptyAccumulator());
}

/** Sorting keys: day/hour sort as text too (ISO); null last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export function assembleGroups(sessions: readonly SessionsRow[], steps: readonly StepsRow[], by: KpiGroupBy | null): KpiGroup[] {
  const groups = new Map<string | null, Accumulator>();
  const group = (k: SqlValue): Accumulator => {
    const key = formatKey(k, by);
    let acc = groups.get(key);
    if (acc === undefined) {
      acc = emptyAccumulator();
      groups.set(key, acc);
    }
    return acc;
  };
  for (const row of sessions) {
    const acc = group(row.k);
    const n = toNumber(row.n);
    acc.entered += n;
    acc.attempted += toNumber(row.attempts);
    if (row.r === null) continue; // still running, or lost in a crash: entered only
    const result = String(row.r);
    if (result === 'success') acc.successful += n;
    else acc.unsuccessful += n;
    if (result === 'caller-hung-up') acc.hangups += n;
    const d = acc.durations.get(result) ?? { count: 0, totalMs: 0 };
    d.count += n;
    d.totalMs += toNumber(row.duration_ms);
    acc.durations.set(result, d);
  }
  for (const row of steps) {
    const acc = group(row.k);
    const step = String(row.step);
    acc.funnel.set(step, (acc.funnel.get(step) ?? 0) + toNumber(row.n));
  }
  return [...groups.entries()].sort(([a], [b]) => compareKeys(a, b)).map(([key, acc]) => ({ key, summary: finish(acc) }));
}

export function assembleSummary(sessions: readonly SessionsRow[], steps: readonly StepsRow[]): KpiSummary {
  const groups = assembleGroups(sessions, steps, null);
  return groups.length === 0 ? emptySummary() : groups[0].summary;
}

export function assembleFieldErrors(rows: readonly FieldErrorsRow[]): FieldErrorCounts {
  const out: Record<string, Record<string, number>> = {};
  const sorted = [...rows].sort((a, b) => compareKeys(`${String(a.field)} ${String(a.error_type)}`, `${String(b.field)} ${String(b.error_type)}`));
  for (const row of sorted) {
    const field = String(row.field);
    (out[field] ??= {})[String(row.error_type)] = toNumber(row.n);
  }
  return out as FieldErrorCounts;
}

function isCaptureField(value: string): value is CaptureField {
  return (CAPTURE_FIELDS as readonly string[]).includes(value);
}
function isFieldInput(value: string): value is FieldInput {
  return (PAYMENT_INPUTS as readonly string[]).includes(value);
}

/**
 * Vocabulary order (field, then input), so that both stores answer the same list. A row outside
 * the vocabulary (written by hand, or by a newer toneguard's word) is left out: the answer's
 * schema names the words it may hold.
 */
export function assembleFieldInputs(rows: readonly FieldInputsRow[]): FieldInputCount[] {
  const out: FieldInputCount[] = [];
  for (const row of rows) {
    const field = String(row.field);
    const input = String(row.input);
    if (isCaptureField(field) && isFieldInput(input)) out.push({ for: field, input, count: toNumber(row.n) });
  }
  const rank = (c: FieldInputCount): number => CAPTURE_FIELDS.indexOf(c.for) * PAYMENT_INPUTS.length + PAYMENT_INPUTS.indexOf(c.input);
  return out.sort((a, b) => rank(a) - rank(b));
}

/** Writes: one text per statement, parameters in the order of `sessionValues`. */
export function enteredInsert(ph: Placeholder): string {
  return `INSERT INTO kpi_sessions (session_id, mode, merchant_id, entered_at) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)})
    ON CONFLICT (session_id) DO NOTHING`;
}

const SESSION_COLUMNS = [
  'session_id',
  'call_id',
  'mode',
  'merchant_id',
  'card_type',
  'currency',
  'amount_minor',
  'result',
  'reason',
  'entered_at',
  'started_at',
  'ended_at',
  'hangup_step',
  'attempts',
] as const;

/** Completes the row; entered_at stays what the entry event said (or startedAt when it was never seen). */
export function endedUpsert(ph: Placeholder): string {
  const values = SESSION_COLUMNS.map((_, i) => ph(i + 1)).join(', ');
  const updates = SESSION_COLUMNS.filter((c) => c !== 'session_id' && c !== 'entered_at' && c !== 'merchant_id').map((c) => `${c} = excluded.${c}`);
  updates.push('merchant_id = COALESCE(excluded.merchant_id, kpi_sessions.merchant_id)');
  return `INSERT INTO kpi_sessions (${SESSION_COLUMNS.join(', ')}) VALUES (${values})
    ON CONFLICT (session_id) DO UPDATE SET ${updates.join(', ')}`;
}

export function endedValues(row: SessionRow): (string | number | null)[] {
  return [
    row.sessionId,
    row.callId,
    row.mode,
    row.merchantId,
    row.cardType,
    row.currency,
    row.amountMinor,
    row.result,
    row.reason,
    row.startedAt,
    row.startedAt,
    row.endedAt,
    row.hangupStep,
    row.attempts,
  ];
}

export function stepsDelete(ph: Placeholder): string {
  return `DELETE FROM kpi_session_steps WHERE session_id = ${ph(1)}`;
}
export function fieldErrorsDelete(ph: Placeholder): string {
  return `DELETE FROM kpi_field_errors WHERE session_id = ${ph(1)}`;
}
export function fieldInputsDelete(ph: Placeholder): string {
  return `DELETE FROM kpi_field_inputs WHERE session_id = ${ph(1)}`;
}
export function stepInsert(ph: Placeholder): string {
  return `INSERT INTO kpi_session_steps (session_id, step) VALUES (${ph(1)}, ${ph(2)})`;
}
export function fieldErrorInsert(ph: Placeholder): string {
  return `INSERT INTO kpi_field_errors (session_id, field, error_type, occurrences) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)})`;
}
export function fieldInputInsert(ph: Placeholder): string {
  return `INSERT INTO kpi_field_inputs (session_id, field, input) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)})`;
}
