// GET /openapi.json: an OpenAPI 3 document generated from the routes' schemas that lists every
// route fastify has (a route without a schema cannot even be registered), and whose response
// schemas describe the real replies (each reply below is validated against the document).
import { Ajv } from 'ajv';
import t from 'tap';
import { createHttpApp } from '../../src/http/http-app.js';
import { createLogger } from '../../src/server/logger.js';
import { API_TOKEN, AUTH, buildApiApp } from '../helpers/http-api-app.js';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  security?: unknown[];
  requestBody?: { required: boolean };
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  servers?: unknown;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

/** `METHOD /path/:param` of every route in fastify's printRoutes tree (HEAD: fastify's own twin of each GET). */
function fastifyRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[└├]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (m === null) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD')) out.push(`${method} ${stack.join('')}`);
  }
  return out.sort();
}

t.test('the document is OpenAPI 3 and lists exactly the routes fastify has', async (t) => {
  const api = await buildApiApp();
  t.teardown(() => api.close());
  const res = await api.app.inject({ url: '/openapi.json', headers: AUTH });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const doc = JSON.parse(res.body) as OpenApiDoc;
  t.match(doc.openapi, /^3\.\d+\.\d+$/, 'OpenAPI 3.x');
  t.equal(doc.info.title, 'toneguard HTTP API');

  const documented = Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
    .sort();
  const routes = fastifyRoutes(api.app.printRoutes({ commonPrefix: false }));
  t.ok(routes.length >= 17, `fastify lists the routes (${routes.length})`);
  t.same(documented, routes, 'every route fastify serves is documented, and nothing else');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const statuses = Object.keys(op.responses);
      t.ok(
        statuses.some((s) => s.startsWith('2')),
        `${method} ${path}: a success response`,
      );
      t.ok(
        statuses.some((s) => s.startsWith('4') || s.startsWith('5')),
        `${method} ${path}: its error responses`,
      );
    }
  }
  t.same(doc.paths['/health/live'].get.security, [], 'health: no token');
  t.same(doc.paths['/widget/{callId}/events'].get.security, [{ bearer: [] }, { tokenQuery: [] }], 'widget stream: a widget token, in the URL too');
  t.same(doc.paths['/calls'].get.security, [{ bearer: [] }], 'calls: the master token');
  t.equal(doc.paths['/calls/{id}/widget-token'].post.requestBody?.required, false, 'the widget-token body may be left out');
  t.equal(doc.paths['/calls/{id}/payments'].post.requestBody?.required, true);
  t.equal(doc.servers, undefined, 'no server address in the document');
  t.notOk(res.body.includes(API_TOKEN), 'no token in the document');
  t.ok(doc.components.schemas.Problem, 'one Problem schema, referred to by every error response');
});

t.test('the document needs the master token, like the other read routes', async (t) => {
  const api = await buildApiApp();
  t.teardown(() => api.close());
  const anonymous = await api.app.inject({ url: '/openapi.json' });
  t.equal(anonymous.statusCode, 401);
  t.match(anonymous.headers['content-type'], /^application\/problem\+json/);
  const minted = await api.app.inject({ method: 'POST', url: '/calls/c1/widget-token', headers: AUTH });
  const widget = await api.app.inject({ url: '/openapi.json', headers: { authorization: `Bearer ${minted.json().token}` } });
  t.equal(widget.statusCode, 403, 'not with a widget token');
});

t.test('a route registered without a response schema is refused', async (t) => {
  const app = await createHttpApp({ token: 'x', logger: createLogger('silent') });
  t.teardown(() => app.close());
  t.throws(() => app.get('/undocumented', async () => ({})), /no response schema/);
  t.doesNotThrow(() => app.get('/documented', { schema: { response: { 200: { type: 'object' } } } }, async () => ({})));
});

