// One card submission: the request borrows the capture's buffers, the answer is screened for the
// card number before it travels on, and each answer maps to how the payment ends or a new card.
import t from 'tap';
import { detectCardType } from '../../src/dialog/card-checks.js';
import { parseDialogConfig } from '../../src/dialog/dialog-config.js';
import { chargeRequest, outcomeEnding, screenOutcome, UNKNOWN_OUTCOME, type OutcomeFacts } from '../../src/dialog/gateway-charge.js';
import { PaymentCapture } from '../../src/dialog/payment-capture.js';
import type { PaymentRequest } from '../../src/dialog/payment-request.js';
import { SecretDigits } from '../../src/dialog/secret-digits.js';
import { AGENT_HANGUP } from '../../src/dialog/session-ending.js';
import { TEST_REQUEST } from '../helpers/payment-harness.js';

const REQUEST: PaymentRequest = { ...TEST_REQUEST, customerId: null };

function digits(s: string): SecretDigits {
  const d = new SecretDigits(19);
  for (const c of s) d.push(c);
  return d;
}

function keyed(capture: PaymentCapture, s: string): void {
  capture.entry.clear();
  for (const c of s) capture.entry.push(c);
}

const VISA = '4111111111111111';

t.test('the request borrows the buffers (zeroed with them), one key per submission; none without the fields', async (t) => {
  const capture = new PaymentCapture(parseDialogConfig({}));
  t.throws(() => chargeRequest(REQUEST, 1, capture), /required fields/);
  capture.amountMinor = 500;
  keyed(capture, VISA);
  const card = detectCardType(digits(VISA));
  if (card === null) throw new Error('the Visa test card has a type');
  capture.accept({ field: 'payment-card-number', card });
  keyed(capture, '1230');
  capture.accept({ field: 'expiration-date', expiry: { month: 12, year: 2030 } });
  keyed(capture, '123');
  capture.accept({ field: 'security-code' });
  const request = chargeRequest(REQUEST, 2, capture);
  t.match(request, { idempotencyKey: 'ps-1-2', amountMinor: 500, currency: 'GBP', expiryMonth: 12, expiryYear: 2030, customerId: '' });
  t.equal(request.pan.length, 16);
  t.equal(request.securityCode?.length, 3);
  capture.wipe();
  t.ok(request.pan.every((b) => b === 0) && request.securityCode?.every((b) => b === 0), 'the views are zeroed by the wipe');
});

t.test('a transaction ID or reason holding the card (or its first 12 digits, however separated) is dropped', async (t) => {
  const pan = digits(VISA);
  t.same(screenOutcome({ kind: 'approved', transactionId: 'tx-42', authCode: null }, pan), { outcome: { kind: 'approved', transactionId: 'tx-42', authCode: null }, dropped: null });
  t.same(screenOutcome({ kind: 'approved', transactionId: `tx-${VISA}`, authCode: null }, pan), { outcome: { kind: 'approved', transactionId: '', authCode: null }, dropped: 'transaction-id' });
  const declined = screenOutcome({ kind: 'declined', reason: 'card 4111 1111-1111 refused', code: '05' }, pan);
  t.equal(declined.dropped, 'reason');
  t.notMatch(declined.outcome, /4111/);
  t.same(screenOutcome({ kind: 'declined', reason: 'do-not-honour', code: '05' }, pan).dropped, null);
});

t.test('an outcome the gateway may have taken says so in one reason', async (t) => {
  const { outcome } = screenOutcome({ kind: 'error', reason: 'timeout', outcomeUnknown: true }, digits(VISA));
  t.match(outcome, { kind: 'error', reason: UNKNOWN_OUTCOME });
});

t.test('each answer: how the payment ends, or null for another card', async (t) => {
  const config = parseDialogConfig({ maxDeclines: 2 });
  const facts: OutcomeFacts = { config, callerGone: false, agentGone: false, declines: 0 };
  const approved = { kind: 'approved', transactionId: 'AB1', authCode: null } as const;
  const declined = { kind: 'declined', reason: 'do-not-honour', code: '05' } as const;
  const unknown = { kind: 'error', reason: UNKNOWN_OUTCOME, outcomeUnknown: true } as const;
  t.match(outcomeEnding(approved, facts), { cause: 'approved', result: 'success', transactionId: 'AB1', prompt: ['payment-success', 'your-reference-is', 'letter-a', 'letter-b', 'n-1'] });
  const noId = outcomeEnding({ ...approved, transactionId: '' }, facts);
  t.equal(noId?.transactionId, undefined, 'a dropped transaction ID is not said');
  t.same(noId?.prompt, ['payment-success']);
  t.equal(outcomeEnding(declined, facts), null, 'first decline: another card');
  t.match(outcomeEnding(declined, { ...facts, declines: 1 }), { cause: 'too-many-declines', result: 'too-many-failed-attempts', route: 'agent' });
  t.match(outcomeEnding(unknown, facts), { cause: 'connector-error', result: 'payment-connector-error', route: 'agent', prompt: ['payment-error'] });
  const gone = { ...facts, callerGone: true };
  t.match(outcomeEnding(approved, gone), { result: 'success', transactionId: 'AB1' }, 'money taken is a success, even with the caller gone');
  t.match(outcomeEnding(unknown, gone), { result: 'payment-connector-error' }, 'money that may be taken is not a hang-up');
  t.match(outcomeEnding(declined, gone), { cause: 'hangup', result: 'caller-hung-up', hangupStep: 'processing' });
  const agentGone = { ...facts, agentGone: true };
  t.match(outcomeEnding(declined, agentGone), { cause: 'cancel', result: 'cancelled', reason: AGENT_HANGUP }, 'nobody to steer a retry');
  t.match(outcomeEnding(approved, agentGone), { result: 'success', reason: AGENT_HANGUP });
});
