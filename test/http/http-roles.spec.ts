// The two HTTP roles on the real routes: the master token (CTI/admin side, header only) and the
// widget token minted for one call (watch it, drive its payment, nothing else).
import t, { type Test } from 'tap';
import { registerCallRoutes, type CallControl, type CallSummary } from '../../src/http/call-routes.js';
import { callSummary } from '../helpers/call-summary.js';
import { createHttpApp } from '../../src/http/http-app.js';
import { registerPaymentRoutes, type PaymentApi } from '../../src/http/payment-routes.js';
import { WidgetHub } from '../../src/http/widget/widget-hub.js';
import { registerWidgetRoutes } from '../../src/http/widget/widget-routes.js';
import { WidgetTokens } from '../../src/http/widget-token.js';
import { KpiMetrics } from '../../src/kpi/kpi-metrics.js';
import { registerKpiRoutes } from '../../src/kpi/kpi-routes.js';
import { SqliteKpiStore } from '../../src/kpi/sqlite-kpi-store.js';
import { createLogger } from '../../src/server/logger.js';

const MASTER = 'master-token-0a1b2c';
const KEY = 'widget-token-key-of-at-least-32-chars!';

function fakeCalls(): CallControl {
  const summary = (id: string): CallSummary => callSummary(id, { legs: { caller: { callId: `${id}-leg-a`, from: 'sip:a@x', to: 'sip:b@y' }, agent: null } });
  return {
    resolve: (id) => (id === 'c1-leg-b' ? 'c1' : id === 'c1' || id === 'c2' ? id : undefined),
    list: () => [summary('c1'), summary('c2')],
    get: (id) => (id === 'c1' || id === 'c2' ? summary(id) : undefined),
    setSecure: () => true,
  };
}

function fakePayments(): PaymentApi & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    async start(callId) {
      started.push(callId);
      return { paymentId: `p-${callId}`, created: true };
    },
    command: () => ({ accepted: true }),
    status: (callId, paymentId) => ({ callId, paymentId }),
  };
}

async function setup(t: Test) {
  const widgetTokens = new WidgetTokens(KEY);
  const app = await createHttpApp({ token: MASTER, logger: createLogger('silent'), widgetTokens, resolveCallId: (id) => fakeCalls().resolve(id) });
  const payments = fakePayments();
  const hub = new WidgetHub();
  const store = SqliteKpiStore.open(':memory:');
  registerCallRoutes(app, fakeCalls(), { widgetTokens, widgetTokenTtlSeconds: 3600 });
  registerPaymentRoutes(app, payments, { callbacks: { secretSet: true, allowPlainHttp: false, hosts: [] } });
  registerWidgetRoutes(app, { hub });
  registerKpiRoutes(app, { store, metrics: new KpiMetrics() });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  const minted = await app.inject({ method: 'POST', url: '/calls/c1/widget-token', headers: { authorization: `Bearer ${MASTER}` }, payload: {} });
  t.equal(minted.statusCode, 201, 'the master token mints a widget token');
  const body = minted.json() as { token: string; expiresAt: string; url: string; path: string; callId: string };
  return { app, payments, hub, body, widget: { authorization: `Bearer ${body.token}` } };
}

