// PaymentSession: every branch of the payment flow, socket-free with virtual
// time and the fake connector. The last test checks that the tests above walked every row of
// the flow table (src/dialog/flow.ts).
import t from 'tap';
import { TRANSITIONS, transitionKey, type DialogState } from '../../src/dialog/flow.js';
import type { ChargeOutcome, ChargeRequest, PaymentConnector } from '../../src/gateway/connector.js';
import { FakeConnector } from '../../src/gateway/fake-connector.js';
import { AMEX, DECLINED_VISA, enterCard, Harness, MASTERCARD, MASTERCARD_2, SEEN_TRANSITIONS, TIMEOUT_VISA, toReadback, VISA } from '../helpers/payment-harness.js';

const CARD_PROMPT = ['enter-card-number'];

t.test('automated happy path: choice, card, expiry, code, readback, success, REFER back with result headers', async (t) => {
  const h = new Harness().start();
  t.same(h.lastPrompt(), ['press-1-to-pay-balance-of', 'n-1', 'hundred', 'and', 'n-20', 'n-5', 'pounds', 'n-50', 'press-1-or-2-for-other-amount']);
  t.equal(h.statuses()[0].for, 'charge-amount');
  h.keys('1');
  t.equal(h.state, 'card-number');
  t.same(h.lastPrompt(), CARD_PROMPT);
  enterCard(h, VISA);
  t.equal(h.state, 'expiry');
  t.same(h.lastPrompt(), ['enter-expiry']);
  h.keys('1228');
  t.equal(h.state, 'security-code');
  t.same(h.lastPrompt(), ['enter-security-code-3']);
  h.keys('123');
  t.equal(h.state, 'confirmation');
  t.same(h.lastPrompt(), [
    'readback-paying',
    'n-1',
    'hundred',
    'and',
    'n-20',
    'n-5',
    'pounds',
    'n-50',
    'readback-with-card',
    'card-visa',
    'readback-card-ending',
    'n-1',
    'n-1',
    'n-1',
    'n-1',
    'readback-expiring',
    'month-12',
    'n-20',
    'n-20',
    'n-8',
    'readback-confirm',
  ]);
  h.keys('1');
  t.equal(h.state, 'processing');
  t.same(h.lastPrompt(), ['processing']);
  const processing = h.statuses().at(-1);
  t.equal(processing?.for, 'payment-processing');
  t.equal(processing?.paymentCardNumber, 'xxxxxxxxxxxx1111');
  t.equal(processing?.expirationDate, 'xxxx');
  t.equal(processing?.securityCode, 'xxx');
  t.same(processing?.required, []);
  await h.settle();
  const r = h.result();
  t.equal(r.result, 'success');
  t.equal(r.transactionId, '100000001');
  t.same(h.prompts().at(-1), ['payment-success', 'your-reference-is', 'n-1', 'n-0', 'n-0', 'n-0', 'n-0', 'n-0', 'n-0', 'n-0', 'n-1']);
  t.same(r.headers, {
    'X-Payment-Result': 'success',
    'X-Payment-Transaction-Id': '100000001',
    'X-Payment-Card-Last4': '1111',
    'X-Payment-Card-Type': 'visa',
    'X-Payment-Amount': '125.50',
    'X-Payment-Currency': 'GBP',
  });
  t.same(r.action, { kind: 'refer', purpose: 'return', uri: 'sip:ivr@127.0.0.1', headers: r.headers, fallback: { kind: 'bye', headers: r.headers } });
  t.same(r.record.stepsReached, ['amount', 'card-number', 'expiry', 'security-code', 'confirmation', 'processing', 'result']);
  t.equal(r.record.attempts, 1);
  t.same(r.record.fieldErrors, []);
  t.equal(r.record.cardType, 'visa');
  t.equal(r.record.amountMinor, 12550);
  t.equal(r.record.hangupStep, null);
  t.equal(h.fake.approvedCount, 1);
  t.equal(h.timers.pendingCount, 0, 'no timer left armed');
  t.equal(await h.session.finished, r);
});

t.test('return by BYE, or with no return URI: BYE with the result headers and a goodbye', async (t) => {
  for (const config of [{ returnBy: 'BYE' }, { returnUri: null }]) {
    const h = toReadback(new Harness({ config })).keys('1');
    await h.settle();
    t.equal(h.result().action.kind, 'bye');
    t.equal(h.prompts().at(-1)?.at(-1), 'goodbye');
  }
});

t.test('agent-assisted success: secure mode off, result to the agent', async (t) => {
  const h = toReadback(new Harness({ request: { mode: 'agent-assisted' } })).keys('1');
  await h.settle();
  const r = h.result();
  t.equal(r.result, 'success');
  t.same(r.action, { kind: 'secure-off', headers: r.headers });
  t.equal(r.record.mode, 'agent-assisted');
});

t.test('caller not identified: ID&V route, else agent, else return; agent-assisted: secure off', async (t) => {
  const idv = new Harness({ config: { idvUri: 'sip:idv@127.0.0.1' }, request: { customerId: null } }).start();
  const r1 = idv.result();
  t.equal(r1.result, 'not-identified');
  t.equal(r1.reason, 'no-customer-id');
  t.same(idv.lastPrompt(), ['identify-first']);
  t.match(r1.action, {
    kind: 'refer',
    purpose: 'idv',
    uri: 'sip:idv@127.0.0.1',
    fallback: { kind: 'refer', purpose: 'agent', uri: 'sip:agents@127.0.0.1', fallback: { kind: 'refer', purpose: 'return' } },
  });
  t.same(r1.record.stepsReached, []);

  const agent = new Harness({ request: { customerId: null } }).start();
  t.match(agent.result(), { result: 'not-identified', action: { kind: 'refer', purpose: 'agent' } });
  t.same(agent.lastPrompt(), ['transferring-to-agent']);

  const none = new Harness({ config: { agentUri: null }, request: { customerId: null } }).start();
  t.match(none.result(), { result: 'not-identified', action: { kind: 'refer', purpose: 'return' } });

  const assisted = new Harness({ request: { customerId: null, mode: 'agent-assisted' } }).start();
  t.match(assisted.result(), { result: 'not-identified', action: { kind: 'secure-off' } });
  t.equal(assisted.result().headers['X-Payment-Result'], 'not-identified');
});

