import t from 'tap';
import { parsePaymentParams, referToWithHeaders, resultHeaderFields } from '../../src/call/payment-headers.js';

function lookup(h: Record<string, string>): (name: string) => string | undefined {
  return (name) => Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
}

t.test('input parameters from X-Payment-* headers', async (t) => {
  const p = parsePaymentParams(
    lookup({
      'X-Payment-Customer-Id': 'C-1001',
      'X-Payment-Amount': '125.5',
      'X-Payment-Currency': 'gbp',
      'X-Payment-Merchant-Id': 'M9',
      'X-Payment-Reference': 'INV 77',
      'X-Payment-Call-Type': 'conference',
      'X-Payment-Input': 'dtmf speech',
    }),
  );
  t.same(p, { customerId: 'C-1001', amountMinor: 12550, amount: '125.5', currency: 'GBP', merchantId: 'M9', reference: 'INV 77', callType: 'conference', input: 'dtmf speech', problems: [] });
  const none = parsePaymentParams(lookup({}));
  t.same(none, { customerId: null, amountMinor: null, amount: null, currency: null, merchantId: null, reference: null, callType: null, input: null, problems: [] });
  for (const bad of ['12,50', '-5', '1e3', '1.234', 'abc', '']) {
    const q = parsePaymentParams(lookup({ 'X-Payment-Amount': bad }));
    t.equal(q.amountMinor, null, `amount ${JSON.stringify(bad)} refused`);
    if (bad !== '') t.equal(q.problems.length, 1);
  }
  t.equal(parsePaymentParams(lookup({ 'X-Payment-Amount': '10.51' })).amountMinor, 1051);
  t.equal(parsePaymentParams(lookup({ 'X-Payment-Currency': 'POUNDS' })).problems.length, 1);
  t.equal(parsePaymentParams(lookup({ 'X-Payment-Reference': 'x'.repeat(500) })).reference, null);
});

t.test('result headers: names, order; never a throw (the result always goes out), values sanitised', async (t) => {
  t.same(resultHeaderFields({ result: 'success', transactionId: '123456', cardLast4: '4242', cardType: 'visa', amount: '10.00', currency: 'GBP' }), [
    ['X-Payment-Result', 'success'],
    ['X-Payment-Transaction-Id', '123456'],
    ['X-Payment-Card-Last4', '4242'],
    ['X-Payment-Card-Type', 'visa'],
    ['X-Payment-Amount', '10.00'],
    ['X-Payment-Currency', 'GBP'],
  ]);
  // A gateway's transaction ID is passed on as given, whatever its length in digits (a 16-digit Adyen pspReference).
  t.same(resultHeaderFields({ result: 'success', transactionId: '8816123456789012' }), [
    ['X-Payment-Result', 'success'],
    ['X-Payment-Transaction-Id', '8816123456789012'],
  ]);
  t.same(resultHeaderFields({ result: 'too-many-failed-attempts', reason: 'refused 1234567890123456789 by issuer' }).at(-1), ['X-Payment-Reason', 'refused 1234567890123456789 by issuer']);
  t.same(resultHeaderFields({ result: 'success', cardLast4: '4111111111111111' }), [['X-Payment-Result', 'success']], 'a Card-Last4 that is not four digits is left out');
  t.same(resultHeaderFields({ result: 'bogus' as 'success' }), [['X-Payment-Result', 'internal-error']], 'an unknown result becomes internal-error');
  t.same(resultHeaderFields({ result: 'success', reason: 'a\r\nVia: x' }).at(-1), ['X-Payment-Reason', 'a  Via: x'], 'no header injection');
  t.equal(resultHeaderFields({ result: 'success', transactionId: 'x'.repeat(500) })[1][1].length, 128, 'bounded length');
  t.same(resultHeaderFields({ result: 'success', reason: '\x00\r\n' }), [['X-Payment-Result', 'success']], 'a value of nothing but control characters is left out');
});

t.test('Refer-To carries the result as escaped URI headers (RFC 3261 §19.1.5)', async (t) => {
  const fields = resultHeaderFields({ result: 'payment-connector-error', reason: 'do not honour&x=1' });
  const referTo = referToWithHeaders('sip:ivr@10.0.0.1:5060', fields);
  t.equal(referTo, '<sip:ivr@10.0.0.1:5060?X-Payment-Result=payment-connector-error&X-Payment-Reason=do%20not%20honour%26x%3D1>');
  t.equal(referToWithHeaders('<sip:ivr@h?Foo=1>', [['X-A', 'b']]), '<sip:ivr@h?Foo=1&X-A=b>');
  t.equal(referToWithHeaders('sip:ivr@h', []), '<sip:ivr@h>');
  const decoded = new URLSearchParams(referTo.slice(referTo.indexOf('?') + 1, -1));
  t.equal(decoded.get('X-Payment-Reason'), 'do not honour&x=1');
});
