// A call as the payment glue sees it (payment/payment-run.ts PaymentCall), and the translation
// between call control's typed X-Payment-* values and the dialog's header maps in both
// directions, so that the dialog keeps one parser and one writer of those headers.
import type { AuditTrail } from '../audit/audit-trail.js';
import type { Call } from '../call/call.js';
import type { PaymentCallParams, PaymentResultHeaders } from '../call/payment-headers.js';
import { PAYMENT_RESULTS, type PaymentResult } from '../dialog/vocabulary.js';
import type { PaymentCall } from '../payment/payment-run.js';

/** The dialog's result headers (name -> value) as call control's typed result. */
export function resultFromHeaders(headers: Readonly<Record<string, string>>): PaymentResultHeaders {
  const raw = headers['X-Payment-Result'];
  const result: PaymentResult = (PAYMENT_RESULTS as readonly string[]).includes(raw) ? (raw as PaymentResult) : 'internal-error';
  const optional = (key: keyof Omit<PaymentResultHeaders, 'result'>, name: string): Partial<PaymentResultHeaders> => (headers[name] === undefined ? {} : { [key]: headers[name] });
  return {
    result,
    ...optional('transactionId', 'X-Payment-Transaction-Id'),
    ...optional('cardLast4', 'X-Payment-Card-Last4'),
    ...optional('cardType', 'X-Payment-Card-Type'),
    ...optional('amount', 'X-Payment-Amount'),
    ...optional('currency', 'X-Payment-Currency'),
    ...optional('reason', 'X-Payment-Reason'),
  };
}

/** Call control's parsed X-Payment-* parameters back as headers, for the dialog's one parser. */
export function paramsAsHeaders(params: PaymentCallParams): Record<string, string> {
  const h: Record<string, string> = {};
  if (params.customerId !== null) h['X-Payment-Customer-Id'] = params.customerId;
  if (params.amount !== null) h['X-Payment-Amount'] = params.amount;
  if (params.currency !== null) h['X-Payment-Currency'] = params.currency;
  if (params.merchantId !== null) h['X-Payment-Merchant-Id'] = params.merchantId;
  if (params.reference !== null) h['X-Payment-Reference'] = params.reference;
  if (params.callType !== null) h['X-Payment-Call-Type'] = params.callType;
  if (params.input !== null) h['X-Payment-Input'] = params.input;
  // A value call control could not read is passed on unreadable, so the dialog rejects it too.
  if (params.problems.length > 0 && params.amount === null) h['X-Payment-Amount'] = 'invalid';
  return h;
}

/** A B2BUA or endpoint call as the payment glue sees it. */
export function paymentCall(call: Call, audit: AuditTrail): PaymentCall {
  return {
    id: call.id,
    media: call.media,
    setSecure: (on) => {
      if (call.mode === 'b2bua') call.setSecure(on);
      audit.secureMode(call.id, call.media.secure, 'payment');
    },
    refer: (uri, headers) => call.transferWithResult(uri, resultFromHeaders(headers)),
    hangup: (headers) => call.hangupWithResult(resultFromHeaders(headers)),
    keepCallerOnAgentHangup: (handler) => call.keepCallerOnAgentHangup(handler),
  };
}
