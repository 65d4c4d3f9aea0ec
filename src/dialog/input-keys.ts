// The caller's input as the key the current state takes: a key press (RFC 4733, in-band or SIP
// INFO, merged by the integrator) or what the speech recogniser heard. A spoken digit or word
// becomes a key so that speech and keypad share one path (same buffers, same validation). Pure.
import type { DialogState, StateInfo } from './flow.js';
import type { DigitAlternative } from './secret-digits.js';

/**
 * What the speech recogniser heard, as the dialog takes it: a digit (with its next-best reading,
 * for the card number's Luhn repair) or a menu word; no timing.
 */
export type SpokenInput =
  { readonly kind: 'digit'; readonly digit: string; readonly alternative?: DigitAlternative } | { readonly kind: 'word'; readonly word: 'pay the balance' | 'yes' | 'no' | 'correct' | 'change' };

/** A key press: `ignored` (nothing is collected, or no DTMF key), `invalid-choice` (A-D at a menu), or the key to act on. */
export type PressedKey = { readonly kind: 'key'; readonly key: string } | { readonly kind: 'ignored' } | { readonly kind: 'invalid-choice' };

/** One DTMF key (RFC 4733 events 0-15); A-D are no choice anywhere, and ignored in a field. */
export function pressedKey(input: StateInfo['input'], d: string): PressedKey {
  if (input === 'none' || !/^[0-9*#A-D]$/.test(d)) return { kind: 'ignored' };
  if (/^[A-D]$/.test(d)) return input === 'menu' ? { kind: 'invalid-choice' } : { kind: 'ignored' };
  return { kind: 'key', key: d };
}

/** A menu word as the key it stands for, per menu (null: not a choice of this menu). */
function menuWordKey(state: DialogState, word: string): string | null {
  if (state === 'amount-choice' && word === 'pay the balance') return '1';
  if (state === 'confirmation' && (word === 'yes' || word === 'correct')) return '1';
  if (state === 'confirmation' && (word === 'no' || word === 'change')) return '2';
  return null;
}

/**
 * A spoken digit or word as a key (null: no key here). A digit is the key of the same name; a
 * menu word is the menu's key for it ("pay the balance" = 1 at the balance choice, "yes" or
 * "correct" = confirm, "no" or "change" = change); in a field "yes"/"correct" end it like `#` and
 * "no"/"change" start it again like `*`, only once something is keyed (so it never leaves the payment).
 */
export function spokenKey(state: DialogState, input: StateInfo['input'], spoken: SpokenInput, keyed: number): string | null {
  if (spoken.kind === 'digit') return /^[0-9]$/.test(spoken.digit) ? spoken.digit : null;
  if (input === 'menu') return menuWordKey(state, spoken.word);
  if (spoken.word === 'yes' || spoken.word === 'correct') return '#';
  if (spoken.word === 'no' || spoken.word === 'change') return keyed > 0 ? '*' : null;
  return null;
}
