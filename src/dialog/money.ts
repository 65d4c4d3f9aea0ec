// Amounts as integer minor units (pence, cents) with the ISO 4217 exponent of their currency,
// so no floating point ever decides what is charged.

/** ISO 4217 minor unit digits (GBP 2, JPY 0, BHD 3), from the runtime's ICU data; null if unknown. */
export function minorDigits(currency: string): number | null {
  if (!/^[A-Z]{3}$/.test(currency)) return null;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? null;
  } catch {
    return null;
  }
}

function digitsOf(currency: string): number {
  return minorDigits(currency) ?? 2;
}

/** `125.50` (or `125.5`, `125`) to minor units; null for anything else (signs, exponents, too many decimals). */
export function parseDecimalAmount(text: string, currency: string): number | null {
  const places = digitsOf(currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > places) return null;
  const minor = Number(match[1]) * 10 ** places + Number(fraction.padEnd(places, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}

/** Minor units to `125.50` (the X-Payment-Amount form). */
export function formatMinor(minor: number, currency: string): string {
  const places = digitsOf(currency);
  if (places === 0) return String(minor);
  const scale = 10 ** places;
  const major = Math.floor(minor / scale);
  return `${major}.${String(minor % scale).padStart(places, '0')}`;
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
