// Amounts in minor units: decimal strings, keyed amounts (* as the decimal point), ISO 4217 exponents.
import t from 'tap';
import { decimalToMinor, formatMinor, minorDigits, parseDecimalAmount, parseKeyedAmount } from '../../src/dialog/money.js';

t.test('ISO 4217 exponents from the runtime', async (t) => {
  t.equal(minorDigits('GBP'), 2);
  t.equal(minorDigits('JPY'), 0);
  t.equal(minorDigits('BHD'), 3);
  t.equal(minorDigits('gbp'), null);
  t.equal(minorDigits('XX'), null);
});

t.test('decimal amounts', async (t) => {
  t.equal(parseDecimalAmount('125.50', 'GBP'), 12550);
  t.equal(parseDecimalAmount('125.5', 'GBP'), 12550);
  t.equal(parseDecimalAmount('125', 'GBP'), 12500);
  t.equal(parseDecimalAmount('0.99', 'USD'), 99);
  t.equal(parseDecimalAmount('1000000', 'GBP'), 100000000);
  t.equal(parseDecimalAmount('500', 'JPY'), 500);
  t.equal(parseDecimalAmount('5.5', 'JPY'), null, 'no decimals in yen');
  t.equal(parseDecimalAmount('1.234', 'GBP'), null);
  for (const bad of ['', '-1', '1e3', '1,000', 'abc', '.5', '1.']) t.equal(parseDecimalAmount(bad, 'GBP'), null, JSON.stringify(bad));
  t.equal(formatMinor(12550, 'GBP'), '125.50');
  t.equal(formatMinor(5, 'GBP'), '0.05');
  t.equal(formatMinor(500, 'JPY'), '500');
  t.equal(decimalToMinor(1.1, 'GBP'), 110, 'rounded, not truncated (1.1 * 100 = 110.00000000000001)');
});

t.test('keyed amounts', async (t) => {
  t.equal(parseKeyedAmount('125*50', 'GBP'), 12550);
  t.equal(parseKeyedAmount('125*5', 'GBP'), 12550);
  t.equal(parseKeyedAmount('125', 'GBP'), 12500);
  t.equal(parseKeyedAmount('125*', 'GBP'), 12500);
  t.equal(parseKeyedAmount('*5', 'GBP'), 50);
  t.equal(parseKeyedAmount('', 'GBP'), null);
  t.equal(parseKeyedAmount('*', 'GBP'), null);
  t.equal(parseKeyedAmount('1*2*3', 'GBP'), null);
  t.equal(parseKeyedAmount('1*234', 'GBP'), null);
});
