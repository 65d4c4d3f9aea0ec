// The KPI numbers of test/helpers/kpi-batch.ts, worked out by hand from its table (the sessions
// are s1..s11; the sums are written out so a reviewer can check them).
import type { KpiSummary } from '../../src/kpi/kpi-types.js';

const funnel = (amount: number, cardNumber: number, expiry: number, securityCode: number, confirmation: number, processing: number, result: number): KpiSummary['funnel'] => ({
  amount,
  'card-number': cardNumber,
  expiry,
  'security-code': securityCode,
  confirmation,
  processing,
  result,
});

/** Everything: s1..s11. */
export const EXPECTED_TOTAL: KpiSummary = {
  entered: 11, // s1..s11 (s10, s11 never ended)
  successful: 3, // s1, s3, s8
  unsuccessful: 6, // s2, s4, s5, s6, s7, s9
  attempted: 9, // 1+3+2+0+1 + 0+0+1+1
  hangups: 4, // s4, s6, s7, s9
  avgDurationSeconds: {
    success: 75.833, // (62 + 95.5 + 70) / 3 = 75.8333
    'too-many-failed-attempts': 150,
    'payment-connector-error': 40.25,
    'caller-hung-up': 26.5, // (20 + 5 + 33 + 48) / 4
  },
  // amount: 9 ended; card-number: not s6; expiry, security-code: not s4; confirmation, processing: not s7; result: not s9
  funnel: funnel(9, 8, 7, 7, 6, 6, 5),
};

/** 2026-11-20: s1..s5. */
export const EXPECTED_DAY1: KpiSummary = {
  entered: 5,
  successful: 2,
  unsuccessful: 3,
  attempted: 7,
  hangups: 1,
  avgDurationSeconds: { success: 78.75, 'too-many-failed-attempts': 150, 'payment-connector-error': 40.25, 'caller-hung-up': 20 },
  funnel: funnel(5, 5, 4, 4, 4, 4, 4),
};

/** 2026-11-21: s6..s11. */
export const EXPECTED_DAY2: KpiSummary = {
  entered: 6,
  successful: 1,
  unsuccessful: 3,
  attempted: 2,
  hangups: 3,
  avgDurationSeconds: { success: 70, 'caller-hung-up': 28.667 }, // (5 + 33 + 48) / 3 = 28.6667
  funnel: funnel(4, 3, 3, 3, 2, 2, 1),
};

export const EXPECTED_BY_MERCHANT: { key: string | null; summary: KpiSummary }[] = [
  {
    key: 'm-acme', // s1, s2, s4, s8
    summary: {
      entered: 4,
      successful: 2,
      unsuccessful: 2,
      attempted: 5,
      hangups: 1,
      avgDurationSeconds: { success: 66, 'too-many-failed-attempts': 150, 'caller-hung-up': 20 },
      funnel: funnel(4, 4, 3, 3, 3, 3, 3),
    },
  },
  {
    key: 'm-bolt', // s3, s5, s10
    summary: { entered: 3, successful: 1, unsuccessful: 1, attempted: 3, hangups: 0, avgDurationSeconds: { success: 95.5, 'payment-connector-error': 40.25 }, funnel: funnel(2, 2, 2, 2, 2, 2, 2) },
  },
  {
    key: 'm-cafe', // s7, s9
    summary: { entered: 2, successful: 0, unsuccessful: 2, attempted: 1, hangups: 2, avgDurationSeconds: { 'caller-hung-up': 40.5 }, funnel: funnel(2, 2, 2, 2, 1, 1, 0) },
  },
  {
    key: null, // s6, s11
    summary: { entered: 2, successful: 0, unsuccessful: 1, attempted: 0, hangups: 1, avgDurationSeconds: { 'caller-hung-up': 5 }, funnel: funnel(1, 0, 0, 0, 0, 0, 0) },
  },
];