t.test('amount: another amount, validated against minimum, maximum and balance', async (t) => {
  const h = new Harness().start().keys('2');
  t.equal(h.state, 'amount-entry');
  t.same(h.lastPrompt(), ['enter-amount']);
  h.keys('0*5#');
  t.same(h.lastPrompt(), ['amount-below-minimum', 'n-1', 'pound', 'enter-amount'], 'below the minimum: explained, asked again');
  t.match(h.statuses().at(-2), { for: 'charge-amount', errorType: 'invalid-amount', attempt: 1 });
  h.keys('200#');
  t.same(h.lastPrompt(), ['amount-above-balance', 'n-1', 'hundred', 'and', 'n-20', 'n-5', 'pounds', 'n-50', 'enter-amount']);
  h.keys('50*25#');
  t.equal(h.state, 'card-number');
  t.equal(h.statuses().at(-1)?.chargeAmount, '50.25');
  enterCard(h, VISA).keys('1228123');
  t.same(h.lastPrompt().slice(0, 6), ['readback-paying', 'n-50', 'pounds', 'n-20', 'n-5', 'readback-with-card']);

  const max = new Harness({ request: { amountMinor: 5_000_000 } }).start().keys('2').keys('20000#');
  t.same(max.lastPrompt(), ['amount-above-maximum', 'n-10', 'thousand', 'pounds', 'enter-amount']);
  const empty = new Harness().start().keys('2#');
  t.same(empty.lastPrompt(), ['amount-invalid', 'enter-amount']);
  const zero = new Harness({ config: { minAmount: 0 } }).start().keys('2').keys('0#');
  t.same(zero.lastPrompt(), ['amount-invalid', 'enter-amount'], 'nothing to pay is not an amount');
  const tooManyDecimals = new Harness().start().keys('2').keys('1*234#');
  t.same(tooManyDecimals.lastPrompt(), ['amount-invalid', 'enter-amount']);
  const restart = new Harness().start().keys('2').keys('12*3*');
  t.same(restart.lastPrompt(), ['enter-amount'], 'a second * restarts the entry');
  restart.keys('7#');
  t.equal(restart.statuses().at(-1)?.chargeAmount, '7.00');
  t.equal(restart.state, 'card-number');
});

t.test('amount: none given (caller enters it) and fixed (announced only)', async (t) => {
  const entered = new Harness({ request: { amountMinor: null } }).start();
  t.equal(entered.state, 'amount-entry');
  entered.keys('20000#');
  t.same(entered.lastPrompt(), ['amount-above-maximum', 'n-10', 'thousand', 'pounds', 'enter-amount'], 'no balance: only min and max apply');
  entered.keys('9999*99#');
  t.equal(entered.state, 'card-number');

  const fixed = new Harness({ config: { amountMode: 'fixed' } }).start();
  t.equal(fixed.state, 'card-number');
  t.same(fixed.lastPrompt(), ['you-are-paying-amount', 'n-1', 'hundred', 'and', 'n-20', 'n-5', 'pounds', 'n-50', 'enter-card-number']);
});

t.test('amount choice menu: wrong keys, star repeats', async (t) => {
  const h = new Harness().start().keys('3');
  t.same(h.lastPrompt().slice(0, 2), ['invalid-choice', 'press-1-to-pay-balance-of']);
  h.keys('*');
  t.same(h.lastPrompt()[0], 'press-1-to-pay-balance-of', '* repeats the menu');
  h.keys('A');
  t.equal(h.state, 'amount-choice', 'second wrong key (A-D are keys too)');
  h.keys('#');
  t.equal(h.state, 'ended', 'third wrong key: too many attempts');
  t.equal(h.result().result, 'too-many-failed-attempts');
  t.equal(h.result().reason, 'invalid-choice');
});

t.test('card number: Luhn, length, unknown type, refused type, auto-complete, 2-series', async (t) => {
  const h = new Harness().start().keys('1');
  h.keys('4111111111111112#');
  t.same(h.lastPrompt(), ['card-number-invalid', 'enter-card-number']);
  t.match(h.statuses().at(-2), { for: 'payment-card-number', errorType: 'invalid-card-number', attempt: 1, paymentCardNumber: null });
  h.keys('41111111111#');
  t.same(h.lastPrompt(), ['card-number-invalid', 'enter-card-number'], 'too short');
  t.equal(h.statuses().at(-1)?.attempt, 3, 'third attempt');
  enterCard(h, MASTERCARD_2);
  t.equal(h.state, 'expiry');
  t.equal(h.statuses().at(-1)?.paymentCardType, 'mastercard');

  const refused = new Harness({ config: { validCardTypes: ['visa', 'mastercard'] } }).start().keys('1').keys(AMEX);
  t.equal(refused.state, 'card-number', 'Amex auto-completes at 15 digits, then is refused');
  t.same(refused.lastPrompt(), ['we-do-not-accept', 'card-american-express', 'cards-use-another', 'enter-card-number']);
  t.match(refused.statuses().at(-2), { errorType: 'invalid-card-type' });

  const auto = new Harness().start().keys('1').keys(MASTERCARD);
  t.equal(auto.state, 'expiry', 'Mastercard completes at 16 without #');
  const noAuto = new Harness({ config: { autoCompleteCardNumber: false } }).start().keys('1').keys(MASTERCARD);
  t.equal(noAuto.state, 'card-number', 'auto-complete off: waits for #');
  noAuto.keys('#');
  t.equal(noAuto.state, 'expiry');
  const unknown = new Harness().start().keys('1').keys('9999999999999995#');
  t.same(unknown.lastPrompt(), ['card-number-invalid', 'enter-card-number']);
  const nineteen = new Harness().start().keys('1').keys('4111111111111111111');
  t.equal(nineteen.state, 'card-number', '19 digits end the entry without # (and this one fails Luhn)');
  t.same(nineteen.lastPrompt(), ['card-number-invalid', 'enter-card-number']);
});

t.test('expiry: month, past, too far ahead, too short', async (t) => {
  const h = new Harness().start().keys('1');
  enterCard(h, VISA);
  h.keys('1328');
  t.same(h.lastPrompt(), ['expiry-invalid', 'enter-expiry']);
  t.match(h.statuses().at(-2), { for: 'expiration-date', errorType: 'invalid-date' });
  h.keys('1025');
  t.same(h.lastPrompt(), ['expiry-invalid', 'enter-expiry'], 'past');
  h.keys('1126');
  t.equal(h.state, 'security-code', 'the current month is still valid');
  const far = new Harness().start().keys('1');
  enterCard(far, VISA).keys('0150');
  t.same(far.lastPrompt(), ['expiry-invalid', 'enter-expiry'], '2050 is more than 20 years ahead');
  far.keys('12#');
  t.same(far.lastPrompt(), ['expiry-invalid', 'enter-expiry'], 'two digits then #');
});

