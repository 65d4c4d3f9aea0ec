// Scale-out with real instances: two `toneguard serve` processes (the compiled CLI, YAML
// configs differing in ports, the SAME kpi.postgres store) behind Kamailio (Debian package,
// examples/kamailio/kamailio.cfg). Payment calls placed through Kamailio (SIP + RTP + RFC 4733
// keys, test/helpers/payment-caller.ts) spread over both instances and their KPIs add up in the
// one store; an instance stopped with SIGTERM while it has a call up says draining (/health/ready
// 503, OPTIONS and new INVITEs 503), finishes that call, exits 0, and Kamailio sends every new
// call to the other instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compileCli, plainNode } from '../helpers/cli.js';
import { Kamailio, kamailioAvailable, KAMAILIO } from '../helpers/kamailio.js';
import { PaymentCaller } from '../helpers/payment-caller.js';
import { CVV, EXPIRY, SCRIPTS, VISA, runScript, waitState, type ScriptOutcome, type ScriptTarget } from '../helpers/payment-scripts.js';
import { startPostgres } from '../helpers/postgres.js';
import { parsePrometheusText, sumOf } from '../helpers/prometheus-text.js';
import { testPort, testPortRange } from '../helpers/ports.js';

// Ports (e2e port plan): instances SIP 5754/5755, Kamailio 5756, caller 5757; RTP 35400-35799
// (instances) and 36100-36199 (caller); gateway simulators on ephemeral ports (url port 0).
const SIP = [testPort(5754), testPort(5755)] as const;
const KAMAILIO_PORT = testPort(5756);
const CALLER_PORT = testPort(5757);

