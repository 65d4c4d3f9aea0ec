// The server's HTTP side at start: a configuration that would leave it open is refused before
// anything opens, with the key named; with `http.tls` it serves HTTPS.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { httpTrustProblems } from '../../src/config/http-trust.js';
import { selfSignedCertificate } from '../../src/gateway/simulator-certificate.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { ToneguardServer } from '../../src/server/toneguard-server.js';
import { compileCli } from '../helpers/cli.js';
import { testPortRange } from '../helpers/ports.js';

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tg-http-trust-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A server that needs no fixed port: SIP and HTTP on port 0, a configured (not started) gateway. */
function serverConfig(dir: string, http: Record<string, unknown>) {
  return parseConfig({
    sip: { listen: '127.0.0.1:0' },
    http,
    rtp: { ports: testPortRange('37000-37039') },
    gateway: { kind: 'xml', url: 'https://127.0.0.1:9/xml/v1/request.api' },
    kpi: { sqlite: join(dir, 'data', 'kpi.sqlite') },
    log: { level: 'silent' },
  });
}

t.test('each unsafe combination of http keys is named', async (t) => {
  const http = (over: Record<string, unknown>) => parseConfig({ http: over }).http;
  t.same(httpTrustProblems(http({})), [], 'the loopback default is fine');
  t.same(httpTrustProblems(http({ listen: '0.0.0.0:8080', token: 't0ken' })), []);
  t.match(httpTrustProblems(http({ listen: '0.0.0.0:8080' })), [/^http\.token: must be set when http\.listen \(0\.0\.0\.0:8080\) is not a loopback address/]);
  t.match(httpTrustProblems(http({ listen: '[::]:8080' })), [/^http\.token: .*\[::\]:8080/]);
  t.match(httpTrustProblems(http({ listen: '10.0.0.5:8080' })), [/^http\.token/]);
  t.same(httpTrustProblems(http({ listen: '127.0.0.2:8080' })), [], 'all of 127/8 is loopback');
  t.same(httpTrustProblems(http({ listen: '[::1]:8080' })), []);
  t.match(httpTrustProblems(http({ token: 'same', webhookSecret: 'same' })), [/^http\.webhookSecret: must differ from http\.token/]);
  t.match(httpTrustProblems(http({ widgetTokenKey: 'short' })), [/^http\.widgetTokenKey: .*32 characters/]);
  const key = 'k'.repeat(32);
  t.match(httpTrustProblems(http({ widgetTokenKey: key, webhookSecret: key })), [/^http\.widgetTokenKey: must differ/]);
});

t.test('an empty token with a non-loopback listen refuses to start, before anything opens', async (t) => {
  const dir = scratch(t);
  const start = ToneguardServer.start(serverConfig(dir, { listen: '0.0.0.0:0' }), createLogger('silent'));
  await t.rejects(start, { code: 'ERR_CONFIG_INVALID', message: /http\.token: must be set/ });
  await start.catch((error: unknown) => t.ok(error instanceof ConfigError));
  t.same(readdirSync(dir), [], 'no KPI store was created');
  await t.rejects(ToneguardServer.start(serverConfig(dir, { token: 'x1', webhookSecret: 'x1' }), createLogger('silent')), { message: /http\.webhookSecret/ });
});

t.test('toneguard serve exits 2 naming http.token', async (t) => {
  const { workDir, run } = compileCli(t, 'http-trust');
  const file = join(workDir, 'open.yaml');
  writeFileSync(file, 'http: { listen: "0.0.0.0:18081" }\nkpi: { sqlite: ./kpi.sqlite }\n');
  const r = run('serve', '--config', file);
  t.equal(r.status, 2, r.stderr);
  t.match(r.stderr, /http\.token/);
  t.same(readdirSync(workDir).sort(), ['open.yaml'], 'nothing was opened');
});

t.test('http.tls serves the API over HTTPS', async (t) => {
  const dir = scratch(t);
  // The gateway simulator's self-signed certificate (localhost, 127.0.0.1, ::1) serves as any.
  const pems = await selfSignedCertificate();
  writeFileSync(join(dir, 'http.crt'), pems.cert);
  writeFileSync(join(dir, 'http.key'), pems.key);
  await t.rejects(
    ToneguardServer.start(serverConfig(dir, { listen: '127.0.0.1:0', token: 'tls-token', tls: { certFile: join(dir, 'missing.crt'), keyFile: join(dir, 'http.key') } }), createLogger('silent')),
    { code: 'ERR_CONFIG_INVALID', message: /http\.tls\.certFile: cannot read/ },
  );
  // The same for SIP over TLS: the key named, not a raw ENOENT.
  const sipTls = parseConfig({
    sip: { listen: '127.0.0.1:0', tls: { listen: '127.0.0.1:0', certFile: join(dir, 'http.crt'), keyFile: join(dir, 'missing.key') } },
    rtp: { ports: testPortRange('37000-37039') },
    gateway: { kind: 'xml', url: 'https://127.0.0.1:9/xml/v1/request.api' },
    kpi: { sqlite: join(dir, 'data', 'kpi.sqlite') },
    log: { level: 'silent' },
  });
  await t.rejects(ToneguardServer.start(sipTls, createLogger('silent')), { code: 'ERR_CONFIG_INVALID', message: /sip\.tls\.keyFile: cannot read .*missing\.key \(ENOENT\)/ });
  const server = await ToneguardServer.start(
    serverConfig(dir, { listen: '127.0.0.1:0', token: 'tls-token', tls: { certFile: join(dir, 'http.crt'), keyFile: join(dir, 'http.key') } }),
    createLogger('silent'),
  );
  t.teardown(() => server.shutdown(0));
  t.match(server.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const getJson = (path: string, ca: string | undefined) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = get(`${server.httpUrl}${path}`, { ca, headers: { authorization: 'Bearer tls-token' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
  const calls = await getJson('/calls', pems.cert);
  t.equal(calls.status, 200);
  t.same(JSON.parse(calls.body), { calls: [] });
  await t.rejects(getJson('/calls', undefined), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'a client that does not trust the certificate is refused');
});

t.test('a webhook key set by a reload from empty enables status callbacks at once, and clearing it refuses them again', async (t) => {
  const dir = scratch(t);
  const http = { listen: '127.0.0.1:0', token: 'hook-token', allowPlainHttpCallbacks: true, callbackHosts: ['127.0.0.1'] };
  const server = await ToneguardServer.start(serverConfig(dir, http), createLogger('silent'));
  t.teardown(() => server.shutdown(0));
  const start = async (): Promise<{ status: number; code: unknown }> => {
    const res = await fetch(`${server.httpUrl}/calls/no-such-call/payments`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook-token', 'content-type': 'application/json' },
      body: JSON.stringify({ idempotencyKey: 'k-1', customerId: 'C-1', amount: '10.00', statusCallback: 'http://127.0.0.1:9/status' }),
    });
    const body = (await res.json()) as { code?: unknown };
    return { status: res.status, code: body.code };
  };
  t.match(await start(), { code: 'ERR_WEBHOOKS_DISABLED' }, 'no key: callbacks refused');
  server.reload(serverConfig(dir, { ...http, webhookSecret: 'hook-secret-1' }));
  const after = await start();
  t.not(after.code, 'ERR_WEBHOOKS_DISABLED', 'the callback is accepted; the request fails only on the unknown call');
  t.equal(after.status, 404);
  server.reload(serverConfig(dir, http));
  t.match(await start(), { code: 'ERR_WEBHOOKS_DISABLED' }, 'key cleared: refused again');
});
