// registerKpiRoutes on the server's app through fastify.inject: GET /kpi (and ?by=, ranges, bad input -> 400),
// /kpi/field-errors, /kpi/field-inputs, /kpi/live, /metrics and the dashboard page (its script run
// against a minimal DOM).
import { createContext, Script } from 'node:vm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { createHttpApp } from '../../src/http/http-app.js';
import { KpiMetrics } from '../../src/kpi/kpi-metrics.js';
import { KpiRecorder } from '../../src/kpi/kpi-recorder.js';
import { registerKpiRoutes } from '../../src/kpi/kpi-routes.js';
import { SqliteKpiStore } from '../../src/kpi/sqlite-kpi-store.js';
import { scriptedBatch, TEST_PAN, TEST_PAN_LAST12 } from '../helpers/kpi-batch.js';
import { EXPECTED_BY_MERCHANT, EXPECTED_DAY1, EXPECTED_DAY2, EXPECTED_FIELD_ERRORS, EXPECTED_FIELD_INPUTS, EXPECTED_FIELD_INPUTS_DAY2, EXPECTED_TOTAL, contractJson } from '../helpers/kpi-expected.js';
import { parsePrometheusText, sumOf } from '../helpers/prometheus-text.js';
import { createLogger } from '../../src/server/logger.js';

/** The routes on the server's app (authentication, problems, documented-only response schemas). */
async function kpiApp(store: SqliteKpiStore, metrics: KpiMetrics): Promise<{ app: FastifyInstance; get: (url: string) => Promise<LightMyRequestResponse> }> {
  const app = await createHttpApp({ token: 'kpi-token', logger: createLogger('silent') });
  registerKpiRoutes(app, { store, metrics });
  return { app, get: (url) => app.inject({ url, headers: { authorization: 'Bearer kpi-token' } }) };
}

/** The routes over an in-memory store holding the scripted batch, closed with the test. */
async function scriptedApp(t: Test) {
  const store = SqliteKpiStore.open(':memory:');
  const metrics = new KpiMetrics();
  const { app, get } = await kpiApp(store, metrics);
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  const recorder = new KpiRecorder({ store, metrics });
  const { entered, ended } = scriptedBatch();
  for (const e of entered) recorder.sessionEntered(e);
  for (const r of ended) recorder.sessionEnded(r);
  await recorder.close();
  return { store, metrics, get };
}

