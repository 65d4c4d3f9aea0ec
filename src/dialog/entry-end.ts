// When a keyed field is over without `#`: the entry-ending policy, apart from collecting the keys
// (field-collector.ts). Pure: the digits so far in, a verdict out; the collector arms the pause.
import { autoCompleteLength, checkCardNumber, MAX_PAN_LENGTH } from './card-checks.js';
import type { DialogConfig } from './dialog-config.js';
import type { DialogState } from './flow.js';
import type { SecretDigits } from './secret-digits.js';

/**
 * `complete`: the entry is over now; `after-pause`: it is over unless another key comes within
 * the completion pause (it may be whole, or the start of a longer one); `more`: keys are missing.
 */
export type EntryEnd = 'complete' | 'after-pause' | 'more';

/**
 * Whether the entry of the field `state` asks for is over: card number and security code by
 * their policies below, an expiry at its 4 digits (MMYY); an amount only by `#` or a time-out.
 * `codeSize` is the captured card's security code size (null before its number is known).
 */
export function fieldEntryEnd(state: DialogState, digits: SecretDigits, codeSize: number | null, config: DialogConfig): EntryEnd {
  switch (state) {
    case 'card-number':
      return cardNumberEnd(digits, config.validCardTypes, config.autoCompleteCardNumber);
    case 'expiry':
      return digits.length === 4 ? 'complete' : 'more';
    case 'security-code':
      return securityCodeEnd(digits.length, codeSize);
    default:
      return 'more';
  }
}

/**
 * A card number ends at 19 digits (ISO/IEC 7812), and with auto-completion at the longest length
 * of the one type it can be (Amex at 15, Mastercard at 16), or after a pause once the digits are a
 * whole card: a length its type uses and the Luhn check (a Visa of 16 may still grow to 19, so a
 * valid 16-digit prefix waits for the pause). A whole card of a type not accepted ends too, so
 * that the caller hears at once that the type is refused.
 */
export function cardNumberEnd(digits: SecretDigits, validCardTypes: readonly string[], autoComplete: boolean): EntryEnd {
  const n = digits.length;
  if (n >= MAX_PAN_LENGTH) return 'complete';
  if (!autoComplete) return 'more';
  if (autoCompleteLength(digits) === n) return 'complete';
  const check = checkCardNumber(digits, validCardTypes);
  return check.ok || check.errorType === 'invalid-card-type' ? 'after-pause' : 'more';
}

/**
 * A security code ends at its card type's size; asked before the card number (the agent chose
 * the order) the size is not known yet: 4 digits end it (an Amex CID), 3 after a pause.
 */
export function securityCodeEnd(keyed: number, size: number | null): EntryEnd {
  if (size !== null) return keyed >= size ? 'complete' : 'more';
  if (keyed >= 4) return 'complete';
  return keyed === 3 ? 'after-pause' : 'more';
}

/** The security code sizes a code may have while the card type is unknown (3 CVV/CVC, 4 Amex CID). */
export function securityCodeSizeOk(keyed: number, size: number | null): boolean {
  return size === null ? keyed === 3 || keyed === 4 : keyed === size;
}