t.test('security code: 3 digits, Amex CID 4, off by config or per type', async (t) => {
  const h = new Harness().start().keys('1');
  enterCard(h, VISA).keys('1228').keys('12#');
  t.same(h.lastPrompt(), ['security-code-invalid', 'enter-security-code-3']);
  t.match(h.statuses().at(-2), { for: 'security-code', errorType: 'invalid-security-code' });
  const amex = new Harness().start().keys('1');
  enterCard(amex, AMEX).keys('1228');
  t.same(amex.lastPrompt(), ['enter-security-code-4']);
  amex.keys('123');
  t.equal(amex.state, 'security-code', 'three digits are not yet an Amex CID');
  amex.keys('4');
  t.equal(amex.state, 'confirmation');
  const off = new Harness({ config: { securityCode: false } }).start().keys('1');
  enterCard(off, VISA).keys('1228');
  t.equal(off.state, 'confirmation', 'securityCode: false skips the field');
  off.keys('1');
  await off.settle();
  t.equal(off.result().result, 'success');
  const perType = new Harness({ config: { fieldsByType: { mastercard: { securityCode: false } } } }).start().keys('1');
  enterCard(perType, MASTERCARD).keys('1228');
  t.equal(perType.state, 'confirmation', 'none for Mastercard by config');
  perType.keys('2').keys('4');
  t.same(perType.lastPrompt(), ['invalid-choice', 'which-detail'], 'no security code to change');
});

t.test('timeouts: first digit and inter-digit in every input state; none before the prompt ends', async (t) => {
  const states: [DialogState, (h: Harness) => void][] = [
    ['amount-choice', (h) => h.start()],
    ['amount-entry', (h) => h.start().keys('2')],
    ['card-number', (h) => h.start().keys('1')],
    ['expiry', (h) => enterCard(h.start().keys('1'), VISA)],
    ['security-code', (h) => enterCard(h.start().keys('1'), VISA).keys('1228')],
    ['confirmation', (h) => toReadback(h)],
    ['change-choice', (h) => toReadback(h).keys('2')],
  ];
  for (const [state, reach] of states) {
    const h = new Harness();
    reach(h);
    t.equal(h.state, state);
    h.timers.advance(60_000);
    t.equal(h.state, state, `${state}: no timeout while the prompt plays`);
    h.session.promptEnded();
    h.timers.advance(h.config.timeouts.firstDigitMs - 1);
    t.equal(h.prompts().at(-1)?.[0] === 'no-input', false, `${state}: not yet`);
    h.timers.advance(1);
    t.equal(h.lastPrompt()[0], 'no-input', `${state}: first-digit timeout`);
    t.equal(h.state, state);
    const field = h.statuses().at(-2);
    if (state !== 'confirmation' && state !== 'change-choice') t.match(field, { errorType: 'input-timeout' }, `${state}: status`);
  }
  for (const [state, reach, keys] of [
    ['amount-entry', (h: Harness) => h.start().keys('2'), '12'],
    ['card-number', (h: Harness) => h.start().keys('1'), '4111'],
    ['expiry', (h: Harness) => enterCard(h.start().keys('1'), VISA), '12'],
    ['security-code', (h: Harness) => enterCard(h.start().keys('1'), VISA).keys('1228'), '1'],
  ] as const) {
    const h = new Harness();
    reach(h);
    h.session.promptEnded();
    h.keys(keys);
    h.timers.advance(h.config.timeouts.interDigitMs - 1);
    t.equal(h.lastPrompt()[0] === 'no-input', false);
    h.timers.advance(1);
    t.equal(h.lastPrompt()[0], 'no-input', `${state}: inter-digit timeout`);
    t.same(h.session.result, null);
  }
});

t.test('too many attempts: the configured result', async (t) => {
  const h = new Harness().start().keys('1');
  h.waitFirstDigit().waitFirstDigit().waitFirstDigit();
  const r = h.result();
  t.equal(r.result, 'too-many-failed-attempts');
  t.equal(r.reason, 'input-timeout');
  t.same(h.lastPrompt(), ['too-many-attempts']);
  t.match(r.action, { kind: 'refer', purpose: 'return' });
  t.same(
    r.record.fieldErrors,
    [1, 2, 3].map(() => ({ for: 'payment-card-number', errorType: 'input-timeout' })),
  );

  const toAgent = new Harness({ config: { results: { tooManyFailedAttempts: 'agent' }, maxAttempts: 1 } }).start().keys('1').keys('1234#');
  const r2 = toAgent.result();
  t.equal(r2.result, 'transferred-to-agent');
  t.equal(r2.reason, 'too-many-failed-attempts:invalid-card-number');
  t.match(r2.action, { kind: 'refer', purpose: 'agent', uri: 'sip:agents@127.0.0.1', fallback: { kind: 'refer', purpose: 'return', headers: { 'X-Payment-Result': 'too-many-failed-attempts' } } });
  t.same(toAgent.lastPrompt(), ['too-many-attempts', 'transferring-to-agent']);

  const noAgentUri = new Harness({ config: { results: { tooManyFailedAttempts: 'agent' }, maxAttempts: 1, agentUri: null } }).start().keys('1').keys('1234#');
  t.equal(noAgentUri.result().result, 'too-many-failed-attempts', 'no agent URI: return with the failure');
});

t.test('star: restarts the entry; on an empty entry leaves (or repeats when configured)', async (t) => {
  const h = new Harness().start().keys('1').keys('4111*');
  t.equal(h.state, 'card-number');
  t.same(h.lastPrompt(), ['enter-card-number']);
  enterCard(h, VISA);
  t.equal(h.state, 'expiry', 'the digits before * are gone');
  h.keys('*');
  const r = h.result();
  t.equal(r.result, 'caller-interrupted-with-star');
  t.equal(r.reason, 'expiration-date');
  t.equal(h.prompts().at(-1)?.[0], 'enter-expiry', 'no goodbye: the IVR takes over');

  for (const [field, reach] of [
    ['charge-amount', (x: Harness) => x.start().keys('2')],
    ['payment-card-number', (x: Harness) => x.start().keys('1')],
    ['security-code', (x: Harness) => enterCard(x.start().keys('1'), VISA).keys('1228')],
  ] as const) {
    const x = new Harness();
    reach(x);
    x.keys('*');
    t.match(x.result(), { result: 'caller-interrupted-with-star', reason: field });
  }
  const stay = new Harness({ config: { starExits: false } }).start().keys('1').keys('*');
  t.equal(stay.state, 'card-number');
  t.same(stay.lastPrompt(), ['enter-card-number']);
  const bye = new Harness({ config: { returnUri: null } }).start().keys('1').keys('*');
  t.match(bye.result(), { result: 'caller-interrupted-with-star', action: { kind: 'bye' } });
});

