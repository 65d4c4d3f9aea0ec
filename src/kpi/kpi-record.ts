// Events become rows at the store's edge: checked (a store never keeps a row it cannot count)
// and scrubbed (free text never carries a card number, whatever a gateway put in its reason).
import { CAPTURE_FIELDS, ERROR_TYPES, PAYMENT_INPUTS, PAYMENT_MODES, PAYMENT_RESULTS, PAYMENT_STEPS, type PaymentSessionRecord } from '../dialog/vocabulary.js';
import { KpiError } from './kpi-error.js';
import type { SessionEnteredEvent } from './kpi-types.js';

export interface SessionRow {
  readonly sessionId: string;
  readonly callId: string;
  readonly mode: string;
  readonly merchantId: string | null;
  readonly cardType: string | null;
  readonly currency: string;
  readonly amountMinor: number | null;
  readonly result: string;
  readonly reason: string | null;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly hangupStep: string | null;
  readonly attempts: number;
  readonly steps: readonly string[];
  /** Occurrences per (field, errorType). */
  readonly fieldErrors: readonly { readonly field: string; readonly errorType: string; readonly occurrences: number }[];
  /** How each captured field was given, one per field; empty for a record without `fieldInputs`. */
  readonly fieldInputs: readonly { readonly field: string; readonly input: string }[];
}

/** Longest free-text value kept (reasons, IDs): bounded rows, bounded labels. */
const MAX_TEXT = 200;

function invalid(what: string): KpiError {
  return new KpiError('kpi.invalid-record', `payment session record: ${what}`);
}

function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function text(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) throw invalid(`${what} must be 1-${MAX_TEXT} characters`);
  return value;
}

function optionalText(value: string | null, what: string): string | null {
  return value === null ? null : text(value, what);
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Replaces anything that looks like a card number (13-19 digits, ISO/IEC 7812, optionally
 * grouped by spaces or dashes, Luhn-valid) with `[redacted]`: a gateway's free-text reason must
 * not put a PAN on disk (PCI DSS 3.4).
 */
export function redactCardNumbers(value: string): string {
  return value.replace(/\d(?:[ -]?\d){12,18}/g, (match) => {
    const digits = match.replace(/[ -]/g, '');
    return luhnValid(digits) ? '[redacted]' : match;
  });
}

export function enteredRow(event: SessionEnteredEvent): SessionEnteredEvent {
  text(event.sessionId, 'sessionId');
  if (!PAYMENT_MODES.includes(event.mode)) throw invalid(`unknown mode ${JSON.stringify(String(event.mode)).slice(0, 40)}`);
  optionalText(event.merchantId, 'merchantId');
  if (!isEpochMs(event.at)) throw invalid('at must be epoch milliseconds');
  return event;
}

export function sessionRow(record: PaymentSessionRecord): SessionRow {
  if (!PAYMENT_MODES.includes(record.mode)) throw invalid('unknown mode');
  if (!PAYMENT_RESULTS.includes(record.result)) throw invalid('unknown result');
  if (!isEpochMs(record.startedAt) || !isEpochMs(record.endedAt) || record.endedAt < record.startedAt) {
    throw invalid('startedAt and endedAt must be epoch milliseconds, endedAt not before startedAt');
  }
  if (!Number.isSafeInteger(record.attempts) || record.attempts < 0) throw invalid('attempts must be a non-negative integer');
  if (record.amountMinor !== null && !Number.isSafeInteger(record.amountMinor)) throw invalid('amountMinor must be an integer');
  const steps = [...new Set(record.stepsReached)];
  for (const step of steps) if (!PAYMENT_STEPS.includes(step)) throw invalid('unknown step');
  if (record.hangupStep !== null && !PAYMENT_STEPS.includes(record.hangupStep)) throw invalid('unknown hangupStep');
  const errors = new Map<string, { field: string; errorType: string; occurrences: number }>();
  for (const error of record.fieldErrors) {
    if (!CAPTURE_FIELDS.includes(error.for) || !ERROR_TYPES.includes(error.errorType)) throw invalid('unknown field error');
    const key = `${error.for}\u0000${error.errorType}`;
    const entry = errors.get(key) ?? { field: error.for, errorType: error.errorType, occurrences: 0 };
    entry.occurrences++;
    errors.set(key, entry);
  }
  // One per field, the last entry winning (the dialog's record says the last capture counts).
  const inputs = new Map<string, string>();
  for (const entry of record.fieldInputs ?? []) {
    if (!CAPTURE_FIELDS.includes(entry.for) || !PAYMENT_INPUTS.includes(entry.input)) throw invalid('unknown field input');
    inputs.delete(entry.for);
    inputs.set(entry.for, entry.input);
  }
  return {
    sessionId: text(record.sessionId, 'sessionId'),
    callId: text(record.callId, 'callId'),
    mode: record.mode,
    merchantId: optionalText(record.merchantId, 'merchantId'),
    cardType: optionalText(record.cardType, 'cardType'),
    currency: text(record.currency, 'currency'),
    amountMinor: record.amountMinor,
    result: record.result,
    reason: record.reason === null ? null : redactCardNumbers(text(record.reason, 'reason')),
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    hangupStep: record.hangupStep,
    attempts: record.attempts,
    steps,
    fieldErrors: [...errors.values()],
    fieldInputs: [...inputs].map(([field, input]) => ({ field, input })),
  };
}
