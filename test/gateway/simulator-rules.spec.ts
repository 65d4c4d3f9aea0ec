// The simulator's rules, without sockets.
import t from 'tap';
import { decide } from '../../src/gateway/simulator-rules.js';
import { luhnValid, lastFour } from '../../src/gateway/card-digits.js';

const now = new Date(Date.UTC(2026, 10, 25));
const card = (pan: string, minorPart: number | null = 0, expiryYear = 2028, expiryMonth = 5) => ({ pan, expiryYear, expiryMonth, minorPart });

t.test('approve, decline and no-answer by card ending and amount', async (t) => {
  t.same(decide(card('4111111111111111'), now), { kind: 'approve' });
  t.match(decide(card('4000000000000002'), now), { kind: 'decline', reason: 'do-not-honour', code: '2', responseCode: '2' });
  t.match(decide(card('4111111111111111', 51), now), { kind: 'decline', reason: 'insufficient-funds' });
  t.same(decide(card('4111111111111111', 50), now), { kind: 'approve' });
  t.same(decide(card('4000000000000119'), now), { kind: 'no-answer' });
  t.match(decide(card('4111111111111112'), now), { kind: 'decline', reason: 'invalid-card-number', responseCode: '3' });
  t.match(decide(card('4111'), now), { kind: 'decline', reason: 'invalid-card-number' });
  t.match(decide(card('4111111111111111', 0, 2026, 10), now), { kind: 'decline', reason: 'expired-card' });
  t.same(decide(card('4111111111111111', 0, 2026, 11), now), { kind: 'approve' }, 'valid through its expiry month');
  t.match(decide(card('4111111111111111', 0, 2030, 13), now), { kind: 'decline', reason: 'expired-card' });
});

t.test('card digits on bytes', async (t) => {
  t.ok(luhnValid(Buffer.from('4111111111111111')));
  t.notOk(luhnValid(Buffer.from('4111111111111112')));
  t.notOk(luhnValid(Buffer.from('41111x1111111111')));
  t.notOk(luhnValid(new Uint8Array(0)));
  t.equal(lastFour(Buffer.from('4111111111111111')), '1111');
  t.equal(lastFour(Buffer.from('12')), '12');
});
