// Every HTTP error is an RFC 9457 problem: `application/problem+json` with the type, title, status
// and detail of its kind (src/http/problem.ts), the older `error` and `code` members kept, and
// never the card number a request carried.
import t from 'tap';
import { PROBLEM_TYPES, problemBody, type ProblemSlug } from '../../src/http/problem.js';
import { AUTH, buildApiApp } from '../helpers/http-api-app.js';

const PAN = '4111111111111111';
const JSON_BODY = { ...AUTH, 'content-type': 'application/json' };

interface Case {
  readonly name: string;
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string | object;
  readonly slug: ProblemSlug;
  readonly code?: string;
  /** Members the problem must also carry. */
  readonly extra?: Record<string, unknown>;
  readonly instance?: string | null;
}

const CASES: readonly Case[] = [
  {
    name: 'malformed JSON (a card number in it)',
    method: 'POST',
    url: '/calls/c1/payments',
    headers: JSON_BODY,
    payload: `{"idempotencyKey":"k","amount":${PAN}`,
    slug: 'malformed-json',
    instance: '/calls/c1/payments',
  },
  { name: 'empty JSON body', method: 'POST', url: '/calls/c1/payments', headers: JSON_BODY, payload: '', slug: 'malformed-json', code: 'FST_ERR_CTP_EMPTY_JSON_BODY' },
  {
    name: 'a body over 64 KiB',
    method: 'POST',
    url: '/calls/c1/payments',
    headers: JSON_BODY,
    payload: JSON.stringify({ idempotencyKey: 'k', reference: 'x'.repeat(70_000) }),
    slug: 'payload-too-large',
  },
  { name: 'a text/plain body', method: 'POST', url: '/calls/c1/payments', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'idempotencyKey=k', slug: 'unsupported-media-type' },
  { name: 'an XML body', method: 'POST', url: '/calls/c1/payments/p1', headers: { ...AUTH, 'content-type': 'application/xml' }, payload: '<status>cancel</status>', slug: 'unsupported-media-type' },
  { name: 'a body the schema refuses', method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: { amount: '1.00' }, slug: 'bad-request', code: 'ERR_BAD_REQUEST' },
  { name: 'an unknown command', method: 'POST', url: '/calls/c1/payments/p1', headers: AUTH, payload: { capture: 'pin' }, slug: 'bad-request' },
  { name: 'a widget-token body with a string ttl', method: 'POST', url: '/calls/c1/widget-token', headers: AUTH, payload: { ttlSeconds: '60' }, slug: 'bad-request' },
  { name: 'a bad KPI range (a card number in it)', url: `/kpi?from=${PAN}`, slug: 'bad-request', code: 'kpi.invalid-range', extra: { error: 'kpi.invalid-range' } },
  { name: 'no token', url: '/calls', headers: {}, slug: 'unauthorised', code: 'ERR_UNAUTHORISED' },
  { name: 'a wrong token', url: '/calls', headers: { authorization: 'Bearer wrong' }, slug: 'unauthorised' },
  { name: 'the master token in a URL', url: '/calls?token=api-test-token', headers: {}, slug: 'master-token-in-url', code: 'ERR_MASTER_TOKEN_IN_URL' },
  { name: 'an unknown call', url: '/calls/nope', slug: 'no-such-call', code: 'ERR_NO_CALL', instance: '/calls/nope' },
  { name: 'an unknown call whose id looks like a card number', url: `/calls/${PAN}`, slug: 'no-such-call', instance: null },
  { name: 'a payment on an unknown call', method: 'POST', url: '/calls/nope/payments', headers: AUTH, payload: { idempotencyKey: 'k' }, slug: 'no-such-call' },
  { name: 'an unknown payment', url: '/calls/c1/payments/p9', slug: 'no-such-payment', code: 'ERR_NO_PAYMENT' },
  { name: 'an unknown route', url: '/no/such/route', slug: 'not-found', instance: null },
  { name: 'a method the route does not take', method: 'PUT', url: '/calls/c1/secure', slug: 'method-not-allowed', instance: null },
  { name: 'secure mode on a call that cannot switch', method: 'POST', url: '/calls/ended/secure', slug: 'conflict' },
  { name: 'a second payment on the call', method: 'POST', url: '/calls/c1/payments', headers: AUTH, payload: { idempotencyKey: 'busy' }, slug: 'payment-active', code: 'ERR_PAYMENT_ACTIVE' },
  {
    name: 'a refused status callback',
    method: 'POST',
    url: '/calls/c1/payments',
    headers: AUTH,
    payload: { idempotencyKey: 'k', statusCallback: 'http://crm.example/cb' },
    slug: 'callback-refused',
    code: 'ERR_CALLBACK_REFUSED',
  },
  { name: 'a call id over 256 characters (widget page)', url: `/widget/${'a'.repeat(300)}`, headers: {}, slug: 'uri-too-long' },
  { name: 'an unknown call with a 256-character id (the longest SIP Call-ID accepted)', url: `/calls/${'b'.repeat(256)}`, slug: 'no-such-call' },
  { name: 'a path segment longer than any id (counted decoded)', url: `/calls/${'%40'.repeat(257)}`, slug: 'uri-too-long', code: 'FST_ERR_MAX_PARAM_LENGTH', instance: null },
  { name: 'a path that is not valid percent-encoding', url: `/calls/${PAN}%E0%A4%A`, slug: 'bad-request', code: 'FST_ERR_BAD_URL', instance: null },
];

