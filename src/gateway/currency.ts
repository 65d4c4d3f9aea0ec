// Minor units of ISO 4217 currencies: how many decimal places the decimal amount has.
// ISO 4217 lists 2 for most currencies; the exceptions below (0 and 3) are the ones in use
// for card payments. Unknown codes get 2, the common case.

const ZERO_DECIMALS = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMALS = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

/** Decimal places of `currency`'s minor unit (ISO 4217). */
export function minorUnitExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMALS.has(code)) return 0;
  if (THREE_DECIMALS.has(code)) return 3;
  return 2;
}

/** 1051 GBP -> "10.51"; 500 JPY -> "500"; 1234 KWD -> "1.234". amountMinor: non-negative integer. */
export function formatMinorAmount(amountMinor: number, currency: string): string {
  const exponent = minorUnitExponent(currency);
  const digits = String(amountMinor).padStart(exponent + 1, '0');
  if (exponent === 0) return digits;
  return `${digits.slice(0, digits.length - exponent)}.${digits.slice(digits.length - exponent)}`;
}

/**
 * "10.51" -> 1051 for a 2-decimal currency; null when the text is no plain decimal amount or
 * has more decimals than the currency allows.
 */
export function parseDecimalAmount(text: string, currency: string): number | null {
  const exponent = minorUnitExponent(currency);
  const match = /^([0-9]{1,12})(?:\.([0-9]+))?$/.exec(text.trim());
  if (match === null) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return null;
  return Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
}
