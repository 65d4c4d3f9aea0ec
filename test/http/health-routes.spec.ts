import t from 'tap';
import { createHttpApp } from '../../src/http/http-app.js';
import { registerHealthRoutes, type Readiness } from '../../src/http/health-routes.js';
import { createLogger } from '../../src/server/logger.js';

t.test('live always; ready follows the readiness check; both without the token', async (t) => {
  let readiness: Readiness = { ready: true, reasons: [] };
  const app = await createHttpApp({ token: 'secret', logger: createLogger('silent') });
  registerHealthRoutes(app, { readiness: () => readiness });
  t.teardown(() => app.close());
  const live = await app.inject({ url: '/health/live' });
  t.equal(live.statusCode, 200);
  t.same(live.json(), { status: 'live' });
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200);
  readiness = { ready: false, reasons: ['draining'] };
  const draining = await app.inject({ url: '/health/ready' });
  t.equal(draining.statusCode, 503);
  t.match(draining.headers['content-type'], /^application\/problem\+json/, 'not ready is a problem (RFC 9457)');
  t.match(draining.json(), { type: 'https://toneguard.dev/problems/not-ready', status: 503, reasons: ['draining'] });
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'a draining instance is still live');
});

t.test('a readiness check that throws means not ready, not a 500', async (t) => {
  const app = await createHttpApp({ token: '', logger: createLogger('silent') });
  registerHealthRoutes(app, {
    readiness: () => {
      throw new Error('boom');
    },
  });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/health/ready', remoteAddress: '10.0.0.9' });
  t.equal(res.statusCode, 503, 'public path: no loopback rule either');
  t.same(res.json().reasons, ['readiness-check-failed']);
});
