// Card data as ASCII digit bytes (connector.ts SecretDigits): checks that never turn the digits
// into a string, and the last four, the most that may be shown (PCI DSS 3.4).

const ZERO = 0x30;
const NINE = 0x39;

export function isAsciiDigits(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const byte of bytes) if (byte < ZERO || byte > NINE) return false;
  return true;
}

/** Luhn (ISO/IEC 7812-1 annex B) over ASCII digit bytes. */
export function luhnValid(bytes: Uint8Array): boolean {
  if (!isAsciiDigits(bytes)) return false;
  let sum = 0;
  let double = false;
  for (let i = bytes.length - 1; i >= 0; i--) {
    let digit = (bytes[i] ?? ZERO) - ZERO;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The last four digits (fewer when the number is shorter); safe to log. */
export function lastFour(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(Math.max(0, bytes.length - 4)));
}
