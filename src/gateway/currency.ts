// Minor units of ISO 4217 currencies (how many decimal places the decimal amount has) and the
// conversions between minor units and decimal text. One implementation for the gateway's
// request bodies and the dialog's amounts and prompts. The exponent comes from the platform's
// ICU data (Intl), which follows ISO 4217 (JPY 0, KWD 3, GBP 2).

/** Decimal places of `currency` (upper-case ISO 4217 code), or null when it is not one. */
export function currencyExponent(currency: string): number | null {
  if (!/^[A-Z]{3}$/.test(currency)) return null;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? null;
  } catch {
    return null;
  }
}

/** Decimal places of `currency`'s minor unit; 2, the common case, for codes not known. */
export function minorUnitExponent(currency: string): number {
  return currencyExponent(currency.toUpperCase()) ?? 2;
}

/** 1051 GBP -> "10.51"; 500 JPY -> "500"; 1234 KWD -> "1.234". amountMinor: non-negative integer. */
export function formatMinorAmount(amountMinor: number, currency: string): string {
  const exponent = minorUnitExponent(currency);
  const digits = String(amountMinor).padStart(exponent + 1, '0');
  if (exponent === 0) return digits;
  return `${digits.slice(0, digits.length - exponent)}.${digits.slice(digits.length - exponent)}`;
}

/**
 * "10.51" -> 1051 for a 2-decimal currency; null when the text is no plain decimal amount, has
 * more decimals than the currency allows, or is too large to count exactly.
 */
export function parseDecimalAmount(text: string, currency: string): number | null {
  const exponent = minorUnitExponent(currency);
  const match = /^([0-9]{1,12})(?:\.([0-9]+))?$/.exec(text.trim());
  if (match === null) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return null;
  const minor = Number(match[1]) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}
