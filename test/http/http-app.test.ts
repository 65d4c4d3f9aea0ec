import { Writable } from 'node:stream';
import t from 'tap';
import { createHttpApp } from '../../src/http/http-app.js';
import { createLogger } from '../../src/server/logger.js';

function quietLogger() {
  return createLogger('silent');
}

t.test('a configured token is required on every route but health', async (t) => {
  const app = createHttpApp({ token: 's3cret', logger: quietLogger() });
  app.get('/calls', async () => ({ calls: [] }));
  app.get('/health/live', async () => ({ ok: true }));
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/calls' })).statusCode, 401);
  t.equal((await app.inject({ url: '/calls', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  t.equal((await app.inject({ url: '/calls', headers: { authorization: 'Bearer s3cret' } })).statusCode, 200);
  t.equal((await app.inject({ url: '/calls?token=s3cret' })).statusCode, 200, 'query token for EventSource and page links');
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200);
});

t.test('no token: loopback clients only', async (t) => {
  const app = createHttpApp({ token: '', logger: quietLogger() });
  app.get('/calls', async () => ({ calls: [] }));
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/calls', remoteAddress: '127.0.0.1' })).statusCode, 200);
  t.equal((await app.inject({ url: '/calls', remoteAddress: '::1' })).statusCode, 200);
  t.equal((await app.inject({ url: '/calls', remoteAddress: '10.1.2.3' })).statusCode, 401);
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
