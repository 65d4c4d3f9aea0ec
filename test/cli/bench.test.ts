// `toneguard bench` options: --only picks benchmarks by name and --ports moves the media-load
// relay's RTP ports; bad values are usage errors (exit 2) that name the option. Node flags for
// the serve contender's server come from the environment and must be flags.
import t from 'tap';
import { compileCli } from '../helpers/cli.js';

t.test('bench --only and --ports: usage errors name the option', async (t) => {
  const { run } = compileCli(t, 'bench-options');
  const unknown = run('bench', '--only', 'detector,nope');
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /--only: unknown benchmark nope \(one of detector, replay, scan, clamp, clamp-stage, speech, media-load\)/);
  const ports = run('bench', '--ports', '80-90');
  t.equal(ports.status, 2);
  t.match(ports.stderr, /--ports: must be FIRST-LAST/);
});

t.test('bench: Node flags for the serve contender must be flags, or nothing runs', async (t) => {
  const { run } = compileCli(t, 'bench-node-args');
  process.env.TONEGUARD_BENCH_SERVE_NODE_ARGS = '--perf-basic-prof-only-functions ./evil.js';
  t.teardown(() => delete process.env.TONEGUARD_BENCH_SERVE_NODE_ARGS);
  const r = run('bench', '--only', 'media-load');
  t.equal(r.status, 1);
  t.match(r.stderr, /TONEGUARD_BENCH_SERVE_NODE_ARGS: not a Node flag: \.\/evil\.js/);
  t.equal(r.stdout, '', 'no benchmark ran');
});

t.test('bench --only clamp runs only that benchmark', async (t) => {
  const { run } = compileCli(t, 'bench-only');
  const r = run('bench', '--only', 'clamp', '--json');
  t.equal(r.status, 0, r.stderr);
  const names = r.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { benchmark: string }).benchmark);
  t.ok(names.length >= 1 && names.every((n) => n.startsWith('clamp') && !n.startsWith('clamp-stage')), names.join(', '));
});