t.test('hang-up at every step is recorded with the step', async (t) => {
  const cases: [string, (h: Harness) => void, string | null][] = [
    ['before start', () => undefined, null],
    ['amount choice', (h) => h.start(), 'amount'],
    ['amount entry', (h) => h.start().keys('2'), 'amount'],
    ['card number', (h) => h.start().keys('1').keys('4111'), 'card-number'],
    ['expiry', (h) => enterCard(h.start().keys('1'), VISA), 'expiry'],
    ['security code', (h) => enterCard(h.start().keys('1'), VISA).keys('1228'), 'security-code'],
    ['readback', (h) => toReadback(h), 'confirmation'],
    ['change menu', (h) => toReadback(h).keys('2'), 'confirmation'],
  ];
  for (const [name, reach, step] of cases) {
    const h = new Harness();
    reach(h);
    const promptsBefore = h.prompts().length;
    h.session.hangup();
    const r = h.result();
    t.equal(r.result, 'caller-hung-up', name);
    t.equal(r.record.hangupStep, step, `${name}: step`);
    t.same(r.action, { kind: 'none' });
    t.equal(h.prompts().length, promptsBefore, `${name}: nothing played to nobody`);
    h.session.hangup();
    h.keys('1');
    t.equal(h.events.filter((e) => e.type === 'result').length, 1, `${name}: one result only`);
  }

  const declined = toReadback(new Harness(), DECLINED_VISA).keys('1');
  declined.session.hangup();
  t.equal(declined.session.result, null, 'hang-up while processing: the answer is awaited');
  await declined.settle();
  t.match(declined.result(), { result: 'caller-hung-up', reason: 'do-not-honour', record: { hangupStep: 'processing', attempts: 1 }, action: { kind: 'none' } });

  const approved = toReadback(new Harness()).keys('1');
  approved.session.hangup();
  await approved.settle();
  t.match(approved.result(), { result: 'success', transactionId: '100000001', action: { kind: 'none' }, record: { hangupStep: null } }, 'money taken is a success, never a hang-up');
});

t.test('corrections: each field re-collected alone, then back to the readback', async (t) => {
  const h = toReadback(new Harness()).keys('2');
  t.same(h.lastPrompt(), ['which-detail']);
  h.keys('5');
  t.same(h.lastPrompt(), ['invalid-choice', 'which-detail']);
  h.keys('*');
  t.same(h.lastPrompt(), ['which-detail']);

  h.keys('1');
  t.equal(h.state, 'amount-choice', 'amount: the balance choice again');
  h.keys('2').keys('100#');
  t.equal(h.state, 'confirmation');
  t.same(h.lastPrompt().slice(0, 5), ['readback-paying', 'n-1', 'hundred', 'pounds', 'readback-with-card']);

  h.keys('2').keys('2');
  t.equal(h.state, 'card-number');
  enterCard(h, MASTERCARD);
  t.equal(h.state, 'confirmation', 'a new card of the same code size: the code is kept');
  t.ok(h.lastPrompt().includes('card-mastercard'));
  t.same(h.lastPrompt().slice(h.lastPrompt().indexOf('readback-card-ending') + 1, h.lastPrompt().indexOf('readback-expiring')), ['n-4', 'n-4', 'n-4', 'n-4']);

  h.keys('2').keys('3').keys('0130');
  t.equal(h.state, 'confirmation');
  t.same(h.lastPrompt().slice(h.lastPrompt().indexOf('readback-expiring') + 1, -1), ['month-1', 'n-20', 'n-30']);

  h.keys('2').keys('4');
  t.same(h.lastPrompt(), ['enter-security-code-3']);
  h.keys('456');
  t.equal(h.state, 'confirmation');

  h.keys('2').keys('2');
  enterCard(h, AMEX);
  t.equal(h.state, 'security-code', 'an Amex needs a 4-digit CID: asked again');
  t.same(h.lastPrompt(), ['enter-security-code-4']);
  h.keys('4567');
  t.equal(h.state, 'confirmation');

  const pay = new FakeConnector();
  let seen: ChargeRequest | null = null;
  const spy: PaymentConnector = {
    charge: (req) => {
      seen = { ...req, pan: new Uint8Array(0), securityCode: null, expiryMonth: req.expiryMonth, expiryYear: req.expiryYear };
      return pay.charge(req);
    },
    close: () => pay.close(),
  };
  const c = toReadback(new Harness({ connector: spy }))
    .keys('2')
    .keys('3')
    .keys('0331')
    .keys('1');
  await c.settle();
  t.match(seen, { expiryMonth: 3, expiryYear: 2031, amountMinor: 12550 }, 'the corrected expiry is what is charged');
  t.equal(c.result().result, 'success');

  const fixed = enterCard(new Harness({ config: { amountMode: 'fixed' } }).start(), VISA).keys('1228123');
  t.equal(fixed.state, 'confirmation');
  fixed.keys('2').keys('1');
  t.same(fixed.lastPrompt(), ['invalid-choice', 'which-detail'], 'a fixed amount cannot be changed');
  const byHand = new Harness({ request: { amountMinor: null } }).start().keys('20#');
  enterCard(byHand, VISA).keys('1228123').keys('2').keys('1');
  t.equal(byHand.state, 'amount-entry', 'no balance: the amount is keyed again');
  byHand.keys('30#');
  t.equal(byHand.state, 'confirmation');
});

t.test('confirmation menu: wrong key and star', async (t) => {
  const h = toReadback(new Harness()).keys('9');
  t.equal(h.lastPrompt()[0], 'invalid-choice');
  t.equal(h.state, 'confirmation');
  h.keys('*');
  t.equal(h.lastPrompt()[0], 'readback-paying');
  h.keys('#');
  t.equal(h.lastPrompt()[0], 'invalid-choice');
});

t.test('declined: the caller re-enters card details; fresh idempotency key per attempt', async (t) => {
  const h = toReadback(new Harness(), DECLINED_VISA).keys('1');
  await h.settle();
  t.equal(h.state, 'card-number');
  t.same(h.lastPrompt(), ['payment-declined', 'enter-card-again', 'enter-card-number']);
  t.match(h.statuses().at(-1), { for: 'payment-card-number', paymentCardNumber: null, expirationDate: null, securityCode: null }, 'the declined card is forgotten');
  enterCard(h, VISA).keys('1228').keys('123').keys('1');
  await h.settle();
  const r = h.result();
  t.equal(r.result, 'success');
  t.equal(r.record.attempts, 2);
  t.same(
    h.fake.records.map((x) => [x.idempotencyKey, x.last4, x.outcome]),
    [
      ['ps-1-1', '0002', 'declined'],
      ['ps-1-2', '1111', 'approved'],
    ],
  );
});

t.test('max declines: the configured result (agent by default, or return)', async (t) => {
  const h = new Harness({ config: { maxDeclines: 2 } });
  toReadback(h, DECLINED_VISA).keys('1');
  await h.settle();
  enterCard(h, DECLINED_VISA).keys('1228123').keys('1');
  await h.settle();
  const r = h.result();
  t.equal(r.result, 'transferred-to-agent');
  t.equal(r.reason, 'too-many-failed-attempts:do-not-honour');
  t.match(r.action, { kind: 'refer', purpose: 'agent', fallback: { headers: { 'X-Payment-Result': 'too-many-failed-attempts', 'X-Payment-Reason': 'do-not-honour' } } });
  t.same(h.lastPrompt(), ['payment-declined', 'transferring-to-agent']);
  t.equal(r.record.attempts, 2);

  const ret = new Harness({ config: { maxDeclines: 1, results: { tooManyDeclines: 'return' } }, request: { amountMinor: 1051 } });
  toReadback(ret, VISA).keys('1');
  await ret.settle();
  t.match(ret.result(), { result: 'too-many-failed-attempts', reason: 'insufficient-funds', action: { kind: 'refer', purpose: 'return' } });
});

