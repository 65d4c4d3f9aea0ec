// Endpoint mode's SIP headers (docs/integration.md): the X-Payment-* input parameters
// of the transferred INVITE, and the X-Payment-* result headers we send back, either as header
// fields of a BYE or as URI headers of a REFER's Refer-To (RFC 3261 §19.1.1, escaped as §19.1.5
// / RFC 3986 percent-encoding). Never card data in either direction: results carry at most the
// last four digits (checked here); the dialog screens the gateway's values against the card.
import type { PaymentResult } from '../dialog/vocabulary.js';
import { PAYMENT_RESULTS } from '../dialog/vocabulary.js';

export interface PaymentCallParams {
  readonly customerId: string | null;
  /** Minor units (e.g. 12550 for `125.50`), or null when absent. */
  readonly amountMinor: number | null;
  /** The decimal as sent (`125.50`), or null. */
  readonly amount: string | null;
  /** ISO 4217, upper case, or null (the integrator applies the config's default). */
  readonly currency: string | null;
  readonly merchantId: string | null;
  readonly reference: string | null;
  /** `conference` (agent-assisted) or whatever the IVR sends; null when absent. */
  readonly callType: string | null;
  /** `X-Payment-Input` as sent (checked by the dialog's request parser); null when absent. */
  readonly input: string | null;
  /** Problems found (a bad amount, currency); the integrator decides (validation-error). */
  readonly problems: readonly string[];
}

/** Reads a header by its lower-case name (first value), whatever the SIP message type. */
export type HeaderLookup = (name: string) => string | undefined;

/** Up to 2 decimals (minor units of most currencies); no sign, no exponent. */
const AMOUNT = /^(\d{1,12})(?:\.(\d{1,2}))?$/;
const CURRENCY = /^[A-Za-z]{3}$/;
/** Free-text parameters: printable, bounded. */
const MAX_TEXT = 128;

function text(lookup: HeaderLookup, name: string, problems: string[]): string | null {
  const value = lookup(name)?.trim();
  if (value === undefined || value === '') return null;
  if (value.length > MAX_TEXT || /[\x00-\x1f\x7f]/.test(value)) {
    problems.push(`${name} is not a short printable value`);
    return null;
  }
  return value;
}

export function parsePaymentParams(lookup: HeaderLookup): PaymentCallParams {
  const problems: string[] = [];
  const amountText = text(lookup, 'x-payment-amount', problems);
  let amountMinor: number | null = null;
  let amount: string | null = null;
  if (amountText !== null) {
    const m = AMOUNT.exec(amountText);
    if (m === null) problems.push('X-Payment-Amount is not a decimal amount such as 125.50');
    else {
      amount = amountText;
      amountMinor = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
    }
  }
  const currencyText = text(lookup, 'x-payment-currency', problems);
  let currency: string | null = null;
  if (currencyText !== null) {
    if (CURRENCY.test(currencyText)) currency = currencyText.toUpperCase();
    else problems.push('X-Payment-Currency is not an ISO 4217 code');
  }
  return {
    customerId: text(lookup, 'x-payment-customer-id', problems),
    amountMinor,
    amount,
    currency,
    merchantId: text(lookup, 'x-payment-merchant-id', problems),
    reference: text(lookup, 'x-payment-reference', problems),
    callType: text(lookup, 'x-payment-call-type', problems),
    input: text(lookup, 'x-payment-input', problems),
    problems,
  };
}

/** The result headers (docs/integration.md); only these names are sent. */
export interface PaymentResultHeaders {
  readonly result: PaymentResult;
  readonly transactionId?: string;
  /** Exactly four digits: anything longer is refused (PCI: never more than the last four). */
  readonly cardLast4?: string;
  readonly cardType?: string;
  readonly amount?: string;
  readonly currency?: string;
  readonly reason?: string;
}

/** Longest header value sent; a longer one is cut (a gateway's reason can be a paragraph). */
const MAX_VALUE = 128;

/** One header line's worth: no CR/LF or other control characters (header injection), bounded. */
function headerValue(value: string): string {
  return value
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .trim()
    .slice(0, MAX_VALUE);
}

/**
 * Header name -> value, in documented order. Never throws: the result must always reach the IVR
 * (a transfer or BYE that fails here leaves a charged caller without a result). Values are
 * sanitised (control characters, length); an unknown result becomes `internal-error`, a Card-Last4
 * that is not exactly four digits is left out. Card data in a gateway's transaction ID or reason
 * is screened by the dialog, which still holds the card number (src/dialog/gateway-charge.ts).
 */
export function resultHeaderFields(result: PaymentResultHeaders): [string, string][] {
  const known = (PAYMENT_RESULTS as readonly string[]).includes(result.result);
  const fields: [string, string | undefined][] = [
    ['X-Payment-Result', known ? result.result : 'internal-error'],
    ['X-Payment-Transaction-Id', result.transactionId],
    ['X-Payment-Card-Last4', result.cardLast4 !== undefined && /^\d{4}$/.test(result.cardLast4) ? result.cardLast4 : undefined],
    ['X-Payment-Card-Type', result.cardType],
    ['X-Payment-Amount', result.amount],
    ['X-Payment-Currency', result.currency],
    ['X-Payment-Reason', result.reason],
  ];
  const out: [string, string][] = [];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    const clean = headerValue(value);
    if (clean !== '') out.push([name, clean]);
  }
  return out;
}

/** RFC 3261 §25.1 hnv-unreserved / unreserved characters stay; everything else %XX (UTF-8). */
function escapeHeaderPart(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-_.!~*'()[\]/?:+$]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/**
 * The Refer-To value: `<sip:target?X-Payment-Result=success&...>` (URI headers become headers
 * of the INVITE the transferee sends, RFC 3515 §2.1 / RFC 3261 §19.1.5).
 */
export function referToWithHeaders(targetUri: string, fields: readonly (readonly [string, string])[]): string {
  const bare = targetUri.trim().replace(/^<|>$/g, '');
  const query = fields.map(([name, value]) => `${escapeHeaderPart(name)}=${escapeHeaderPart(value)}`).join('&');
  if (query === '') return `<${bare}>`;
  return `<${bare}${bare.includes('?') ? '&' : '?'}${query}>`;
}
