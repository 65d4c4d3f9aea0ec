// Whether a finished entry is a value the payment can use: an amount within the configured limits
// and the balance, a card number (length, Luhn, an accepted type), an expiry not past nor too far
// ahead, a security code of its card's size. Pure: the keys in, the value or the error type and
// what to tell the caller out (never the digits themselves).
import { checkCardNumber, checkExpiry, type CardType, type Expiry } from './card-checks.js';
import type { DialogConfig } from './dialog-config.js';
import { securityCodeSizeOk } from './entry-end.js';
import type { DialogState } from './flow.js';
import { decimalToMinor, parseKeyedAmount } from './money.js';
import type { PaymentRequest } from './payment-request.js';
import { amountSegments } from './prompts/compose.js';
import { cardTypePromptId } from './prompts/prompt-text.js';
import type { SecretDigits } from './secret-digits.js';
import type { ErrorType } from './vocabulary.js';

/** A field's captured value; the digits of the card stay in the entry buffer, which the capture copies. */
export type FieldValue =
  | { readonly field: 'charge-amount'; readonly minor: number }
  | { readonly field: 'payment-card-number'; readonly card: CardType }
  | { readonly field: 'expiration-date'; readonly expiry: Expiry }
  | { readonly field: 'security-code' };

export type FieldCheck = { readonly ok: true; readonly value: FieldValue } | { readonly ok: false; readonly errorType: ErrorType; readonly prompt: string[] };

export interface EntryFacts {
  readonly request: PaymentRequest;
  readonly config: DialogConfig;
  /** The amount as keyed (`*` the decimal point). */
  readonly amountKeys: string;
  /** The card digits keyed in this field. */
  readonly entry: SecretDigits;
  /** The captured card's security code size; null before its number is known (3 or 4 then). */
  readonly codeSize: number | null;
  /** Epoch ms: expiry is checked against this month. */
  readonly nowMs: number;
}

function invalid(errorType: ErrorType, prompt: string[]): FieldCheck {
  return { ok: false, errorType, prompt };
}

/** The entry of the field `state` asks for, checked (null: `state` asks for no field). */
export function checkField(state: DialogState, facts: EntryFacts): FieldCheck | null {
  const { config, entry } = facts;
  switch (state) {
    case 'amount-entry':
      return checkAmount(facts);
    case 'card-number': {
      const check = checkCardNumber(entry, config.validCardTypes);
      if (check.ok) return { ok: true, value: { field: 'payment-card-number', card: check.card } };
      if (check.errorType === 'invalid-card-type') return invalid('invalid-card-type', ['we-do-not-accept', cardTypePromptId(check.card.type), 'cards-use-another']);
      return invalid('invalid-card-number', ['card-number-invalid']);
    }
    case 'expiry': {
      const expiry = checkExpiry(entry, new Date(facts.nowMs), config.maxExpiryYearsAhead);
      return expiry === null ? invalid('invalid-date', ['expiry-invalid']) : { ok: true, value: { field: 'expiration-date', expiry } };
    }
    case 'security-code':
      return securityCodeSizeOk(entry.length, facts.codeSize) ? { ok: true, value: { field: 'security-code' } } : invalid('invalid-security-code', ['security-code-invalid']);
    default:
      return null;
  }
}

/** A keyed amount: not zero, within minAmount..maxAmount, not above the balance (each refusal says the limit). */
function checkAmount({ request, config, amountKeys }: EntryFacts): FieldCheck {
  const { currency } = request;
  const say = (minor: number): string[] => amountSegments(minor, currency, config.locale);
  const minor = parseKeyedAmount(amountKeys, currency);
  const min = decimalToMinor(config.minAmount, currency);
  const max = decimalToMinor(config.maxAmount, currency);
  const balance = request.amountMinor;
  if (minor === null || minor === 0) return invalid('invalid-amount', ['amount-invalid']);
  if (minor < min) return invalid('invalid-amount', ['amount-below-minimum', ...say(min)]);
  if (minor > max) return invalid('invalid-amount', ['amount-above-maximum', ...say(max)]);
  if (balance !== null && minor > balance) return invalid('invalid-amount', ['amount-above-balance', ...say(balance)]);
  return { ok: true, value: { field: 'charge-amount', minor } };
}
