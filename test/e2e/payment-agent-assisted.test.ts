// End to end, agent-assisted mode: caller -> toneguard (B2BUA) -> a scripted agent/PBX
// over real SIP and RTP on loopback. The agent's desktop starts a payment through the API; the
// agent hears the prompts, the caller keys the card both as RFC 4733 events and as in-band tones,
// and the agent's recording holds no digit (multimon-ng) and no telephone-event packet while
// the payment runs. The result reaches the API and the signed status callbacks, last four only.
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { answerInvite, Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { cardNeedles, filesUnder, needlesIn, startE2eServer } from '../helpers/e2e-server.js';
import { runMultimon } from '../helpers/reference-decoders.js';
import { RtpEndpoint, ScriptedCaller, sdpAudioTarget } from '../helpers/scripted-caller.js';
import { loadDocsVerifier } from '../helpers/webhook-docs.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5743);
const CALLER_SIP = 0;
const CALLER_RTP = testPort(34510);
const AGENT_RTP = testPort(34520);
const TOKEN = 'e2e-token-7f3a';
const SECRET = 'e2e-webhook-secret';
const VISA = '4111111111111111';
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '947';

interface Hook {
  readonly body: Buffer;
  readonly signature: string;
}

async function webhookReceiver(t: Test): Promise<{ url: string; hooks: Hook[] }> {
  const hooks: Hook[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({ body: Buffer.concat(chunks), signature: String(req.headers['x-toneguard-signature']) });
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`, hooks };
}

t.test('agent-assisted: prompts to both, keys clamped from the agent, result to the API and signed callbacks, secure off after', async (t) => {
  // The agent: answers the B2BUA's INVITE, sends silence, records what it hears.
  const pbx = await Peer.start(0);
  const agent = await RtpEndpoint.open(AGENT_RTP);
  t.teardown(async () => {
    agent.close();
    await pbx.close();
  });
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    // The receiver below is plain http on loopback: both need the operator's opt-in.
    http: { listen: '127.0.0.1:0', token: TOKEN, webhookSecret: SECRET, allowPlainHttpCallbacks: true, callbackHosts: ['127.0.0.1'] },
    rtp: { ports: testPortRange('34100-34199') },
    upstream: pbx.uri,
    gateway: { url: `https://127.0.0.1:${testPort(8544)}/xml/v1/request.api` },
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const hook = await webhookReceiver(t);

  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      answerInvite(pbx, req, tx, 200, { body: sdpBody(agent.port), contentType: 'application/sdp' });
      agent.start(sdpAudioTarget(req.body.toString()));
      return;
    }
    pbx.defaultHandler(req, tx);
  };

  const c = await ScriptedCaller.start(CALLER_SIP, CALLER_RTP);
  t.teardown(() => c.close());
  t.equal(await c.dial(SIP, 'sip:agent@127.0.0.1', {}), 200, 'the call reaches the agent');
  const list = await e.fetchText('/calls', { headers: auth });
  const calls = (JSON.parse(list.text) as { calls: { id: string; secure: boolean }[] }).calls;
  t.equal(calls.length, 1);
  const callId = calls[0].id;
  t.equal(calls[0].secure, false, 'not secure before the payment');
  // Before the payment the agent hears the caller's keys (the positive control for the checks below).
  await new Promise((r) => setTimeout(r, 300));
  const controlFrom = Date.now();
  c.rtp.queueKeys('5', 'both', 120, 200);
  await c.rtp.drained();
  await new Promise((r) => setTimeout(r, 300));
  const controlTo = Date.now();
  t.ok(agent.eventPackets(controlFrom, controlTo) > 0, 'outside secure mode telephone-events reach the agent');
  t.same(
    runMultimon(agent.receivedPcm(controlFrom, controlTo)).map((d) => d.digit),
    ['5'],
    'outside secure mode the tone reaches the agent',
  );

  // The agent's widget stream (SSE), read for the whole payment: it goes into the PCI sweep too.
  const widgetAbort = new AbortController();
  let widget = '';
  // Opened as the agent's browser does: with the token minted for this call, not the master token.
  // (Fetched beside e.fetchText: a random token has no place in the card-data sweep of responses.)
  const mintRes = await fetch(`${e.server.httpUrl}/calls/${encodeURIComponent(callId)}/widget-token`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  t.equal(mintRes.status, 201);
  const minted = (await mintRes.json()) as { token: string; url: string };
  t.match(minted.url, `/widget/${encodeURIComponent(callId)}#token=`);
  t.equal((await e.fetchText('/calls', { headers: { authorization: `Bearer ${minted.token}` } })).status, 403, 'the widget token cannot list calls');
  const widgetRes = await fetch(`${e.server.httpUrl}/widget/${encodeURIComponent(callId)}/events?token=${encodeURIComponent(minted.token)}`, { signal: widgetAbort.signal });
  t.equal(widgetRes.status, 200, 'widget stream open');
  const widgetDone = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of widgetRes.body as unknown as AsyncIterable<Uint8Array>) widget += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted at the end of the test
    }
  })();
  t.teardown(() => widgetAbort.abort());

  const paymentFrom = Date.now();
  const unauthorised = await e.fetchText(`/calls/${encodeURIComponent(callId)}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(unauthorised.status, 401, 'the API wants the token');
  const start = await e.fetchText(`/calls/${encodeURIComponent(callId)}/payments`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ idempotencyKey: 'desk-1', customerId: 'C-1001', amount: '125.50', currency: 'GBP', statusCallback: hook.url }),
  });
  t.equal(start.status, 201, start.text);
  const paymentId = (JSON.parse(start.text) as { paymentId: string }).paymentId;
  const callNow = JSON.parse((await e.fetchText(`/calls/${encodeURIComponent(callId)}`, { headers: auth })).text) as { secure: boolean; paymentId: string };
  t.equal(callNow.secure, true, 'secure during the payment');
  t.equal(callNow.paymentId, paymentId);

  const key = async (prompt: string, keys: string, mode: 'rfc4733' | 'inband' | 'both') => {
    await e.waitPrompt(prompt);
    await new Promise((r) => setTimeout(r, 300));
    c.rtp.queueKeys(keys, mode, 100, 100);
    await c.rtp.drained();
  };
  // The agent's amount is the charge: announced, not asked; the caller keys the card number
  // during the announcement (barge-in) and no digit is lost.
  await e.waitPrompt('you-are-paying-amount');
  await waitFor(() => agent.loudPackets(paymentFrom) > 10, 5000);
  t.pass('the agent hears the prompts');
  c.rtp.queueKeys(`${VISA}#`, 'both', 100, 100);
  await c.rtp.drained();
  await key('enter-expiry', EXPIRY, 'inband');
  await key('enter-security-code-3', CVV, 'rfc4733');
  await key('readback-paying', '1', 'both');
  const path = `/calls/${encodeURIComponent(callId)}/payments/${paymentId}`;
  let status: { state: string; result: { result: string; headers: Record<string, string> } | null } = { state: '', result: null };
  for (let i = 0; i < 200 && status.result === null; i++) {
    status = JSON.parse((await e.fetchText(path, { headers: auth })).text) as typeof status;
    if (status.result === null) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status.result?.result, 'success', JSON.stringify(status));
  t.equal(status.result?.headers['X-Payment-Card-Last4'], '1111');
  t.equal(status.result?.headers['X-Payment-Card-Type'], 'visa');
  t.same(e.prompts(), ['you-are-paying-amount', 'enter-expiry', 'enter-security-code-3', 'readback-paying', 'processing', 'payment-success'], 'prompts in order');
  // Secure mode ends once the result prompt has played.
  await waitFor(() => e.logs.some((l) => l.includes('"payment ended"')), 5000);
  let secure = true;
  for (let i = 0; i < 150 && secure; i++) {
    secure = (JSON.parse((await e.fetchText(`/calls/${encodeURIComponent(callId)}`, { headers: auth })).text) as { secure: boolean }).secure;
    if (secure) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(secure, false, 'secure mode off after the payment');
  const paymentTo = Date.now();

  // What the agent heard while the payment ran: prompts, but no digit in any form.
  const heard = agent.receivedPcm(paymentFrom, paymentTo);
  t.ok(heard.length > 8000 * 5, `${(heard.length / 8000).toFixed(1)} s of agent audio recorded`);
  t.same(runMultimon(heard), [], 'multimon-ng finds no digit in the agent recording');
  t.equal(agent.eventPackets(paymentFrom, paymentTo), 0, 'no telephone-event packet reached the agent');

  // The signed status callbacks: in order, HMAC valid, no card data, the result last.
  await waitFor(() => hook.hooks.some((h) => h.body.toString().includes('"event":"result"')), 5000);
  t.ok(hook.hooks.length >= 5, `${hook.hooks.length} callbacks`);
  const docs = await loadDocsVerifier();
  for (const h of hook.hooks) t.equal(docs.verify(SECRET, h.signature, h.body), true, "signature checks out with docs/webhooks.md's receiver code");
  const result = JSON.parse(hook.hooks.at(-1)?.body.toString() ?? '{}') as { result: string; paymentId: string };
  t.equal(result.result, 'success');
  t.equal(result.paymentId, paymentId);
  const needles = cardNeedles(VISA, EXPIRY, CVV);
  t.same(needlesIn(hook.hooks.map((h) => h.body.toString()).join('\n'), needles), [], 'no card data in any callback');
  t.same(needlesIn(e.responses.join('\n'), needles), [], 'no card data in any API response');
  t.same(needlesIn(e.logs.join('\n'), needles), [], 'no card data in any log line');
  t.match(widget, /"digitsEntered":16/, 'the widget counted the card number keys');
  t.match(widget, /"result":"success"/, 'the widget got the result');
  t.same(needlesIn(widget, needles), [], 'no card data in the widget stream');
  t.equal(await c.hangup(), 200);
  widgetAbort.abort();
  await widgetDone;
  await e.server.shutdown(0);
  t.same(needlesIn(e.logs.join('\n'), needles), [], 'no card data in any log line, shutdown included');
  for (const f of filesUnder(e.dir)) t.same(needlesIn(f.bytes, needles), [], `no card data in ${f.path}`);
});
