// Card checks: Luhn (cross-checked against card-validator), types and lengths from
// credit-card-type, accepted types, auto-complete length, expiry rules.
import t from 'tap';
import cardValidator from 'card-validator';
import luhn10 from 'card-validator/dist/luhn-10.js';
import { autoCompleteLength, checkCardNumber, checkExpiry, detectCardType, luhnValid, repairSpokenLuhn } from '../../src/dialog/card-checks.js';
import { DEFAULT_CARD_TYPES } from '../../src/dialog/dialog-config.js';
import { SecretDigits } from '../../src/dialog/secret-digits.js';

function digits(s: string): SecretDigits {
  const d = new SecretDigits(19);
  for (const c of s) d.push(c);
  return d;
}

// Gateway test numbers (Braintree/Stripe/Adyen documentation), one or more per default card type.
const CARDS: [string, string][] = [
  ['4111111111111111', 'visa'],
  ['4000000000000002', 'visa'],
  ['4222222222222', 'visa'], // 13 digits: not a length credit-card-type gives Visa
  ['5555555555554444', 'mastercard'],
  ['2223000048400011', 'mastercard'],
  ['2720992720992729', 'mastercard'],
  ['378282246310005', 'american-express'],
  ['371449635398431', 'american-express'],
  ['6011111111111117', 'discover'],
  ['36259600000004', 'diners-club'],
  ['3530111333300000', 'jcb'],
  ['6200000000000005', 'unionpay'],
  ['6759649826438453', 'maestro'],
];

t.test('Luhn agrees with card-validator on test cards and on generated numbers', async (t) => {
  for (const [pan] of CARDS) t.equal(luhnValid(digits(pan)), luhn10(pan), pan.slice(-4));
  t.equal(cardValidator.number('4111111111111111').isValid, true, 'card-validator itself agrees on the Visa test card');
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    let s = '';
    const n = 12 + (i % 8);
    for (let j = 0; j < n; j++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      s += String(seed % 10);
    }
    if (luhnValid(digits(s)) !== luhnOracle(s)) t.fail(`luhn differs on case ${i}`);
  }
  t.notOk(luhnValid(digits('4111111111111112')), 'one digit off');
  t.notOk(luhnValid(digits('')), 'empty');
});

function luhnOracle(pan: string): boolean {
  return luhn10(pan);
}

t.test('types from credit-card-type: every default card type, Mastercard 2-series included', async (t) => {
  for (const [pan, type] of CARDS) {
    if (pan.length === 13) {
      t.equal(detectCardType(digits(pan)), null, '13-digit Visa is not a Visa length in credit-card-type');
      continue;
    }
    t.equal(detectCardType(digits(pan))?.type, type, `${type} ...${pan.slice(-4)}`);
    t.same(checkCardNumber(digits(pan), DEFAULT_CARD_TYPES).ok, true, `${type} accepted by default`);
  }
  t.equal(detectCardType(digits('378282246310005'))?.securityCodeSize, 4, 'Amex CID is 4 digits');
  t.equal(detectCardType(digits('4111111111111111'))?.securityCodeSize, 3);
  t.equal(detectCardType(digits('2221000000000009'))?.type, 'mastercard', '2221 is Mastercard');
  t.not(detectCardType(digits('2721000000000004'))?.type, 'mastercard', '2721 is outside the 2-series');
});

t.test('checkCardNumber: length, Luhn, unknown and refused types', async (t) => {
  t.same(checkCardNumber(digits('41111111111'), DEFAULT_CARD_TYPES), { ok: false, errorType: 'invalid-card-number' }, '11 digits');
  t.same(checkCardNumber(digits('4111111111111112'), DEFAULT_CARD_TYPES), { ok: false, errorType: 'invalid-card-number' }, 'Luhn');
  t.same(checkCardNumber(digits('9111111111111111'), DEFAULT_CARD_TYPES), { ok: false, errorType: 'invalid-card-number' }, 'no such type');
  t.same(checkCardNumber(digits('411111111111111'), DEFAULT_CARD_TYPES), { ok: false, errorType: 'invalid-card-number' }, '15-digit Visa');
  const amex = checkCardNumber(digits('378282246310005'), ['visa', 'mastercard']);
  t.equal(amex.ok, false);
  t.equal(!amex.ok && amex.errorType, 'invalid-card-type', 'Amex refused when not configured');
  t.equal(checkCardNumber(digits('6200000000000047'), DEFAULT_CARD_TYPES).ok, true, 'UnionPay without Luhn, as card-validator does');
});

