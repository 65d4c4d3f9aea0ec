// The XML connector against the simulator over real HTTPS on loopback: approvals, declines,
// every fault, retries with the same key, and the double-charge cases proven by the ledger.
import t from 'tap';
import { generate } from 'selfsigned';
import { attemptRef } from '../../src/gateway/attempt-ref.js';
import { postHttps, type Transport } from '../../src/gateway/https-transport.js';
import { type GatewaySimulator, type SimulatorEvent, startGatewaySimulator } from '../../src/gateway/simulator.js';
import { CARDS, CVV, cardDataIn, chargeRequest, closedPort, connectorFor } from '../helpers/gateway.js';

const SLOW_MS = 500;
const simulatorEvents: SimulatorEvent[] = [];
const emitted: unknown[] = [];
let simulator: GatewaySimulator;

t.before(async () => {
  simulator = await startGatewaySimulator({ listen: '127.0.0.1:0', slowMs: SLOW_MS, onEvent: (event) => simulatorEvents.push(event) });
});
t.teardown(async () => {
  await simulator.close();
});

function entry(key: string): { requests: number; processed: number; charges: number; outcome: string | null } | undefined {
  return simulator.ledger().keys[attemptRef(key)];
}

t.test('approves a valid card with a fresh numeric transaction ID each time', async (t) => {
  const { connector, events } = connectorFor(simulator);
  const first = chargeRequest();
  const second = chargeRequest({ pan: CARDS.mastercard });
  const a = await connector.charge(first);
  const b = await connector.charge(second);
  emitted.push(a, b, events);
  t.equal(a.kind, 'approved');
  t.equal(b.kind, 'approved');
  if (a.kind === 'approved' && b.kind === 'approved') {
    t.match(a.transactionId, /^[0-9]+$/);
    t.not(a.transactionId, b.transactionId);
    t.match(a.authCode, /^[0-9]{6}$/);
  }
  t.equal(entry(first.idempotencyKey)?.charges, 1);
  t.ok(events.some((e) => e.type === 'request' && e.cardLast4 === '1111'));
  await connector.close();
});

t.test('declines: card ending 0002 (do-not-honour), amount .51 (insufficient-funds), Luhn-invalid and expired cards', async (t) => {
  const { connector, events } = connectorFor(simulator);
  const cases = [
    { request: chargeRequest({ pan: CARDS.doNotHonour }), reason: 'do-not-honour', code: '2' },
    { request: chargeRequest({ amountMinor: 1051 }), reason: 'insufficient-funds', code: '51' },
    { request: chargeRequest({ amountMinor: 251 }), reason: 'insufficient-funds', code: '51' },
    { request: chargeRequest({ pan: CARDS.luhnInvalid }), reason: 'invalid-card-number', code: '6' },
    { request: chargeRequest({ expiryYear: 2020, expiryMonth: 1 }), reason: 'expired-card', code: '8' },
  ];
  for (const c of cases) {
    const outcome = await connector.charge(c.request);
    emitted.push(outcome);
    t.same(outcome, { kind: 'declined', reason: c.reason, code: c.code }, c.reason);
    t.equal(entry(c.request.idempotencyKey)?.charges, 0);
  }
  // 1050 is approved: only minor units 51 decline.
  t.equal((await connector.charge(chargeRequest({ amountMinor: 1050 }))).kind, 'approved');
  emitted.push(events);
  await connector.close();
});

t.test('card ending 0119: no answer -> timeout, outcome unknown, never retried', async (t) => {
  const { connector, events } = connectorFor(simulator, { timeoutMs: 300, retries: 3 });
  const request = chargeRequest({ pan: CARDS.noAnswer });
  const started = Date.now();
  const outcome = await connector.charge(request);
  emitted.push(outcome, events);
  t.same(outcome, { kind: 'error', reason: 'timeout', outcomeUnknown: true });
  t.ok(Date.now() - started < 2000, 'gave up near the timeout');
  t.equal(entry(request.idempotencyKey)?.requests, 1, 'the gateway saw one request');
  t.notOk(events.some((e) => e.type === 'retry'));
  await connector.close();
});

t.test('connection refused: error, outcome known, retried a bounded number of times', async (t) => {
  const port = await closedPort();
  const { connector, events } = connectorFor(simulator, { url: `https://127.0.0.1:${port}/xml/v1/request.api`, retries: 2 });
  const outcome = await connector.charge(chargeRequest());
  emitted.push(outcome, events);
  t.same(outcome, { kind: 'error', reason: 'connection-refused', outcomeUnknown: false });
  t.equal(events.filter((e) => e.type === 'request').length, 3, 'one try and two retries');
  t.equal(events.filter((e) => e.type === 'retry').length, 2);
  await connector.close();
});

