// Caller input as keys: which key presses a state takes, and spoken digits and words as the key
// they stand for in a menu or a field.
import t from 'tap';
import { pressedKey, spokenKey } from '../../src/dialog/input-keys.js';

t.test('a key press: ignored when nothing is asked or it is no DTMF key; A-D no choice at a menu, ignored in a field', async (t) => {
  t.same(pressedKey('none', '1'), { kind: 'ignored' });
  for (const bad of ['', '12', 'x', 'E', ' ']) t.same(pressedKey('digits', bad), { kind: 'ignored' }, JSON.stringify(bad));
  t.same(pressedKey('menu', 'B'), { kind: 'invalid-choice' });
  t.same(pressedKey('digits', 'B'), { kind: 'ignored' });
  for (const k of ['0', '9', '*', '#']) {
    t.same(pressedKey('menu', k), { kind: 'key', key: k });
    t.same(pressedKey('digits', k), { kind: 'key', key: k });
  }
});

t.test('a spoken digit is its key; anything longer is none', async (t) => {
  t.equal(spokenKey('card-number', 'digits', { kind: 'digit', digit: '7' }, 0), '7');
  t.equal(spokenKey('confirmation', 'menu', { kind: 'digit', digit: '1' }, 0), '1');
  t.equal(spokenKey('card-number', 'digits', { kind: 'digit', digit: '12' }, 0), null);
});

t.test('menu words are their menu key, and no key at another menu', async (t) => {
  t.equal(spokenKey('amount-choice', 'menu', { kind: 'word', word: 'pay the balance' }, 0), '1');
  t.equal(spokenKey('confirmation', 'menu', { kind: 'word', word: 'pay the balance' }, 0), null);
  for (const word of ['yes', 'correct'] as const) t.equal(spokenKey('confirmation', 'menu', { kind: 'word', word }, 0), '1', word);
  for (const word of ['no', 'change'] as const) t.equal(spokenKey('confirmation', 'menu', { kind: 'word', word }, 0), '2', word);
  t.equal(spokenKey('change-choice', 'menu', { kind: 'word', word: 'yes' }, 0), null);
});

t.test('in a field "yes" ends the entry like #, "no" restarts it like * only once something is keyed', async (t) => {
  t.equal(spokenKey('expiry', 'digits', { kind: 'word', word: 'yes' }, 2), '#');
  t.equal(spokenKey('expiry', 'digits', { kind: 'word', word: 'correct' }, 0), '#');
  t.equal(spokenKey('expiry', 'digits', { kind: 'word', word: 'no' }, 2), '*');
  t.equal(spokenKey('expiry', 'digits', { kind: 'word', word: 'change' }, 0), null, 'never * on an empty entry (it would leave the payment)');
  t.equal(spokenKey('expiry', 'digits', { kind: 'word', word: 'pay the balance' }, 2), null);
});
