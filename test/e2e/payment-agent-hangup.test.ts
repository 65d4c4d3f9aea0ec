// End to end, agent-assisted mode, the payment ending from the agent's side over real SIP and
// RTP on loopback: the agent's leg hangs up in the middle of the card number (the caller stays on,
// hears that the payment was cancelled, then gets a BYE with the result; the payment is recorded
// as cancelled with reason agent-hangup, not as the caller's hang-up), and the agent cancels
// through the API (the caller hears it, the call goes on outside secure mode).
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { answerInvite, Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { needlesIn, startE2eServer } from '../helpers/e2e-server.js';
import { RtpEndpoint, ScriptedCaller, sdpAudioTarget } from '../helpers/scripted-caller.js';
import type { Dialog } from '../../src/sip/sip-stack.js';
import { testPort, testPortRange } from '../helpers/ports.js';

// From the tests' port plan (test/helpers/ports.ts), outside the kernel's ephemeral range.
const SIP = testPort(5818);
const RTP = testPortRange('31700-31799');
const GATEWAY = testPort(8565);
const TOKEN = 'e2e-agent-hangup-token';
const VISA = '4111111111111111';

async function rig(t: Test) {
  const pbx = await Peer.start(0);
  const agent = await RtpEndpoint.open(0);
  t.teardown(async () => {
    agent.close();
    await pbx.close();
  });
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0', token: TOKEN },
    rtp: { ports: RTP },
    upstream: pbx.uri,
    gateway: { url: `https://127.0.0.1:${GATEWAY}/xml/v1/request.api` },
  });
  let agentDialog: Dialog | undefined;
  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      agentDialog = answerInvite(pbx, req, tx, 200, { body: sdpBody(agent.port), contentType: 'application/sdp' });
      agent.start(sdpAudioTarget(req.body.toString()));
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const c = await ScriptedCaller.start(0, 0);
  t.teardown(() => c.close());
  t.equal(await c.dial(SIP, 'sip:agent@127.0.0.1', {}), 200, 'the call reaches the agent');
  const auth = { authorization: `Bearer ${TOKEN}` };
  const calls = (JSON.parse((await e.fetchText('/calls', { headers: auth })).text) as { calls: { id: string }[] }).calls;
  const callId = calls[0].id;
  const start = await e.fetchText(`/calls/${encodeURIComponent(callId)}/payments`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ idempotencyKey: 'desk-1', customerId: 'C-1001', amount: '42.00', currency: 'GBP' }),
  });
  t.equal(start.status, 201, start.text);
  const paymentId = (JSON.parse(start.text) as { paymentId: string }).paymentId;
  const status = async () =>
    JSON.parse((await e.fetchText(`/calls/${encodeURIComponent(callId)}/payments/${paymentId}`, { headers: auth })).text) as {
      result: { result: string; reason: string | null; headers: Record<string, string> } | null;
    };
  return { e, c, pbx, auth, callId, paymentId, status, agentDialog: () => agentDialog };
}

t.test('the agent hangs up during the card number: the caller hears the cancellation, then a BYE with cancelled / agent-hangup', async (t) => {
  const { e, c, pbx, status, agentDialog } = await rig(t);
  await e.waitPrompt('you-are-paying-amount');
  await new Promise((r) => setTimeout(r, 300));
  c.rtp.queueKeys(VISA.slice(0, 8), 'rfc4733', 100, 100);
  await c.rtp.drained();
  const dialog = agentDialog();
  if (dialog === undefined) throw new Error('no agent dialog');
  const byeAt = Date.now();
  t.equal((await pbx.request(dialog, 'BYE'))?.status, 200, "the agent's BYE is answered");
  await e.waitPrompt('payment-cancelled');
  t.equal(c.bye, null, 'the caller is still on the call while the result plays');
  await waitFor(() => c.bye !== null, 15_000);
  const heardFor = Date.now() - byeAt;
  t.ok(heardFor > 2500, `the caller's BYE came ${heardFor} ms after the agent's (the prompt is about 3.5 s)`);
  t.ok(c.rtp.loudPackets(byeAt) > 100, `the caller heard the result (${c.rtp.loudPackets(byeAt)} loud packets after the agent left)`);
  t.match(c.byeHeaders(), { 'X-Payment-Result': 'cancelled', 'X-Payment-Reason': 'agent-hangup', 'X-Payment-Amount': '42.00' });
  t.match((await status()).result, { result: 'cancelled', reason: 'agent-hangup' });
  const metrics = (await e.fetchText('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).text;
  t.match(metrics, /toneguard_payment_sessions_total\{mode="agent-assisted",result="cancelled"\} 1/);
  t.notMatch(metrics, /toneguard_payment_caller_hangups_total\{[^}]*\} [1-9]/, 'not counted as a caller hang-up');
  t.same(needlesIn([...e.logs, ...e.responses].join('\n'), [VISA.slice(0, 8)]), [], 'the keyed digits are in no log line or response');
  await e.server.shutdown(0);
  const db = new Database(`${e.dir}/kpi.sqlite`, { readonly: true });
  const rows = db.prepare('SELECT result, reason, hangup_step FROM kpi_sessions').all();
  db.close();
  t.same(rows, [{ result: 'cancelled', reason: 'agent-hangup', hangup_step: null }], 'the KPI row');
});

t.test('the agent cancels through the API: the caller hears it, the call goes on with secure mode off', async (t) => {
  const { e, c, auth, callId, paymentId, status } = await rig(t);
  await e.waitPrompt('you-are-paying-amount');
  const cancel = await e.fetchText(`/calls/${encodeURIComponent(callId)}/payments/${paymentId}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'cancel' }),
  });
  t.equal(cancel.status, 200, cancel.text);
  await e.waitPrompt('payment-cancelled');
  t.match((await status()).result, { result: 'cancelled', reason: null, headers: { 'X-Payment-Result': 'cancelled' } });
  let secure = true;
  for (let i = 0; i < 150 && secure; i++) {
    secure = (JSON.parse((await e.fetchText(`/calls/${encodeURIComponent(callId)}`, { headers: auth })).text) as { secure: boolean }).secure;
    if (secure) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(secure, false, 'secure mode off once the caller has heard it');
  t.equal(c.bye, null, 'the call goes on');
  const again = await e.fetchText(`/calls/${encodeURIComponent(callId)}/payments/${paymentId}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'complete' }),
  });
  t.equal(again.status, 409, 'a command on the ended payment is a conflict');
  t.match(JSON.parse(again.text), { code: 'ERR_CONFLICT', reason: 'payment-ended' });
  t.equal(await c.hangup(), 200);
});
