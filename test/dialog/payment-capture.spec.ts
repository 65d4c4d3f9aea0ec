// What a payment has captured: the card's buffers zeroed by forgetCard (a decline) and wipe (the
// end), the masked view, and the security code asked again for a card type of another size.
import t from 'tap';
import { detectCardType, type CardType } from '../../src/dialog/card-checks.js';
import { parseDialogConfig } from '../../src/dialog/dialog-config.js';
import { PaymentCapture } from '../../src/dialog/payment-capture.js';
import { SecretDigits } from '../../src/dialog/secret-digits.js';

function typeOf(pan: string): CardType {
  const d = new SecretDigits(19);
  for (const c of pan) d.push(c);
  const card = detectCardType(d);
  if (card === null) throw new Error('a test card has a type');
  return card;
}

function key(capture: PaymentCapture, s: string): void {
  capture.entry.clear();
  for (const c of s) capture.entry.push(c);
}

function captured(config = parseDialogConfig({})): PaymentCapture {
  const capture = new PaymentCapture(config);
  capture.amountMinor = 12550;
  key(capture, '4111111111111111');
  capture.accept({ field: 'payment-card-number', card: typeOf('4111111111111111') });
  key(capture, '1230');
  capture.accept({ field: 'expiration-date', expiry: { month: 12, year: 2030 } });
  key(capture, '123');
  capture.accept({ field: 'security-code' });
  return capture;
}

t.test('masked: last four, type, x for the expiry and code, what is still required', async (t) => {
  const capture = new PaymentCapture(parseDialogConfig({}));
  t.same(capture.missing(), ['charge-amount', 'payment-card-number', 'expiration-date', 'security-code']);
  const full = captured();
  t.same(full.masked('GBP'), {
    paymentCardNumber: 'xxxxxxxxxxxx1111',
    paymentCardType: 'visa',
    expirationDate: 'xxxx',
    securityCode: 'xxx',
    chargeAmount: '125.50',
    required: [],
    fieldInputs: [],
  });
});

t.test('a declined card is forgotten: buffers zeroed, the card gone, the amount and the type for the record kept', async (t) => {
  const capture = captured();
  const pan = capture.pan.view();
  capture.forgetCard();
  t.ok(
    pan.every((b) => b === 0),
    'the number is zeroed',
  );
  t.equal(capture.securityCode.length, 0);
  t.equal(capture.card, null);
  t.equal(capture.last4, null);
  t.equal(capture.expiry, null);
  t.equal(capture.lastCardType, 'visa');
  t.same(capture.missing(), ['payment-card-number', 'expiration-date', 'security-code']);
});

t.test('the end wipes every buffer; the type and last four stay for the result', async (t) => {
  const capture = captured();
  const pan = capture.pan.view();
  const code = capture.securityCode.view();
  capture.wipe();
  t.ok(pan.every((b) => b === 0) && code.every((b) => b === 0));
  t.equal(capture.entry.length, 0);
  t.match(capture.masked('GBP'), { paymentCardNumber: 'xxxxxxxxxxxx1111', paymentCardType: 'visa', expirationDate: null, securityCode: null });
});

t.test('a code keyed before the card is kept when its size fits, asked again when not', async (t) => {
  const capture = new PaymentCapture(parseDialogConfig({}));
  key(capture, '123');
  capture.accept({ field: 'security-code' });
  key(capture, '378282246310005');
  capture.accept({ field: 'payment-card-number', card: typeOf('378282246310005') });
  t.equal(capture.securityCode.length, 0, 'Amex wants 4 digits');
  key(capture, '1234');
  capture.accept({ field: 'security-code' });
  key(capture, '378282246310005');
  capture.accept({ field: 'payment-card-number', card: typeOf('378282246310005') });
  t.equal(capture.securityCode.length, 4);
  const noCode = new PaymentCapture(parseDialogConfig({ fieldsByType: { visa: { securityCode: false } } }));
  key(noCode, '123');
  noCode.accept({ field: 'security-code' });
  key(noCode, '4111111111111111');
  noCode.accept({ field: 'payment-card-number', card: typeOf('4111111111111111') });
  t.equal(noCode.securityCode.length, 0, 'a type without a code drops one keyed before');
  t.equal(noCode.needsSecurityCode(), false);
});
