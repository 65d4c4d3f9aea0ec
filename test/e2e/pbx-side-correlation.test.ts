// The PBX side finds toneguard's call: the INVITE toneguard sends to the PBX carries
// X-Toneguard-Call-Id, and every /calls/:id route takes that id or the PBX leg's own Call-ID.
// An agent desktop that knows only what the PBX saw switches secure mode and takes a payment.
import t from 'tap';
import type { SipRequest } from '../../src/sip/sip-stack.js';
import { answerInvite, Peer, sdpBody } from '../helpers/call-sip-peers.js';
import { cardNeedles, needlesIn, startE2eServer } from '../helpers/e2e-server.js';
import { RtpEndpoint, ScriptedCaller, sdpAudioTarget } from '../helpers/scripted-caller.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5792);
const TOKEN = 'correlation-token-1';
const VISA = '4111111111111111';
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '947';

t.test('an agent desktop beside the PBX drives secure mode and a payment with only the PBX-side ids', async (t) => {
  const pbx = await Peer.start(0);
  const agent = await RtpEndpoint.open(testPort(36920));
  t.teardown(async () => {
    agent.close();
    await pbx.close();
  });
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0', token: TOKEN },
    rtp: { ports: testPortRange('36700-36799') },
    upstream: pbx.uri,
    gateway: { url: `https://127.0.0.1:${testPort(8546)}/xml/v1/request.api` },
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const json = { ...auth, 'content-type': 'application/json' };
  let pbxInvite: SipRequest | undefined;
  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      pbxInvite = req;
      answerInvite(pbx, req, tx, 200, { body: sdpBody(agent.port), contentType: 'application/sdp' });
      agent.start(sdpAudioTarget(req.body.toString()));
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const c = await ScriptedCaller.start(0, testPort(36910));
  t.teardown(() => c.close());
  t.equal(await c.dial(SIP, 'sip:agent@127.0.0.1', {}), 200);

  // What the PBX saw: its own Call-ID and toneguard's id in a header.
  const tgId = pbxInvite?.headers.get('x-toneguard-call-id') ?? '';
  const pbxCallId = pbxInvite?.headers.get('call-id') ?? '';
  t.match(tgId, /^[0-9a-f-]{36}$/, 'X-Toneguard-Call-Id on the INVITE to the PBX');
  const byPbx = JSON.parse((await e.fetchText(`/calls/${encodeURIComponent(pbxCallId)}`, { headers: auth })).text) as {
    id: string;
    secure: boolean;
    legs: { caller: { callId: string }; agent: { callId: string; from: string; to: string } };
  };
  t.equal(byPbx.id, tgId, "the PBX leg's Call-ID finds the call");
  t.equal(byPbx.legs.agent.callId, pbxCallId, 'both legs listed');
  t.not(byPbx.legs.caller.callId, pbxCallId);
  t.match(byPbx.legs.agent.to, /sip:agent@127\.0\.0\.1/, 'To as the PBX sees it');
  const list = JSON.parse((await e.fetchText('/calls', { headers: auth })).text) as { calls: { id: string; legs: { agent: { callId: string } } }[] };
  t.same(
    list.calls.map((x) => [x.id, x.legs.agent.callId]),
    [[tgId, pbxCallId]],
    'GET /calls lists both Call-IDs',
  );

  t.equal((await e.fetchText(`/calls/${tgId}/secure`, { method: 'POST', headers: auth })).status, 200, 'secure mode by X-Toneguard-Call-Id');
  t.equal((JSON.parse((await e.fetchText(`/calls/${encodeURIComponent(pbxCallId)}`, { headers: auth })).text) as { secure: boolean }).secure, true);
  const start = await e.fetchText(`/calls/${encodeURIComponent(pbxCallId)}/payments`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ idempotencyKey: 'pbx-1', customerId: 'C-7', amount: '20.00', currency: 'GBP' }),
  });
  t.equal(start.status, 201, start.text);
  const { paymentId, callId } = JSON.parse(start.text) as { paymentId: string; callId: string };
  t.equal(callId, tgId, "the payment belongs to toneguard's call");

  const key = async (prompt: string, keys: string) => {
    await e.waitPrompt(prompt);
    await new Promise((r) => setTimeout(r, 300));
    c.rtp.queueKeys(keys, 'rfc4733', 100, 100);
    await c.rtp.drained();
  };
  // The agent gave the amount: it is announced (no balance menu) and the card is keyed over it.
  await key('you-are-paying-amount', `${VISA}#`);
  await key('enter-expiry', EXPIRY);
  await key('enter-security-code-3', CVV);
  await key('readback-paying', '1');
  let status: { result: { result: string } | null } = { result: null };
  for (let i = 0; i < 200 && status.result === null; i++) {
    status = JSON.parse((await e.fetchText(`/calls/${encodeURIComponent(pbxCallId)}/payments/${paymentId}`, { headers: auth })).text) as typeof status;
    if (status.result === null) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status.result?.result, 'success', 'paid, followed by the PBX leg Call-ID');
  t.equal(await c.hangup(), 200);
  await new Promise((r) => setTimeout(r, 200));
  const ended = e.logs.map((l) => JSON.parse(l) as { msg?: string; call?: string; callerCallId?: string; agentCallId?: string }).find((o) => o.msg === 'call ended');
  t.same([ended?.call, ended?.agentCallId], [tgId, pbxCallId], 'the end log names both Call-IDs');
  t.ok(typeof ended?.callerCallId === 'string' && ended.callerCallId !== pbxCallId);
  t.same(needlesIn(e.logs.join('\n') + e.responses.join('\n'), cardNeedles(VISA, EXPIRY, CVV)), [], 'no card data in logs or API responses');
});