t.test('a table of failing requests: each a problem of the right type', async (t) => {
  const api = await buildApiApp();
  t.teardown(() => api.close());
  for (const c of CASES) {
    const method = c.method ?? 'GET';
    const res = await api.app.inject({ method, url: c.url, headers: c.headers ?? AUTH, ...(c.payload === undefined ? {} : { payload: c.payload }) });
    const kind = PROBLEM_TYPES[c.slug];
    t.equal(res.statusCode, kind.status, `${c.name}: ${kind.status}`);
    t.match(res.headers['content-type'], /^application\/problem\+json; charset=utf-8$/, `${c.name}: problem+json`);
    const body = res.json();
    t.match(
      body,
      { type: `https://toneguard.dev/problems/${c.slug}`, title: kind.title, status: kind.status, detail: String, code: c.code ?? String, error: String, ...c.extra },
      `${c.name}: ${c.slug}`,
    );
    if (c.instance !== undefined) t.equal(body.instance, c.instance ?? undefined, `${c.name}: instance ${c.instance}`);
    t.notOk(res.body.includes(PAN) || res.body.includes(PAN.slice(0, 12)), `${c.name}: no card number in the reply`);
    t.notMatch(res.body, /node_modules|at [\w.]+ \(/, `${c.name}: no stack`);
  }
});

t.test('details: 401 asks for a bearer token, 405 names the methods, 409 keeps the command reason', async (t) => {
  const api = await buildApiApp();
  t.teardown(() => api.close());
  t.equal((await api.app.inject({ url: '/calls' })).headers['www-authenticate'], 'Bearer');
  const put = await api.app.inject({ method: 'PUT', url: '/calls/c1/secure', headers: AUTH });
  t.equal(put.headers.allow, 'POST, DELETE', '405: Allow (RFC 9110 §15.5.6)');
  const anonymousPut = await api.app.inject({ method: 'PUT', url: '/calls/c1/secure' });
  t.equal(anonymousPut.statusCode, 401, 'without a token, no route is revealed (401 before 404/405)');
  api.refuseCommands = 'fields-missing';
  const refused = await api.app.inject({ method: 'POST', url: '/calls/c1/payments/p1', headers: AUTH, payload: { status: 'complete' } });
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), { type: 'https://toneguard.dev/problems/conflict', accepted: false, reason: 'fields-missing' }, 'the older {accepted, reason} members are kept');
  const minted = (await api.app.inject({ method: 'POST', url: '/calls/c1/widget-token', headers: AUTH })).json();
  const other = await api.app.inject({ url: '/widget/other/events', headers: { authorization: `Bearer ${minted.token}` } });
  t.match([other.statusCode, other.json()], [403, { type: 'https://toneguard.dev/problems/forbidden', code: 'ERR_FORBIDDEN' }], "a widget token on another call's stream");
  const callback = await api.app.inject({
    method: 'POST',
    url: '/calls/c1/payments',
    headers: { authorization: `Bearer ${minted.token}` },
    payload: { idempotencyKey: 'k', statusCallback: 'https://crm.example/cb' },
  });
  t.match([callback.statusCode, callback.json()], [403, { type: 'https://toneguard.dev/problems/forbidden' }], 'a widget token may not set a callback');
  api.readiness = { ready: false, reasons: ['draining'] };
  const draining = await api.app.inject({ url: '/health/ready' });
  t.match(
    [draining.statusCode, draining.headers['content-type'], draining.json()],
    [503, /^application\/problem\+json/, { type: 'https://toneguard.dev/problems/not-ready', reasons: ['draining'] }],
    'draining: 503 not-ready',
  );
});

t.test('too many widget streams: 429 too-many-streams', async (t) => {
  const api = await buildApiApp({ maxStreamsPerCall: 0 });
  t.teardown(() => api.close());
  const res = await api.app.inject({ url: '/widget/c1/events', headers: AUTH });
  t.match([res.statusCode, res.headers['content-type'], res.json()], [429, /^application\/problem\+json/, { type: 'https://toneguard.dev/problems/too-many-streams' }]);
});

t.test('a handler that throws: 500 internal-error, nothing of the exception in the reply', async (t) => {
  const api = await buildApiApp();
  t.teardown(() => api.close());
  // The payment API throwing something that is not a PaymentApiError (a bug below the route).
  const res = await api.app.inject({ method: 'POST', url: '/calls/c1/payments/p1', headers: AUTH, payload: { capture: 'security-code' } });
  t.equal(res.statusCode, 200, 'the fake accepts; the throwing case is the store below');
  await api.store.close();
  const failed = await api.app.inject({ url: '/kpi', headers: AUTH });
  t.match([failed.statusCode, failed.json()], [503, { type: 'https://toneguard.dev/problems/kpi-unavailable', code: 'kpi.closed' }]);
  t.notMatch(failed.body, /closed store|SqliteError|at /, 'the store error stays in the log');
});

t.test('problemBody: RFC members cannot be replaced by extensions; card-number-like runs are removed', async (t) => {
  const body = problemBody('conflict', `declined for ${PAN.replace(/(\d{4})/g, '$1 ').trim()}`, '/x', { extensions: { status: 200, type: 'x', reason: `r ${PAN}` } });
  t.equal(body.status, 409);
  t.equal(body.type, 'https://toneguard.dev/problems/conflict');
  t.equal(body.detail, 'declined for [digits removed]');
  t.equal(body.reason, 'r [digits removed]');
  t.equal(problemBody('conflict', 'order 12345678901 of 2026', undefined).detail, 'order 12345678901 of 2026', 'shorter runs stay');
});
