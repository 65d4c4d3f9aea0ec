// KPI numbers after a scripted batch of real calls (SIP + RTP + RFC 4733 keys into
// toneguard's payment URI, the built-in gateway simulator answering) match exactly, in
// Prometheus (GET /metrics), in SQLite (GET /kpi, GET /kpi/field-inputs and `toneguard kpi --json
// --db`) and in PostgreSQL (a second instance on a throwaway cluster; `toneguard kpi --json --postgres`).
// The expected numbers are written out by hand from the batch below.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { ToneguardServer } from '../../src/server/toneguard-server.js';
import { compileCli } from '../helpers/cli.js';
import { PaymentCaller } from '../helpers/payment-caller.js';
import { MASTERCARD, SCRIPTS, VISA, runScript, type ScriptOutcome, type ScriptTarget } from '../helpers/payment-scripts.js';
import { parsePrometheusText, sumOf, table } from '../helpers/prometheus-text.js';
import { startPostgres } from '../helpers/postgres.js';
import { testPort, testPortRange } from '../helpers/ports.js';

// Ports of this test (see the e2e port plan): SIP 5750-5753, RTP 35000-35399 (toneguard) and
// 36000-36099 (callers), gateway simulators 8545-8546.
interface Instance {
  readonly server: ToneguardServer;
  readonly logs: string[];
  readonly sipPort: number;
}

async function startInstance(t: Test, n: 0 | 1, kpi: { sqlite: string } | { postgres: string }): Promise<Instance> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const sipPort = testPort(5750 + n);
  const config = parseConfig({
    sip: { listen: `127.0.0.1:${sipPort}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange(`${35000 + n * 200}-${35199 + n * 200}`) },
    upstream: `sip:127.0.0.1:${testPort(5769)}`,
    payment: {
      uri: 'sip:pay@127.0.0.1',
      returnUri: `sip:ivr@127.0.0.1:${testPort(5768)}`,
      maxDeclines: 2,
      results: { tooManyDeclines: 'return' },
      timeouts: { firstDigitMs: 5000, interDigitMs: 3000 },
    },
    gateway: { kind: 'simulator', url: `https://127.0.0.1:${testPort(8545 + n)}/xml/v1/request.api` },
    kpi,
    shutdownGraceSeconds: 1,
  });
  const server = await ToneguardServer.start(config, createLogger('info', sink));
  t.teardown(() => server.shutdown(0));
  return { server, logs, sipPort };
}

/** The batch: 7 calls at once, each with a known outcome. */
async function runBatch(instance: Instance, caller: PaymentCaller, rtpBase: number): Promise<ScriptOutcome[]> {
  let rtp = rtpBase;
  const s: ScriptTarget = {
    caller,
    target: { transport: 'udp', address: '127.0.0.1', port: instance.sipPort },
    uri: 'sip:pay@127.0.0.1',
    httpUrls: [instance.server.httpUrl],
    rtpPort: () => (rtp += 2),
  };
  return Promise.all([
    runScript(s, 'success-visa', 'C-1', SCRIPTS.success(VISA)),
    runScript(s, 'success-mastercard', 'C-2', SCRIPTS.success(MASTERCARD)),
    runScript(s, 'declined-twice', 'C-3', SCRIPTS.declinedTwice()),
    runScript(s, 'hangup-amount', 'C-4', SCRIPTS.hangUpAtAmount()),
    runScript(s, 'hangup-card-number', 'C-5', SCRIPTS.hangUpAtCardNumber()),
    runScript(s, 'hangup-security-code', 'C-6', SCRIPTS.hangUpAtSecurityCode()),
    runScript(s, 'not-identified', null, SCRIPTS.idle()),
  ]);
}

