// End to end with a real phone: Debian's baresip 1.0 as the caller. baresip 1.0 cannot put
// X-Payment-* headers on its INVITE (no custom-header command; a Request-URI with ?headers is
// refused with 400), so in automated mode its call is not identified: toneguard announces it and
// hands it to the ID&V destination with X-Payment-Result=not-identified. A full card payment keyed
// by baresip (RFC 4733 from `sndcode`) runs in agent-assisted mode, started through the API.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { writeWav } from '../helpers/audio-files.js';
import { BaresipPhone } from '../helpers/baresip.js';
import { answerInvite, Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { startE2eServer } from '../helpers/e2e-server.js';
import { RtpEndpoint, sdpAudioTarget } from '../helpers/scripted-caller.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5746);
const BARESIP_SIP = testPort(5747);
const AGENT_RTP = testPort(34530);
const VISA = '4111111111111111';
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '947';

const haveBaresip = spawnSync('baresip', ['-h']).error === undefined;

async function phone(t: Test, ctrlPort: number): Promise<BaresipPhone> {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-e2e-baresip-'));
  const wav = join(dir, 'silence.wav');
  writeWav(wav, new Int16Array(8000 * 120)); // aufile ends the call at the end of its file
  const p = await BaresipPhone.start({ name: 'caller', dir, sipPort: BARESIP_SIP, ctrlPort, rtpPorts: testPortRange('34800-34819'), sourceWav: wav, codecs: 'PCMU' });
  t.teardown(async () => {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return p;
}

t.test('baresip dials the payment URI without payment headers: not identified, REFER to ID&V', { skip: haveBaresip ? false : 'baresip not installed (scripts/install-test-tools.sh)' }, async (t) => {
  // The ID&V service: baresip follows the REFER here.
  const idv = await Peer.start(0);
  t.teardown(() => idv.close());
  idv.handler = (req, tx) => tx?.respond(req.method === 'INVITE' ? 486 : 200);
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('34200-34299') },
    upstream: `sip:127.0.0.1:${testPort(5741)}`,
    payment: { uri: 'sip:pay@127.0.0.1', returnUri: `sip:ivr@127.0.0.1:${testPort(5741)}`, idvUri: `sip:idv@127.0.0.1:${idv.port}` },
    gateway: { url: `https://127.0.0.1:${testPort(8544)}/xml/v1/request.api` },
  });
  const p = await phone(t, testPort(4740));
  await p.dial(`sip:pay@127.0.0.1:${SIP}`);
  await p.waitEvent('CALL_ESTABLISHED');
  t.pass('baresip is answered by the payment URI');
  await waitFor(() => e.logs.some((l) => l.includes('"payment ended"')), 15_000);
  const ended = e.logs.map((l) => JSON.parse(l) as { msg: string; result?: string; reason?: string }).find((o) => o.msg === 'payment ended');
  t.equal(ended?.result, 'not-identified');
  t.equal(ended?.reason, 'no-customer-id');
  t.same(e.prompts(), ['identify-first'], 'the caller is told why');
  const transfer = await p.waitEvent('TRANSFER', 15_000);
  t.match(
    JSON.stringify(transfer),
    new RegExp(`sip:idv@127\\.0\\.0\\.1:${idv.port}\\?X-Payment-Result=not-identified`),
    `baresip was referred to ID&V with the result (${p.events.map((ev) => ev.type).join(',')})`,
  );
  const kpi = JSON.parse((await e.fetchText('/kpi?by=outcome')).text) as Record<string, unknown>[];
  t.same(
    kpi.map((g) => [g.outcome, g.entered]),
    [['not-identified', 1]],
    JSON.stringify(kpi),
  );
});

t.test('baresip keys a full card payment (sndcode, RFC 4733) in agent-assisted mode', { skip: haveBaresip ? false : 'baresip not installed' }, async (t) => {
  const pbx = await Peer.start(0);
  const agent = await RtpEndpoint.open(AGENT_RTP);
  t.teardown(async () => {
    agent.close();
    await pbx.close();
  });
  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      answerInvite(pbx, req, tx, 200, { body: sdpBody(agent.port), contentType: 'application/sdp' });
      agent.start(sdpAudioTarget(req.body.toString()));
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('34200-34299') },
    upstream: pbx.uri,
    gateway: { url: `https://127.0.0.1:${testPort(8544)}/xml/v1/request.api` },
  });
  const p = await phone(t, testPort(4741));
  await p.dial(`sip:agent@127.0.0.1:${SIP}`);
  await p.waitEvent('CALL_ESTABLISHED');
  const calls = (JSON.parse((await e.fetchText('/calls')).text) as { calls: { id: string }[] }).calls;
  t.equal(calls.length, 1);
  const callId = encodeURIComponent(calls[0].id);
  const paymentFrom = Date.now();
  const start = await e.fetchText(`/calls/${callId}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ idempotencyKey: 'bs-1', customerId: 'C-9', amount: '125.50', currency: 'GBP' }),
  });
  t.equal(start.status, 201, start.text);
  const paymentId = (JSON.parse(start.text) as { paymentId: string }).paymentId;
  const key = async (prompt: string, keys: string) => {
    await e.waitPrompt(prompt);
    await new Promise((r) => setTimeout(r, 300));
    await p.sendDigits(keys, 250);
  };
  // The agent gave the amount: it is announced (no balance menu) and the card is keyed over it.
  await key('you-are-paying-amount', `${VISA}#`);
  await key('enter-expiry', EXPIRY);
  await key('enter-security-code-3', CVV);
  await key('readback-paying', '1');
  let status: { result: { result: string; headers: Record<string, string> } | null } = { result: null };
  for (let i = 0; i < 200 && status.result === null; i++) {
    status = JSON.parse((await e.fetchText(`/calls/${callId}/payments/${paymentId}`)).text) as typeof status;
    if (status.result === null) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status.result?.result, 'success', `${JSON.stringify(status)}; prompts ${e.prompts().join(',')}`);
  t.equal(status.result?.headers['X-Payment-Card-Last4'], '1111');
  t.equal(agent.eventPackets(paymentFrom), 0, "none of baresip's telephone-events reached the agent");
  t.ok(agent.loudPackets(paymentFrom) > 20, 'the agent heard the prompts');
});
