// Where the collection goes next: the state of the first missing field, and every key of every
// menu (balance choice, readback, correction), with the options that close a choice.
import t from 'tap';
import { amountChangeable, amountState, menuChoice, nextState, type MenuOptions } from '../../src/dialog/collection-steps.js';
import { parseDialogConfig } from '../../src/dialog/dialog-config.js';
import type { PaymentRequest } from '../../src/dialog/payment-request.js';
import { TEST_REQUEST } from '../helpers/payment-harness.js';

const REQUEST: PaymentRequest = TEST_REQUEST;

const OPEN: MenuOptions = { amountChangeable: true, needsSecurityCode: true, amountState: 'amount-choice' };

t.test('the first missing field decides the next state; none missing: the readback', async (t) => {
  t.equal(nextState(['charge-amount', 'payment-card-number'], 'amount-choice'), 'amount-choice');
  t.equal(nextState(['charge-amount'], 'amount-entry'), 'amount-entry');
  t.equal(nextState(['payment-card-number', 'expiration-date'], 'amount-entry'), 'card-number');
  t.equal(nextState(['expiration-date', 'security-code'], 'amount-entry'), 'expiry');
  t.equal(nextState(['security-code'], 'amount-entry'), 'security-code');
  t.equal(nextState([], 'amount-entry'), 'confirmation');
});

t.test('the amount is a choice only with a balance in choice mode, and changeable only when nobody fixed it', async (t) => {
  const choice = parseDialogConfig({});
  const fixed = parseDialogConfig({ amountMode: 'fixed' });
  t.equal(amountState(REQUEST, choice), 'amount-choice');
  t.equal(amountState({ ...REQUEST, amountMinor: null }, choice), 'amount-entry');
  t.equal(amountState(REQUEST, fixed), 'amount-entry');
  t.equal(amountChangeable(REQUEST, choice), true);
  t.equal(amountChangeable(REQUEST, fixed), false);
  t.equal(amountChangeable({ ...REQUEST, mode: 'agent-assisted' }, choice), false);
  t.equal(amountChangeable({ ...REQUEST, amountMinor: null, mode: 'agent-assisted' }, fixed), true, 'no amount given: the caller enters it');
});

t.test('every menu key: a move, the balance, the submission, or no choice', async (t) => {
  t.same(menuChoice('amount-choice', '1', OPEN), { kind: 'pay-balance' });
  t.same(menuChoice('amount-choice', '2', OPEN), { kind: 'move', cause: 'other-amount', to: 'amount-entry' });
  t.same(menuChoice('amount-choice', '3', OPEN), { kind: 'invalid' });
  t.same(menuChoice('confirmation', '1', OPEN), { kind: 'submit' });
  t.same(menuChoice('confirmation', '2', OPEN), { kind: 'move', cause: 'change', to: 'change-choice' });
  t.same(menuChoice('confirmation', '#', OPEN), { kind: 'invalid' });
  t.same(menuChoice('change-choice', '1', OPEN), { kind: 'move', cause: 'change-amount', to: 'amount-choice' });
  t.same(menuChoice('change-choice', '1', { ...OPEN, amountState: 'amount-entry' }), { kind: 'move', cause: 'change-amount', to: 'amount-entry' });
  t.same(menuChoice('change-choice', '2', OPEN), { kind: 'move', cause: 'change-card-number', to: 'card-number' });
  t.same(menuChoice('change-choice', '3', OPEN), { kind: 'move', cause: 'change-expiry', to: 'expiry' });
  t.same(menuChoice('change-choice', '4', OPEN), { kind: 'move', cause: 'change-security-code', to: 'security-code' });
  t.same(menuChoice('change-choice', '5', OPEN), { kind: 'invalid' });
  for (const state of ['amount-choice', 'confirmation', 'change-choice'] as const) t.same(menuChoice(state, '*', OPEN), { kind: 'move', cause: 'restart', to: state }, `${state}: * asks again`);
});

t.test('the correction menu offers no amount the caller may not change, and no code a card has not', async (t) => {
  t.same(menuChoice('change-choice', '1', { ...OPEN, amountChangeable: false }), { kind: 'invalid' });
  t.same(menuChoice('change-choice', '4', { ...OPEN, needsSecurityCode: false }), { kind: 'invalid' });
});