t.test('a widget token is minted with the master token and is not the master token', async (t) => {
  const { app, body } = await setup(t);
  t.not(body.token, MASTER);
  t.notMatch(body.token, MASTER);
  t.equal(body.callId, 'c1');
  const ttl = (Date.parse(body.expiresAt) - Date.now()) / 1000;
  t.ok(ttl > 3590 && ttl <= 3600, `expires in the configured TTL (${ttl.toFixed(0)} s)`);
  t.equal(body.path, `/widget/c1#token=${encodeURIComponent(body.token)}`, 'the token rides in the URL fragment');
  t.match(body.url, /^http:\/\/localhost(:80)?\/widget\/c1#token=/);
  t.notMatch(body.url, MASTER, 'the master token is in no URL');
  const shorter = await app.inject({ method: 'POST', url: '/calls/c1/widget-token', headers: { authorization: `Bearer ${MASTER}` }, payload: { ttlSeconds: 60 } });
  t.ok(Date.parse(shorter.json().expiresAt) - Date.now() <= 60_000, 'a shorter TTL on request');
  const longer = await app.inject({ method: 'POST', url: '/calls/c1/widget-token', headers: { authorization: `Bearer ${MASTER}` }, payload: { ttlSeconds: 999_999 } });
  t.ok(Date.parse(longer.json().expiresAt) - Date.now() <= 3_600_000, 'never longer than the configured TTL');
  t.equal((await app.inject({ method: 'POST', url: '/calls/nope/widget-token', headers: { authorization: `Bearer ${MASTER}` } })).statusCode, 404);
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/widget-token' })).statusCode, 401);
});

t.test('a widget token watches and drives its own call only', async (t) => {
  const { app, payments, widget } = await setup(t);
  const own = await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: widget, payload: { idempotencyKey: 'k1', amount: '10.00', customerId: 'C1' } });
  t.equal(own.statusCode, 201, 'starts a payment on its call');
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments/p-c1', headers: widget, payload: { status: 'cancel' } })).statusCode, 200, 'cancels it');
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments/p-c1', headers: widget, payload: { status: 'complete' } })).statusCode, 200, 'completes it');
  t.equal((await app.inject({ url: '/calls/c1/payments/p-c1', headers: widget })).statusCode, 200, 'reads its status');
  t.equal(
    (await app.inject({ method: 'POST', url: '/calls/c1-leg-b/payments', headers: widget, payload: { idempotencyKey: 'k2', amount: '1.00', customerId: 'C1' } })).statusCode,
    201,
    'the call by another of its ids',
  );

  const other = await app.inject({ method: 'POST', url: '/calls/c2/payments', headers: widget, payload: { idempotencyKey: 'k3', amount: '10.00', customerId: 'C1' } });
  t.equal(other.statusCode, 403, 'cannot start a payment on another call');
  t.match(other.json().error, /another call/);
  t.equal((await app.inject({ method: 'POST', url: '/calls/c2/payments/p-c2', headers: widget, payload: { status: 'cancel' } })).statusCode, 403, 'cannot cancel on another call');
  t.equal((await app.inject({ url: '/calls/c2/payments/p-c2', headers: widget })).statusCode, 403, 'cannot read another call');
  t.equal((await app.inject({ url: '/widget/c2/events', headers: widget })).statusCode, 403, "cannot watch another call's widget");
  t.same(payments.started, ['c1', 'c1'], "the payment layer sees toneguard's id either way");

  for (const [method, url] of [
    ['GET', '/calls'],
    ['GET', '/calls/c1'],
    ['POST', '/calls/c1/secure'],
    ['DELETE', '/calls/c1/secure'],
    ['POST', '/calls/c1/widget-token'],
    ['GET', '/kpi'],
    ['GET', '/kpi/field-inputs'],
    ['GET', '/kpi/live'],
    ['GET', '/metrics'],
    ['GET', '/dashboard'],
  ] as const) {
    const res = await app.inject({ method, url, headers: widget });
    t.equal(res.statusCode, 403, `${method} ${url} is refused to a widget token`);
    const master = await app.inject({ method, url, headers: { authorization: `Bearer ${MASTER}` } });
    t.not(master.statusCode, 403, `${method} ${url} is open to the master token`);
  }
  const hooked = await app.inject({
    method: 'POST',
    url: '/calls/c1/payments',
    headers: widget,
    payload: { idempotencyKey: 'k4', amount: '1.00', customerId: 'C1', statusCallback: 'https://crm.example/cb' },
  });
  t.equal(hooked.statusCode, 403, 'a widget token cannot direct status callbacks');
});

t.test('the widget token may ride in ?token= (EventSource); a forged, widened or expired one is refused', async (t) => {
  const { app, body, hub } = await setup(t);
  hub.end('c1');
  const stream = await app.inject({ url: `/widget/c1/events?token=${encodeURIComponent(body.token)}` });
  t.equal(stream.statusCode, 200, 'the scoped token in the query string');
  t.match(stream.body, /event: end/);
  const [prefix, payload, mac] = body.token.split('.');
  const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), c: 'c2' })).toString('base64url');
  t.equal((await app.inject({ url: '/widget/c2/events', headers: { authorization: `Bearer ${prefix}.${widened}.${mac}` } })).statusCode, 401, 'a payload changed for another call');
  const otherKey = new WidgetTokens('another-key-of-at-least-32-characters').mint({ callId: 'c1', scopes: ['watch', 'pay'], expiresAt: Math.floor(Date.now() / 1000) + 60 });
  t.equal((await app.inject({ url: '/widget/c1/events', headers: { authorization: `Bearer ${otherKey}` } })).statusCode, 401, 'signed with another key');
  const expired = new WidgetTokens(KEY).mint({ callId: 'c1', scopes: ['watch', 'pay'], expiresAt: Math.floor(Date.now() / 1000) - 1 });
  t.equal((await app.inject({ url: '/widget/c1/events', headers: { authorization: `Bearer ${expired}` } })).statusCode, 401, 'expired');
  const watchOnly = new WidgetTokens(KEY).mint({ callId: 'c1', scopes: ['watch'], expiresAt: Math.floor(Date.now() / 1000) + 60 });
  t.equal(
    (await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: { authorization: `Bearer ${watchOnly}` }, payload: { idempotencyKey: 'k', amount: '1.00', customerId: 'C' } })).statusCode,
    403,
    'a watch-only token cannot pay',
  );
});

t.test('the master token is refused in a URL, wherever it points', async (t) => {
  const { app } = await setup(t);
  for (const url of ['/calls', '/widget/c1/events', '/widget/c1', '/metrics', '/health/live']) {
    const res = await app.inject({ url: `${url}?token=${MASTER}` });
    t.equal(res.statusCode, 401, `${url}?token=<master> is refused`);
    t.equal(res.json().code, 'ERR_MASTER_TOKEN_IN_URL');
  }
  t.equal((await app.inject({ url: '/calls', headers: { authorization: `Bearer ${MASTER}` } })).statusCode, 200, 'the header works');
  t.equal((await app.inject({ url: '/widget/c1' })).statusCode, 200, 'the widget page itself is static and public');
});
