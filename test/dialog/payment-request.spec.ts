// Inputs from SIP headers and the HTTP API; the dialog configuration and its defaults.
import t from 'tap';
import { DEFAULT_PROMPT_DIR, DialogConfigError, parseDialogConfig } from '../../src/dialog/dialog-config.js';
import { PaymentRequestError, paymentRequestFromApi, paymentRequestFromHeaders } from '../../src/dialog/payment-request.js';
import { resultHeaders } from '../../src/dialog/result-headers.js';

const config = parseDialogConfig({});
const ids = { sessionId: 's', callId: 'c' };

t.test('config defaults and errors', async (t) => {
  t.equal(config.currency, 'GBP');
  t.equal(config.locale, 'en-GB');
  t.equal(config.timeouts.firstDigitMs, 10_000);
  t.equal(config.timeouts.interDigitMs, 5_000);
  t.equal(config.maxAttempts, 3);
  t.equal(config.returnBy, 'REFER');
  t.same(config.validCardTypes, ['visa', 'mastercard', 'american-express', 'discover', 'diners-club', 'jcb', 'unionpay', 'maestro']);
  t.equal(config.promptDir, DEFAULT_PROMPT_DIR);
  t.match(DEFAULT_PROMPT_DIR, /fixtures[\\/]prompts[\\/]en[\\/]?$/);
  t.equal(parseDialogConfig({ timeouts: { firstDigitMs: 3000 } }).timeouts.interDigitMs, 5000, 'partial objects keep their other defaults');
  t.throws(() => parseDialogConfig({ minAmount: 10, maxAmount: 5 }), { code: 'ERR_DIALOG_CONFIG' });
  t.ok(catchError(() => parseDialogConfig({ maxAmount: 0 })) instanceof DialogConfigError);
  t.throws(() => parseDialogConfig({ currency: 'pounds' }), /currency/);
  t.throws(() => parseDialogConfig({ returnUri: 'http://x' }), /returnUri/);
  t.throws(() => parseDialogConfig({ timeouts: { firstDigitMs: -1 } }), /timeouts.firstDigitMs/);
  t.throws(() => parseDialogConfig('nonsense'), { code: 'ERR_DIALOG_CONFIG' });
});

t.test('from SIP headers (automated, names case-insensitive)', async (t) => {
  const r = paymentRequestFromHeaders(
    { 'x-payment-customer-id': 'C-42', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'usd', 'X-Payment-Merchant-Id': 'M1', 'X-Payment-Reference': 'INV-9' },
    ids,
    config,
  );
  t.same(r, { sessionId: 's', callId: 'c', mode: 'automated', customerId: 'C-42', amountMinor: 12550, currency: 'USD', merchantId: 'M1', reference: 'INV-9', description: null, input: 'dtmf' });
  t.equal(paymentRequestFromHeaders({ 'X-Payment-Call-Type': 'conference', 'X-Payment-Amount': '1' }, ids, config).mode, 'agent-assisted');
  const bare = paymentRequestFromHeaders({}, ids, config);
  t.same([bare.customerId, bare.amountMinor, bare.currency], [null, null, 'GBP'], 'nothing given: ID&V route, caller-entered amount, default currency');
  t.throws(() => paymentRequestFromHeaders({ 'X-Payment-Amount': '12.345' }, ids, config), { code: 'ERR_PAYMENT_REQUEST' });
  t.throws(() => paymentRequestFromHeaders({ 'X-Payment-Currency': 'XYZW' }, ids, config), /currency/);
  t.throws(() => paymentRequestFromHeaders({ 'X-Payment-Customer-Id': 'a\u0000b' }, ids, config), /customerId/);
});

t.test('from the API body (agent-assisted)', async (t) => {
  const r = paymentRequestFromApi({ customerId: 'C-1', amount: 10.5, description: 'Invoice' }, ids, config);
  t.same([r.mode, r.amountMinor, r.description], ['agent-assisted', 1050, 'Invoice']);
  t.equal(paymentRequestFromApi({ callType: 'automated' }, ids, config).mode, 'automated');
  t.throws(() => paymentRequestFromApi({ amount: -1 }, ids, config), { code: 'ERR_PAYMENT_REQUEST' });
  t.throws(() => paymentRequestFromApi({ callType: 'x' }, ids, config), /callType/);
});

t.test('errors never echo the value (a card number sent in the wrong header stays out)', async (t) => {
  const pan = '4111111111111111';
  for (const attempt of [
    () => paymentRequestFromHeaders({ 'X-Payment-Amount': pan }, ids, config),
    () => paymentRequestFromHeaders({ 'X-Payment-Currency': pan }, ids, config),
    () => paymentRequestFromApi({ amount: `${pan}.00.1` }, ids, config),
    () => paymentRequestFromApi({ customerId: `${pan}\u0001` }, ids, config),
    () => paymentRequestFromApi({ customerId: pan.repeat(10) }, ids, config),
  ]) {
    try {
      attempt();
      t.fail('should throw');
    } catch (error) {
      t.ok(error instanceof PaymentRequestError);
      t.notMatch(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack }), /411111/);
    }
  }
});

