import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, defaultConfig, loadConfigFile, parseConfig } from '../../src/config/load-config.js';
import { parseHostPort } from '../../src/config/config-schema.js';

t.test('embedded defaults: loopback SIP and HTTP, simulator, SQLite KPIs', async (t) => {
  const c = defaultConfig();
  t.same(c.sip.listen, { host: '127.0.0.1', port: 5060 });
  t.same(c.upstream, [{ uri: 'sip:127.0.0.1:5070', priority: 0, weight: 1 }], 'one upstream, as a list of one');
  t.same(c.rtp.ports, { first: 20000, last: 29999 });
  t.equal(c.rtp.address, '127.0.0.1');
  t.equal(c.secureMode, 'api');
  t.equal(c.clamp.mode, 'silence');
  t.same(c.http.listen, { host: '127.0.0.1', port: 8080 });
  t.equal(c.http.token, '');
  t.equal(c.http.webhookSecret, '');
  t.equal(c.http.widgetTokenKey, '', 'a random widget token key per process');
  t.equal(c.http.widgetTokenTtlSeconds, 14400, 'widget tokens live 4 h');
  t.equal(c.http.allowPlainHttpCallbacks, false);
  t.same(c.http.callbackHosts, []);
  t.equal(c.http.tls, undefined, 'plain HTTP on loopback');
  t.equal(c.payment.uri, 'sip:pay@127.0.0.1');
  t.equal(c.kpi.sqlite, './data/kpi.sqlite');
});

t.test('a YAML file overrides keys and keeps the other defaults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'sip: { listen: "[::1]:5080" }\nclamp: { mode: tone }\nrtp: { ports: "40000-40099" }\nhttp: { token: s3cret }\n', { mode: 0o600 });
  const c = loadConfigFile(file);
  t.same(c.sip.listen, { host: '::1', port: 5080 });
  t.equal(c.clamp.mode, 'tone');
  t.same(c.rtp.ports, { first: 40000, last: 40099 });
  t.equal(c.rtp.address, '127.0.0.1');
  t.equal(c.http.token, 's3cret');
  t.same(c.http.listen, { host: '127.0.0.1', port: 8080 });
});

t.test('each bad field is named in the error', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ sip: { listen: 'nonsense' } }, /sip\.listen: sip\.listen must be HOST:PORT/],
    [{ sip: { listen: '1.2.3.4:99999' } }, /sip\.listen/],
    [{ rtp: { ports: '30000-20000' } }, /rtp\.ports: must be FIRST-LAST/],
    [{ clamp: { mode: 'loud' } }, /clamp\.mode/],
    [{ secureMode: 'sometimes' }, /secureMode/],
    [{ upstream: 'http://pbx' }, /upstream: must be a SIP URI/],
    [{ upstream: [] }, /upstream: needs at least one upstream/],
    [{ upstream: [{ uri: 'sip:pbx', weight: -1 }] }, /upstream\.0\.weight/],
    [{ upstream: [{ uri: 'http://pbx' }] }, /upstream\.0\.uri: must be a SIP URI/],
    [{ sip: { keepalive: { failureThreshold: 0 } } }, /sip\.keepalive\.failureThreshold/],
    [{ sip: { listen: '127.0.0.1:5060', typo: 1 } }, /sip: Unrecognized key/i],
    [{ unknownSection: {} }, /\(top level\): Unrecognized key/i],
    [{ http: { token: 42 } }, /http\.token/],
    [{ http: { tls: { certFile: 'a.crt' } } }, /http\.tls\.keyFile/],
    [{ http: { callbackHosts: 'crm.example' } }, /http\.callbackHosts/],
    [{ http: { allowPlainHttpCallbacks: 'yes' } }, /http\.allowPlainHttpCallbacks/],
    [{ http: { widgetTokenTtlSeconds: 10 } }, /http\.widgetTokenTtlSeconds/],
    [{ payment: { maxAmount: -1 } }, /payment\.maxAmount/],
    [{ payment: { uri: 'x' } }, /payment\.uri: must be a SIP URI/],
    [{ gateway: { kind: 'bogus' } }, /gateway\.kind/],
    [{ gateway: { url: 'http://insecure/' } }, /gateway\.url/],
    [{ routes: [{ match: '(', upstream: 'sip:pbx' }] }, /routes\.0\.match: must be a valid regular expression/],
  ];
  for (const [doc, re] of cases) {
    let caught: unknown;
    try {
      parseConfig(doc, 'x.yaml');
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ConfigError && caught.code === 'ERR_CONFIG_INVALID', `${JSON.stringify(doc)} is rejected`);
    const message = caught instanceof Error ? caught.message : '';
    t.match(message, re, `${JSON.stringify(doc)} names the field`);
    t.ok(message.startsWith('x.yaml:'), 'names the file');
  }
});

t.test('unreadable and non-YAML files get their own errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.throws(() => loadConfigFile(join(dir, 'missing.yaml')), { code: 'ERR_CONFIG_READ' });
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'sip: { listen: [unclosed\n');
  t.throws(() => loadConfigFile(bad), { code: 'ERR_CONFIG_YAML' });
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, '');
  t.equal(loadConfigFile(empty).sip.listen.port, 5060, 'an empty file is all defaults');
});

t.test('host:port parsing', async (t) => {
  t.same(parseHostPort('10.0.0.1:5060'), { host: '10.0.0.1', port: 5060 });
  t.same(parseHostPort('[2001:db8::1]:5061'), { host: '2001:db8::1', port: 5061 });
  t.same(parseHostPort('pbx.example.com:5070'), { host: 'pbx.example.com', port: 5070 });
  t.equal(parseHostPort('2001:db8::1:5060'), undefined, 'IPv6 needs brackets');
  t.equal(parseHostPort('host'), undefined);
  t.equal(parseHostPort('host:70000'), undefined);
});
