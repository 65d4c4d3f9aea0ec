// Operational trust end to end, on a live B2BUA call: every secure-mode change, payment command
// and state-changing API call is an audit line (who, what, which call) counted in /metrics; a
// SIGHUP-style reload rotates the API token and the webhook key in place, and a reload that
// changes a key needing a restart is refused whole, naming the key.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { signWebhook } from '../../src/http/status-webhook.js';
import { ReloadRefusedError } from '../../src/server/hot-reload.js';
import { answerInvite, Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { startE2eServer } from '../helpers/e2e-server.js';
import { RtpEndpoint, ScriptedCaller, sdpAudioTarget } from '../helpers/scripted-caller.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5762);
const CALLER_RTP = testPort(34710);
const AGENT_RTP = testPort(34720);
const TOKEN = 'audit-token-old-91c2';
const NEW_TOKEN = 'audit-token-new-5d7e';
const SECRET = 'audit-webhook-old';
const NEW_SECRET = 'audit-webhook-new';

interface AuditLine {
  audit?: boolean;
  component?: string;
  action: string;
  actor: string;
  call?: string | null;
  payment?: string | null;
  time: number;
  [k: string]: unknown;
}

t.test('audit lines for secure on/off and payment commands via the API; token and webhook key rotate on reload', async (t) => {
  const pbx = await Peer.start(0);
  const agent = await RtpEndpoint.open(AGENT_RTP);
  t.teardown(async () => {
    agent.close();
    await pbx.close();
  });
  const hooks: { body: string; timestamp: string; signature: string }[] = [];
  const receiver = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({
        body: Buffer.concat(chunks).toString(),
        timestamp: /^t=(\d+),/.exec(String(req.headers['x-toneguard-signature']))?.[1] ?? '',
        signature: String(req.headers['x-toneguard-signature']),
      });
      res.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  t.teardown(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/status`;

  const config = {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0', token: TOKEN, webhookSecret: SECRET, allowPlainHttpCallbacks: true, callbackHosts: ['127.0.0.1'] },
    rtp: { ports: testPortRange('34600-34699') },
    upstream: pbx.uri,
    gateway: { url: `https://127.0.0.1:${testPort(8545)}/xml/v1/request.api` },
  };
  const e = await startE2eServer(t, config);
  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      answerInvite(pbx, req, tx, 200, { body: sdpBody(agent.port), contentType: 'application/sdp' });
      agent.start(sdpAudioTarget(req.body.toString()));
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const c = await ScriptedCaller.start(0, CALLER_RTP);
  t.teardown(() => c.close());
  t.equal(await c.dial(SIP, 'sip:agent@127.0.0.1', {}), 200, 'the call reaches the agent');
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const callId = (JSON.parse((await e.fetchText('/calls', { headers: bearer(TOKEN) })).text) as { calls: { id: string }[] }).calls[0].id;
  const path = `/calls/${encodeURIComponent(callId)}`;
  const audit = (): AuditLine[] => e.logs.map((l) => JSON.parse(l) as AuditLine).filter((l) => l.audit === true);

  // Secure mode by hand: on, on again (no transition), off; and an unauthenticated attempt.
  t.equal((await e.fetchText(`${path}/secure`, { method: 'DELETE' })).status, 401);
  t.equal((await e.fetchText(`${path}/secure`, { method: 'POST', headers: bearer(TOKEN) })).status, 200);
  t.equal((await e.fetchText(`${path}/secure`, { method: 'POST', headers: bearer(TOKEN) })).status, 200);
  t.equal((await e.fetchText(`${path}/secure`, { method: 'DELETE', headers: bearer(TOKEN) })).status, 200);
  const secureLines = audit().filter((l) => l.action === 'secure-on' || l.action === 'secure-off');
  t.same(
    secureLines.map((l) => [l.action, l.actor, l.call]),
    [
      ['secure-on', 'master', callId],
      ['secure-off', 'master', callId],
    ],
    'one line per real change, with who and which call',
  );
  t.ok(
    secureLines.every((l) => l.component === 'audit' && typeof l.time === 'number'),
    'component and time on every line',
  );
  const api = audit().filter((l) => l.action === 'api-request');
  t.same(
    api.map((l) => [l.actor, l.method, l.route, l.status, l.call]),
    [
      ['unauthenticated', 'DELETE', '/calls/:id/secure', 401, callId],
      ['master', 'POST', '/calls/:id/secure', 200, callId],
      ['master', 'POST', '/calls/:id/secure', 200, callId],
      ['master', 'DELETE', '/calls/:id/secure', 200, callId],
    ],
    'every state-changing request, refused ones too',
  );

  // Rotate the token and the webhook key (what SIGHUP applies), and refuse a key that needs a restart.
  const reloaded = (http: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    parseConfig({ kpi: { sqlite: join(e.dir, 'kpi.sqlite') }, log: { level: 'debug' }, ...config, http: { ...config.http, ...http }, ...extra });
  e.server.reload(reloaded({ token: NEW_TOKEN, webhookSecret: NEW_SECRET }));
  t.equal((await e.fetchText('/calls', { headers: bearer(TOKEN) })).status, 401, 'the old token is refused after the reload');
  t.equal((await e.fetchText('/calls', { headers: bearer(NEW_TOKEN) })).status, 200, 'the new token works');
  t.throws(() => e.server.reload(reloaded({ token: TOKEN }, { clamp: { mode: 'tone' } })), new ReloadRefusedError(['clamp.mode']), 'a restart-only key refuses the whole reload');
  t.equal((await e.fetchText('/calls', { headers: bearer(NEW_TOKEN) })).status, 200, 'nothing of the refused reload was applied');
  const reloads = audit().filter((l) => l.action === 'config-reload');
  t.same(
    reloads.map((l) => [l.actor, l.applied, l.keys]),
    [
      ['sighup', true, ['http.token', 'http.webhookSecret']],
      ['sighup', false, ['clamp.mode']],
    ],
  );

  // A payment through the API: start (secure on by the payment), cancel (secure off by the payment).
  const start = await e.fetchText(`${path}/payments`, {
    method: 'POST',
    headers: { ...bearer(NEW_TOKEN), 'content-type': 'application/json' },
    body: JSON.stringify({ idempotencyKey: 'desk-audit', customerId: 'C-1', amount: '10.00', statusCallback: hookUrl }),
  });
  t.equal(start.status, 201, start.text);
  const paymentId = (JSON.parse(start.text) as { paymentId: string }).paymentId;
  await e.waitPrompt('you-are-paying-amount');
  t.equal((await e.fetchText(`${path}/payments/${paymentId}`, { method: 'POST', headers: { ...bearer(NEW_TOKEN), 'content-type': 'application/json' }, body: '{"status":"cancel"}' })).status, 200);
  await waitFor(() => audit().some((l) => l.action === 'secure-off' && l.actor === 'payment'), 15_000);
  const payment = audit().filter((l) => l.payment === paymentId || (l.actor === 'payment' && l.action.startsWith('secure')));
  t.same(
    payment.map((l) => [l.action, l.actor]),
    [
      ['payment-start', 'master'],
      ['secure-on', 'payment'],
      ['payment-cancel', 'master'],
      ['payment-end', 'payment'],
      ['secure-off', 'payment'],
    ],
  );
  t.equal(payment.find((l) => l.action === 'payment-end')?.result, 'cancelled');
  await waitFor(() => hooks.length > 0, 5000);
  for (const h of hooks) t.equal(h.signature, signWebhook(NEW_SECRET, Number(h.timestamp), h.body), 'callbacks are signed with the reloaded key');

  const metrics = (await e.fetchText('/metrics', { headers: bearer(NEW_TOKEN) })).text;
  t.match(metrics, /toneguard_audit_events_total\{action="secure-on"\} 2\n/);
  t.match(metrics, /toneguard_audit_events_total\{action="payment-cancel"\} 1\n/);
  t.match(metrics, /toneguard_audit_events_total\{action="config-reload"\} 2\n/);

  // docs/operations.md's jq line gives the call's secure periods from these very lines.
  const readme = readFileSync(join(PROJECT_ROOT, 'docs', 'operations.md'), 'utf8');
  const program = /jq -s -c --arg call "\$CALL" '([^']+)'/.exec(readme)?.[1] ?? '';
  t.not(program, '', 'docs/operations.md shows the jq line');
  const jq = spawnSync('jq', ['-s', '-c', '--arg', 'call', callId, program], { input: e.logs.join(''), encoding: 'utf8' });
  t.equal(jq.status, 0, jq.stderr);
  const periods = JSON.parse(jq.stdout) as { from: string; by: string; to: string; endedBy: string | null }[];
  t.same(
    periods.map((p) => [p.by, p.endedBy]),
    [
      ['master', 'master'],
      ['payment', 'payment'],
    ],
    'two secure periods, who opened and closed each',
  );
  t.match(periods[0].from, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  await c.hangup();
  const logs = e.logs.join('');
  for (const secret of [TOKEN, NEW_TOKEN, SECRET, NEW_SECRET]) t.notOk(logs.includes(secret), 'no token or key in the log');
});
