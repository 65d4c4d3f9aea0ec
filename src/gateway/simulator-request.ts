// The simulator's request parsing: an Authorize.Net createTransactionRequest (checked against
// the schema's structure first) or a generic PaymentRequest becomes the fields the rules need,
// or a reason it is invalid that never quotes a card field. Pure but for the random ledger key
// of an Authorize.Net request without a refId.
import { randomInt } from 'node:crypto';
import { authorizeNetStructureProblems } from './authorize-net-schema.js';
import { parseXml, selectText, type ParsedXml } from './response-mapping.js';

/** What the simulator read from a request. Card fields are JS strings here: parsing XML makes them so (a test gateway, never production). */
export interface ParsedCharge {
  readonly format: 'authorize-net' | 'generic';
  readonly key: string;
  readonly pan: string;
  readonly expiryYear: number;
  readonly expiryMonth: number;
  readonly amount: string;
  readonly currency: string;
  /** merchantAuthentication name and transactionKey (Authorize.Net only). */
  readonly credentials: { readonly name: string; readonly transactionKey: string } | null;
}

export type ParseResult = { readonly kind: 'charge'; readonly charge: ParsedCharge } | { readonly kind: 'invalid'; readonly format: 'authorize-net' | 'generic' | null; readonly detail: string };

function parseExpiry(text: string | null): { year: number; month: number } | null {
  const match = /^([0-9]{4})-([0-9]{2})$/.exec(text ?? '') ?? /^([0-9]{2})([0-9]{2})$/.exec(text ?? '');
  if (match === null) return null;
  // MMYY also accepted by Authorize.Net.
  if ((text ?? '').length === 4) return { year: 2000 + Number(match[2]), month: Number(match[1]) };
  return { year: Number(match[1]), month: Number(match[2]) };
}

export function parseCharge(xml: string): ParseResult {
  const document: ParsedXml | null = parseXml(xml);
  if (document === null) return { kind: 'invalid', format: null, detail: 'not well-formed XML' };
  if ('createTransactionRequest' in document) {
    const problems = authorizeNetStructureProblems(xml);
    if (problems.length > 0) return { kind: 'invalid', format: 'authorize-net', detail: problems.join('; ') };
    const t = 'createTransactionRequest.transactionRequest';
    const expiry = parseExpiry(selectText(document, `${t}.payment.creditCard.expirationDate`));
    const pan = selectText(document, `${t}.payment.creditCard.cardNumber`);
    const amount = selectText(document, `${t}.amount`);
    if (expiry === null || pan === null || amount === null) return { kind: 'invalid', format: 'authorize-net', detail: 'card number, expiry (YYYY-MM) or amount missing' };
    const ref = selectText(document, 'createTransactionRequest.refId');
    return {
      kind: 'charge',
      charge: {
        format: 'authorize-net',
        key: ref ?? `no-ref-${randomInt(1e9)}`,
        pan,
        expiryYear: expiry.year,
        expiryMonth: expiry.month,
        amount,
        currency: selectText(document, `${t}.currencyCode`) ?? 'USD',
        credentials: {
          name: selectText(document, 'createTransactionRequest.merchantAuthentication.name') ?? '',
          transactionKey: selectText(document, 'createTransactionRequest.merchantAuthentication.transactionKey') ?? '',
        },
      },
    };
  }
  if ('PaymentRequest' in document) {
    const expiry = parseExpiry(selectText(document, 'PaymentRequest.Card.Expiry'));
    const pan = selectText(document, 'PaymentRequest.Card.Number');
    const amount = selectText(document, 'PaymentRequest.Amount');
    const key = selectText(document, 'PaymentRequest.IdempotencyKey');
    if (expiry === null || pan === null || amount === null || key === null || key === '')
      return { kind: 'invalid', format: 'generic', detail: 'IdempotencyKey, Card/Number, Card/Expiry or Amount missing' };
    return {
      kind: 'charge',
      charge: {
        format: 'generic',
        key,
        pan,
        expiryYear: expiry.year,
        expiryMonth: expiry.month,
        amount,
        currency: selectText(document, 'PaymentRequest.Amount.@currency') ?? 'USD',
        credentials: null,
      },
    };
  }
  return { kind: 'invalid', format: null, detail: 'unknown request (expected createTransactionRequest or PaymentRequest)' };
}
