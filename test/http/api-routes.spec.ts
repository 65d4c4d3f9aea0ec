import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { registerCallRoutes, type CallControl, type CallSummary } from '../../src/http/call-routes.js';
import { callSummary } from '../helpers/call-summary.js';
import { createHttpApp } from '../../src/http/http-app.js';
import { PaymentApiError, registerPaymentRoutes, type PaymentApi, type PaymentCommand, type StartPaymentInput } from '../../src/http/payment-routes.js';
import { signWebhook, StatusWebhook } from '../../src/http/status-webhook.js';
import { WidgetTokens } from '../../src/http/widget-token.js';
import { createLogger } from '../../src/server/logger.js';

const AUTH = { authorization: 'Bearer tok' };

function fakeCalls(): CallControl & { secureCalls: string[] } {
  const call: CallSummary = callSummary('c1', {
    legs: { caller: { callId: 'caller-leg@x', from: 'sip:a@x', to: 'sip:b@y' }, agent: { callId: 'pbx-leg', from: 'sip:a@tg', to: 'sip:b@pbx' } },
  });
  const secureCalls: string[] = [];
  return {
    secureCalls,
    resolve: (id) => (id === 'caller-leg@x' || id === 'pbx-leg' ? 'c1' : id),
    list: () => [{ ...call, secure: secureCalls.includes('c1') }],
    get: (id) => (id === 'c1' ? call : id === 'ended' ? { ...call, id, state: 'ended' } : undefined),
    setSecure: (id, on) => {
      if (id !== 'c1') return false;
      if (on) secureCalls.push(id);
      else secureCalls.splice(secureCalls.indexOf(id), 1);
      return true;
    },
  };
}

t.test('calls: list, secure on and off, unknown calls', async (t) => {
  const app = await createHttpApp({ token: 'tok', logger: createLogger('silent') });
  const calls = fakeCalls();
  registerCallRoutes(app, calls, { widgetTokens: new WidgetTokens(''), widgetTokenTtlSeconds: 3600 });
  t.teardown(() => app.close());
  const list = await app.inject({ url: '/calls', headers: AUTH });
  t.equal(list.statusCode, 200);
  t.equal(list.json().calls[0].id, 'c1');
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/secure', headers: AUTH })).statusCode, 200);
  t.same(calls.secureCalls, ['c1']);
  t.equal((await app.inject({ url: '/calls', headers: AUTH })).json().calls[0].secure, true);
  t.equal((await app.inject({ method: 'DELETE', url: '/calls/c1/secure', headers: AUTH })).statusCode, 200);
  t.same(calls.secureCalls, []);
  // The PBX side knows only its own leg's Call-ID; the caller side its own: both name the call.
  const byPbx = await app.inject({ method: 'POST', url: '/calls/pbx-leg/secure', headers: AUTH });
  t.same([byPbx.statusCode, byPbx.json()], [200, { id: 'c1', secure: true }], "the PBX leg's Call-ID names the call");
  t.same(calls.secureCalls, ['c1']);
  t.equal((await app.inject({ url: `/calls/${encodeURIComponent('caller-leg@x')}`, headers: AUTH })).json().id, 'c1', "the caller leg's Call-ID, URL-encoded");
  t.equal((await app.inject({ method: 'DELETE', url: '/calls/pbx-leg/secure', headers: AUTH })).statusCode, 200);
  t.equal((await app.inject({ method: 'POST', url: '/calls/nope/secure', headers: AUTH })).statusCode, 404);
  t.equal((await app.inject({ method: 'POST', url: '/calls/ended/secure', headers: AUTH })).statusCode, 409);
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/secure' })).statusCode, 401, 'token required');
  t.equal((await app.inject({ url: '/calls/%00bad', headers: AUTH })).statusCode, 404);
});

