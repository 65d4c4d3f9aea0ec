// What the agent widget shows for one call: masked progress of a payment, never card data.
// The only card digits allowed are the last four (PCI DSS 3.4 permits them to be displayed);
// the number of digits entered is shown, the digits themselves never are.
import { CodedError } from '../../errors.js';
import { PAYMENT_STEPS, type CaptureField, type ErrorType, type PaymentResult, type PaymentStep } from '../../dialog/vocabulary.js';

export interface WidgetState {
  readonly callId: string;
  readonly paymentId: string | null;
  /** Secure mode on: the caller's digits are clamped from the agent leg. */
  readonly secure: boolean;
  /** What is being collected now (Twilio's `for`); null before a payment or after its result. */
  readonly field: CaptureField | null;
  /** The step the payment is at (the confirmation readback included); null before a payment. */
  readonly step: PaymentStep | null;
  /** The amount to charge, decimal (e.g. `125.50`), once known. */
  readonly amount: string | null;
  /** ISO 4217 code of the amount. */
  readonly currency: string | null;
  /** Digits entered so far in the current field (a count, never the digits). */
  readonly digitsEntered: number;
  /** credit-card-type name (visa, mastercard, american-express, ...) once known. */
  readonly cardType: string | null;
  /** Luhn (ISO/IEC 7812-1 annex B) check of the complete card number; null until complete. */
  readonly luhnValid: boolean | null;
  readonly last4: string | null;
  readonly expiryEntered: boolean;
  readonly securityCodeEntered: boolean;
  /** Payment attempt number, 1-based; 0 before the first card. */
  readonly attempt: number;
  readonly errorType: ErrorType | null;
  readonly result: PaymentResult | null;
  /** Gateway decline/error reason; never card data. */
  readonly reason: string | null;
  readonly transactionId: string | null;
}

export type WidgetStateUpdate = Partial<Omit<WidgetState, 'callId'>>;

export class WidgetStateError extends CodedError<'widget-state-invalid'> {
  constructor(message: string) {
    super('widget-state-invalid', message);
  }
}

export function initialWidgetState(callId: string): WidgetState {
  return {
    callId,
    paymentId: null,
    secure: false,
    field: null,
    step: null,
    amount: null,
    currency: null,
    digitsEntered: 0,
    cardType: null,
    luhnValid: null,
    last4: null,
    expiryEntered: false,
    securityCodeEntered: false,
    attempt: 0,
    errorType: null,
    result: null,
    reason: null,
    transactionId: null,
  };
}

const LAST4 = /^[0-9]{4}$/;
// A run this long in a free-text field can only be a card number put there by mistake
// (the shortest PAN is 12 digits, ISO/IEC 7812-1); transaction and call IDs are exempt.
const PAN_LIKE = /[0-9]{12,}/;
const AMOUNT = /^[0-9]{1,12}([.][0-9]{1,3})?$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * Merges an update into a state, refusing anything that could carry card data: `last4` must be
 * exactly four digits, and `reason` must not hold a card-number-length digit run.
 * The error message names the field, never the value.
 */
export function applyWidgetUpdate(state: WidgetState, update: WidgetStateUpdate): WidgetState {
  if (update.last4 !== undefined && update.last4 !== null && !LAST4.test(update.last4)) {
    throw new WidgetStateError('last4 must be exactly four digits');
  }
  if (update.reason !== undefined && update.reason !== null && PAN_LIKE.test(update.reason)) {
    throw new WidgetStateError('reason holds a card-number-length digit run');
  }
  if (update.amount !== undefined && update.amount !== null && !AMOUNT.test(update.amount)) throw new WidgetStateError('amount must be a decimal amount');
  if (update.currency !== undefined && update.currency !== null && !CURRENCY.test(update.currency)) throw new WidgetStateError('currency must be an ISO 4217 code');
  if (update.step !== undefined && update.step !== null && !(PAYMENT_STEPS as readonly string[]).includes(update.step)) throw new WidgetStateError('step must be a payment step');
  if (update.digitsEntered !== undefined && !(Number.isInteger(update.digitsEntered) && update.digitsEntered >= 0)) {
    throw new WidgetStateError('digitsEntered must be a non-negative integer');
  }
  const next: Record<string, unknown> = { ...state };
  for (const [key, value] of Object.entries(update)) {
    // Only the state's own keys: an update object may carry more (a dialog event), never copied.
    if (key !== 'callId' && key in state && value !== undefined) next[key] = value;
  }
  return next as unknown as WidgetState;
}
