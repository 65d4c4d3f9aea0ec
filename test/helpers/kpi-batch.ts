// The scripted batch of payment sessions the KPI tests feed to every store and to the metrics:
// known outcomes (successes, a decline run ending in too-many-failed-attempts, a connector
// error, hang-ups at four different steps, two sessions that entered and never ended), both
// modes, several merchants and card types, field errors, and how fields were given (keys, speech,
// both; some records carry no input modes, as records from before they were kept). The expected numbers are in the tests,
// worked out by hand from this table, not computed from it.
//
// PCI: the harness "takes" a card for the sessions that reached the card number (TEST_PAN): it
// exists only here, so a test can prove that no store or output ever contains it.
import { PAYMENT_STEPS, type CaptureField, type ErrorType, type FieldInput, type PaymentMode, type PaymentResult, type PaymentSessionRecord, type PaymentStep } from '../../src/dialog/vocabulary.js';
import type { SessionEnteredEvent } from '../../src/kpi/kpi-types.js';

function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** A Luhn-valid test Visa number that appears nowhere else. */
export const TEST_PAN = `492957318406127${luhnCheckDigit('492957318406127')}`;
export const TEST_PAN_LAST12 = TEST_PAN.slice(-12);

const DAY1 = Date.UTC(2026, 10, 20); // 2026-11-20T00:00Z
const DAY2 = Date.UTC(2026, 10, 21);
const MIN = 60_000;
const HOUR = 60 * MIN;

interface Script {
  readonly id: string;
  readonly mode: PaymentMode;
  readonly merchantId: string | null;
  readonly at: number;
  /** Absent: entered and never ended (still running, or lost in a crash). */
  readonly end?: {
    readonly cardType: string | null;
    readonly result: PaymentResult;
    readonly durationMs: number;
    readonly attempts: number;
    /** Last step reached (every step before it reached too). */
    readonly lastStep: PaymentStep;
    readonly errors?: readonly (readonly [CaptureField, ErrorType])[];
    readonly reason?: string;
    /** Absent: the record has no `fieldInputs` at all. */
    readonly inputs?: readonly (readonly [CaptureField, FieldInput])[];
  };
}

