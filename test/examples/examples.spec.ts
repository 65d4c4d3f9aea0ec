// The files in examples/ are what operators copy: they must load, match the defaults they
// claim to show, and name every configuration key.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { plainSecretKeys } from '../../src/config/config-secrets.js';
import { defaultConfig, loadConfigFile } from '../../src/config/load-config.js';

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples');

/** Every key path of a plain object tree ("sip.listen", "gateway.credentials.name", ...). */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
}

t.test('examples/config.yaml loads, shows the defaults and names every key', async (t) => {
  const file = join(EXAMPLES, 'config.yaml');
  const config = loadConfigFile(file);
  const defaults = defaultConfig();
  for (const key of ['sip', 'upstream', 'routes', 'rtp', 'secureMode', 'clamp', 'http', 'kpi', 'log', 'shutdownGraceSeconds', 'payment'] as const) {
    t.same(config[key], defaults[key], `${key}: the example shows the default`);
  }
  const written = new Set(keyPaths(parseYaml(readFileSync(file, 'utf8'))));
  for (const path of keyPaths(defaults)) {
    if (path === 'gateway') continue; // the default gateway is {} (the simulator); its keys are checked below
    if (path === 'payment.promptDir') {
      // Its default is where the package is installed: shown as a comment, not a value.
      t.match(readFileSync(file, 'utf8'), /#\s*promptDir:/, 'the example names payment.promptDir (commented)');
      continue;
    }
    // Parsed values such as sip.listen ({host, port}) are one key in the file.
    const parts = path.split('.');
    const named = parts.some((_, i) => written.has(parts.slice(0, i + 1).join('.')));
    t.ok(named, `the example names ${path}`);
  }
  // The gateway keys every deployment sets.
  for (const path of ['gateway.kind', 'gateway.template', 'gateway.url', 'gateway.credentials.name', 'gateway.credentials.transactionKey', 'gateway.caFile', 'gateway.timeoutMs']) {
    t.ok(written.has(path), `the example names ${path}`);
  }
});

t.test('examples/toneguard.service: reload, drain and hardening', async (t) => {
  const unit = readFileSync(join(EXAMPLES, 'toneguard.service'), 'utf8');
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
  t.equal(value('ExecStart'), '/usr/bin/env toneguard serve --config /etc/toneguard/config.yaml');
  t.equal(value('ExecReload'), '/bin/kill -HUP $MAINPID');
  t.equal(value('KillSignal'), 'SIGTERM');
  t.equal(value('User'), 'toneguard');
  const grace = loadConfigFile(join(EXAMPLES, 'config.yaml')).shutdownGraceSeconds;
  t.ok(Number(value('TimeoutStopSec')) > grace, `TimeoutStopSec exceeds shutdownGraceSeconds (${grace} s)`);
  t.ok(Number(value('LimitNOFILE')) >= 65536);
  for (const [k, v] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['PrivateTmp', 'yes'],
    ['AmbientCapabilities', ''],
    ['ReadWritePaths', '/var/lib/toneguard'],
  ]) {
    t.equal(value(k), v, `${k}=${v}`);
  }
  // No core dumps (process memory holds card digits during a payment), private files, secrets
  // as credentials; the JIT needs writable+executable memory.
  for (const [k, v] of [
    ['LimitCORE', '0'],
    ['UMask', '0077'],
    ['ProtectProc', 'invisible'],
    ['ProcSubset', 'pid'],
    ['RemoveIPC', 'yes'],
    ['PrivateUsers', 'yes'],
  ]) {
    t.equal(value(k), v, `${k}=${v}`);
  }
  t.match(value('LoadCredential') ?? '', /^http-token:\/etc\/toneguard\/credentials\/http-token$/, 'a LoadCredential= example for the …File form');
  t.notMatch(unit, /^MemoryDenyWriteExecute=yes/m, 'MemoryDenyWriteExecute stays off (V8 JIT)');
  if (existsSync('/usr/bin/systemd-analyze')) {
    const r = spawnSync('/usr/bin/systemd-analyze', ['verify', join(EXAMPLES, 'toneguard.service')], { encoding: 'utf8', timeout: 20_000 });
    t.equal(r.status, 0, `systemd-analyze verify: ${r.stderr}`);
    // Measured with systemd 252: 1.7 before LimitCORE/ProtectProc/ProcSubset/PrivateUsers/PrivateMounts/RemoveIPC/UMask/~@resources, 1.1 after.
    const security = spawnSync('/usr/bin/systemd-analyze', ['security', '--offline=yes', '--no-pager', join(EXAMPLES, 'toneguard.service')], { encoding: 'utf8', timeout: 20_000 });
    const exposure = /Overall exposure level for toneguard\.service: (\d+(?:\.\d+)?)/.exec(security.stdout + security.stderr)?.[1];
    t.ok(exposure !== undefined, `systemd-analyze security prints an exposure level: ${security.stderr}`);
    t.ok(Number(exposure) <= 1.1, `exposure ${exposure} <= 1.1`);
  }
});

t.test('examples/config.yaml may be installed 0600 and carries no secret in plain text', async (t) => {
  const document: unknown = parseYaml(readFileSync(join(EXAMPLES, 'config.yaml'), 'utf8'));
  t.same(plainSecretKeys(document), [], 'secrets are empty in the example (they go in …File or ${NAME})');
});

t.test('examples/kamailio/dispatcher.list names two instances of set 1', async (t) => {
  const lines = readFileSync(join(EXAMPLES, 'kamailio', 'dispatcher.list'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  t.equal(lines.length, 2);
  for (const line of lines) t.match(line, /^1 sip:[0-9.]+:\d+ 0 0 duid=\S+$/);
});
