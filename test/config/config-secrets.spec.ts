// Secrets in the configuration: `${NAME}` from the environment, `…File` from files (systemd
// credentials), and refusal of secrets in files that group or others can read.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { isSecretKey, plainSecretKeys } from '../../src/config/config-secrets.js';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load-config.js';

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tg-secrets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(file: string, text: string, mode: number): string {
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

t.test('which keys are secrets', async (t) => {
  for (const path of [
    'http.token',
    'http.webhookSecret',
    'http.widgetTokenKey',
    'gateway.credentials.transactionKey',
    'gateway.credentials.name',
    'gateway.auth.password',
    'gateway.auth.token',
    'gateway.auth.passphrase',
    'kpi.postgres',
    'gateway.headers.X-Api-Key',
  ]) {
    t.ok(isSecretKey(path.split('.')), `${path} is a secret`);
  }
  for (const path of ['sip.tls.keyFile', 'sip.tls.certFile', 'gateway.caFile', 'http.listen', 'payment.description', 'kpi.sqlite']) {
    t.notOk(isSecretKey(path.split('.')), `${path} is not`);
  }
});

t.test('${NAME} is taken from the environment in any string; $${ escapes; unset is an error naming key and variable', async (t) => {
  const env = { TG_TOKEN: 'from-env', TG_PORT: '5099' };
  const c = parseConfig({ http: { token: '${TG_TOKEN}', webhookSecret: 'pre-${TG_TOKEN}-$${LITERAL}' }, sip: { listen: '127.0.0.1:${TG_PORT}' } }, 'x.yaml', { env });
  t.equal(c.http.token, 'from-env');
  t.equal(c.http.webhookSecret, 'pre-from-env-${LITERAL}');
  t.equal(c.sip.listen.port, 5099);
  const unset = errorOf(() => parseConfig({ gateway: { credentials: { transactionKey: '${TG_MISSING}' } } }, 'x.yaml', { env }));
  t.equal(unset.code, 'ERR_CONFIG_SECRET');
  t.match(unset.message, /^x\.yaml: gateway\.credentials\.transactionKey: environment variable TG_MISSING is not set/);
  t.match(errorOf(() => parseConfig({ http: { token: 'a${bad name}' } }, 'x.yaml', { env })).message, /http\.token: .*not a valid \$\{NAME\} reference/);
  t.match(errorOf(() => parseConfig({ http: { token: '${UNCLOSED' } }, 'x.yaml', { env })).message, /http\.token/);
});

t.test('…File reads the secret from a file (trailing newline trimmed); both forms, empty and missing files are errors', async (t) => {
  const dir = scratch(t);
  const token = write(join(dir, 'token'), 'file-token\n', 0o600);
  const key = write(join(dir, 'key'), 'k3y\r\n', 0o400);
  const c = parseConfig({ http: { tokenFile: token }, gateway: { credentials: { transactionKeyFile: key, nameFile: '${TG_DIR}/token' } } }, 'x.yaml', { env: { TG_DIR: dir } });
  t.equal(c.http.token, 'file-token');
  t.equal(c.gateway.credentials.transactionKey, 'k3y');
  t.equal(c.gateway.credentials.name, 'file-token', 'the path itself may use ${NAME} (systemd: ${CREDENTIALS_DIRECTORY})');
  const pg = write(join(dir, 'pg'), 'postgres://u:p@db/kpi\n', 0o600);
  t.equal(parseConfig({ kpi: { postgresFile: pg } }).kpi.postgres, 'postgres://u:p@db/kpi');

  const both = errorOf(() => parseConfig({ http: { token: 'x', tokenFile: token } }, 'x.yaml'));
  t.match(both.message, /http\.tokenFile: http\.token is also set/);
  t.match(errorOf(() => parseConfig({ http: { tokenFile: join(dir, 'nope') } }, 'x.yaml')).message, /http\.tokenFile: cannot read .*nope \(ENOENT\)/);
  t.match(errorOf(() => parseConfig({ http: { tokenFile: write(join(dir, 'empty'), '\n', 0o600) } }, 'x.yaml')).message, /http\.tokenFile: .*empty is empty/);
  t.match(errorOf(() => parseConfig({ http: { tokenFile: dir } }, 'x.yaml')).message, /http\.tokenFile: cannot read/, 'a directory is not a secret file');
  t.match(errorOf(() => parseConfig({ http: { tokenFile: 42 } }, 'x.yaml')).message, /http\.tokenFile: must be the path/);
  // Non-secret …File keys are left to their schemas (TLS key and CA paths).
  t.match(errorOf(() => parseConfig({ gateway: { caFile: 5 } }, 'x.yaml')).message, /gateway\.caFile/);
});

t.test('a secret file that group or others can read is refused unless allowed', async (t) => {
  const dir = scratch(t);
  const token = write(join(dir, 'token'), 'file-token', 0o640);
  const e = errorOf(() => parseConfig({ http: { tokenFile: token } }, 'x.yaml'));
  t.equal(e.code, 'ERR_CONFIG_SECRET');
  t.match(e.message, `${token}: mode 0640 lets group or others read it`);
  t.match(e.message, /chmod 600/);
  t.notMatch(e.message, 'file-token', 'the secret is not in the message');
  t.equal(parseConfig({ http: { tokenFile: token } }, 'x.yaml', { allowReadableSecrets: true }).http.token, 'file-token');
});

t.test('a config file with plain secrets must not be readable by group or others', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'config.yaml');
  write(file, 'http: { token: "s3cret-token" }\ngateway: { credentials: { transactionKey: "tk" } }\n', 0o644);
  const e = errorOf(() => loadConfigFile(file));
  t.equal(e.code, 'ERR_CONFIG_SECRET');
  t.match(e.message, `${file}: mode 0644`);
  t.match(e.message, /http\.token, gateway\.credentials\.transactionKey/);
  t.match(e.message, /chmod 600/);
  t.match(e.message, /tokenFile/);
  t.match(e.message, /--allow-readable-secrets/);
  t.notMatch(e.message, 's3cret-token');
  t.equal(loadConfigFile(file, { allowReadableSecrets: true }).http.token, 's3cret-token', 'allowed explicitly');
  chmodSync(file, 0o640);
  t.equal(errorOf(() => loadConfigFile(file)).code, 'ERR_CONFIG_SECRET', 'group-readable is refused too');
  chmodSync(file, 0o600);
  t.equal(loadConfigFile(file).http.token, 's3cret-token', '0600 loads');

  // Readable files are fine when they hold no secret in plain text.
  write(file, 'http: { token: "${TG_TOKEN}", webhookSecret: "" }\nclamp: { mode: tone }\n', 0o644);
  t.equal(loadConfigFile(file, { env: { TG_TOKEN: 'env-token' } }).http.token, 'env-token');
  t.same(plainSecretKeys({ http: { token: '${A}${B}', webhookSecret: 'x${A}' }, kpi: { postgres: '' } }), ['http.webhookSecret']);
});