export const EXPECTED_BY_OUTCOME: { key: string | null; summary: KpiSummary }[] = [
  {
    key: 'caller-hung-up', // s4, s6, s7, s9
    summary: { entered: 4, successful: 0, unsuccessful: 4, attempted: 1, hangups: 4, avgDurationSeconds: { 'caller-hung-up': 26.5 }, funnel: funnel(4, 3, 2, 2, 1, 1, 0) },
  },
  {
    key: 'payment-connector-error', // s5
    summary: { entered: 1, successful: 0, unsuccessful: 1, attempted: 1, hangups: 0, avgDurationSeconds: { 'payment-connector-error': 40.25 }, funnel: funnel(1, 1, 1, 1, 1, 1, 1) },
  },
  {
    key: 'success', // s1, s3, s8
    summary: { entered: 3, successful: 3, unsuccessful: 0, attempted: 4, hangups: 0, avgDurationSeconds: { success: 75.833 }, funnel: funnel(3, 3, 3, 3, 3, 3, 3) },
  },
  {
    key: 'too-many-failed-attempts', // s2
    summary: { entered: 1, successful: 0, unsuccessful: 1, attempted: 3, hangups: 0, avgDurationSeconds: { 'too-many-failed-attempts': 150 }, funnel: funnel(1, 1, 1, 1, 1, 1, 1) },
  },
  {
    key: null, // s10, s11: entered, never ended
    summary: { entered: 2, successful: 0, unsuccessful: 0, attempted: 0, hangups: 0, avgDurationSeconds: {}, funnel: funnel(0, 0, 0, 0, 0, 0, 0) },
  },
];

/** Entered / successful / hangups per card type (null: s4, s6 had none; s10, s11 never ended). */
export const EXPECTED_BY_CARD_TYPE: { key: string | null; entered: number; successful: number; hangups: number }[] = [
  { key: 'american-express', entered: 1, successful: 0, hangups: 0 }, // s5
  { key: 'mastercard', entered: 2, successful: 0, hangups: 1 }, // s2, s9
  { key: 'visa', entered: 4, successful: 3, hangups: 1 }, // s1, s3, s7, s8
  { key: null, entered: 4, successful: 0, hangups: 2 }, // s4, s6, s10, s11
];

export const EXPECTED_FIELD_ERRORS = {
  'expiration-date': { 'invalid-date': 1 }, // s3
  'payment-card-number': { 'input-timeout': 1, 'invalid-card-number': 1 }, // s4, s2
  'security-code': { 'input-timeout': 1, 'invalid-security-code': 2 }, // s3, s7 twice
};

/** Captured fields per field and input mode, vocabulary order; s4-s6, s8 and s9 carry no input modes. */
export const EXPECTED_FIELD_INPUTS = [
  { for: 'charge-amount', input: 'dtmf', count: 2 }, // s1, s2
  { for: 'charge-amount', input: 'speech', count: 1 }, // s7
  { for: 'payment-card-number', input: 'dtmf', count: 2 }, // s2, s3
  { for: 'payment-card-number', input: 'speech', count: 2 }, // s1, s7
  { for: 'expiration-date', input: 'dtmf', count: 2 }, // s3, s7
  { for: 'expiration-date', input: 'speech', count: 1 }, // s1
  { for: 'security-code', input: 'dtmf', count: 1 }, // s3
  { for: 'security-code', input: 'dtmf speech', count: 1 }, // s1
];

/** Day 2 only: s7. */
export const EXPECTED_FIELD_INPUTS_DAY2 = [
  { for: 'charge-amount', input: 'speech', count: 1 },
  { for: 'payment-card-number', input: 'speech', count: 1 },
  { for: 'expiration-date', input: 'dtmf', count: 1 },
];

/** The contract's key order, and avgDurationSeconds in result vocabulary order. */
export function contractJson(summary: KpiSummary): string {
  const order = [
    'success',
    'too-many-failed-attempts',
    'payment-connector-error',
    'caller-interrupted-with-star',
    'caller-hung-up',
    'validation-error',
    'internal-error',
    'not-identified',
    'transferred-to-agent',
    'cancelled',
  ] as const;
  const avg: Record<string, number> = {};
  for (const r of order) if (summary.avgDurationSeconds[r] !== undefined) avg[r] = summary.avgDurationSeconds[r] as number;
  return JSON.stringify({
    entered: summary.entered,
    successful: summary.successful,
    unsuccessful: summary.unsuccessful,
    attempted: summary.attempted,
    hangups: summary.hangups,
    avgDurationSeconds: avg,
    funnel: summary.funnel,
  });
}