t.test('TLS failure (certificate from a CA we do not trust): error tls, no retry, nothing reaches the gateway', async (t) => {
  const other = await generate([{ name: 'commonName', value: 'some other CA' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  const before = simulator.ledger().requests;
  const { connector, events } = connectorFor(simulator, {}, { extraCa: [other.cert] });
  const outcome = await connector.charge(chargeRequest());
  emitted.push(outcome, events);
  t.same(outcome, { kind: 'error', reason: 'tls', outcomeUnknown: false });
  t.equal(simulator.ledger().requests, before, 'no HTTP request reached the simulator');
  t.ok(events.some((e) => e.type === 'failure' && e.reason === 'tls' && !e.sent));
  t.equal(events.filter((e) => e.type === 'request').length, 1);
  await connector.close();
});

t.test('HTTP 500 after charging: retried with the same key, the ledger holds one charge', async (t) => {
  const { connector, events } = connectorFor(simulator, { retries: 2 });
  const request = chargeRequest();
  simulator.injectFaults(['http-500']);
  const outcome = await connector.charge(request);
  emitted.push(outcome, events);
  t.equal(outcome.kind, 'approved');
  const e = entry(request.idempotencyKey);
  t.equal(e?.requests, 2);
  t.equal(e?.processed, 1);
  t.equal(e?.charges, 1, 'one charge for the payment attempt');
  const refs = new Set(events.flatMap((ev) => (ev.type === 'request' ? [ev.attemptRef] : [])));
  t.equal(refs.size, 1, 'every try carried the same key');
  await connector.close();
});

t.test('HTTP 503 until the retries run out: error http-503, bounded, outcome known', async (t) => {
  const { connector, events } = connectorFor(simulator, { retries: 2 });
  const request = chargeRequest();
  simulator.injectFaults(['http-503', 'http-503', 'http-503']);
  const outcome = await connector.charge(request);
  emitted.push(outcome, events);
  t.same(outcome, { kind: 'error', reason: 'http-503', outcomeUnknown: false });
  t.equal(entry(request.idempotencyKey)?.requests, 3);
  t.equal(entry(request.idempotencyKey)?.charges, 0);
  // A later submission of the same attempt is processed once.
  const again = await connector.charge(request);
  t.equal(again.kind, 'approved');
  t.equal(entry(request.idempotencyKey)?.charges, 1);
  await connector.close();
});

t.test('HTTP 500 every time: unknown outcome, bounded, still one charge', async (t) => {
  const { connector } = connectorFor(simulator, { retries: 1 });
  const request = chargeRequest();
  simulator.injectFaults(['http-500', 'http-500']);
  const outcome = await connector.charge(request);
  t.same(outcome, { kind: 'error', reason: 'http-500', outcomeUnknown: true });
  t.equal(entry(request.idempotencyKey)?.requests, 2);
  t.equal(entry(request.idempotencyKey)?.charges, 1);
  await connector.close();
});

t.test('HTTP 400: error, not retried', async (t) => {
  const { connector, events } = connectorFor(simulator, { retries: 2 });
  const request = chargeRequest();
  simulator.injectFaults(['http-400']);
  const outcome = await connector.charge(request);
  emitted.push(outcome, events);
  t.same(outcome, { kind: 'error', reason: 'http-400', outcomeUnknown: false });
  t.equal(entry(request.idempotencyKey)?.requests, 1);
  await connector.close();
});

t.test('malformed and unexpected XML: bad-response, outcome unknown, not retried', async (t) => {
  for (const fault of ['malformed-xml', 'unexpected-xml'] as const) {
    const { connector, events } = connectorFor(simulator, { retries: 2 });
    const request = chargeRequest();
    simulator.injectFaults([fault]);
    const outcome = await connector.charge(request);
    emitted.push(outcome, events);
    t.same(outcome, { kind: 'error', reason: 'bad-response', outcomeUnknown: true }, fault);
    t.equal(entry(request.idempotencyKey)?.requests, 1, `${fault}: one request`);
    t.ok(
      events.some((e) => e.type === 'bad-response'),
      `${fault}: reported`,
    );
    await connector.close();
  }
});

t.test('slow answer: beyond the timeout is a timeout (unknown, not retried), within it an approval', async (t) => {
  const late = connectorFor(simulator, { timeoutMs: SLOW_MS / 2, retries: 2 });
  const request = chargeRequest();
  simulator.injectFaults(['slow']);
  const outcome = await late.connector.charge(request);
  emitted.push(outcome, late.events);
  t.same(outcome, { kind: 'error', reason: 'timeout', outcomeUnknown: true });
  t.equal(entry(request.idempotencyKey)?.requests, 1);
  // The dialog may ask again with the same key (same attempt): the first answer, no new charge.
  const patient = connectorFor(simulator, { timeoutMs: SLOW_MS * 4 });
  simulator.injectFaults(['slow']);
  const replay = await patient.connector.charge(request);
  t.equal(replay.kind, 'approved');
  t.equal(entry(request.idempotencyKey)?.charges, 1);
  t.equal(entry(request.idempotencyKey)?.processed, 1);
  await late.connector.close();
  await patient.connector.close();
});

t.test('connection reset after sending: unknown, not retried', async (t) => {
  const { connector, events } = connectorFor(simulator, { retries: 2 });
  const request = chargeRequest();
  simulator.injectFaults(['reset']);
  const outcome = await connector.charge(request);
  emitted.push(outcome, events);
  t.same(outcome, { kind: 'error', reason: 'connection-reset', outcomeUnknown: true });
  t.equal(entry(request.idempotencyKey)?.requests, 1);
  await connector.close();
});

t.test('double submit of one idempotency key: the first answer, one charge', async (t) => {
  const { connector } = connectorFor(simulator);
  const request = chargeRequest();
  const [a, b] = await Promise.all([connector.charge(request), connector.charge(request)]);
  const c = await connector.charge(request);
  t.equal(a.kind, 'approved');
  t.same(b, a);
  t.same(c, a);
  t.equal(entry(request.idempotencyKey)?.requests, 3);
  t.equal(entry(request.idempotencyKey)?.charges, 1);
  // A declined attempt replays its decline.
  const declined = chargeRequest({ pan: CARDS.doNotHonour });
  const d1 = await connector.charge(declined);
  const d2 = await connector.charge(declined);
  t.same(d2, d1);
  t.equal(entry(declined.idempotencyKey)?.processed, 1);
  await connector.close();
});

t.test('abort before sending: error aborted, nothing sent', async (t) => {
  const { connector } = connectorFor(simulator);
  const controller = new AbortController();
  controller.abort();
  const request = chargeRequest();
  const outcome = await connector.charge(request, controller.signal);
  t.same(outcome, { kind: 'error', reason: 'aborted', outcomeUnknown: false });
  t.equal(entry(request.idempotencyKey), undefined);
  await connector.close();
  t.same(await connector.charge(chargeRequest()), { kind: 'error', reason: 'connector-closed', outcomeUnknown: false });
});

t.test('TLS failure: a trusted certificate for another name (hostname mismatch)', async (t) => {
  // The simulator's certificate names 127.0.0.1, ::1 and localhost; 127.0.0.2 is loopback too.
  const elsewhere = await startGatewaySimulator({ listen: '127.0.0.2:0' });
  const { connector } = connectorFor(elsewhere);
  t.same(await connector.charge(chargeRequest()), { kind: 'error', reason: 'tls', outcomeUnknown: false });
  t.equal(elsewhere.ledger().requests, 0);
  await connector.close();
  await elsewhere.close();
});

t.test('close() while a charge waits: aborted, outcome unknown once sent', async (t) => {
  const { connector } = connectorFor(simulator, { timeoutMs: 10_000 });
  const request = chargeRequest({ pan: CARDS.noAnswer });
  const pending = connector.charge(request);
  for (let i = 0; i < 200 && entry(request.idempotencyKey) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const started = Date.now();
  await connector.close();
  t.same(await pending, { kind: 'error', reason: 'aborted', outcomeUnknown: true });
  t.ok(Date.now() - started < 1000);
});

t.test('bad card bytes never leave: error bad-request, no request', async (t) => {
  const { connector } = connectorFor(simulator);
  const before = simulator.ledger().requests;
  const outcome = await connector.charge(chargeRequest({ pan: '4111-1111<x>' }));
  t.same(outcome, { kind: 'error', reason: 'bad-request', outcomeUnknown: false });
  t.equal(simulator.ledger().requests, before);
  await connector.close();
});

t.test('the request buffer holds the card while sent and is zeroed after', async (t) => {
  const held: { body: Buffer; hadPan: boolean; hadCvv: boolean }[] = [];
  const watching: Transport = (body, options, onSent, signal) => {
    held.push({ body, hadPan: body.includes(CARDS.visa), hadCvv: body.includes(`<cardCode>${CVV}</cardCode>`) });
    return postHttps(body, options, onSent, signal);
  };
  const { connector } = connectorFor(simulator, { retries: 1 }, { transport: watching });
  simulator.injectFaults(['http-503']);
  const outcome = await connector.charge(chargeRequest());
  t.equal(outcome.kind, 'approved');
  t.equal(held.length, 2, 'one buffer per try');
  for (const { body, hadPan, hadCvv } of held) {
    t.ok(hadPan && hadCvv, 'the card was in the body');
    t.ok(body.length > 0 && body.every((byte) => byte === 0), 'zeroed after sending');
  }
  // Also on a failure path (refused: never sent).
  held.length = 0;
  const port = await closedPort();
  const refused = connectorFor(simulator, { url: `https://127.0.0.1:${port}/`, retries: 0 }, { transport: watching });
  await refused.connector.charge(chargeRequest());
  t.equal(held.length, 1);
  t.ok(held[0]?.body.every((byte) => byte === 0));
  await connector.close();
  await refused.connector.close();
});

t.test('PCI: no card number or security code in anything the connector and simulator emitted', async (t) => {
  const everything = { emitted, simulatorEvents, ledger: simulator.ledger() };
  const pans = [CARDS.visa, CARDS.mastercard, CARDS.doNotHonour, CARDS.noAnswer, CARDS.luhnInvalid];
  t.ok(emitted.length > 10 && simulatorEvents.length > 10, 'there is something to search');
  t.same(cardDataIn(everything, pans), []);
  // The scan itself finds card data when it is there.
  t.not(cardDataIn({ x: `n=${CARDS.visa}` }, pans).length, 0);
  t.not(cardDataIn({ x: `<cardCode>${CVV}</cardCode>` }, pans).length, 0);
});
