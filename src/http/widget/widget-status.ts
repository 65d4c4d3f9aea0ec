// From the payment dialog's Twilio-style status and result events to widget updates. The
// shapes are structural (the fields the widget reads), so the dialog's PaymentStatus and
// PaymentSessionResult fit as they are. Masked values in, counts and flags out: of a masked
// card number (`xxxxxxxxxxxx1111`) only the last four digits are kept, whatever came before.
import type { CaptureField, ErrorType, PaymentResult } from '../../dialog/vocabulary.js';
import type { WidgetStateUpdate } from './widget-state.js';

export interface DialogStatusLike {
  readonly for: CaptureField;
  readonly attempt: number;
  readonly errorType: ErrorType | null;
  /** Masked, e.g. `xxxxxxxxxxxx1111`, once captured. */
  readonly paymentCardNumber: string | null;
  readonly paymentCardType: string | null;
  /** Masked (`xxxx`) once captured. */
  readonly expirationDate: string | null;
  /** Masked (`xxx`) once captured. */
  readonly securityCode: string | null;
}

export interface DialogResultLike {
  readonly result: PaymentResult;
  readonly reason: string | null;
  readonly transactionId: string | null;
}

const LAST_FOUR = /([0-9]{4})$/;

/**
 * The widget's view of one status event. A new field starts its digit count at 0 (the
 * integrator counts key presses with `{ digitsEntered }` updates while a field is collected).
 * The dialog only captures a card number that passed its checks, so a captured number is
 * Luhn-valid, and `invalid-card-number` means it was not.
 */
export function widgetUpdateFromStatus(status: DialogStatusLike, previousField: CaptureField | null = null): WidgetStateUpdate {
  const last4 = status.paymentCardNumber === null ? null : (LAST_FOUR.exec(status.paymentCardNumber)?.[1] ?? null);
  const luhnValid = status.errorType === 'invalid-card-number' ? false : last4 !== null ? true : null;
  return {
    field: status.for,
    attempt: status.attempt,
    errorType: status.errorType,
    cardType: status.paymentCardType,
    last4,
    luhnValid,
    expiryEntered: status.expirationDate !== null,
    securityCodeEntered: status.securityCode !== null,
    ...(previousField !== status.for || status.errorType !== null ? { digitsEntered: 0 } : {}),
  };
}

export function widgetUpdateFromResult(result: DialogResultLike): WidgetStateUpdate {
  return { field: null, digitsEntered: 0, result: result.result, reason: result.reason, transactionId: result.transactionId };
}
