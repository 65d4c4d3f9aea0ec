// The in-process fake connector: the simulator's rules and idempotency.
import t from 'tap';
import type { ChargeRequest } from '../../src/gateway/connector.js';
import { FakeConnector } from '../../src/gateway/fake-connector.js';

const NOW = Date.UTC(2026, 10, 25, 12);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function request(pan: string, over: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    idempotencyKey: `k-${pan.slice(-4)}-${over.amountMinor ?? 1000}`,
    amountMinor: 1000,
    currency: 'GBP',
    pan: ascii(pan),
    expiryMonth: 12,
    expiryYear: 2028,
    securityCode: ascii('123'),
    merchantId: null,
    reference: null,
    customerId: 'C',
    description: null,
    ...over,
  };
}

t.test('simulator rules', async (t) => {
  const f = new FakeConnector({ now: () => NOW });
  t.match(await f.charge(request('4111111111111111')), { kind: 'approved', transactionId: '100000001' });
  t.match(await f.charge(request('5555555555554444')), { kind: 'approved', transactionId: '100000002' }, 'a fresh ID per approval');
  t.match(await f.charge(request('4000000000000002')), { kind: 'declined', reason: 'do-not-honour' });
  t.match(await f.charge(request('4111111111111111', { amountMinor: 1051 })), { kind: 'declined', reason: 'insufficient-funds' });
  t.match(await f.charge(request('4111111111111112')), { kind: 'declined', reason: 'invalid-card-number' });
  t.match(await f.charge(request('4111111111111111', { idempotencyKey: 'old', expiryYear: 2026, expiryMonth: 10 })), { kind: 'declined', reason: 'expired-card' });
  const hanging = f.charge(request('4000000000000119'));
  let settled = false;
  void hanging.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(settled, 'ending 0119: no answer');
  await f.close();
  t.match(await hanging, { kind: 'error', reason: 'timeout', outcomeUnknown: true });
  t.notMatch(JSON.stringify(f.records), /411111|555555|400000/, 'records keep the last four only');
});

t.test('idempotency: the same key gets the first answer and is charged once', async (t) => {
  const f = new FakeConnector({ now: () => NOW });
  const a = await f.charge(request('4111111111111111'));
  const b = await f.charge(request('4111111111111111'));
  t.same(a, b);
  t.equal(f.calls, 2);
  t.equal(f.approvedCount, 1);
  const scripted = new FakeConnector({ script: [{ kind: 'error', reason: 'http-503', outcomeUnknown: false }] });
  t.match(await scripted.charge(request('4111111111111111')), { kind: 'error', reason: 'http-503' });
});