t.test('payments: start (idempotent), commands, status, errors', async (t) => {
  const app = await createHttpApp({ token: 'tok', logger: createLogger('silent') });
  const started: StartPaymentInput[] = [];
  const commands: PaymentCommand[] = [];
  const api: PaymentApi = {
    async start(callId, input) {
      if (callId !== 'c1') throw new PaymentApiError('ERR_NO_CALL', 'no such call');
      if (input.parameters.amount === 'bad') throw new PaymentApiError('ERR_BAD_REQUEST', 'amount: not a decimal amount');
      const again = started.some((s) => s.idempotencyKey === input.idempotencyKey);
      started.push(input);
      return { paymentId: 'p1', created: !again };
    },
    command(_callId, pid, command) {
      if (pid !== 'p1') throw new PaymentApiError('ERR_NO_PAYMENT', 'no such payment');
      commands.push(command);
      if ('status' in command && command.status === 'complete') return { accepted: false, reason: 'fields-missing', missing: ['expiration-date', 'security-code'] };
      if ('capture' in command && command.capture === 'charge-amount') return { accepted: false, reason: 'not-collecting:processing' };
      return { accepted: true };
    },
    status: () => ({ for: 'payment-card-number', paymentCardNumber: 'xxxxxxxxxxxx1111' }),
  };
  registerCallRoutes(app, fakeCalls(), { widgetTokens: new WidgetTokens(''), widgetTokenTtlSeconds: 3600 });
  registerPaymentRoutes(app, api, { callbacks: { secretSet: true, allowPlainHttp: false, hosts: [] } });
  t.teardown(() => app.close());
  const body = { idempotencyKey: 'k1', customerId: 'C42', amount: '125.50', currency: 'GBP', statusCallback: 'https://crm.example/cb' };
  const first = await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: body });
  t.equal(first.statusCode, 201);
  t.same(first.json(), { paymentId: 'p1', callId: 'c1' });
  t.same(started[0].parameters, { customerId: 'C42', amount: '125.50', currency: 'GBP' }, 'payment parameters passed on without the API fields');
  t.equal(started[0].statusCallback, 'https://crm.example/cb');
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: body })).statusCode, 200, 'same key: the same payment');
  const viaPbx = await app.inject({ method: 'POST', url: '/calls/pbx-leg/payments', headers: AUTH, payload: body });
  t.same([viaPbx.statusCode, viaPbx.json()], [200, { paymentId: 'p1', callId: 'c1' }], "the PBX leg's Call-ID reaches the same call's payment");
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: { amount: '1' } })).statusCode, 400, 'idempotency key required');
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: { ...body, statusCallback: 'ftp://x' } })).statusCode, 422);
  t.equal((await app.inject({ method: 'POST', url: '/calls/c2/payments', headers: AUTH, payload: body })).statusCode, 404);
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: { ...body, idempotencyKey: 'k2', amount: 'bad' } })).statusCode, 400);
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments/p1', headers: AUTH, payload: { capture: 'security-code' } })).statusCode, 200);
  const refused = await app.inject({ method: 'POST', url: '/calls/c1/payments/p1', headers: AUTH, payload: { status: 'complete' } });
  t.equal(refused.statusCode, 409);
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.same(
    refused.json(),
    {
      type: 'https://toneguard.dev/problems/conflict',
      title: 'Not possible in the current state',
      status: 409,
      detail: 'cannot complete: missing or invalid: expiration-date, security-code',
      instance: '/calls/c1/payments/p1',
      error: 'cannot complete: missing or invalid: expiration-date, security-code',
      code: 'ERR_CONFLICT',
      accepted: false,
      reason: 'fields-missing',
      missing: ['expiration-date', 'security-code'],
    },
    'a refused complete is a conflict problem naming the fields still missing, readable and as a list',
  );
  const late = await app.inject({ method: 'POST', url: '/calls/c1/payments/p1', headers: AUTH, payload: { capture: 'charge-amount' } });
  t.equal(late.statusCode, 409);
  t.match(late.json(), {
    type: 'https://toneguard.dev/problems/conflict',
    status: 409,
    detail: 'cannot capture charge-amount now: not-collecting:processing',
    code: 'ERR_CONFLICT',
    accepted: false,
    reason: 'not-collecting:processing',
  });
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments/p1', headers: AUTH, payload: { capture: 'pin' } })).statusCode, 400);
  t.equal((await app.inject({ method: 'POST', url: '/calls/c1/payments/p9', headers: AUTH, payload: { status: 'cancel' } })).statusCode, 404);
  t.same(commands, [{ capture: 'security-code' }, { status: 'complete' }, { capture: 'charge-amount' }]);
  t.equal((await app.inject({ url: '/calls/c1/payments/p1', headers: AUTH })).json().paymentCardNumber, 'xxxxxxxxxxxx1111');
});