t.test('real replies match the documented response schemas', async (t) => {
  const api = await buildApiApp();
  t.teardown(() => api.close());
  const doc = (await api.app.inject({ url: '/openapi.json', headers: AUTH })).json() as OpenApiDoc;
  // The document's components under its own id, so that `#/components/...` references resolve.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc');
  const validatorFor = (path: string, method: string, status: number, mediaType: string) => {
    const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[mediaType]?.schema;
    if (schema === undefined) return undefined;
    return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
  };
  const minted = (await api.app.inject({ method: 'POST', url: '/calls/c1/widget-token', headers: AUTH, payload: { ttlSeconds: 60 } })).json();
  const widgetAuth = { authorization: `Bearer ${minted.token}` };
  const cases: { method?: 'GET' | 'POST' | 'DELETE'; url: string; path: string; payload?: object; headers?: Record<string, string>; status: number }[] = [
    { url: '/health/live', path: '/health/live', status: 200 },
    { url: '/health/ready', path: '/health/ready', status: 200 },
    { url: '/calls', path: '/calls', status: 200 },
    { url: '/calls/c1', path: '/calls/{id}', status: 200 },
    { url: '/calls/nope', path: '/calls/{id}', status: 404 },
    { method: 'POST', url: '/calls/c1/secure', path: '/calls/{id}/secure', status: 200 },
    { method: 'DELETE', url: '/calls/ended/secure', path: '/calls/{id}/secure', status: 409 },
    { method: 'POST', url: '/calls/c1/widget-token', path: '/calls/{id}/widget-token', status: 201 },
    { method: 'POST', url: '/calls/c1/payments', path: '/calls/{id}/payments', payload: { idempotencyKey: 'k1', amount: '1.00', customerId: 'C1' }, status: 201 },
    { method: 'POST', url: '/calls/c1/payments', path: '/calls/{id}/payments', payload: { idempotencyKey: 'busy' }, status: 409 },
    { method: 'POST', url: '/calls/c1/payments', path: '/calls/{id}/payments', payload: { idempotencyKey: 'k1', statusCallback: 'ftp://x' }, status: 422 },
    { method: 'POST', url: '/calls/c1/payments/p1', path: '/calls/{id}/payments/{pid}', payload: { capture: 'security-code' }, status: 200 },
    { url: '/calls/c1/payments/p1', path: '/calls/{id}/payments/{pid}', headers: widgetAuth, status: 200 },
    { url: '/calls/c1/payments/p9', path: '/calls/{id}/payments/{pid}', status: 404 },
    { url: '/kpi', path: '/kpi', status: 200 },
    { url: '/kpi?by=day', path: '/kpi', status: 200 },
    { url: '/kpi?by=week', path: '/kpi', status: 400 },
    { url: '/kpi/field-errors', path: '/kpi/field-errors', status: 200 },
    { url: '/kpi/field-inputs', path: '/kpi/field-inputs', status: 200 },
    { url: '/kpi/field-inputs?from=soon', path: '/kpi/field-inputs', status: 400 },
    { url: '/kpi/live', path: '/kpi/live', status: 200 },
    { url: '/openapi.json', path: '/openapi.json', status: 200 },
  ];
  for (const c of cases) {
    const method = c.method ?? 'GET';
    const res = await api.app.inject({ method, url: c.url, headers: c.headers ?? AUTH, ...(c.payload === undefined ? {} : { payload: c.payload }) });
    t.equal(res.statusCode, c.status, `${method} ${c.url}: ${c.status}`);
    const mediaType = String(res.headers['content-type']).split(';')[0];
    const validate = validatorFor(c.path, method.toLowerCase(), c.status, mediaType);
    if (validate === undefined) {
      t.fail(`${method} ${c.path}: ${c.status} ${mediaType} is not documented`);
      continue;
    }
    t.ok(validate(res.json()), `${method} ${c.url}: the reply matches the documented ${c.status} ${mediaType}${validate.errors ? ` ${ajv.errorsText(validate.errors)}` : ''}`);
  }
  // And the schemas are not vacuous: a reply missing a documented field fails them.
  const call = validatorFor('/calls/{id}', 'get', 200, 'application/json');
  const { secure: _dropped, ...withoutSecure } = (await api.app.inject({ url: '/calls/c1', headers: AUTH })).json();
  t.notOk(call?.(withoutSecure), 'a call without `secure` does not match');
  const problem = validatorFor('/calls/{id}', 'get', 404, 'application/problem+json');
  t.notOk(problem?.({ error: 'no such call' }), 'the old error body does not match the problem schema');
});
