// End to end, automated mode: a scripted caller dials the payment URI over real SIP and
// RTP on loopback, hears the prompts, keys a test card as RFC 4733 events, and is handed back
// (REFER or BYE) with the result headers; the built-in gateway simulator charges the card.
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { waitFor } from '../helpers/call-sip-peers.js';
import { cardNeedles, filesUnder, needlesIn, startE2eServer, type E2eServer } from '../helpers/e2e-server.js';
import { ScriptedCaller, type KeyMode } from '../helpers/scripted-caller.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const IVR = testPort(5741);
/**
 * The tests run at the same time (each spends its time waiting on a real-time call), each with a
 * server of its own: its SIP port (5740-5749 are this file's), RTP ports, the caller's RTP port
 * and the gateway simulator the server starts. The scripted UAs' SIP ports are ephemeral.
 */
interface Ports {
  readonly sip: number;
  readonly rtp: string;
  readonly callerRtp: number;
  readonly gateway: number;
}
const PORTS: readonly Ports[] = [
  { sip: testPort(5740), rtp: testPortRange('34000-34099'), callerRtp: testPort(34500), gateway: testPort(8544) },
  { sip: testPort(5742), rtp: testPortRange('34100-34199'), callerRtp: testPort(34502), gateway: testPort(8545) },
  { sip: testPort(5744), rtp: testPortRange('34200-34299'), callerRtp: testPort(34504), gateway: testPort(8546) },
];
const CALLER_SIP = 0;
const VISA = '4111111111111111';
const DECLINED = '4000000000000002';
/** Expiry three years ahead (MMYY), so the test keeps passing as time goes by. */
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '947';
const HEADERS = { 'X-Payment-Customer-Id': 'C-1001', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'GBP', 'X-Payment-Merchant-Id': 'M-7' };

function config(ports: Ports, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sip: { listen: `127.0.0.1:${ports.sip}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: ports.rtp },
    upstream: `sip:127.0.0.1:${IVR}`, // never dialled in automated mode
    payment: { uri: 'sip:pay@127.0.0.1', returnUri: `sip:ivr@127.0.0.1:${IVR}`, ...(extra.payment as object) },
    gateway: { url: `https://127.0.0.1:${ports.gateway}/xml/v1/request.api` },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'payment')),
  };
}

async function caller(t: Test, ports: Ports): Promise<ScriptedCaller> {
  const c = await ScriptedCaller.start(CALLER_SIP, ports.callerRtp);
  t.teardown(() => c.close());
  return c;
}

/** Waits for the prompt to start playing, lets a little of it reach the caller, then keys. */
async function after(e: E2eServer, c: ScriptedCaller, prompt: string, keys: string, mode: KeyMode = 'rfc4733'): Promise<void> {
  await e.waitPrompt(prompt);
  await new Promise((r) => setTimeout(r, 300));
  c.rtp.queueKeys(keys, mode);
  await c.rtp.drained();
}

async function payWith(e: E2eServer, c: ScriptedCaller, card: string, cardPrompt = 'enter-card-number', mode: KeyMode = 'rfc4733'): Promise<void> {
  await after(e, c, cardPrompt, `${card}#`, mode);
  await after(e, c, 'enter-expiry', EXPIRY, mode);
  await after(e, c, 'enter-security-code-3', CVV, mode);
  await after(e, c, 'readback-paying', '1', mode);
}

t.jobs = PORTS.length;

