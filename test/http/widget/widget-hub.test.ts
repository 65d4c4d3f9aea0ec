import t from 'tap';
import { WidgetHub, type WidgetEvent } from '../../../src/http/widget/widget-hub.js';
import { applyWidgetUpdate, initialWidgetState, WidgetStateError } from '../../../src/http/widget/widget-state.js';

t.test('updates merge into the state and reach every listener of that call only', async (t) => {
  const hub = new WidgetHub();
  const a: WidgetEvent[] = [];
  const b: WidgetEvent[] = [];
  const other: WidgetEvent[] = [];
  hub.subscribe('call-1', (e) => a.push(e));
  const unsubscribeB = hub.subscribe('call-1', (e) => b.push(e));
  hub.subscribe('call-2', (e) => other.push(e));
  hub.update('call-1', { paymentId: 'p1', secure: true, field: 'payment-card-number' });
  hub.update('call-1', { digitsEntered: 3 });
  unsubscribeB();
  unsubscribeB(); // idempotent
  hub.update('call-1', { digitsEntered: 4, cardType: 'visa' });
  t.equal(a.length, 3);
  t.equal(b.length, 2);
  t.equal(other.length, 0);
  const last = a[2];
  t.ok(last.type === 'state');
  if (last.type === 'state') {
    t.same(last.state, { ...initialWidgetState('call-1'), paymentId: 'p1', secure: true, field: 'payment-card-number', digitsEntered: 4, cardType: 'visa' });
  }
  t.equal(hub.snapshot('call-1')?.digitsEntered, 4);
  t.equal(hub.snapshot('call-2'), undefined);
  t.equal(hub.listenerCount('call-1'), 1);
});

t.test('end tells the listeners, drops them and the state, and is remembered', async (t) => {
  const hub = new WidgetHub({ endedMemory: 2 });
  const events: WidgetEvent[] = [];
  hub.subscribe('c1', (e) => events.push(e));
  hub.update('c1', { secure: true });
  hub.end('c1');
  hub.update('c2', {});
  t.same(
    events.map((e) => e.type),
    ['state', 'end'],
  );
  t.equal(hub.snapshot('c1'), undefined);
  t.equal(hub.listenerCount('c1'), 0);
  t.ok(hub.hasEnded('c1'));
  t.notOk(hub.hasEnded('c2'));
  hub.end('c2');
  hub.end('c3');
  t.notOk(hub.hasEnded('c1'), 'the oldest ended call is forgotten past endedMemory');
  t.ok(hub.hasEnded('c3'));
  hub.update('c3', {});
  t.notOk(hub.hasEnded('c3'), 'a call that comes back (same Call-ID) is live again');
});

t.test('a throwing listener is dropped without stopping the others', async (t) => {
  const hub = new WidgetHub();
  let good = 0;
  hub.subscribe('c', () => {
    throw new Error('socket gone');
  });
  hub.subscribe('c', () => good++);
  hub.update('c', {});
  hub.update('c', {});
  t.equal(good, 2);
  t.equal(hub.listenerCount('c'), 1);
});

t.test('close ends every stream', async (t) => {
  const hub = new WidgetHub();
  const events: string[] = [];
  hub.subscribe('a', (e) => events.push(`a:${e.type}`));
  hub.subscribe('b', (e) => events.push(`b:${e.type}`));
  hub.close();
  t.same(events.sort(), ['a:end', 'b:end']);
  t.equal(hub.listenerCount('a'), 0);
});

t.test('updates that could carry card data are refused, naming the field, never the value', async (t) => {
  const state = initialWidgetState('c');
  const pan = '4111111111111111';
  for (const update of [{ last4: pan }, { last4: '11111' }, { last4: '11a1' }, { reason: `declined ${pan}` }, { digitsEntered: -1 }, { digitsEntered: 1.5 }]) {
    try {
      applyWidgetUpdate(state, update);
      t.fail(`accepted ${Object.keys(update)[0]}`);
    } catch (err) {
      t.ok(err instanceof WidgetStateError);
      t.equal((err as WidgetStateError).code, 'widget-state-invalid');
      t.notMatch((err as Error).message, /4111|11111|11a1/);
    }
  }
  t.equal(applyWidgetUpdate(state, { last4: '1111' }).last4, '1111');
  t.equal(applyWidgetUpdate(state, { reason: 'do-not-honour' }).reason, 'do-not-honour');
});

t.test('keys that are not part of the state are not copied (a dialog event passed whole)', async (t) => {
  const state = initialWidgetState('c');
  const event = { digitsEntered: 2, cardNumber: '4111111111111111', callId: 'other' } as unknown as Parameters<typeof applyWidgetUpdate>[1];
  const next = applyWidgetUpdate(state, event);
  t.equal(next.digitsEntered, 2);
  t.equal(next.callId, 'c');
  t.notMatch(JSON.stringify(next), '4111');
});