class Instance {
  readonly out: string[] = [];
  readonly exited: Promise<number | null>;
  httpUrl = '';
  #exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    readonly sipPort: number,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => this.out.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.out.push(d.toString()));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.#exitCode = code;
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** Resolves with the HTTP base once the banner is out. */
  async ready(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /HTTP (http:\/\/127\.0\.0\.1:\d+)/.exec(this.out.join(''));
      if (m !== null) {
        this.httpUrl = m[1];
        return;
      }
      if (!this.running || Date.now() > deadline) throw new Error(`${this.name} did not start:\n${this.out.join('').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async metrics(): Promise<ReturnType<typeof parsePrometheusText>> {
    return parsePrometheusText(await (await fetch(`${this.httpUrl}/metrics`)).text());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

function startInstance(cli: string, dir: string, n: 0 | 1, pgUrl: string): Instance {
  const config = {
    // Payment-only instances: no PBX answers behind them, so no upstream keep-alives (readiness
    // would otherwise add "no upstream is up" to "draining").
    sip: { listen: `127.0.0.1:${SIP[n]}`, keepalive: { intervalSeconds: 0 } },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange(`${35400 + n * 200}-${35599 + n * 200}`) },
    upstream: `sip:127.0.0.1:${testPort(5769)}`,
    payment: {
      // Kamailio forwards the caller's Request-URI (sip:pay@127.0.0.1:KAMAILIO) unchanged; the
      // payment URI matches on user and host.
      uri: 'sip:pay@127.0.0.1',
      returnUri: `sip:ivr@127.0.0.1:${testPort(5768)}`,
      maxDeclines: 2,
      results: { tooManyDeclines: 'return' },
      timeouts: { firstDigitMs: 4000, interDigitMs: 3000 },
    },
    gateway: { kind: 'simulator', url: 'https://127.0.0.1:0/xml/v1/request.api' },
    kpi: { postgres: pgUrl },
    log: { level: 'info' },
    shutdownGraceSeconds: 30,
  };
  const file = join(dir, `instance-${n}.yaml`);
  // JSON is YAML: no quoting questions for the PostgreSQL URL.
  // 0600: the config holds a secret (the PostgreSQL URL), and serve refuses readable secrets.
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  const child = spawn(...plainNode([cli, 'serve', '--config', file]), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Instance(n === 0 ? 'A' : 'B', SIP[n], child);
}

interface KpiJson {
  entered: number;
  successful: number;
  unsuccessful: number;
  attempted: number;
  hangups: number;
  avgDurationSeconds: Record<string, number>;
  funnel: Record<string, number>;
}

if (!kamailioAvailable()) {
  t.plan(0, `${KAMAILIO} missing (Debian package kamailio; scripts/install-test-tools.sh installs it as root)`);
  process.exit(0);
}

t.test('payment calls through Kamailio spread over two instances sharing one PostgreSQL KPI store; SIGTERM drains one', async (t) => {
  const pg = startPostgres(t);
  if ('skip' in pg) {
    t.plan(0, pg.skip);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-scale-out-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const toneguard = compileCli(t, 'kamailio-scale-out');
  pg.createDatabase('kpi_shared');
  const pgUrl = pg.url('kpi_shared');

  // One after the other: the first creates the schema, the second finds it.
  const a = startInstance(toneguard.cli, dir, 0, pgUrl);
  t.teardown(() => a.stop());
  await a.ready();
  const b = startInstance(toneguard.cli, dir, 1, pgUrl);
  t.teardown(() => b.stop());
  await b.ready();
  const byPort = new Map([
    [a.sipPort, a],
    [b.sipPort, b],
  ]);

  const kamailio = await Kamailio.start({
    dir: join(dir, 'kamailio'),
    port: KAMAILIO_PORT,
    backends: [`sip:127.0.0.1:${a.sipPort}`, `sip:127.0.0.1:${b.sipPort}`],
    pingIntervalS: 1,
    failoverMs: 1000,
  });
  t.teardown(() => kamailio.stop());
  const caller = await PaymentCaller.open(CALLER_PORT);
  t.teardown(() => caller.close());
  let rtp = testPort(36100);
  const s: ScriptTarget = {
    caller,
    target: { transport: 'udp', address: '127.0.0.1', port: KAMAILIO_PORT },
    uri: `sip:pay@127.0.0.1:${KAMAILIO_PORT}`,
    httpUrls: [a.httpUrl, b.httpUrl],
    rtpPort: () => (rtp += 2),
  };

  // --- 6 calls at once through Kamailio, known outcomes ---------------------------------------
  const started = performance.now();
  const batch: ScriptOutcome[] = await Promise.all([
    runScript(s, 'success-visa', 'C-1', SCRIPTS.success(VISA)),
    runScript(s, 'success-visa-2', 'C-2', SCRIPTS.success(VISA)),
    runScript(s, 'declined-twice', 'C-3', SCRIPTS.declinedTwice()),
    runScript(s, 'hangup-amount', 'C-4', SCRIPTS.hangUpAtAmount()),
    runScript(s, 'hangup-card-number', 'C-5', SCRIPTS.hangUpAtCardNumber()),
    runScript(s, 'not-identified', null, SCRIPTS.idle()),
  ]);
  t.comment(`6 calls through Kamailio in ${(performance.now() - started).toFixed(0)} ms`);
  t.same(
    Object.fromEntries(batch.map((o) => [o.name, o.result])),
    { 'success-visa': 'success', 'success-visa-2': 'success', 'declined-twice': 'too-many-failed-attempts', 'hangup-amount': null, 'hangup-card-number': null, 'not-identified': 'not-identified' },
    'each caller was told its result',
  );
  const onA = batch.filter((o) => o.answeredBy === a.sipPort).length;
  const onB = batch.filter((o) => o.answeredBy === b.sipPort).length;
  t.comment(`spread: ${onA} on A, ${onB} on B`);
  t.equal(onA + onB, 6, 'every call answered by one of the instances');
  t.ok(onA >= 1 && onB >= 1, `both instances took calls (${onA}/${onB})`);
  const [ma, mb] = [await a.metrics(), await b.metrics()];
  t.equal(sumOf(ma, 'toneguard_calls_total'), onA, "A's own call count matches what the callers saw");
  t.equal(sumOf(mb, 'toneguard_calls_total'), onB, "B's own call count matches what the callers saw");
  t.equal(sumOf(ma, 'toneguard_payment_sessions_entered_total') + sumOf(mb, 'toneguard_payment_sessions_entered_total'), 6, 'the instances entered 6 payments between them');

  // The store holds every call of both instances; numbers by hand: amount reached by all but
  // not-identified (5), card-number by all but hangup-amount too (4), the rest by the two
  // successes and declined-twice (3); attempts 1 + 1 + 2.
  const kpi = (): KpiJson => {
    const run = toneguard.run('kpi', '--json', '--postgres', pgUrl);
    if (run.status !== 0) throw new Error(`toneguard kpi --postgres: ${run.stderr}`);
    return JSON.parse(run.stdout) as KpiJson;
  };
  await new Promise((r) => setTimeout(r, 300)); // store writes run behind the metrics
  const first = kpi();
  t.same(
    { ...first, avgDurationSeconds: Object.keys(first.avgDurationSeconds).sort() },
    {
      entered: 6,
      successful: 2,
      unsuccessful: 4,
      attempted: 4,
      hangups: 2,
      avgDurationSeconds: ['caller-hung-up', 'not-identified', 'success', 'too-many-failed-attempts'],
      funnel: { amount: 5, 'card-number': 4, expiry: 3, 'security-code': 3, confirmation: 3, processing: 3, result: 3 },
    },
    'the shared PostgreSQL store adds up the calls of both instances',
  );
  const fromA = (await (await fetch(`${a.httpUrl}/kpi`)).json()) as KpiJson;
  t.same(fromA, first, "A's GET /kpi reads the same shared store");

  // --- SIGTERM one instance while it has a call up ---------------------------------------------
  const live = await caller.call({ target: s.target, uri: s.uri, headers: { 'X-Payment-Customer-Id': 'C-9', 'X-Payment-Amount': '10.00', 'X-Payment-Currency': 'GBP' }, rtpPort: s.rtpPort() });
  const x = byPort.get(live.answeredBy);
  if (x === undefined) throw new Error(`call answered by an unknown port ${live.answeredBy}`);
  const y = x === a ? b : a;
  t.comment(`the call to keep is on ${x.name}; SIGTERM to ${x.name}`);
  await waitState([x.httpUrl], live.callId, 'amount-choice');
  x.child.kill('SIGTERM');
  const deadline = Date.now() + 5000;
  let ready: { status: number; body: { type?: string; reasons?: string[] } } = { status: 0, body: {} };
  while (Date.now() < deadline) {
    const res = await fetch(`${x.httpUrl}/health/ready`);
    const body = (await res.json()) as { type?: string; reasons?: string[] };
    ready = { status: res.status, body: { type: body.type, reasons: body.reasons } };
    if (res.status === 503) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.same(ready, { status: 503, body: { type: 'https://toneguard.dev/problems/not-ready', reasons: ['draining'] } }, `${x.name} /health/ready: 503 draining`);

  // Kamailio's probe (OPTIONS) gets 503 from x now, 200 from y.
  const probe = async (port: number) => caller.options({ transport: 'udp', address: '127.0.0.1', port });
  t.same([await probe(x.sipPort), await probe(y.sipPort)], [503, 200], `OPTIONS: ${x.name} (draining) 503, ${y.name} 200`);

  // New calls while x drains: all to y (x answers 503, Kamailio fails over and probing marks it down).
  const during = await Promise.all([0, 1, 2].map((i) => runScript(s, `during-${i}`, null, SCRIPTS.idle())));
  t.same(
    during.map((o) => o.answeredBy),
    [y.sipPort, y.sipPort, y.sipPort],
    `while ${x.name} drains, every new call goes to ${y.name}`,
  );
  t.same(
    during.map((o) => o.result),
    ['not-identified', 'not-identified', 'not-identified'],
    `${y.name} handled them`,
  );
  t.ok(x.running, `${x.name} is still up: its call is not over`);

  // The call on x goes on to its end: the caller pays.
  await live.press('1');
  await waitState([x.httpUrl], live.callId, 'card-number');
  await live.press(`${VISA}#`);
  await waitState([x.httpUrl], live.callId, 'expiry');
  await live.press(EXPIRY);
  await waitState([x.httpUrl], live.callId, 'security-code');
  await live.press(CVV);
  await waitState([x.httpUrl], live.callId, 'confirmation');
  await live.press('1');
  const end = await live.ended;
  t.equal(live.referHeaders?.['X-Payment-Result'], 'success', `the call on ${x.name} completed its payment while ${x.name} drained`);
  t.equal(end.by, 'remote-bye', 'and was ended by toneguard after the transfer back');
  const code = await Promise.race([x.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
  t.equal(code, 0, `${x.name} exits 0 once its last call ended`);

  await new Promise((r) => setTimeout(r, 1500)); // probing has marked x down
  const after = await runScript(s, 'after', null, SCRIPTS.idle());
  t.equal(after.answeredBy, y.sipPort, `after ${x.name} stopped, new calls go to ${y.name}`);

  const total = kpi();
  t.same([total.entered, total.successful, total.attempted], [6 + 3 + 1 + 1, 3, 5], 'the store counts the drained call (success) and the later calls');
  t.notMatch(a.out.join('') + b.out.join(''), /4111111111111111|4000000000000002/, 'no card number in either instance log');
  t.notMatch(a.out.join('') + b.out.join(''), /prompt not playable/, 'the compiled server found its prompts');
  t.ok(
    batch.filter((o) => o.result === 'success').every((o) => o.rtpReceived > 100),
    `the paying callers heard the prompts (${batch.map((o) => o.rtpReceived).join(', ')} RTP packets)`,
  );
});
