// The two DialogTimers: real (setTimeout) and manual (virtual time, due timers in order).
import t from 'tap';
import { ManualTimers, RealTimers } from '../../src/dialog/timers.js';

t.test('RealTimers fires once and can be cleared', async (t) => {
  const timers = new RealTimers();
  const fired: string[] = [];
  timers.set(5, () => fired.push('a'));
  const b = timers.set(5, () => fired.push('b'));
  timers.clear(b);
  await new Promise((r) => setTimeout(r, 30));
  t.same(fired, ['a']);
  t.ok(Math.abs(timers.now() - Date.now()) < 5);
});

t.test('ManualTimers fires due timers in time order, including ones set while firing', async (t) => {
  const timers = new ManualTimers(1000);
  const fired: [string, number][] = [];
  timers.set(30, () => fired.push(['late', timers.now()]));
  timers.set(10, () => {
    fired.push(['early', timers.now()]);
    timers.set(5, () => fired.push(['chained', timers.now()]));
  });
  timers.advance(20);
  t.same(fired, [
    ['early', 1010],
    ['chained', 1015],
  ]);
  t.equal(timers.now(), 1020);
  t.equal(timers.pendingCount, 1);
  timers.advance(10);
  t.same(fired.at(-1), ['late', 1030]);
});