t.test('status webhooks are signed, in order, and retried on 5xx', async (t) => {
  const received: { body: string; signature: string; timestamp: string }[] = [];
  let failNext = 1;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failNext-- > 0) {
        res.writeHead(503).end();
        return;
      }
      const signature = String(req.headers['x-toneguard-signature']);
      received.push({ body, signature, timestamp: /^t=(\d+),/.exec(signature)?.[1] ?? '' });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const statuses: number[] = [];
  const hook = new StatusWebhook({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`, secret: 'shh', onDelivery: (s) => statuses.push(s) });
  hook.send({ n: 1 });
  hook.send({ n: 2 });
  await hook.flush();
  t.same(
    received.map((r) => JSON.parse(r.body).n),
    [1, 2],
    'in order, the first after a retry',
  );
  t.same(statuses, [204, 204]);
  for (const r of received) t.equal(r.signature, signWebhook('shh', Number(r.timestamp), r.body), 'HMAC over timestamp and body');
  t.not(signWebhook('other', 1, 'x'), signWebhook('shh', 1, 'x'));
});

t.test('statusCallback: refused without a webhook secret, over plain http without the opt-in, to internal hosts unless allowlisted', async (t) => {
  const started: (string | undefined)[] = [];
  const api: PaymentApi = {
    async start(_callId, input) {
      started.push(input.statusCallback);
      return { paymentId: `p${started.length}`, created: true };
    },
    command: () => ({ accepted: true }),
    status: () => ({}),
  };
  const start = async (callbacks: Parameters<typeof registerPaymentRoutes>[2], statusCallback: string) => {
    const app = await createHttpApp({ token: 'tok', logger: createLogger('silent') });
    registerPaymentRoutes(app, api, callbacks);
    t.teardown(() => app.close());
    const res = await app.inject({ method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: { idempotencyKey: 'k', amount: '1.00', customerId: 'C', statusCallback } });
    return { status: res.statusCode, body: res.json() as { code?: string; error?: string } };
  };
  const noSecret = await start(undefined, 'https://crm.example/cb');
  t.equal(noSecret.status, 422, 'no webhook secret configured: refused');
  t.equal(noSecret.body.code, 'ERR_WEBHOOKS_DISABLED');
  t.match(noSecret.body.error, /http\.webhookSecret/);
  const plain = await start({ callbacks: { secretSet: true, allowPlainHttp: false, hosts: [] } }, 'http://crm.example/cb');
  t.equal(plain.status, 422, 'http without the opt-in: refused');
  t.match(plain.body.error, /https/);
  t.equal((await start({ callbacks: { secretSet: true, allowPlainHttp: true, hosts: [] } }, 'http://crm.example/cb')).status, 201, 'http with the opt-in');
  t.equal((await start({ callbacks: { secretSet: true, allowPlainHttp: true, hosts: [] } }, 'http://127.0.0.1:9/cb')).status, 422, 'loopback is not a public host');
  t.equal((await start({ callbacks: { secretSet: true, allowPlainHttp: true, hosts: ['127.0.0.1'] } }, 'http://127.0.0.1:9/cb')).status, 201, 'unless allowlisted');
  t.same(started, ['http://crm.example/cb', 'http://127.0.0.1:9/cb'], 'only accepted callbacks reach the payment layer');
});
