// The card digits buffer: a spoken digit's next-best reading is kept beside it, swapped in and
// out, never copied into a captured field, zeroed with the digits and never printed.
import { inspect } from 'node:util';
import t from 'tap';
import { SecretDigits } from '../../src/dialog/secret-digits.js';

t.test('a spoken digit keeps its next-best reading; a keyed one has none', async (t) => {
  const d = new SecretDigits(4);
  d.push('7', { digit: '1', odds: 0.25 });
  d.push('3');
  t.same(d.alternativeAt(0), { digit: 1, odds: 0.25 });
  t.equal(d.alternativeAt(1), null);
  t.ok(d.swapAlternative(0));
  t.equal(d.at(0), 1);
  t.same(d.alternativeAt(0), { digit: 7, odds: 0.25 }, 'swapping twice undoes it');
  t.notOk(d.swapAlternative(1), 'a keyed digit has nothing to swap');
  t.equal(d.at(1), 3);
  t.throws(() => d.alternativeAt(2), RangeError);
});

t.test('alternatives are refused when malformed, never copied, and go with clear', async (t) => {
  const d = new SecretDigits(4);
  t.throws(() => d.push('1', { digit: 'x', odds: 0.5 }), RangeError);
  t.throws(() => d.push('1', { digit: '2', odds: 1.5 }), RangeError);
  t.throws(() => d.push('1', { digit: '2', odds: Number.NaN }), RangeError);
  t.equal(d.length, 0, 'nothing kept from a refused push');
  d.push('4', { digit: '9', odds: 0.5 });
  const copy = new SecretDigits(4);
  copy.copyFrom(d);
  t.equal(copy.at(0), 4);
  t.equal(copy.alternativeAt(0), null, 'a captured field holds the digits only');
  d.clear();
  t.equal(d.length, 0);
  d.push('5');
  t.equal(d.alternativeAt(0), null, 'no reading left over from before the clear');
});

t.test('neither digits nor alternatives are printed', async (t) => {
  const d = new SecretDigits(4);
  d.push('8', { digit: '6', odds: 0.5 });
  for (const text of [String(d), JSON.stringify({ d }), inspect(d)]) t.notMatch(text, /[68]/, text);
});
