// Where the collection goes next: the state that asks for each field, the first missing field in
// the guided order (amount, card number, expiry, security code, then the readback), and what each
// menu key chooses (the balance choice, the readback's confirm or change, the correction menu).
// Pure: the session carries each move out along a row of flow.ts.
import type { DialogConfig } from './dialog-config.js';
import type { Cause, DialogState } from './flow.js';
import type { PaymentRequest } from './payment-request.js';
import type { CaptureField } from './vocabulary.js';

/** The state that asks for a field. */
export const FIELD_STATE: Readonly<Record<Exclude<CaptureField, 'payment-processing'>, DialogState>> = {
  'charge-amount': 'amount-entry',
  'payment-card-number': 'card-number',
  'expiration-date': 'expiry',
  'security-code': 'security-code',
};

/** The amount is asked as a choice (pay the balance, or another amount) when there is a balance to offer. */
export function amountState(request: PaymentRequest, config: DialogConfig): DialogState {
  return request.amountMinor !== null && config.amountMode === 'choice' ? 'amount-choice' : 'amount-entry';
}

/** Whether the caller may change the amount (readback menu): not one the agent or a fixed mode set. */
export function amountChangeable(request: PaymentRequest, config: DialogConfig): boolean {
  if (request.amountMinor === null) return true;
  return config.amountMode !== 'fixed' && request.mode !== 'agent-assisted';
}

/** The state of the first missing field (`missing` in flow order), or the readback when none is. */
export function nextState(missing: readonly CaptureField[], amount: DialogState): DialogState {
  const first = missing[0];
  if (first === undefined || first === 'payment-processing') return 'confirmation';
  if (first === 'charge-amount') return amount;
  return FIELD_STATE[first];
}

/** A menu key's meaning: a move, the balance chosen, the payment confirmed, or no choice of this menu. */
export type MenuChoice = { readonly kind: 'move'; readonly cause: Cause; readonly to: DialogState } | { readonly kind: 'pay-balance' } | { readonly kind: 'submit' } | { readonly kind: 'invalid' };

export interface MenuOptions {
  readonly amountChangeable: boolean;
  readonly needsSecurityCode: boolean;
  /** Where a change of amount goes (amountState). */
  readonly amountState: DialogState;
}

/**
 * `*` asks the menu again. Balance choice: 1 pays the balance, 2 another amount. Readback: 1
 * confirms, 2 changes a detail. Correction: 1 the amount (when the caller may change it), 2 the
 * card number, 3 the expiry, 4 the security code (when the card has one).
 */
export function menuChoice(state: DialogState, key: string, options: MenuOptions): MenuChoice {
  const move = (cause: Cause, to: DialogState): MenuChoice => ({ kind: 'move', cause, to });
  if (key === '*') return move('restart', state);
  switch (state) {
    case 'amount-choice':
      if (key === '1') return { kind: 'pay-balance' };
      if (key === '2') return move('other-amount', 'amount-entry');
      break;
    case 'confirmation':
      if (key === '1') return { kind: 'submit' };
      if (key === '2') return move('change', 'change-choice');
      break;
    case 'change-choice':
      if (key === '1' && options.amountChangeable) return move('change-amount', options.amountState);
      if (key === '2') return move('change-card-number', 'card-number');
      if (key === '3') return move('change-expiry', 'expiry');
      if (key === '4' && options.needsSecurityCode) return move('change-security-code', 'security-code');
      break;
    default:
      break;
  }
  return { kind: 'invalid' };
}
