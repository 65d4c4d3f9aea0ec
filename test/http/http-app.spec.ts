import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import t from 'tap';
import { createHttpApp } from '../../src/http/http-app.js';
import type { FastifyRequest } from 'fastify';
import { authorise, isLoopbackHost } from '../../src/http/http-auth.js';
import { WidgetTokens } from '../../src/http/widget-token.js';
import { createLogger } from '../../src/server/logger.js';

function quietLogger() {
  return createLogger('silent');
}

/** Every route of the app has a response schema (the OpenAPI document); these test routes too. */
const DOCUMENTED = { schema: { response: { 200: { type: 'object' } } } };

t.test('a configured token is required on every route but health', async (t) => {
  const app = await createHttpApp({ token: 's3cret', logger: quietLogger() });
  app.get('/calls', DOCUMENTED, async () => ({ calls: [] }));
  app.get('/health/live', DOCUMENTED, async () => ({ ok: true }));
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/calls' })).statusCode, 401);
  t.equal((await app.inject({ url: '/calls', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  t.equal((await app.inject({ url: '/calls', headers: { authorization: 'Bearer s3cret' } })).statusCode, 200);
  t.equal((await app.inject({ url: '/calls?token=s3cret' })).statusCode, 401, 'never the master token in a URL');
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200);
});

/** A GET with a Host header of our choosing (fetch would put the real one). */
function getWithHost(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/calls', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('no token: loopback clients only, and only with a loopback Host of this port (DNS rebinding)', async (t) => {
  const app = await createHttpApp({ token: '', logger: quietLogger() });
  app.get('/calls', DOCUMENTED, async () => ({ calls: [] }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const { port } = app.server.address() as AddressInfo;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) t.equal(await getWithHost(port, host), 200, `Host ${host}`);
  for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'localhost', `127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`, `[::2]:${port}`]) {
    t.equal(await getWithHost(port, host), 421, `Host ${JSON.stringify(host)} is refused`);
  }
});

t.test('no token: a client off loopback is refused even with a loopback Host', async (t) => {
  const request = (remoteAddress: string) => ({ headers: { host: 'localhost:8080' }, socket: { remoteAddress, localPort: 8080 }, query: {}, params: {} }) as unknown as FastifyRequest;
  const options = { token: '', widgetTokens: new WidgetTokens(''), resolveCallId: (id: string) => id, tls: false };
  t.match(authorise(request('10.1.2.3'), 'master', options), { ok: false, status: 401 });
  t.match(authorise(request('127.0.0.1'), 'master', options), { ok: true });
  t.match(authorise(request('10.1.2.3'), 'public', options), { ok: true }, 'public routes (health, the static page) need neither');
  const rebound = { headers: { host: 'evil.example:8080' }, socket: { remoteAddress: '127.0.0.1', localPort: 8080 }, query: {}, params: {} } as unknown as FastifyRequest;
  t.match(authorise(rebound, 'master', options), { ok: false, status: 421 });
  t.match(authorise(rebound, 'watch', options), { ok: false, status: 421 }, 'the widget stream is guarded too');
});

t.test('the Host rule by itself', async (t) => {
  t.ok(isLoopbackHost('127.0.0.1:8080', 8080, false));
  t.ok(isLoopbackHost('localhost', 80, false), 'no port: the scheme default');
  t.ok(isLoopbackHost('localhost', 443, true));
  t.notOk(isLoopbackHost('localhost', 8080, false));
  t.notOk(isLoopbackHost('127.0.0.2:8080', 8080, false));
  t.notOk(isLoopbackHost(undefined, 8080, false));
  t.notOk(isLoopbackHost('localhost:8080', undefined, false));
  t.notOk(isLoopbackHost('localhost:8080:8080', 8080, false));
});

t.test('the logger redacts card fields wherever they appear', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger('info', sink);
  const pan = '4111111111111111';
  log.info({ pan, payment: { cardNumber: pan, cvv: '123', expiry: '1230' }, deep: { x: { securityCode: '123' } } }, 'attempt');
  log.info({ headers: { authorization: 'Bearer s3cret' } }, 'req');
  const out = lines.join('');
  t.notMatch(out, pan);
  t.notMatch(out, /"123"|1230|s3cret/);
  t.match(out, /\[redacted\]/);
});