t.test('result headers', async (t) => {
  t.same(resultHeaders({ result: 'success', transactionId: 'T1', cardLast4: '1111', cardType: 'visa', amountMinor: 500, currency: 'JPY', reason: null }), {
    'X-Payment-Result': 'success',
    'X-Payment-Transaction-Id': 'T1',
    'X-Payment-Card-Last4': '1111',
    'X-Payment-Card-Type': 'visa',
    'X-Payment-Amount': '500',
    'X-Payment-Currency': 'JPY',
  });
  const h = resultHeaders({ result: 'payment-connector-error', transactionId: null, cardLast4: '12345', cardType: null, amountMinor: null, currency: 'GBP', reason: 'bad\r\nInjected: x' });
  t.same(h, { 'X-Payment-Result': 'payment-connector-error', 'X-Payment-Currency': 'GBP', 'X-Payment-Reason': 'badInjected: x' }, 'no CRLF injection, last4 only if four digits');
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return null;
}

t.test('Twilio <Pay> options map onto config and request', async (t) => {
  const { mapTwilioPayOptions } = await import('../../src/dialog/twilio-pay-options.js');
  const m = mapTwilioPayOptions({ validCardTypes: 'visa amex', maxAttempts: 2, timeout: 7, securityCode: false, currency: 'usd', chargeAmount: '10.00', description: 'Bill' });
  t.same(m.config, { validCardTypes: ['visa', 'american-express'], maxAttempts: 2, timeouts: { firstDigitMs: 7000 }, securityCode: false, description: 'Bill' });
  t.same(m.request, { currency: 'USD', amount: '10.00', description: 'Bill' });
  const cfg = parseDialogConfig(m.config);
  t.equal(cfg.timeouts.interDigitMs, 5000);
  const r = paymentRequestFromApi({ customerId: 'C', ...m.request }, ids, cfg);
  t.same([r.amountMinor, r.currency], [1000, 'USD']);
  t.throws(() => mapTwilioPayOptions({ validCardTypes: 'visa optima' }), { code: 'ERR_PAYMENT_REQUEST' });
  t.throws(() => mapTwilioPayOptions({ timeout: -1 }), { code: 'ERR_PAYMENT_REQUEST' });
});

t.test('X-Payment-Input / input: dtmf, speech or "dtmf speech"; default payment.input; agent-assisted keypad-only', async (t) => {
  const ids = { sessionId: 's', callId: 'c' };
  const config = parseDialogConfig({});
  const speechConfig = parseDialogConfig({ input: 'speech dtmf' });
  t.equal(speechConfig.input, 'dtmf speech', 'either order, one canonical value');
  t.throws(() => parseDialogConfig({ input: 'voice' }), { code: 'ERR_DIALOG_CONFIG' });
  t.equal(paymentRequestFromHeaders({}, ids, config).input, 'dtmf');
  t.equal(paymentRequestFromHeaders({}, ids, speechConfig).input, 'dtmf speech', 'the configured default');
  t.equal(paymentRequestFromHeaders({ 'x-payment-input': 'DTMF Speech' }, ids, config).input, 'dtmf speech');
  t.equal(paymentRequestFromHeaders({ 'X-Payment-Input': 'speech' }, ids, config).input, 'speech');
  t.equal(paymentRequestFromHeaders({ 'X-Payment-Input': 'dtmf' }, ids, speechConfig).input, 'dtmf', 'a call may turn speech off');
  for (const bad of ['voice', 'dtmf dtmf speech', 'speech;dtmf', 'dtmf\u0000']) {
    t.throws(() => paymentRequestFromHeaders({ 'X-Payment-Input': bad }, ids, config), { code: 'ERR_PAYMENT_REQUEST' }, bad);
  }
  t.equal(paymentRequestFromHeaders({ 'X-Payment-Call-Type': 'conference' }, ids, speechConfig).input, 'dtmf', 'agent-assisted ignores the speech default');
  t.throws(() => paymentRequestFromHeaders({ 'X-Payment-Call-Type': 'conference', 'X-Payment-Input': 'speech' }, ids, config), /keypad-only/);
  t.throws(() => paymentRequestFromApi({ input: 'dtmf speech' }, ids, config), /keypad-only/);
  t.equal(paymentRequestFromApi({ input: 'dtmf' }, ids, config).input, 'dtmf');
});