t.test('auto-complete length: the longest of the one remaining type', async (t) => {
  t.equal(autoCompleteLength(digits('3782')), null, 'too few digits to know');
  t.equal(autoCompleteLength(digits('378282')), 15, 'Amex');
  t.equal(autoCompleteLength(digits('555555')), 16, 'Mastercard');
  t.equal(autoCompleteLength(digits('411111')), 19, 'Visa may be 19 long: # ends a 16-digit Visa');
});

t.test('expiry MMYY: a real month, not past, not absurdly far', async (t) => {
  const now = new Date(2026, 10, 25); // November 2026, local time as the dialog uses
  t.same(checkExpiry(digits('1228'), now, 20), { month: 12, year: 2028 });
  t.same(checkExpiry(digits('1126'), now, 20), { month: 11, year: 2026 }, 'this month is still valid');
  t.equal(checkExpiry(digits('1026'), now, 20), null, 'last month');
  t.equal(checkExpiry(digits('1225'), now, 20), null, 'last year');
  t.equal(checkExpiry(digits('1328'), now, 20), null, 'month 13');
  t.equal(checkExpiry(digits('0028'), now, 20), null, 'month 0');
  t.equal(checkExpiry(digits('0147'), now, 20), null, '21 years ahead');
  t.same(checkExpiry(digits('0146'), now, 20), { month: 1, year: 2046 }, '20 years ahead');
  t.equal(checkExpiry(digits('122'), now, 20), null, 'three digits');
});

t.test('SecretDigits never prints its digits and zeroes on clear', async (t) => {
  const d = digits('4111111111111111');
  t.equal(d.lastFour(), '1111');
  t.notMatch(String(d), /4111/);
  t.notMatch(JSON.stringify({ d }), /4111/);
  const { inspect } = await import('node:util');
  t.notMatch(inspect(d), /4111/);
  const view = d.view();
  d.clear();
  t.ok(
    view.every((b) => b === 0),
    'the view handed out is zeroed too',
  );
  t.equal(d.length, 0);
  t.throws(() => d.push('x'));
});

/** Spoken digits: each with its next-best reading (`alt[i]`, odds `odds[i]`), none where alt[i] is ' '. */
function spoken(s: string, alt: string, odds: number[]): SecretDigits {
  const d = new SecretDigits(19);
  [...s].forEach((c, i) => (alt[i] === ' ' ? d.push(c) : d.push(c, { digit: alt[i], odds: odds[i] })));
  return d;
}
const asText = (d: SecretDigits): string => Array.from(d.view(), (c) => String.fromCharCode(c)).join('');

t.test('a spoken card number failing Luhn takes the next-best reading that makes it pass, the most likely first', async (t) => {
  // 4111111111111111 with its fifth digit heard as 7; the right 1 is that digit's next-best reading.
  const one = spoken('4111711111111111', '    1           ', Array(16).fill(0.3));
  t.equal(repairSpokenLuhn(one, 0.1), 4);
  t.equal(asText(one), '4111111111111111');
  t.ok(luhnValid(one));
  t.same(one.alternativeAt(4), { digit: 7, odds: Math.fround(0.3) }, 'the swapped-out digit becomes the alternative');
  // Two readings that each pass Luhn (1 at index 4, or 9 at index 6, doubled to 9): the higher odds wins.
  const two = spoken('4111711111111111', '    1 9         ', [0, 0, 0, 0, 0.2, 0, 0.5, ...Array(9).fill(0)]);
  t.equal(repairSpokenLuhn(two, 0.1), 6);
  t.equal(asText(two), '4111719111111111');
  t.ok(luhnValid(two));
});

t.test('the Luhn repair leaves numbers alone that it cannot fix with confidence', async (t) => {
  const low = spoken('4111711111111111', '    1           ', Array(16).fill(0.05));
  t.equal(repairSpokenLuhn(low, 0.1), -1, 'odds under the limit');
  t.equal(asText(low), '4111711111111111');
  const keyed = digits('4111711111111111');
  t.equal(repairSpokenLuhn(keyed, 0), -1, 'keyed digits have no alternative');
  const wrongAlternative = spoken('4111711111111111', '    2           ', Array(16).fill(0.9));
  t.equal(repairSpokenLuhn(wrongAlternative, 0.1), -1, 'no alternative passes Luhn');
  t.equal(asText(wrongAlternative), '4111711111111111', 'unchanged');
  const valid = spoken('4111111111111111', '    7           ', Array(16).fill(0.9));
  t.equal(repairSpokenLuhn(valid, 0.1), -1, 'a number that passes is not touched');
  t.equal(asText(valid), '4111111111111111');
  t.equal(repairSpokenLuhn(new SecretDigits(19), 0), -1, 'empty');
});
