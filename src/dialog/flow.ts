// The payment dialog's states and every transition between them, in one table. PaymentSession
// moves only along these rows (any other move is an internal error), and the tests check that
// each row is walked.
import type { CaptureField, PaymentStep } from './vocabulary.js';

export type DialogState =
  | 'start'
  | 'amount-choice' // balance announced: 1 pay it, 2 another amount
  | 'amount-entry' // digits, * decimal point, # ends
  | 'card-number'
  | 'expiry'
  | 'security-code'
  | 'confirmation' // readback: 1 confirm, 2 change
  | 'change-choice' // 1 amount, 2 card number, 3 expiry, 4 security code
  | 'processing' // waiting for the gateway
  | 'ended';

export interface StateInfo {
  /** The funnel step a session in this state has reached. */
  readonly step: PaymentStep | null;
  /** What is being collected (status events, field errors). */
  readonly field: CaptureField | null;
  readonly input: 'menu' | 'digits' | 'none';
}

export const STATES: Readonly<Record<DialogState, StateInfo>> = {
  start: { step: null, field: null, input: 'none' },
  'amount-choice': { step: 'amount', field: 'charge-amount', input: 'menu' },
  'amount-entry': { step: 'amount', field: 'charge-amount', input: 'digits' },
  'card-number': { step: 'card-number', field: 'payment-card-number', input: 'digits' },
  expiry: { step: 'expiry', field: 'expiration-date', input: 'digits' },
  'security-code': { step: 'security-code', field: 'security-code', input: 'digits' },
  confirmation: { step: 'confirmation', field: null, input: 'menu' },
  'change-choice': { step: 'confirmation', field: null, input: 'menu' },
  processing: { step: 'processing', field: 'payment-processing', input: 'none' },
  ended: { step: null, field: null, input: 'none' },
};

/** Why the dialog moves. */
export type Cause =
  | 'balance-known' // start: a predefined amount the caller may change
  | 'amount-fixed' // start: a predefined amount, announced only
  | 'amount-unknown' // start: no amount, the caller enters one
  | 'not-identified' // start: no customer ID, ID&V route
  | 'pay-full'
  | 'other-amount'
  | 'valid' // the field was captured: on to the next missing field or the readback
  | 'retry' // validation error or timeout, attempts left: ask again
  | 'restart' // `*` with something keyed: ask again, no attempt counted
  | 'too-many-attempts'
  | 'star-exit' // `*` with nothing keyed: the caller leaves the payment
  | 'confirm'
  | 'change'
  | 'change-amount'
  | 'change-card-number'
  | 'change-expiry'
  | 'change-security-code'
  | 'capture' // agent-assisted: the agent asks for one field
  | 'complete' // agent-assisted: the agent submits
  | 'cancel' // the agent cancelled (API) or hung up
  | 'hangup'
  | 'approved'
  | 'declined' // attempts left: enter the card again
  | 'too-many-declines'
  | 'connector-error'
  | 'internal-error';

export interface Transition {
  readonly from: DialogState;
  readonly on: Cause;
  readonly to: DialogState;
}

const COLLECTING: readonly DialogState[] = ['amount-choice', 'amount-entry', 'card-number', 'expiry', 'security-code', 'confirmation', 'change-choice'];
const FIELD_STATES: readonly DialogState[] = ['amount-entry', 'card-number', 'expiry', 'security-code'];
const NEXT_TARGETS: readonly DialogState[] = ['amount-choice', 'amount-entry', 'card-number', 'expiry', 'security-code', 'confirmation'];

function rows(from: DialogState, on: Cause, to: readonly DialogState[]): Transition[] {
  return to.map((t) => ({ from, on, to: t }));
}

function build(): readonly Transition[] {
  const t: Transition[] = [
    ...rows('start', 'balance-known', ['amount-choice']),
    ...rows('start', 'amount-fixed', ['card-number']),
    ...rows('start', 'amount-unknown', ['amount-entry']),
    ...rows('start', 'not-identified', ['ended']),
    ...rows('start', 'internal-error', ['ended']),
    ...rows('start', 'hangup', ['ended']),
    // A captured field leads to the next missing one in flow order, or to the readback. The
    // guided flow keeps the order (amount, card number, expiry, security code); an agent asking
    // for fields in another order (capture) can leave any earlier one missing.
    ...rows(
      'amount-choice',
      'pay-full',
      NEXT_TARGETS.filter((s) => s !== 'amount-entry' && s !== 'amount-choice'),
    ),
    ...rows('amount-choice', 'other-amount', ['amount-entry']),
    ...rows(
      'amount-entry',
      'valid',
      NEXT_TARGETS.filter((s) => s !== 'amount-entry' && s !== 'amount-choice'),
    ),
    ...rows(
      'card-number',
      'valid',
      NEXT_TARGETS.filter((s) => s !== 'card-number'),
    ),
    ...rows(
      'expiry',
      'valid',
      NEXT_TARGETS.filter((s) => s !== 'expiry'),
    ),
    // The agent may ask for the code before the card number (its size is then 3 or 4).
    ...rows(
      'security-code',
      'valid',
      NEXT_TARGETS.filter((s) => s !== 'security-code'),
    ),
    ...rows('confirmation', 'confirm', ['processing']),
    ...rows('confirmation', 'change', ['change-choice']),
    ...rows('change-choice', 'change-amount', ['amount-choice', 'amount-entry']),
    ...rows('change-choice', 'change-card-number', ['card-number']),
    ...rows('change-choice', 'change-expiry', ['expiry']),
    ...rows('change-choice', 'change-security-code', ['security-code']),
    ...rows('processing', 'approved', ['ended']),
    ...rows('processing', 'declined', ['card-number']),
    ...rows('processing', 'too-many-declines', ['ended']),
    ...rows('processing', 'connector-error', ['ended']),
    ...rows('processing', 'hangup', ['ended']),
    // The agent hung up under a charge that was then declined: nobody to steer a retry.
    ...rows('processing', 'cancel', ['ended']),
    ...rows('processing', 'internal-error', ['ended']),
  ];
  for (const s of COLLECTING) {
    t.push(
      ...rows(s, 'retry', [s]),
      ...rows(s, 'too-many-attempts', ['ended']),
      ...rows(s, 'hangup', ['ended']),
      ...rows(s, 'cancel', ['ended']),
      ...rows(s, 'internal-error', ['ended']),
      ...rows(s, 'capture', FIELD_STATES),
      ...rows(s, 'complete', ['processing']),
    );
  }
  for (const s of FIELD_STATES) t.push(...rows(s, 'restart', [s]), ...rows(s, 'star-exit', ['ended']));
  for (const s of ['amount-choice', 'confirmation', 'change-choice'] as const) t.push(...rows(s, 'restart', [s]));
  return Object.freeze(t);
}

/** Every allowed move. */
export const TRANSITIONS: readonly Transition[] = build();

const KEYS = new Set(TRANSITIONS.map((r) => `${r.from}|${r.on}|${r.to}`));

export function isAllowed(from: DialogState, on: Cause, to: DialogState): boolean {
  return KEYS.has(`${from}|${on}|${to}`);
}

export function transitionKey(r: Transition): string {
  return `${r.from}|${r.on}|${r.to}`;
}
