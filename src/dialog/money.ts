// Amounts as integer minor units (pence, cents) with the ISO 4217 exponent of their currency,
// so no floating point ever decides what is charged.

import { minorUnitExponent, parseDecimalAmount } from '../gateway/currency.js';

// One implementation of ISO 4217 exponents and decimal <-> minor units, in gateway/currency.ts:
// minorDigits(code) is null for a code that is not a currency; formatMinor gives `125.50`.
export { currencyExponent as minorDigits, parseDecimalAmount, formatMinorAmount as formatMinor } from '../gateway/currency.js';

function digitsOf(currency: string): number {
  return minorUnitExponent(currency);
}

/** A decimal config amount (e.g. minAmount 1.5) to minor units, rounded to the nearest unit. */
export function decimalToMinor(amount: number, currency: string): number {
  return Math.round(amount * 10 ** digitsOf(currency));
}

/**
 * Keys of a caller-entered amount: digits, `*` as the decimal point (once), ended by `#`.
 * Returns null for an empty entry or more decimals than the currency has.
 */
export function parseKeyedAmount(keys: string, currency: string): number | null {
  const text = keys.replace('*', '.');
  if (text === '' || text === '.' || text.includes('*')) return null;
  return parseDecimalAmount(text.startsWith('.') ? `0${text}` : text.endsWith('.') ? text.slice(0, -1) : text, currency);
}
