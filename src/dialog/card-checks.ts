// Card checks on keyed digits: Luhn (ISO/IEC 7812-1 Annex B), card type and its lengths and
// security code size from Braintree's maintained `credit-card-type` table (Mastercard's 2-series,
// UnionPay, Maestro ... kept up to date there, not here), expiry MMYY.
import creditCardType from 'credit-card-type';
import type { SecretDigits } from './secret-digits.js';

/** PAN lengths ISO/IEC 7812 allows and the dialog accepts. */
export const MIN_PAN_LENGTH = 12;
export const MAX_PAN_LENGTH = 19;

/**
 * Digits handed to credit-card-type: the issuer identification number (the first six; PCI DSS
 * allows showing the first six and last four), never the whole PAN, so no full card number ever
 * becomes a string.
 */
const IIN_DIGITS = 6;

export interface CardType {
  /** credit-card-type name: visa, mastercard, american-express, ... */
  readonly type: string;
  readonly niceType: string;
  readonly lengths: readonly number[];
  /** CVV/CVC size, 4 for the Amex CID. */
  readonly securityCodeSize: number;
  readonly securityCodeName: string;
}

/** Luhn mod-10 over the digits (every second digit from the right doubled). */
export function luhnValid(digits: SecretDigits): boolean {
  const n = digits.length;
  if (n === 0) return false;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let d = digits.at(n - 1 - i);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A spoken card number that fails Luhn, made whole by one digit: the recogniser's next-best
 * reading of each spoken digit is tried, and of those that pass Luhn the one with the highest
 * odds (its posterior over the chosen digit's) is kept, if at least `minOdds`. Luhn catches every
 * single wrong digit, and most wrong spoken digits are the recogniser's second choice. Returns
 * the index swapped (the digits now pass Luhn), or -1 with the digits unchanged. Keyed digits
 * have no alternative and are never changed.
 */
export function repairSpokenLuhn(digits: SecretDigits, minOdds: number): number {
  if (digits.length === 0 || luhnValid(digits)) return -1;
  let best = -1;
  let bestOdds = -1;
  for (let i = 0; i < digits.length; i++) {
    const alt = digits.alternativeAt(i);
    if (alt === null || alt.odds < minOdds || alt.odds <= bestOdds) continue;
    digits.swapAlternative(i);
    if (luhnValid(digits)) {
      best = i;
      bestOdds = alt.odds;
    }
    digits.swapAlternative(i);
  }
  if (best >= 0) digits.swapAlternative(best);
  return best;
}

/**
 * The types the first digits can still be (several while few digits are keyed, e.g. `4` is
 * Visa, Elo, Maestro ...); empty when no known type starts so.
 */
export function candidateCardTypes(digits: SecretDigits): CardType[] {
  const n = Math.min(digits.length, IIN_DIGITS);
  if (n === 0) return [];
  let prefix = '';
  for (let i = 0; i < n; i++) prefix += String(digits.at(i));
  return creditCardType(prefix).map((c) => ({
    type: c.type,
    niceType: c.niceType,
    lengths: [...c.lengths],
    securityCodeSize: c.code.size,
    securityCodeName: c.code.name,
  }));
}

/** The one type of a complete number: the best candidate whose lengths include its length. */
export function detectCardType(digits: SecretDigits): CardType | null {
  return candidateCardTypes(digits).find((c) => c.lengths.includes(digits.length)) ?? null;
}

/**
 * The length at which keying can stop without `#`: the longest length of the one type the
 * first digits leave, or null while the type is ambiguous.
 */
export function autoCompleteLength(digits: SecretDigits): number | null {
  if (digits.length < IIN_DIGITS) return null;
  const candidates = candidateCardTypes(digits);
  if (candidates.length !== 1) return null;
  return Math.max(...candidates[0].lengths);
}

/**
 * UnionPay issues cards that fail Luhn (card-validator skips the check for them by default),
 * so the dialog does the same.
 */
export function luhnRequired(type: string): boolean {
  return type !== 'unionpay';
}

export type CardNumberCheck =
  | { readonly ok: true; readonly card: CardType }
  | { readonly ok: false; readonly errorType: 'invalid-card-number' }
  | { readonly ok: false; readonly errorType: 'invalid-card-type'; readonly card: CardType };

/** A complete card number against length, type, Luhn and the accepted types. */
export function checkCardNumber(digits: SecretDigits, validCardTypes: readonly string[]): CardNumberCheck {
  if (digits.length < MIN_PAN_LENGTH || digits.length > MAX_PAN_LENGTH) return { ok: false, errorType: 'invalid-card-number' };
  const card = detectCardType(digits);
  if (card === null) return { ok: false, errorType: 'invalid-card-number' };
  if (luhnRequired(card.type) && !luhnValid(digits)) return { ok: false, errorType: 'invalid-card-number' };
  if (!validCardTypes.includes(card.type)) return { ok: false, errorType: 'invalid-card-type', card };
  return { ok: true, card };
}

export interface Expiry {
  readonly month: number; // 1-12
  readonly year: number; // four digits
}

/**
 * MMYY keyed digits to a month and year: a real month, not before the current month (a card is
 * valid to the end of its expiry month), not more than maxYearsAhead years ahead. `now` is
 * local time of the dialog (cards carry no time zone; a day's tolerance is the gateway's call).
 */
export function checkExpiry(digits: SecretDigits, now: Date, maxYearsAhead: number): Expiry | null {
  if (digits.length !== 4) return null;
  const month = digits.numberAt(0, 2);
  const year = 2000 + digits.numberAt(2, 4);
  if (month < 1 || month > 12) return null;
  const thisYear = now.getFullYear();
  const thisMonth = now.getMonth() + 1;
  if (year < thisYear || (year === thisYear && month < thisMonth)) return null;
  if (year > thisYear + maxYearsAhead) return null;
  return { month, year };
}
