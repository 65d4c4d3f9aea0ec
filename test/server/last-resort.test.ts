// The last-resort handler of `toneguard serve`: an uncaught exception or unhandled rejection is
// logged (code and message only, card-length digit runs masked), counted in
// toneguard_internal_errors_total, and the process lives on.
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { KpiMetrics } from '../../src/kpi/kpi-metrics.js';
import { installLastResort, summarizeError } from '../../src/server/last-resort.js';
import { createLogger } from '../../src/server/logger.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { parsePrometheusText, sumOf } from '../helpers/prometheus-text.js';

class CodedBoom extends Error {
  readonly code = 'EBOOM';
}

t.test('summary: code, class and message; card-length digit runs masked; long messages cut', async (t) => {
  t.same(summarizeError(new CodedBoom('ptime 5 ms outside 10-120')), { code: 'EBOOM', name: 'Error', message: 'ptime 5 ms outside 10-120' });
  const masked = summarizeError(new Error('bad 4111 1111 1111 1111 and 4000000000000002'));
  t.equal(masked.message, 'bad [digits] and [digits]');
  t.equal(summarizeError('a string').message, 'a string');
  t.equal(summarizeError(42).name, 'NonError');
  t.ok(summarizeError(new Error('x'.repeat(5000))).message.length <= 201);
});

t.test('handlers on an emitter: logged without card data, counted per source, removable', async (t) => {
  const proc = new EventEmitter();
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  const metrics = new KpiMetrics();
  const remove = installLastResort(proc, { logger, count: (source) => metrics.internalError(source) });
  proc.emit('uncaughtException', new CodedBoom('card 4111111111111111 seen'));
  proc.emit('unhandledRejection', new Error('late'));
  const samples = parsePrometheusText(await metrics.text());
  t.equal(sumOf(samples, 'toneguard_internal_errors_total', { source: 'uncaught-exception' }), 1);
  t.equal(sumOf(samples, 'toneguard_internal_errors_total', { source: 'unhandled-rejection' }), 1);
  t.equal(sumOf(samples, 'toneguard_internal_errors_total', { source: 'call' }), 0);
  t.equal(lines.length, 2);
  t.notMatch(lines.join(''), '4111111111111111');
  t.match(JSON.parse(lines[0]), { source: 'uncaught-exception', code: 'EBOOM', message: 'card [digits] seen' });
  t.notMatch(lines[0], /"stack"/, 'no stack trace');
  remove();
  t.equal(proc.listenerCount('uncaughtException'), 0);
  t.equal(proc.listenerCount('unhandledRejection'), 0);
});

t.test('a real process: a throw in a timer and a rejected promise do not end it', async (t) => {
  // Inside the project, so that its package.json makes the script an ES module like the tests.
  const dir = mkdtempSync(join(PROJECT_ROOT, '.last-resort-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = (file: string) => `../src/${file.replace(/\.ts$/, '.js')}`;
  const script = join(dir, 'survivor.ts');
  writeFileSync(
    script,
    [
      `import { installLastResort } from '${src('server/last-resort.ts')}';`,
      `import { createLogger } from '${src('server/logger.ts')}';`,
      `import { KpiMetrics } from '${src('kpi/kpi-metrics.ts')}';`,
      'const metrics = new KpiMetrics();',
      "installLastResort(process, { logger: createLogger('info', { write: (l: string) => void process.stderr.write(l) }), count: (s) => metrics.internalError(s) });",
      "setTimeout(() => { throw new Error('timer bug 4111111111111111'); }, 10);",
      "setTimeout(() => { void Promise.reject(new Error('async bug')); }, 20);",
      "setTimeout(async () => { process.stdout.write((await metrics.text()).split('\\n').filter((l) => l.startsWith('toneguard_internal_errors_total')).join('\\n') + '\\nalive\\n'); }, 200);",
    ].join('\n'),
  );
  const run = spawnSync(process.execPath, [...process.execArgv, script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(run.status, 0, `exit 0 (stderr: ${run.stderr.slice(0, 300)})`);
  t.match(run.stdout, /alive/, 'still running after both errors');
  t.match(run.stdout, /source="uncaught-exception"\} 1/);
  t.match(run.stdout, /source="unhandled-rejection"\} 1/);
  t.notMatch(run.stderr, '4111111111111111');
  t.match(run.stderr, 'timer bug [digits]');
});