t.test('gateway error and timeout: their own result; a late answer changes nothing', async (t) => {
  const h = toReadback(new Harness(), TIMEOUT_VISA).keys('1');
  await h.settle();
  t.equal(h.state, 'processing');
  h.timers.advance(h.config.timeouts.gatewayMs);
  const r = h.result();
  t.equal(r.result, 'transferred-to-agent');
  t.equal(r.reason, 'payment-connector-error:unknown-outcome', 'no answer in time: the charge may have been taken');
  t.same(h.lastPrompt(), ['payment-error', 'transferring-to-agent']);
  await h.fake.close();
  await h.settle();
  t.equal(h.events.filter((e) => e.type === 'result').length, 1, 'the late answer is ignored');

  const script: ChargeOutcome[] = [{ kind: 'error', reason: 'http-503', outcomeUnknown: false }];
  const fake = new FakeConnector({ script });
  const ret = toReadback(new Harness({ connector: fake, config: { results: { connectorError: 'return' } } })).keys('1');
  await ret.settle();
  t.match(ret.result(), { result: 'payment-connector-error', reason: 'http-503', headers: { 'X-Payment-Reason': 'http-503' } });
});

t.test('never charged twice: repeated confirm keys, keys and commands while processing', async (t) => {
  const h = toReadback(new Harness()).keys('1111');
  t.equal(h.state, 'processing');
  t.match(h.session.complete(), { accepted: false });
  t.match(h.session.cancel(), { accepted: false }, 'no cancelling a charge in flight');
  t.match(h.session.capture('payment-card-number'), { accepted: false });
  h.session.promptEnded();
  h.timers.advance(20_000);
  await h.settle();
  t.equal(h.fake.calls, 1);
  t.equal(h.fake.approvedCount, 1);
  t.equal(h.result().result, 'success');
});

t.test('connector faults and close: internal-error, never a crash', async (t) => {
  const throwing: PaymentConnector = {
    charge: () => {
      throw new Error('boom');
    },
    close: async () => undefined,
  };
  const h = toReadback(new Harness({ connector: throwing })).keys('1');
  await h.settle();
  t.match(h.result(), { result: 'internal-error', reason: 'connector-threw' }, 'a connector breaking its never-throw contract');
  const rejecting: PaymentConnector = { charge: () => Promise.reject(new Error('boom')), close: async () => undefined };
  const h2 = toReadback(new Harness({ connector: rejecting })).keys('1');
  await h2.settle();
  t.match(h2.result(), { result: 'internal-error', reason: 'connector-threw' });

  const closed = new Harness().start().keys('1').keys('4111');
  closed.session.close();
  t.match(closed.result(), { result: 'internal-error', reason: 'session-closed' });
  t.equal(closed.timers.pendingCount, 0);
  const notStarted = new Harness();
  notStarted.session.close();
  t.equal(notStarted.result().result, 'internal-error');
});

t.test('a listener that throws ends the payment as internal-error in any state', async (t) => {
  const reach: [DialogState, (h: Harness) => void, string][] = [
    ['amount-choice', (h) => h.start(), '*'],
    ['amount-entry', (h) => h.start().keys('2'), '1*1*'],
    ['card-number', (h) => h.start().keys('1'), '4*'],
    ['expiry', (h) => enterCard(h.start().keys('1'), VISA), '1*'],
    ['security-code', (h) => enterCard(h.start().keys('1'), VISA).keys('1228'), '1*'],
    ['confirmation', (h) => toReadback(h), '*'],
    ['change-choice', (h) => toReadback(h).keys('2'), '*'],
  ];
  for (const [state, go, keys] of reach) {
    const h = new Harness();
    go(h);
    h.session.on('prompt', () => {
      throw new Error('listener bug');
    });
    h.keys(keys);
    t.equal(h.result().result, 'internal-error', state);
    t.equal(h.transitions().at(-1)?.from, state);
  }
});

// --- agent-assisted commands ------------------------------------------------------------------