t.test('automated, REFER back: a declined card, then a good one; prompts in order; result headers; no card data anywhere', async (t) => {
  const ports = PORTS[0];
  const e = await startE2eServer(t, config(ports));
  const c = await caller(t, ports);
  t.equal(await c.dial(ports.sip, 'sip:pay@127.0.0.1', HEADERS), 200, 'the payment URI answers');
  await e.waitPrompt('press-1-to-pay-balance-of');
  const live = (JSON.parse((await e.fetchText('/calls')).text) as { calls: { id: string; mode: string; paymentId: string | null }[] }).calls;
  t.equal(live.length, 1);
  t.equal(live[0].mode, 'endpoint');
  t.type(live[0].paymentId, 'string', 'the call shows its payment');
  const paymentPath = `/calls/${encodeURIComponent(live[0].id)}/payments/${live[0].paymentId}`;
  const started = Date.now();
  await waitFor(() => c.rtp.loudPackets(started - 1000) > 10, 5000);
  t.pass('the caller hears the balance prompt');
  c.rtp.queueKeys('1', 'rfc4733');
  await payWith(e, c, DECLINED);
  // A declined card: the caller is told and asked for another card.
  await payWith(e, c, VISA, 'payment-declined');
  await waitFor(() => c.refers.length === 1, 20_000);
  const h = c.referHeaders();
  t.equal(h['X-Payment-Result'], 'success');
  t.equal(h['X-Payment-Card-Last4'], '1111');
  t.equal(h['X-Payment-Card-Type'], 'visa');
  t.equal(h['X-Payment-Amount'], '125.50');
  t.match(h['X-Payment-Transaction-Id'], /^\d+$/);
  t.match(c.refers[0], new RegExp(`^<sip:ivr@127\\.0\\.0\\.1:${IVR}\\?`), 'back to the return URI');
  const prompts = e.prompts();
  t.same(prompts.slice(0, 5), ['press-1-to-pay-balance-of', 'enter-card-number', 'enter-expiry', 'enter-security-code-3', 'readback-paying'], 'first attempt in order');
  t.same(
    prompts.slice(5),
    ['processing', 'payment-declined', 'enter-expiry', 'enter-security-code-3', 'readback-paying', 'processing', 'payment-success'],
    'declined, then the second card, then success',
  );
  const successAt = Date.now();
  t.ok(c.rtp.loudPackets(successAt - 3000) > 20, 'the success prompt reached the caller before the transfer');
  await waitFor(() => c.bye !== null || e.logs.some((l) => l.includes('"call ended"')), 5000);

  // The PCI sweep: every log line, API body, KPI and metric, the KPI file and its WAL, every file written.
  const payment = JSON.parse((await e.fetchText(paymentPath)).text) as { mode: string; result: { result: string } | null };
  t.equal(payment.mode, 'automated');
  t.equal(payment.result?.result, 'success', 'the API has the result too');
  const calls = await e.fetchText('/calls');
  t.equal(calls.status, 200);
  for (const path of ['/kpi', '/kpi/field-errors', '/kpi/live', '/metrics', '/kpi?by=outcome']) t.equal((await e.fetchText(path)).status, 200, path);
  const kpi = JSON.parse(e.responses[3]) as { entered: number; successful: number; attempted: number };
  t.equal(kpi.entered, 1);
  t.equal(kpi.successful, 1);
  t.equal(kpi.attempted, 2, 'two cards submitted');
  await e.server.shutdown(0);
  // The audit trail of the call: secure for the whole automated call, the payment started by the
  // IVR's INVITE and ended by the dialog; never card data (swept below with every line).
  const audit = e.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true && l.call === live[0].id);
  t.same(
    audit.map((l) => [l.action, l.actor, l.payment ?? null, l.result ?? null]),
    [
      ['secure-on', 'payment', null, null],
      ['payment-start', 'ivr', live[0].paymentId, null],
      ['payment-end', 'payment', live[0].paymentId, 'success'],
      ['secure-off', 'call-end', null, null],
    ],
    'audit lines: secure on, payment start and end, secure off',
  );
  t.ok(audit.every((l) => l.component === 'audit' && typeof l.time === 'number'));
  const needles = [...cardNeedles(VISA, EXPIRY, CVV), ...cardNeedles(DECLINED, EXPIRY, CVV)];
  t.ok(e.logs.length > 20, `${e.logs.length} log lines`);
  t.same(needlesIn(e.logs.join('\n'), needles), [], 'no card data in any log line');
  t.same(needlesIn(e.responses.join('\n'), needles), [], 'no card data in any API response');
  const files = filesUnder(e.dir);
  t.ok(
    files.some((f) => f.path.endsWith('kpi.sqlite')),
    files.map((f) => f.path).join(', '),
  );
  for (const f of files) t.same(needlesIn(f.bytes, needles), [], `no card data in ${f.path}`);
  t.same(needlesIn(c.refers.join('\n'), needles), [], 'no card data in the REFER');
});

t.test('automated, returnBy BYE, keys as in-band tones: the result headers ride on the BYE', async (t) => {
  const ports = PORTS[1];
  const e = await startE2eServer(t, config(ports, { payment: { returnBy: 'BYE' } }));
  const c = await caller(t, ports);
  t.equal(await c.dial(ports.sip, 'sip:pay@127.0.0.1', HEADERS), 200);
  await after(e, c, 'press-1-to-pay-balance-of', '1', 'inband');
  await payWith(e, c, VISA, 'enter-card-number', 'inband').catch((error: unknown) => {
    t.comment(e.logs.join(''));
    throw error;
  });
  await waitFor(() => c.bye !== null, 20_000);
  const h = c.byeHeaders();
  t.equal(h['X-Payment-Result'], 'success');
  t.equal(h['X-Payment-Card-Last4'], '1111');
  t.equal(h['X-Payment-Card-Type'], 'visa');
  t.equal(h['X-Payment-Amount'], '125.50');
  t.match(h['X-Payment-Transaction-Id'], /^\d+$/);
  t.equal(c.refers.length, 0, 'no REFER');
});

t.test('automated: the caller hangs up in the middle of the card number: caller-hung-up at card-number in the KPI store', async (t) => {
  const ports = PORTS[2];
  const e = await startE2eServer(t, config(ports));
  const c = await caller(t, ports);
  t.equal(await c.dial(ports.sip, 'sip:pay@127.0.0.1', HEADERS), 200);
  await after(e, c, 'press-1-to-pay-balance-of', '1');
  await after(e, c, 'enter-card-number', VISA.slice(0, 6));
  t.equal(await c.hangup(), 200);
  await waitFor(() => e.logs.some((l) => l.includes('"payment ended"')), 5000);
  const kpi = JSON.parse((await e.fetchText('/kpi')).text) as { entered: number; hangups: number };
  t.equal(kpi.entered, 1);
  t.equal(kpi.hangups, 1);
  await e.server.shutdown(0);
  const db = new Database(`${e.dir}/kpi.sqlite`, { readonly: true });
  const rows = db.prepare('SELECT result, hangup_step FROM kpi_sessions').all();
  db.close();
  t.same(rows, [{ result: 'caller-hung-up', hangup_step: 'card-number' }]);
  t.same(needlesIn(e.logs.join('\n'), [VISA.slice(0, 6)]), [], 'the keyed digits are in no log line');
});