// --- The expected numbers, by hand ------------------------------------------------------------
// success-visa, success-mastercard: every step, 1 attempt each. declined-twice: every step, 2
// attempts. hangup-amount: amount. hangup-card-number: amount, card-number. hangup-security-code:
// amount, card-number, expiry, security-code. not-identified: no step, no attempt.
const EXPECTED_RESULTS: Record<string, string | null> = {
  'success-visa': 'success',
  'success-mastercard': 'success',
  'declined-twice': 'too-many-failed-attempts',
  'hangup-amount': null,
  'hangup-card-number': null,
  'hangup-security-code': null,
  'not-identified': 'not-identified',
};
const EXPECTED_SESSIONS = { 'automated|success': 2, 'automated|too-many-failed-attempts': 1, 'automated|caller-hung-up': 3, 'automated|not-identified': 1 };
const EXPECTED_HANGUPS = { 'automated|amount': 1, 'automated|card-number': 1, 'automated|security-code': 1 };
const EXPECTED_FUNNEL = {
  amount: 6, // all but not-identified
  'card-number': 5, // not hangup-amount
  expiry: 4, // 2 successes, declined-twice, hangup-security-code
  'security-code': 4,
  confirmation: 3, // 2 successes, declined-twice
  processing: 3,
  result: 3,
};
const EXPECTED_SUMMARY = {
  entered: 7,
  successful: 2,
  unsuccessful: 5, // too-many-failed-attempts 1, caller-hung-up 3, not-identified 1
  attempted: 4, // 1 + 1 + 2
  hangups: 3,
  funnel: EXPECTED_FUNNEL,
};
const EXPECTED_DURATION_COUNTS = { success: 2, 'too-many-failed-attempts': 1, 'caller-hung-up': 3, 'not-identified': 1 };

interface KpiJson {
  entered: number;
  successful: number;
  unsuccessful: number;
  attempted: number;
  hangups: number;
  avgDurationSeconds: Record<string, number>;
  funnel: Record<string, number>;
}

function withoutDurations(k: KpiJson): Omit<KpiJson, 'avgDurationSeconds'> {
  const { avgDurationSeconds: _ignored, ...rest } = k;
  return rest;
}

async function checkInstance(t: Test, name: string, instance: Instance, outcomes: readonly ScriptOutcome[], cliKpi: () => KpiJson): Promise<void> {
  const results = Object.fromEntries(outcomes.map((o) => [o.name, o.result]));
  t.same(results, EXPECTED_RESULTS, `${name}: what each caller was told (X-Payment-Result)`);
  for (const o of outcomes.filter((x) => x.name.startsWith('hangup-'))) t.same(o.end, { by: 'local-bye', status: 200 }, `${name}: ${o.name} hung up, BYE answered 200`);
  t.equal(outcomes.find((o) => o.name === 'success-visa')?.headers['X-Payment-Card-Last4'], '1111', `${name}: last four digits of the visa returned`);
  const success = outcomes.filter((o) => o.result === 'success');
  t.ok(
    success.every((o) => o.rtpReceived > 100),
    `${name}: the paying callers heard the prompts (${success.map((o) => o.rtpReceived).join(', ')} RTP packets)`,
  );

  const metricsText = await (await fetch(`${instance.server.httpUrl}/metrics`)).text();
  const samples = parsePrometheusText(metricsText);
  t.same(table(samples, 'toneguard_payment_sessions_entered_total', ['mode']), { automated: 7, 'agent-assisted': 0 }, `${name}: Prometheus entered`);
  t.same(table(samples, 'toneguard_payment_sessions_total', ['mode', 'result']), EXPECTED_SESSIONS, `${name}: Prometheus sessions per result`);
  t.same(table(samples, 'toneguard_payment_attempts_total', ['mode']), { automated: 4, 'agent-assisted': 0 }, `${name}: Prometheus attempts`);
  t.same(table(samples, 'toneguard_payment_caller_hangups_total', ['mode', 'step']), EXPECTED_HANGUPS, `${name}: Prometheus hang-ups per step`);
  const funnel = table(samples, 'toneguard_payment_steps_reached_total', ['step']);
  t.same(funnel, EXPECTED_FUNNEL, `${name}: Prometheus funnel`);
  t.same(table(samples, 'toneguard_payment_session_duration_seconds_count', ['result']), EXPECTED_DURATION_COUNTS, `${name}: Prometheus duration histogram counts`);
  t.equal(sumOf(samples, 'toneguard_calls_total'), 7, `${name}: 7 calls`);
  t.equal(sumOf(samples, 'toneguard_calls_active'), 0, `${name}: no call left`);
  t.notMatch(metricsText, /4111111111111111|5555555555554444|4000000000000002/, `${name}: no card number in /metrics`);

  // Average durations: the store's mean (whole ms) equals the histogram's sum / count.
  const promAvg: Record<string, number> = {};
  for (const result of Object.keys(EXPECTED_DURATION_COUNTS)) {
    const sum = sumOf(samples, 'toneguard_payment_session_duration_seconds_sum', { result });
    const count = sumOf(samples, 'toneguard_payment_session_duration_seconds_count', { result });
    promAvg[result] = Math.round((sum * 1000) / count) / 1000;
  }

  const api = (await (await fetch(`${instance.server.httpUrl}/kpi`)).json()) as KpiJson;
  t.same(withoutDurations(api), EXPECTED_SUMMARY, `${name}: GET /kpi`);
  // The store keeps whole milliseconds per session, Prometheus the exact seconds: their means may
  // differ by the rounding, at most 1 ms.
  t.same(Object.keys(api.avgDurationSeconds).sort(), Object.keys(promAvg).sort(), `${name}: GET /kpi durations for the same results as Prometheus`);
  for (const [result, avg] of Object.entries(promAvg)) {
    const stored = api.avgDurationSeconds[result];
    t.ok(Math.abs(stored - avg) <= 0.0015, `${name}: GET /kpi mean duration of ${result} = Prometheus sum/count within 1 ms (${stored} s, ${avg} s)`);
  }

  // How each field was given: every caller keyed (dtmf). The card number was captured in the two
  // successes, declined-twice (once per session: the last capture counts) and hangup-security-code.
  const inputs = ((await (await fetch(`${instance.server.httpUrl}/kpi/field-inputs`)).json()) as { fieldInputs: { for: string; input: string; count: number }[] }).fieldInputs;
  const promInputs = Object.fromEntries(Object.entries(table(samples, 'toneguard_payment_fields_captured_total', ['for', 'input'])).filter(([, n]) => n > 0));
  t.same(Object.fromEntries(inputs.map((c) => [`${c.for}|${c.input}`, c.count])), promInputs, `${name}: GET /kpi/field-inputs = Prometheus fields captured`);
  t.ok(inputs.length > 0 && inputs.every((c) => c.input === 'dtmf'), `${name}: every field keyed`);
  t.equal(inputs.find((c) => c.for === 'payment-card-number')?.count, 4, `${name}: card numbers captured`);
  const cli = cliKpi();
  t.same(cli, api, `${name}: toneguard kpi --json = GET /kpi`);

  const logText = instance.logs.join('');
  t.notMatch(logText, /4111111111111111|5555555555554444|4000000000000002|\b1230\b/, `${name}: no card number or expiry in the logs`);
}