function assisted(request: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Harness {
  return new Harness({ request: { mode: 'agent-assisted', ...request }, config }).start();
}

const AMOUNT_12550 = ['n-1', 'hundred', 'and', 'n-20', 'n-5', 'pounds', 'n-50'];

t.test("agent: the agent's amount is the charge; the caller keys the card at once and loses no digit", async (t) => {
  const h = assisted();
  t.equal(h.state, 'card-number', 'no amount menu: the card number comes first');
  t.same(h.lastPrompt(), ['you-are-paying-amount', ...AMOUNT_12550, 'enter-card-number'], 'the amount is announced, not asked');
  t.same(h.statuses()[0]?.chargeAmount, '125.50');
  t.notOk(
    h.statuses().some((s) => s.for === 'charge-amount'),
    'the amount is never collected',
  );
  // Keys straight away, during the announcement (no promptEnded yet).
  h.keys(MASTERCARD);
  t.equal(h.state, 'expiry', 'all 16 digits reached the card number (Mastercard completes at 16)');
  t.equal(h.statuses().at(-1)?.paymentCardNumber, 'xxxxxxxxxxxx4444');
  h.keys('1228').keys('123');
  t.equal(h.state, 'confirmation');
  t.same(h.lastPrompt().slice(0, 8), ['readback-paying', ...AMOUNT_12550]);
  h.keys('2').keys('1');
  t.same(h.lastPrompt(), ['invalid-choice', 'which-detail'], "the caller cannot change the agent's amount");
  t.same(h.session.complete(), { accepted: true });
  await h.settle();
  t.match(h.result(), { result: 'success', action: { kind: 'secure-off' } });
  t.equal(h.fake.records[0]?.amountMinor, 12550, 'charged the amount the agent gave');
  t.same(h.result().record.stepsReached, ['card-number', 'expiry', 'security-code', 'confirmation', 'processing', 'result'], 'no amount step in the funnel');

  const none = assisted({ amountMinor: null });
  t.equal(none.state, 'amount-entry', 'no amount given: the caller is asked for one');
  none.keys('5*25#');
  t.equal(none.state, 'card-number');
  t.equal(none.statuses().at(-1)?.chargeAmount, '5.25');

  const asked = assisted();
  t.same(asked.session.capture('charge-amount'), { accepted: true }, 'the agent asks for the amount explicitly');
  t.equal(asked.state, 'amount-entry');
  asked.keys('200#');
  t.same(asked.lastPrompt(), ['amount-above-balance', 'n-1', 'hundred', 'and', 'n-20', 'n-5', 'pounds', 'n-50', 'enter-amount'], "not above the agent's amount");
  asked.keys('20#');
  t.equal(asked.state, 'card-number');
  t.equal(asked.statuses().at(-1)?.chargeAmount, '20.00');
  const fixed = assisted({}, { amountMode: 'fixed' });
  t.same(fixed.session.capture('charge-amount'), { accepted: true }, 'amountMode is the IVR flow: the agent may still ask');

  const automated = new Harness().start();
  t.equal(automated.state, 'amount-choice', 'automated mode keeps the choice menu');
});

t.test('agent: capture in any order (security code, expiry, then card number), re-ask one, complete', async (t) => {
  const h = assisted();
  t.same(h.session.capture('security-code'), { accepted: true }, 'the security code before the card number');
  t.same(h.lastPrompt(), ['enter-security-code-3']);
  h.keys('123');
  t.equal(h.state, 'security-code', 'three digits: the type (so the size) is unknown, the pause decides');
  h.timers.advance(h.config.timeouts.completePauseMs - 1);
  t.equal(h.state, 'security-code');
  h.timers.advance(1);
  t.equal(h.state, 'card-number', 'security-code -> card-number after the pause');
  t.same(h.session.capture('expiration-date'), { accepted: true });
  h.keys('1228');
  t.equal(h.state, 'card-number', 'expiry -> card-number');
  t.match(h.session.complete(), { accepted: false, reason: 'fields-missing', missing: ['payment-card-number'] });
  enterCard(h, VISA);
  t.equal(h.state, 'confirmation', 'card number last: every field in, readback');
  t.same(h.session.capture('expiration-date'), { accepted: true }, 're-ask one field');
  h.keys('0129');
  t.equal(h.state, 'confirmation');
  t.same(h.session.capture('payment-processing'), { accepted: true }, 'capture=payment-processing submits');
  t.equal(h.state, 'processing');
  await h.settle();
  t.match(h.result(), { result: 'success', action: { kind: 'secure-off' } });

  // A 3-digit code keyed before an Amex is asked again at its size; a 4-digit one is kept.
  const amex3 = assisted();
  amex3.session.capture('security-code');
  amex3.keys('123#');
  t.equal(amex3.state, 'card-number', '# ends a 3-digit code at once');
  amex3.keys(AMEX);
  t.equal(amex3.state, 'expiry');
  amex3.keys('1228');
  t.equal(amex3.state, 'security-code', 'the CID is asked again');
  t.same(amex3.lastPrompt(), ['enter-security-code-4']);
  const amex4 = assisted();
  amex4.session.capture('security-code');
  amex4.keys('1234');
  t.equal(amex4.state, 'card-number', 'four digits end the code at once');
  amex4.keys(AMEX).keys('1228');
  t.equal(amex4.state, 'confirmation', 'the 4-digit code fits the Amex');
  const short = assisted();
  short.session.capture('security-code');
  short.keys('12#');
  t.same(short.lastPrompt(), ['security-code-invalid', 'enter-security-code-3'], 'two digits are no code');

  const noCode = assisted({}, { securityCode: false });
  enterCard(noCode, VISA);
  t.match(noCode.session.capture('security-code'), { accepted: false, reason: 'no-security-code-for-card-type' });
});

t.test('agent: complete names what is missing; cancel ends as cancelled and the caller hears it', async (t) => {
  const h = assisted();
  t.match(h.session.complete(), { accepted: false, reason: 'fields-missing', missing: ['payment-card-number', 'expiration-date', 'security-code'] });
  t.equal(h.state, 'card-number', 'nothing charged, still collecting');
  t.equal(h.fake.records.length, 0);

  const c = assisted();
  t.same(c.session.cancel(), { accepted: true });
  t.match(c.result(), { result: 'cancelled', reason: null, action: { kind: 'secure-off' } });
  t.equal(c.result().headers['X-Payment-Result'], 'cancelled');
  t.equal(c.result().record.result, 'cancelled');
  t.same(c.lastPrompt(), ['payment-cancelled']);
  t.match(c.session.cancel(), { accepted: false });
  const auto = new Harness().start();
  auto.session.cancel();
  t.match(auto.result(), { result: 'cancelled', action: { kind: 'refer', purpose: 'return' } });
});

t.test('agent hangs up: cancelled with reason agent-hangup, the caller hears it, then the call ends with the result', async (t) => {
  const h = assisted();
  enterCard(h, VISA);
  h.session.agentHangup();
  const r = h.result();
  t.equal(r.result, 'cancelled');
  t.equal(r.reason, 'agent-hangup');
  t.same(h.lastPrompt(), ['payment-cancelled'], 'the caller hears the result');
  t.same(r.action, { kind: 'bye', headers: r.headers }, 'no secure-off to nobody: the call ends with the result');
  t.match(r.headers, { 'X-Payment-Result': 'cancelled', 'X-Payment-Reason': 'agent-hangup', 'X-Payment-Card-Last4': '1111' });
  t.match(r.record, { result: 'cancelled', reason: 'agent-hangup', hangupStep: null });

  // Under a charge: the answer is awaited and announced.
  const approved = toReadback(new Harness({ request: { mode: 'agent-assisted' } }));
  approved.keys('1');
  t.equal(approved.state, 'processing');
  approved.session.agentHangup();
  t.equal(approved.state, 'processing', 'the charge is not abandoned');
  await approved.settle();
  t.match(approved.result(), { result: 'success', reason: 'agent-hangup', action: { kind: 'bye' } });
  t.equal(approved.lastPrompt()[0], 'payment-success');
  const declined = toReadback(new Harness({ request: { mode: 'agent-assisted' } }), DECLINED_VISA);
  declined.keys('1');
  declined.session.agentHangup();
  await declined.settle();
  t.match(declined.result(), { result: 'cancelled', reason: 'agent-hangup', action: { kind: 'bye' } });
  t.same(declined.lastPrompt(), ['payment-declined', 'payment-cancelled'], 'a decline is announced, not retried');

  const caller = assisted();
  caller.session.hangup();
  t.match(caller.result(), { result: 'caller-hung-up', reason: 'caller-hangup', action: { kind: 'none' } });
});

t.test('card number ends without # after a pause once it is a whole valid card; 19-digit cards still fit', async (t) => {
  for (const mode of ['automated', 'agent-assisted'] as const) {
    const start = () => {
      const h = new Harness({ request: { mode } }).start();
      if (h.state === 'amount-choice') h.keys('1');
      return h;
    };
    const h = start();
    h.keys(VISA);
    t.equal(h.state, 'card-number', `${mode}: a valid 16-digit Visa may still grow to 19`);
    h.timers.advance(h.config.timeouts.completePauseMs - 1);
    t.equal(h.state, 'card-number');
    h.timers.advance(1);
    t.equal(h.state, 'expiry', `${mode}: no key within the pause: the card is taken`);
    t.equal(h.statuses().at(-1)?.paymentCardNumber, 'xxxxxxxxxxxx1111');

    // 4111 1111 1111 1111 is Luhn-valid, and so is 4111 1111 1111 1111 003 (a 19-digit Visa).
    const long = start();
    long.keys(VISA);
    long.timers.advance(h.config.timeouts.completePauseMs - 100);
    long.keys('003');
    t.equal(long.state, 'expiry', `${mode}: 19 digits end the entry at once`);
    t.equal(long.statuses().at(-1)?.paymentCardNumber, 'xxxxxxxxxxxxxxx1003', `${mode}: the 16-digit prefix did not end it`);

    const invalid = start();
    invalid.keys('4111111111111112');
    invalid.timers.advance(invalid.config.timeouts.completePauseMs);
    t.equal(invalid.state, 'card-number', `${mode}: a number failing Luhn waits for more digits or #`);
    t.equal(
      invalid.statuses().some((s) => s.errorType !== null),
      false,
    );

    const custom = new Harness({ request: { mode }, config: { timeouts: { completePauseMs: 3000 } } }).start();
    if (custom.state === 'amount-choice') custom.keys('1');
    custom.keys(VISA);
    custom.timers.advance(2999);
    t.equal(custom.state, 'card-number', `${mode}: payment.timeouts.completePauseMs sets the pause`);
    custom.timers.advance(1);
    t.equal(custom.state, 'expiry');

    const off = new Harness({ request: { mode }, config: { autoCompleteCardNumber: false } }).start();
    if (off.state === 'amount-choice') off.keys('1');
    off.keys(VISA);
    off.timers.advance(off.config.timeouts.completePauseMs);
    t.equal(off.state, 'card-number', `${mode}: auto-complete off: # only`);
  }
  const refused = new Harness({ config: { validCardTypes: ['mastercard'] } }).start().keys('1').keys(VISA);
  refused.timers.advance(refused.config.timeouts.completePauseMs);
  t.same(refused.lastPrompt(), ['we-do-not-accept', 'card-visa', 'cards-use-another', 'enter-card-number'], 'a whole card of a refused type is refused after the pause');
});

// --- the rows of the flow table that only an out-of-order walk reaches ---------------------------

function allFields(h: Harness): Harness {
  return toReadback(h);
}

t.test('out-of-order walks: every field can be followed by every missing one', async (t) => {
  // The agent's commands on an automated session (the API reaches any payment) walk the balance menu rows.
  let h = new Harness().start();
  h.session.capture('payment-card-number');
  enterCard(h, VISA);
  t.equal(h.state, 'amount-choice', 'card-number -> amount-choice');
  h.session.capture('expiration-date');
  h.keys('1228');
  t.equal(h.state, 'amount-choice', 'expiry -> amount-choice');
  h.session.capture('security-code');
  h.keys('123');
  t.equal(h.state, 'amount-choice', 'security-code -> amount-choice');
  h.keys('1');
  t.equal(h.state, 'confirmation', 'pay-full -> confirmation');

  h = assisted();
  h.session.capture('security-code');
  h.keys('123#');
  t.equal(h.state, 'card-number', 'security-code -> card-number');

  h = assisted({ amountMinor: null });
  h.session.capture('payment-card-number');
  enterCard(h, VISA);
  t.equal(h.state, 'amount-entry', 'card-number -> amount-entry');
  h.session.capture('expiration-date');
  h.keys('1228');
  t.equal(h.state, 'amount-entry', 'expiry -> amount-entry');
  h.session.capture('security-code');
  h.keys('123');
  t.equal(h.state, 'amount-entry', 'security-code -> amount-entry');
  h.keys('5#');
  t.equal(h.state, 'confirmation', 'amount-entry -> confirmation');

  h = assisted({ amountMinor: null });
  h.session.capture('payment-card-number');
  enterCard(h, VISA);
  h.keys('5#');
  t.equal(h.state, 'expiry', 'amount-entry -> expiry');
  h = assisted({ amountMinor: null });
  h.session.capture('payment-card-number');
  enterCard(h, VISA);
  h.session.capture('expiration-date');
  h.keys('1228');
  h.keys('5#');
  t.equal(h.state, 'security-code', 'amount-entry -> security-code');

  h = new Harness().start();
  h.session.capture('payment-card-number');
  enterCard(h, VISA);
  h.keys('1');
  t.equal(h.state, 'expiry', 'pay-full -> expiry');
  h = new Harness().start();
  h.session.capture('payment-card-number');
  enterCard(h, VISA);
  h.session.capture('expiration-date');
  h.keys('1228');
  h.keys('1');
  t.equal(h.state, 'security-code', 'pay-full -> security-code');

  h = assisted();
  h.session.capture('expiration-date');
  h.keys('1228');
  t.equal(h.state, 'card-number', 'expiry -> card-number');
  h = assisted();
  enterCard(h, VISA);
  h.session.capture('security-code');
  h.keys('123');
  t.equal(h.state, 'expiry', 'security-code -> expiry');
  h = assisted({}, { securityCode: false });
  enterCard(h, VISA);
  h.keys('1228');
  t.equal(h.state, 'confirmation', 'expiry -> confirmation');
});

// --- one command from every collecting state --------------------------------------------------

const COLLECTING: [DialogState, (h: Harness) => void][] = [
  ['amount-choice', (h) => allFields(h).keys('2').keys('1')],
  ['amount-entry', (h) => allFields(h).keys('2').keys('1').keys('2')],
  ['card-number', (h) => allFields(h).keys('2').keys('2')],
  ['expiry', (h) => allFields(h).keys('2').keys('3')],
  ['security-code', (h) => allFields(h).keys('2').keys('4')],
  ['confirmation', (h) => allFields(h)],
  ['change-choice', (h) => allFields(h).keys('2')],
];

t.test('from every collecting state: capture each field, complete, cancel, hang-up, retry, give up', async (t) => {
  for (const [state, reach] of COLLECTING) {
    for (const field of ['charge-amount', 'payment-card-number', 'expiration-date', 'security-code'] as const) {
      const h = new Harness();
      reach(h);
      t.equal(h.state, state, `${state} reached`);
      t.same(h.session.capture(field), { accepted: true }, `${state}: capture ${field}`);
    }
    const c = new Harness();
    reach(c);
    t.same(c.session.complete(), { accepted: true }, `${state}: complete with every field`);
    await c.settle();
    t.equal(c.result().result, 'success');
    const x = new Harness();
    reach(x);
    t.same(x.session.cancel(), { accepted: true }, `${state}: cancel`);
    const g = new Harness();
    reach(g);
    g.waitFirstDigit().waitFirstDigit().waitFirstDigit();
    t.equal(g.result().result, 'too-many-failed-attempts', `${state}: three timeouts`);
    const hu = new Harness();
    reach(hu);
    hu.session.hangup();
    t.equal(hu.result().record.hangupStep, state === 'amount-choice' || state === 'amount-entry' ? 'amount' : state === 'change-choice' ? 'confirmation' : state);
  }
});

t.test('every row of the flow table was walked', async (t) => {
  const missing = TRANSITIONS.map(transitionKey).filter((k) => !SEEN_TRANSITIONS.has(k));
  t.same(missing, [], `${TRANSITIONS.length} rows, ${SEEN_TRANSITIONS.size} seen`);
  const unknown = [...SEEN_TRANSITIONS].filter((k) => !TRANSITIONS.some((r) => transitionKey(r) === k));
  t.same(unknown, [], 'nothing outside the table');
});

t.test("the gateway's values: passed on as given, unless they hold the card number (checked while the dialog still has it)", async (t) => {
  const approved = (transactionId: string): FakeConnector => new FakeConnector({ script: [{ kind: 'approved', transactionId, authCode: null }] });
  // A 16-digit numeric transaction ID (Adyen's pspReference) is no card number.
  const long = new Harness({ connector: approved('8816123456789012'), config: { returnBy: 'BYE' } });
  const dropped: string[] = [];
  long.session.on('gateway-value-dropped', (d) => dropped.push(d.field));
  toReadback(long).keys('1');
  await long.settle();
  t.match(long.result(), { result: 'success', transactionId: '8816123456789012', headers: { 'X-Payment-Transaction-Id': '8816123456789012' } });
  t.ok(
    long.prompts().some((p) => p.join(' ').startsWith('payment-success your-reference-is n-8 n-8 n-1 n-6')),
    'read back to the caller',
  );
  t.same(dropped, []);

  // An ID that echoes the card (whole, or its first 12 digits, whatever the separators) is dropped, and said so without the value.
  for (const id of [VISA, `TX-${VISA.slice(0, 4)} ${VISA.slice(4, 8)}-${VISA.slice(8, 12)}`, `ref${VISA.slice(0, 12)}99`]) {
    const h = new Harness({ connector: approved(id), config: { returnBy: 'BYE' } });
    const seen: string[] = [];
    h.session.on('gateway-value-dropped', (d) => seen.push(JSON.stringify(d)));
    toReadback(h).keys('1');
    await h.settle();
    const r = h.result();
    t.equal(r.result, 'success', 'still a success: the money was taken');
    t.equal(r.transactionId, null);
    t.equal(r.headers['X-Payment-Transaction-Id'], undefined, 'no transaction ID header');
    t.same(seen, ['{"field":"transaction-id"}'], 'the drop is reported, without the value');
    t.notOk(JSON.stringify(h.events).includes(VISA.slice(0, 12)), 'nowhere in the events');
    t.same(h.lastPrompt().slice(0, 1), ['payment-success']);
    t.notOk(h.lastPrompt().includes('your-reference-is'), 'no reference read back');
  }
  // Only the card's own digits count: the last 12 of it, or another number, pass.
  const other = new Harness({ connector: approved(VISA.slice(4)) });
  toReadback(other).keys('1');
  await other.settle();
  t.equal(other.result().transactionId, VISA.slice(4));

  // A decline or error reason holding the card is withheld.
  const declines = new FakeConnector({ script: [{ kind: 'declined', reason: `card ${VISA} refused`, code: null }] });
  const d = new Harness({ connector: declines, config: { maxDeclines: 1, results: { tooManyDeclines: 'return' } } });
  const dSeen: string[] = [];
  d.session.on('gateway-value-dropped', (x) => dSeen.push(x.field));
  toReadback(d).keys('1');
  await d.settle();
  t.match(d.result(), { result: 'too-many-failed-attempts', reason: 'gateway-reason-withheld', headers: { 'X-Payment-Reason': 'gateway-reason-withheld' } });
  t.same(dSeen, ['reason']);
  const errors = new FakeConnector({ script: [{ kind: 'error', reason: `bad pan ${VISA}`, outcomeUnknown: false }] });
  const e = new Harness({ connector: errors, config: { results: { connectorError: 'return' } } });
  toReadback(e).keys('1');
  await e.settle();
  t.match(e.result(), { result: 'payment-connector-error', reason: 'gateway-reason-withheld' });
});

t.test('an unknown outcome is payment-connector-error unknown-outcome, never internal-error, even when closed or abandoned under a charge', async (t) => {
  const unknown = new FakeConnector({ script: [{ kind: 'error', reason: 'connection-reset', outcomeUnknown: true }] });
  const h = toReadback(new Harness({ connector: unknown, config: { results: { connectorError: 'return' } } })).keys('1');
  await h.settle();
  t.match(h.result(), { result: 'payment-connector-error', reason: 'unknown-outcome', headers: { 'X-Payment-Reason': 'unknown-outcome' } });

  const closed = toReadback(new Harness({ config: { results: { connectorError: 'return' } } }), TIMEOUT_VISA).keys('1');
  t.equal(closed.state, 'processing');
  closed.session.close();
  t.match(closed.result(), { result: 'payment-connector-error', reason: 'unknown-outcome' }, 'closed while charging');
  t.match(closed.result().action, { kind: 'refer', headers: { 'X-Payment-Result': 'payment-connector-error' } });

  const gone = toReadback(new Harness(), TIMEOUT_VISA).keys('1');
  gone.session.hangup();
  gone.session.abandonCharge();
  t.match(gone.result(), { result: 'payment-connector-error', reason: 'unknown-outcome', action: { kind: 'none' } }, 'the caller hung up, the outcome unknown: not a hang-up');
  const collecting = new Harness().start();
  collecting.session.abandonCharge();
  t.equal(collecting.state, 'amount-choice', 'abandonCharge does nothing while collecting');
});

t.test('a prompt that cannot be played: a collecting payment ends as internal-error and is never charged', async (t) => {
  const h = toReadback(new Harness({ config: { returnBy: 'BYE' } }));
  t.equal(h.state, 'confirmation');
  h.session.promptFailed();
  t.match(h.result(), { result: 'internal-error', reason: 'prompt-unplayable', action: { kind: 'bye' } });
  t.equal(h.fake.calls, 0, 'not charged');
  const p = toReadback(new Harness()).keys('1');
  t.equal(p.state, 'processing');
  p.session.promptFailed();
  await p.settle();
  t.equal(p.result().result, 'success', 'while processing the charge goes on');
});

t.test('the readback tags the expiry (and only it) for the caller only', async (t) => {
  const h = toReadback(new Harness(), VISA, '0930');
  const plan = h.events.flatMap((e) => (e.type === 'prompt' ? [e.plan] : [])).at(-1);
  if (plan === undefined) throw new Error('no plan');
  const callerOnly = plan.segments.filter((_s, i) => plan.audience?.[i] === 'caller');
  t.same(callerOnly, ['readback-expiring', 'month-9', 'n-20', 'n-30'], 'the expiry words');
  const heard = plan.segments.filter((_s, i) => plan.audience?.[i] !== 'caller');
  t.ok(
    heard.includes('readback-card-ending') && heard.includes('card-visa') && heard.join(' ').includes('n-1 n-1 n-1 n-1') && heard.includes('readback-confirm'),
    'type, last four and the rest for all',
  );
  t.equal(plan.audience?.length, plan.segments.length);
});
