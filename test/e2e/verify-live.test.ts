// `toneguard verify` against live deployments: toneguard in front of the test agent passes
// (secure calls clean on PCMU, PCMA and G.722, the control call leaks every transport); toneguard
// expected to clamp every call (secure mode never switched on) fails, and so does a plain SIP
// proxy (Kamailio, media end to end). The CLI writes a signed report that `verify --check`
// accepts, and its HTML renders in Chromium. A verify run is mostly waiting on real-time calls,
// so the two tests run at the same time, each against a toneguard of its own.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { compileCli, plainNode } from '../helpers/cli.js';
import { startE2eServer } from '../helpers/e2e-server.js';
import { Kamailio, kamailioAvailable } from '../helpers/kamailio.js';
import { runVerify } from '../../src/verify/verify-run.js';

const CHROMIUM = '/usr/bin/chromium';
// Fixed ports: the agent must be known to the deployment's config before the run.
const AGENT = 61099;
const RELAY_AGENT = 61098;
const KAMAILIO_PORT = 61097;
const SIP = 61060;
// The second test's toneguard and agent.
const CLI_AGENT = 61096;
const CLI_SIP = 61061;

const { cli, run } = compileCli(t, 'cli-verify');

/** The CLI in a child process without blocking this one (the server under test runs here). */
function runAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(...plainNode([cli, ...args]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
const dir = mkdtempSync(join(tmpdir(), 'toneguard-verify-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const tg = await startE2eServer(t, {
  sip: { listen: `127.0.0.1:${SIP}` },
  upstream: `sip:127.0.0.1:${AGENT}`,
  rtp: { address: '127.0.0.1', ports: '61200-61399' },
  http: { listen: '127.0.0.1:0', token: 'verify-token' },
});
const target = `sip:127.0.0.1:${SIP}`;

t.jobs = 2;

t.test('toneguard (secure mode over the API) passes; a plain proxy fails, at the same time', async (t) => {
  const kamailio = kamailioAvailable() ? await Kamailio.start({ dir: join(dir, 'kamailio'), port: KAMAILIO_PORT, backends: [`sip:127.0.0.1:${RELAY_AGENT}`] }) : undefined;
  t.teardown(() => kamailio?.stop());
  const [report, relay] = await Promise.all([
    runVerify({
      target,
      agentListen: `127.0.0.1:${AGENT}`,
      codecs: ['PCMU', 'PCMA', 'G722'],
      secureMode: 'api',
      api: tg.server.httpUrl,
      token: 'verify-token',
      localAddress: '127.0.0.1',
      version: 'test',
    }),
    kamailio === undefined
      ? undefined
      : runVerify({ target: `sip:127.0.0.1:${KAMAILIO_PORT}`, agentListen: `127.0.0.1:${RELAY_AGENT}`, codecs: ['PCMU'], secureMode: 'always', localAddress: '127.0.0.1', version: 'test' }),
  ]);
  t.equal(report.verdict, 'pass', report.reasons.join('; '));
  t.same(report.control, { inband: 'leak-seen', rfc4733: 'leak-seen', 'sip-info': 'leak-seen' });
  for (const c of report.calls) {
    t.ok(c.toneguardCallId, `${c.codec} ${c.kind}: the agent saw X-Toneguard-Call-Id`);
    t.same(c.agentCodecs, [c.codec], `${c.codec} ${c.kind}: the agent's end ran on the same codec`);
    t.ok((c.voiceDbm0 ?? -99) > -30, `${c.codec} ${c.kind}: the caller's voice reached the agent (${c.voiceDbm0} dBm0)`);
    const sum = (k: 'digitsRecovered' | 'telephoneEventPackets' | 'sipInfoDigits' | 'toneMsMax'): number => c.groups.reduce((n, g) => n + g[k], 0);
    if (c.kind === 'secure') {
      t.equal(c.verdict, 'clean', `${c.codec}: clean with secure mode on`);
      t.same([sum('digitsRecovered'), sum('telephoneEventPackets'), sum('sipInfoDigits'), sum('toneMsMax'), c.multimonDigits ?? 0], [0, 0, 0, 0, 0]);
    } else {
      t.equal(c.verdict, 'leak', `${c.codec}: the control leaks`);
      t.equal(sum('digitsRecovered'), 64, 'every in-band key is recovered from the control call');
      if (c.multimonDigits !== null) t.ok(c.multimonDigits >= 60, `multimon-ng decodes ${c.multimonDigits} digits from the control call`);
    }
  }
  if (relay === undefined) t.comment('kamailio missing: the plain-proxy run was skipped');
  else {
    t.equal(relay.verdict, 'fail', 'a proxy that does not clamp fails');
    t.equal(relay.calls[0].verdict, 'leak');
  }
});

t.test('the CLI against toneguard expected to clamp every call (it does not): FAIL, exit 1, signed report, HTML in Chromium', async (t) => {
  // Configured as the first test's toneguard: secure mode is off until the API switches it on.
  await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${CLI_SIP}` },
    upstream: `sip:127.0.0.1:${CLI_AGENT}`,
    rtp: { address: '127.0.0.1', ports: '61400-61599' },
    http: { listen: '127.0.0.1:0', token: 'verify-token' },
  });
  const reportDir = join(dir, 'report');
  const result = await runAsync('verify', '--target', `sip:127.0.0.1:${CLI_SIP}`, '--agent-listen', `127.0.0.1:${CLI_AGENT}`, '--codecs', 'PCMU', '--secure-mode', 'always', '--report', reportDir);
  t.equal(result.status, 1, result.stderr);
  t.match(result.stdout, /^verify: FAIL \(sip:127\.0\.0\.1:\d+, PCMU\)\n/);
  t.match(result.stdout, /PCMU secure: leak; digits recovered 64/);
  t.ok(existsSync(join(reportDir, 'verify-key.pem')));
  t.equal(statSync(join(reportDir, 'verify-key.pem')).mode & 0o077, 0, 'the generated key is private');
  const check = run('verify', '--check', join(reportDir, 'report.json'));
  t.equal(check.status, 0);
  t.match(check.stdout, /signature valid; verdict fail/);
  const html = readFileSync(join(reportDir, 'report.html'), 'utf8');
  t.match(html, /DTMF leak test <span class="verdict">FAIL<\/span>/);
  if (!existsSync(CHROMIUM)) {
    t.comment(`${CHROMIUM} missing: the HTML rendering check was skipped`);
    return;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) external.push(r.url());
  });
  await page.goto(`file://${join(reportDir, 'report.html')}`);
  t.equal(await page.locator('.verdict').innerText(), 'FAIL');
  t.equal(await page.locator('table').count(), 1, 'one table per call');
  t.match(await page.locator('table').innerText(), /double-send/);
  const png = await page.screenshot({ fullPage: true, path: join(reportDir, 'report.png') });
  t.ok(png.length > 20_000, `a screenshot of ${png.length} bytes`);
  t.same(external, [], 'the page loads nothing from the network');
});