t.test('a scripted batch of real payment calls gives the same KPIs in Prometheus, SQLite and PostgreSQL', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-kpi-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const started = performance.now();
  const toneguard = compileCli(t, 'kpi-real-calls');
  t.comment(`compiled in ${(performance.now() - started).toFixed(0)} ms`);

  const pg = startPostgres(t);
  let pgUrl: string | null = null;
  if ('skip' in pg) t.comment(`PostgreSQL part skipped: ${pg.skip}`);
  else {
    pg.createDatabase('kpi_e2e');
    pgUrl = pg.url('kpi_e2e');
  }

  const sqliteFile = join(dir, 'kpi.sqlite');
  const a = await startInstance(t, 0, { sqlite: sqliteFile });
  const b = pgUrl === null ? null : await startInstance(t, 1, { postgres: pgUrl });
  const callerA = await PaymentCaller.open(testPort(5752));
  t.teardown(() => callerA.close());
  const callerB = b === null ? null : await PaymentCaller.open(testPort(5753));
  if (callerB !== null) t.teardown(() => callerB.close());

  const batchStarted = performance.now();
  const [outA, outB] = await Promise.all([runBatch(a, callerA, testPort(36000)), b === null || callerB === null ? Promise.resolve(null) : runBatch(b, callerB, testPort(36050))]);
  t.comment(`batch (${b === null ? 7 : 14} calls) took ${(performance.now() - batchStarted).toFixed(0)} ms`);
  // The store writes run behind the metrics: let them land.
  await new Promise((r) => setTimeout(r, 300));

  await checkInstance(t, 'SQLite', a, outA, () => {
    const run = toneguard.run('kpi', '--json', '--db', sqliteFile);
    if (run.status !== 0) throw new Error(`toneguard kpi --db failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as KpiJson;
  });
  if (b !== null && outB !== null && pgUrl !== null) {
    const url = pgUrl;
    await checkInstance(t, 'PostgreSQL', b, outB, () => {
      const run = toneguard.run('kpi', '--json', '--postgres', url);
      if (run.status !== 0) throw new Error(`toneguard kpi --postgres failed: ${run.stderr}`);
      return JSON.parse(run.stdout) as KpiJson;
    });
    const sqliteApi = (await (await fetch(`${a.server.httpUrl}/kpi`)).json()) as KpiJson;
    const pgApi = (await (await fetch(`${b.server.httpUrl}/kpi`)).json()) as KpiJson;
    t.same(withoutDurations(pgApi), withoutDurations(sqliteApi), 'the same batch gives the same counts in both stores');
  }
});
