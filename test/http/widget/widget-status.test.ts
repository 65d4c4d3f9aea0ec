import t from 'tap';
import { WidgetHub } from '../../../src/http/widget/widget-hub.js';
import { widgetUpdateFromCaptured, widgetUpdateFromResult, widgetUpdateFromStatus, type DialogStatusLike } from '../../../src/http/widget/widget-status.js';

const base: DialogStatusLike = { for: 'payment-card-number', attempt: 1, errorType: null, paymentCardNumber: null, paymentCardType: null, expirationDate: null, securityCode: null };

t.test('status events become masked widget updates', async (t) => {
  const start = widgetUpdateFromStatus(base);
  t.match(start, { field: 'payment-card-number', attempt: 1, last4: null, luhnValid: null, expiryEntered: false, securityCodeEntered: false, digitsEntered: 0 });
  const expiry = widgetUpdateFromStatus({ ...base, for: 'expiration-date', paymentCardNumber: 'xxxxxxxxxxxx1111', paymentCardType: 'visa' }, 'payment-card-number');
  t.match(expiry, { field: 'expiration-date', last4: '1111', cardType: 'visa', luhnValid: true, digitsEntered: 0 });
  const cvv = widgetUpdateFromStatus({ ...base, for: 'security-code', paymentCardNumber: 'xxxxxxxxxxxx1111', expirationDate: 'xxxx' }, 'expiration-date');
  t.match(cvv, { expiryEntered: true, securityCodeEntered: false });
  const processing = widgetUpdateFromStatus({ ...base, for: 'payment-processing', paymentCardNumber: 'xxxxxxxxxxxx1111', expirationDate: 'xxxx', securityCode: 'xxx' }, 'security-code');
  t.match(processing, { field: 'payment-processing', securityCodeEntered: true });
  const same = widgetUpdateFromStatus({ ...base, attempt: 1 }, 'payment-card-number');
  t.notOk('digitsEntered' in same, 'the same field goes on: the digit count is left alone');
  const invalid = widgetUpdateFromStatus({ ...base, attempt: 2, errorType: 'invalid-card-number' }, 'payment-card-number');
  t.match(invalid, { luhnValid: false, errorType: 'invalid-card-number', attempt: 2, digitsEntered: 0 });
});

t.test('an unmasked number (a bug upstream) still yields only the last four', async (t) => {
  const hub = new WidgetHub();
  const state = hub.update('c', widgetUpdateFromStatus({ ...base, for: 'expiration-date', paymentCardNumber: '4111111111111111' }));
  t.equal(state.last4, '1111');
  t.notMatch(JSON.stringify(state), '411111');
});

t.test('the result ends the collection', async (t) => {
  t.same(widgetUpdateFromResult({ result: 'success', reason: null, transactionId: '6001' }), { field: null, step: 'result', digitsEntered: 0, result: 'success', reason: null, transactionId: '6001' });
});

t.test('the amount comes with the status once known', async (t) => {
  t.notOk('amount' in widgetUpdateFromStatus(base), 'not known yet: left alone');
  t.match(widgetUpdateFromStatus({ ...base, chargeAmount: '125.50' }), { amount: '125.50' });
});

t.test('a step without a status event (the readback) still brings what was captured, masked', async (t) => {
  const update = widgetUpdateFromCaptured({ paymentCardNumber: 'xxxxxxxxxxxx4444', paymentCardType: 'mastercard', expirationDate: 'xxxx', securityCode: 'xxx', chargeAmount: '125.50' });
  t.same(update, { cardType: 'mastercard', last4: '4444', luhnValid: true, expiryEntered: true, securityCodeEntered: true, amount: '125.50' });
  t.same(widgetUpdateFromCaptured({ paymentCardNumber: null, paymentCardType: null, expirationDate: null, securityCode: null, chargeAmount: null }), {
    cardType: null,
    last4: null,
    expiryEntered: false,
    securityCodeEntered: false,
  });
});