t.test('KPI routes over the scripted batch', async (t) => {
  const { metrics, get } = await scriptedApp(t);
  metrics.callStarted();

  const all = await get('/kpi');
  t.equal(all.statusCode, 200);
  t.match(all.headers['content-type'], /application\/json/);
  t.equal(all.body, contractJson(EXPECTED_TOTAL), 'GET /kpi: the contract object, keys in order');
  t.same((await get('/kpi?from=2026-11-20&to=2026-11-21')).json(), EXPECTED_DAY1, 'from/to');
  t.same((await get('/kpi?from=2026-11-21T00:00:00Z')).json(), EXPECTED_DAY2, 'from as a date-time');
  t.same(
    (await get('/kpi?by=day')).json(),
    [
      { day: '2026-11-20', ...EXPECTED_DAY1 },
      { day: '2026-11-21', ...EXPECTED_DAY2 },
    ],
    'by=day: an array, key first',
  );
  t.same(
    (await get('/kpi?by=merchant')).json(),
    EXPECTED_BY_MERCHANT.map((g) => ({ merchant: g.key, ...g.summary })),
    'by=merchant',
  );
  t.same((await get('/kpi/field-errors')).json(), EXPECTED_FIELD_ERRORS, 'field errors');
  const inputs = await get('/kpi/field-inputs');
  t.equal(inputs.statusCode, 200);
  t.same(inputs.json(), { fieldInputs: EXPECTED_FIELD_INPUTS }, 'field inputs: per field and input mode, counts only');
  t.same((await get('/kpi/field-inputs?from=2026-11-21')).json(), { fieldInputs: EXPECTED_FIELD_INPUTS_DAY2 }, 'field inputs: from');
  t.same((await get('/kpi/field-inputs?from=2030-01-01')).json(), { fieldInputs: [] }, 'field inputs: an empty range is an empty list');
  t.same((await get('/kpi/live')).json(), { callsActive: 1, callsTotal: 1, rtpPackets: 0, rtpPacketsLost: 0, rtpPacketsDropped: 0, dtmfDigits: {}, dtmfDigitsClamped: 0 }, 'live counters');

  for (const [url, code] of [
    ['/kpi?from=yesterday', 'kpi.invalid-range'],
    ['/kpi?from=2026-02-30', 'kpi.invalid-range'],
    ['/kpi?from=2026-11-22&to=2026-11-21', 'kpi.invalid-range'],
    ['/kpi?by=week', 'kpi.invalid-group'],
    ['/kpi/field-inputs?to=tomorrow', 'kpi.invalid-range'],
    ['/kpi/field-inputs?from=2026-11-22&to=2026-11-21', 'kpi.invalid-range'],
  ] as const) {
    const r = await get(url);
    t.equal(r.statusCode, 400, `${url}: 400`);
    t.equal(r.json().error, code, `${url}: ${code}`);
    t.match(r.json(), { type: 'https://toneguard.dev/problems/bad-request', status: 400, code }, `${url}: a bad-request problem with the KPI code`);
  }
  t.equal((await get('/kpi?colour=red')).body, all.body, 'an unknown query parameter is ignored');

  const prom = await get('/metrics');
  t.equal(prom.statusCode, 200);
  t.match(prom.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheusText(prom.body);
  t.equal(sumOf(m, 'toneguard_payment_sessions_entered_total'), EXPECTED_TOTAL.entered, '/metrics: entered');
  t.equal(sumOf(m, 'toneguard_payment_sessions_total', { result: 'success' }), EXPECTED_TOTAL.successful, '/metrics: successful');
  t.equal(sumOf(m, 'toneguard_calls_active'), 1, '/metrics: calls active');

  const page = await get('/dashboard');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  for (const id of [
    'tile-entered',
    'tile-successful',
    'tile-unsuccessful',
    'tile-attempted',
    'tile-hangups',
    'tile-calls-active',
    'tile-rtp-packets',
    'tile-rtp-lost',
    'tile-dtmf-digits',
    'tile-dtmf-clamped',
    'outcomes-chart',
    'funnel',
    'field-inputs',
  ]) {
    t.match(page.body, `id="${id}"`, `dashboard has #${id}`);
  }
  t.notMatch(page.body, /(src|href)="(https?:)?\/\//, 'no external resource (closed network)');
  const script = /<script>([\s\S]*)<\/script>/.exec(page.body)?.[1] ?? '';
  t.doesNotThrow(() => new Script(script), 'the page script parses');
  t.match(script, /setInterval\(refresh, 5000\)/, 'polls every 5 s');
  for (const body of [all.body, prom.body, inputs.body, (await get('/kpi?by=outcome')).body]) t.notOk(body.includes(TEST_PAN) || body.includes(TEST_PAN_LAST12), 'no card number in a response');
});

t.test('a failing store answers 503 with its code', async (t) => {
  const store = SqliteKpiStore.open(':memory:');
  await store.close();
  const { app, get } = await kpiApp(store, new KpiMetrics());
  t.teardown(() => app.close());
  for (const url of ['/kpi', '/kpi/field-inputs']) {
    const r = await get(url);
    t.equal(r.statusCode, 503, `${url}: 503`);
    t.equal(r.json().error, 'kpi.closed');
    t.match(r.json(), { type: 'https://toneguard.dev/problems/kpi-unavailable', code: 'kpi.closed' });
  }
});

/** Just enough DOM for the dashboard's script: elements with children, text, attributes and style. */
class FakeElement {
  children: FakeElement[] = [];
  textContent = '';
  className = '';
  colSpan = 1;
  readonly style: Record<string, string> = {};
  readonly attributes: Record<string, string> = {};
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: unknown): void {
    this.attributes[name] = String(value);
  }
  appendChild(child: FakeElement): FakeElement {
    this.children.push(child);
    return child;
  }
  append(...children: FakeElement[]): void {
    this.children.push(...children);
  }
  replaceChildren(): void {
    this.children = [];
  }
}

t.test('the dashboard shows how callers gave each detail, from GET /kpi/field-inputs', async (t) => {
  const { get } = await scriptedApp(t);

  const script = /<script>([\s\S]*)<\/script>/.exec((await get('/dashboard')).body)?.[1] ?? '';
  const byId = new Map<string, FakeElement>();
  const element = (id: string): FakeElement => byId.get(id) ?? (byId.set(id, new FakeElement(id)).get(id) as FakeElement);
  const tbody = new FakeElement('tbody');
  const requested: string[] = [];
  // The page's last 24 h end at 2026-11-21T08:45Z: from 2026-11-20T09:00Z, the whole batch with input modes.
  const now = Date.UTC(2026, 10, 21, 8, 45);
  class PageDate extends Date {
    static override now(): number {
      return now;
    }
  }
  const context = createContext({
    Date: PageDate,
    Map,
    Math,
    String,
    Object,
    setInterval: () => 0,
    document: {
      getElementById: element,
      querySelector: (selector: string) => (selector === '#field-inputs tbody' ? tbody : null),
      createElement: (tag: string) => new FakeElement(tag),
      createElementNS: (_ns: string, tag: string) => new FakeElement(tag),
    },
    fetch: async (url: string) => {
      requested.push(url);
      const r = await get(`/${url}`);
      return { ok: r.statusCode === 200, status: r.statusCode, json: async () => r.json() };
    },
  });
  new Script(script).runInContext(context);
  for (let i = 0; i < 200 && !/^(updated|error)/.test(element('status').textContent); i++) await new Promise((r) => setTimeout(r, 5));
  t.match(element('status').textContent, /^updated/, 'the page refreshed without error');
  t.ok(requested.includes('kpi/field-inputs?from=2026-11-20T09:00:00.000Z'), 'it asks for the last 24 h');
  const rows = tbody.children.map((tr) => tr.children.map((td) => td.textContent));
  t.same(
    rows,
    [
      ['amount', '2', '1', '0'],
      ['card number', '2', '2', '0'],
      ['expiry', '2', '1', '0'],
      ['security code', '1', '0', '1'],
    ],
    'one row per detail: keys, speech, keys and speech',
  );
  t.equal(element('tile-entered').textContent, String(EXPECTED_TOTAL.entered), 'the tiles are filled from the same refresh');
});
