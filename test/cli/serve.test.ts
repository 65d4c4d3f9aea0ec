// `toneguard serve` refuses a config that leaks its secrets (group/other-readable) before it
// binds anything; `--allow-readable-secrets` is the operator's explicit override.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { compileCli } from '../helpers/cli.js';

const { workDir, run } = compileCli(t, 'serve');

t.test('a world-readable config holding gateway secrets is refused (exit 2), naming the file and its mode', async (t) => {
  const file = join(workDir, 'readable.yaml');
  // An unknown key too: with the override the file gets as far as validation (and no port is bound).
  writeFileSync(file, 'gateway: { credentials: { name: "merchant", transactionKey: "tk-123456" } }\nnotAKey: 1\n');
  chmodSync(file, 0o644);
  const refused = run('serve', '--config', file);
  t.equal(refused.status, 2);
  t.match(refused.stderr, `${file}: mode 0644 lets group or others read it`);
  t.match(refused.stderr, /gateway\.credentials\.name, gateway\.credentials\.transactionKey/);
  t.match(refused.stderr, /chmod 600/);
  t.notMatch(refused.stderr, 'tk-123456');
  const allowed = run('serve', '--config', file, '--allow-readable-secrets');
  t.equal(allowed.status, 2);
  t.notMatch(allowed.stderr, /lets group or others read/, 'the override skips the permission check');
  t.match(allowed.stderr, /invalid configuration[\s\S]*Unrecognized key/i);
});

t.test('an unset ${NAME} is a config error naming the key and the variable', async (t) => {
  const file = join(workDir, 'env.yaml');
  writeFileSync(file, 'http: { token: "${TONEGUARD_TEST_UNSET_TOKEN}" }\n');
  chmodSync(file, 0o644);
  const r = run('serve', '--config', file);
  t.equal(r.status, 2);
  t.match(r.stderr, /http\.token: environment variable TONEGUARD_TEST_UNSET_TOKEN is not set/);
});