const SCRIPT: readonly Script[] = [
  {
    id: 's1',
    mode: 'automated',
    merchantId: 'm-acme',
    at: DAY1 + 9 * HOUR,
    end: {
      cardType: 'visa',
      result: 'success',
      durationMs: 62_000,
      attempts: 1,
      lastStep: 'result',
      inputs: [
        ['charge-amount', 'dtmf'],
        ['payment-card-number', 'speech'],
        ['expiration-date', 'speech'],
        ['security-code', 'dtmf speech'],
      ],
    },
  },
  {
    id: 's2',
    mode: 'automated',
    merchantId: 'm-acme',
    at: DAY1 + 9 * HOUR + 10 * MIN,
    end: {
      cardType: 'mastercard',
      result: 'too-many-failed-attempts',
      durationMs: 150_000,
      attempts: 3,
      lastStep: 'result',
      errors: [['payment-card-number', 'invalid-card-number']],
      reason: 'do-not-honour',
      inputs: [
        ['charge-amount', 'dtmf'],
        ['payment-card-number', 'dtmf'],
      ],
    },
  },
  {
    id: 's3',
    mode: 'agent-assisted',
    merchantId: 'm-bolt',
    at: DAY1 + 9 * HOUR + 20 * MIN,
    end: {
      cardType: 'visa',
      result: 'success',
      durationMs: 95_500,
      attempts: 2,
      lastStep: 'result',
      errors: [
        ['expiration-date', 'invalid-date'],
        ['security-code', 'input-timeout'],
      ],
      inputs: [
        ['payment-card-number', 'dtmf'],
        ['expiration-date', 'dtmf'],
        ['security-code', 'dtmf'],
      ],
    },
  },
  {
    id: 's4',
    mode: 'automated',
    merchantId: 'm-acme',
    at: DAY1 + 10 * HOUR,
    end: { cardType: null, result: 'caller-hung-up', durationMs: 20_000, attempts: 0, lastStep: 'card-number', errors: [['payment-card-number', 'input-timeout']] },
  },
  // A gateway that echoed the card number in its error text: the store must redact it.
  {
    id: 's5',
    mode: 'agent-assisted',
    merchantId: 'm-bolt',
    at: DAY1 + 11 * HOUR,
    end: { cardType: 'american-express', result: 'payment-connector-error', durationMs: 40_250, attempts: 1, lastStep: 'result', reason: `gateway error for card ${TEST_PAN}: timeout` },
  },
  { id: 's6', mode: 'automated', merchantId: null, at: DAY2 + 8 * HOUR, end: { cardType: null, result: 'caller-hung-up', durationMs: 5_000, attempts: 0, lastStep: 'amount' } },
  {
    id: 's7',
    mode: 'automated',
    merchantId: 'm-cafe',
    at: DAY2 + 8 * HOUR + 30 * MIN,
    end: {
      cardType: 'visa',
      result: 'caller-hung-up',
      durationMs: 33_000,
      attempts: 0,
      lastStep: 'security-code',
      errors: [
        ['security-code', 'invalid-security-code'],
        ['security-code', 'invalid-security-code'],
      ],
      inputs: [
        ['charge-amount', 'speech'],
        ['payment-card-number', 'speech'],
        ['expiration-date', 'dtmf'],
      ],
    },
  },
  { id: 's8', mode: 'agent-assisted', merchantId: 'm-acme', at: DAY2 + 12 * HOUR, end: { cardType: 'visa', result: 'success', durationMs: 70_000, attempts: 1, lastStep: 'result' } },
  { id: 's9', mode: 'agent-assisted', merchantId: 'm-cafe', at: DAY2 + 13 * HOUR, end: { cardType: 'mastercard', result: 'caller-hung-up', durationMs: 48_000, attempts: 1, lastStep: 'processing' } },
  { id: 's10', mode: 'automated', merchantId: 'm-bolt', at: DAY2 + 14 * HOUR },
  { id: 's11', mode: 'agent-assisted', merchantId: null, at: DAY2 + 15 * HOUR },
];

/** Session-entered events and end records, in time order. */
export function scriptedBatch(): { entered: SessionEnteredEvent[]; ended: PaymentSessionRecord[] } {
  const entered: SessionEnteredEvent[] = [];
  const ended: PaymentSessionRecord[] = [];
  for (const s of SCRIPT) {
    entered.push({ sessionId: s.id, mode: s.mode, merchantId: s.merchantId, at: s.at });
    if (s.end === undefined) continue;
    const e = s.end;
    const stepsReached = PAYMENT_STEPS.slice(0, PAYMENT_STEPS.indexOf(e.lastStep) + 1);
    // The card the caller keyed in lives in the harness only; the record carries its type.
    const cardInMemory = stepsReached.includes('card-number') ? TEST_PAN : null;
    void cardInMemory;
    ended.push({
      sessionId: s.id,
      callId: `call-${s.id}@127.0.0.1`,
      mode: s.mode,
      merchantId: s.merchantId,
      cardType: e.cardType,
      currency: 'GBP',
      amountMinor: 12_550,
      result: e.result,
      reason: e.reason ?? null,
      startedAt: s.at,
      endedAt: s.at + e.durationMs,
      stepsReached,
      hangupStep: e.result === 'caller-hung-up' ? e.lastStep : null,
      attempts: e.attempts,
      fieldErrors: (e.errors ?? []).map(([field, errorType]) => ({ for: field, errorType })),
      ...(e.inputs === undefined ? {} : { fieldInputs: e.inputs.map(([field, input]) => ({ for: field, input })) }),
    });
  }
  return { entered, ended };
}

export const BATCH_DAY1 = '2026-11-20';
export const BATCH_DAY2 = '2026-11-21';
