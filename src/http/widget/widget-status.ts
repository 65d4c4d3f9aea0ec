// From the payment dialog's Twilio-style status and result events to widget updates. Masked values in, counts and flags out: of a masked
// card number (`xxxxxxxxxxxx1111`) only the last four digits are kept, whatever came before.
import type { PaymentSessionResult, PaymentStatus } from '../../dialog/session-events.js';
import type { CaptureField } from '../../dialog/vocabulary.js';
import type { WidgetStateUpdate } from './widget-state.js';

/** The fields of the dialog's events the widget reads. */
export type DialogStatusLike = Pick<PaymentStatus, 'for' | 'attempt' | 'errorType' | 'paymentCardNumber' | 'paymentCardType' | 'expirationDate' | 'securityCode'> &
  Partial<Pick<PaymentStatus, 'chargeAmount'>>;
export type DialogResultLike = Pick<PaymentSessionResult, 'result' | 'reason' | 'transactionId'>;

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
    ...(status.chargeAmount === undefined || status.chargeAmount === null ? {} : { amount: status.chargeAmount }),
    ...(previousField !== status.for || status.errorType !== null ? { digitsEntered: 0 } : {}),
  };
}

/** The captured fields at a step without a status event (the readback): masked values in, flags and the last four out. */
export function widgetUpdateFromCaptured(captured: Pick<PaymentStatus, 'paymentCardNumber' | 'paymentCardType' | 'expirationDate' | 'securityCode' | 'chargeAmount'>): WidgetStateUpdate {
  const last4 = captured.paymentCardNumber === null ? null : (LAST_FOUR.exec(captured.paymentCardNumber)?.[1] ?? null);
  return {
    cardType: captured.paymentCardType,
    last4,
    ...(last4 === null ? {} : { luhnValid: true }),
    expiryEntered: captured.expirationDate !== null,
    securityCodeEntered: captured.securityCode !== null,
    ...(captured.chargeAmount === null ? {} : { amount: captured.chargeAmount }),
  };
}

export function widgetUpdateFromResult(result: DialogResultLike): WidgetStateUpdate {
  return { field: null, step: 'result', digitsEntered: 0, result: result.result, reason: result.reason, transactionId: result.transactionId };
}
