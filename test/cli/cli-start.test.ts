// The compiled CLI loads a command's dependencies only when that command runs: `detect`, `clamp`
// and `--help` must not pay for the server, the databases, the SIP stack or the browser driver
// (each costs up to a second of CPU at start, and tests and scripts spawn these commands often).
// Checked by the modules node actually resolves, recorded by a module resolve hook.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { generateDtmfSequence } from '../../native-free-dsp/tone-generator.js';
import { encodeWav } from '../../src/audio-file/wav-writer.js';
import { compileCli, plainNode } from '../helpers/cli.js';

const { cli, workDir } = compileCli(t, 'cli-start');

// Runs in node's loader thread: appends every resolved module URL to the file named by
// TONEGUARD_MODULE_LOG.
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.TONEGUARD_MODULE_LOG, result.url + '\\n');
  return result;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

/** Runs the CLI and returns what it printed and every module URL it loaded. */
function runTraced(...args: string[]): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const log = join(workDir, 'modules.log');
  rmSync(log, { force: true });
  writeFileSync(log, '');
  const result = spawnSync(...plainNode([`--import=data:text/javascript,${encodeURIComponent(REGISTER)}`, cli, ...args]), {
    cwd: workDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TONEGUARD_MODULE_LOG: log },
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    modules: readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== ''),
  };
}

/** Packages and project folders that only the server, kpi, verify, gateway-sim or bench commands use. */
const HEAVY = [
  /\/node_modules\/fastify\//,
  /\/node_modules\/@fastify\//,
  /\/node_modules\/better-sqlite3\//,
  /\/node_modules\/pg\//,
  /\/node_modules\/node-opus\//,
  /\/node_modules\/playwright-core\//,
  /\/node_modules\/selfsigned\//,
  /\/node_modules\/werift-rtp\//,
  /\/node_modules\/pino\//,
  /\/node_modules\/prom-client\//,
  /\/node_modules\/zod\//,
  /\/node_modules\/yaml\//,
  // The project's own server side, in dist/ (or a test's private build dist/.test-*/).
  /\/dist\/(?:\.test-[^/]+\/)?src\/(?:server|http|sip|call|payment)\//,
  /\/dist\/(?:\.test-[^/]+\/)?src\/kpi\/(?:sqlite|postgres)-kpi-store\.js$/,
  /\/dist\/(?:\.test-[^/]+\/)?src\/verify\/verify-(?:agent|caller|media)\.js$/,
  /\/dist\/(?:\.test-[^/]+\/)?bench\//,
];

function heavyModules(modules: readonly string[]): string[] {
  return modules.filter((url) => HEAVY.some((re) => re.test(url)));
}

const wav = join(workDir, 'digits.wav');
writeFileSync(wav, encodeWav(generateDtmfSequence([{ digit: '4', durationMs: 90, gapBeforeMs: 100, lowDbm0: -12, twistDb: 2 }], 200), { sampleRate: 8000, encoding: 'pcm16' }));

t.test('the hook sees the lazily loaded modules of a command that needs them', async (t) => {
  // The control: `kpi` on a missing database loads the SQLite store, so an empty heavy list
  // below means the commands did not load them, not that the hook missed them.
  const kpi = runTraced('kpi', '--db', join(workDir, 'missing.sqlite'));
  t.not(kpi.status, 0, 'kpi on a missing database fails');
  t.ok(
    kpi.modules.some((url) => /\/node_modules\/better-sqlite3\//.test(url)),
    'kpi loaded better-sqlite3',
  );
});

for (const [name, args, stdout] of [
  ['detect', ['detect', wav], '4\n'],
  ['clamp', ['clamp', wav, join(workDir, 'clamped.wav')], '4\n'],
  ['--help', ['--help'], /Usage: toneguard/],
  ['a usage error', ['detect', '--format', 'wav', wav], ''],
] as const) {
  t.test(`${name} loads none of the server, database, SIP or browser modules`, async (t) => {
    const run = runTraced(...args);
    if (typeof stdout === 'string') t.equal(run.stdout, stdout, 'the command did its work');
    else t.match(run.stdout, stdout, 'the command did its work');
    t.ok(
      run.modules.some((url) => url.endsWith('/src/cli/main.js')),
      'the hook recorded the CLI',
    );
    t.same(heavyModules(run.modules), [], 'no heavy module loaded');
  });
}
