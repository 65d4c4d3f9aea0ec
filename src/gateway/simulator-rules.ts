// The simulator's decisions (docs/gateway.md, "The simulator"), pure: any
// Luhn-valid card with a future expiry is approved, except a card ending 0002 (declined,
// do-not-honour), an amount whose minor units are 51 such as 10.51 (declined,
// insufficient-funds) and a card ending 0119 (no answer: the client times out). Codes are
// Authorize.Net response reason codes where one exists (2 declined, 6 invalid card number,
// 8 expired); 51 is the simulator's own, after ISO 8583's insufficient-funds code.

import { luhnValid } from './card-digits.js';

export type SimulatorDecision =
  | { readonly kind: 'approve' }
  /** responseCode: Authorize.Net's 2 (declined) or 3 (error: the card data is wrong). */
  | { readonly kind: 'decline'; readonly reason: string; readonly code: string; readonly responseCode: '2' | '3'; readonly text: string }
  | { readonly kind: 'no-answer' };

export interface SimulatorCard {
  /** The card number as the request carried it; never stored or logged. */
  readonly pan: string;
  readonly expiryYear: number;
  readonly expiryMonth: number;
  /** Minor units of the amount (for 10.51 GBP: 51), null when the amount is unreadable. */
  readonly minorPart: number | null;
}

/** `now`: the simulator's clock; a card is valid through the last day of its expiry month. */
export function decide(card: SimulatorCard, now: Date): SimulatorDecision {
  if (!/^[0-9]{12,19}$/.test(card.pan) || !luhnValid(Buffer.from(card.pan, 'latin1'))) {
    return { kind: 'decline', reason: 'invalid-card-number', code: '6', responseCode: '3', text: 'The credit card number is invalid.' };
  }
  const month = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const expiry = card.expiryYear * 12 + (card.expiryMonth - 1);
  if (card.expiryMonth < 1 || card.expiryMonth > 12 || expiry < month) {
    return { kind: 'decline', reason: 'expired-card', code: '8', responseCode: '3', text: 'The credit card has expired.' };
  }
  if (card.pan.endsWith('0119')) return { kind: 'no-answer' };
  if (card.pan.endsWith('0002')) return { kind: 'decline', reason: 'do-not-honour', code: '2', responseCode: '2', text: 'This transaction has been declined.' };
  if (card.minorPart === 51) return { kind: 'decline', reason: 'insufficient-funds', code: '51', responseCode: '2', text: 'This transaction has been declined: insufficient funds.' };
  return { kind: 'approve' };
}
