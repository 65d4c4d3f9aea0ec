// The payment side's safety rules end to end, over real SIP and RTP on loopback with the server
// in-process: a gateway's 16-digit transaction ID reaches the IVR (and nothing crashes); a
// shutdown in the middle of a charge waits for the gateway and hands the real answer back; the
// agent in an agent-assisted payment hears the readback without the expiry; a forged INVITE that
// is never ACKed gets no RTP sent to the address in its SDP (no reflection). Each test has a
// server, gateway and ports of its own and spends its time waiting on real-time calls, so they
// run at the same time.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { DEFAULT_PROMPT_DIR } from '../../src/dialog/dialog-config.js';
import { PromptLibrary } from '../../src/dialog/prompts/prompt-library.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/gateway/simulator.js';
import { answerInvite, Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { cardNeedles, needlesIn, startE2eServer, type E2eServer } from '../helpers/e2e-server.js';
import { RtpEndpoint, ScriptedCaller, sdpAudioTarget } from '../helpers/scripted-caller.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const VISA = '4111111111111111';
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '947';
const HEADERS = { 'X-Payment-Customer-Id': 'C-1001', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'GBP' };
/** A 16-digit numeric transaction ID, as Adyen's pspReference is. */
const LONG_ID = 8816123456789012;

async function gateway(t: Test, options: { slowMs?: number } = {}): Promise<{ sim: GatewaySimulator; config: Record<string, unknown> }> {
  const sim = await startGatewaySimulator({ listen: '127.0.0.1:0', firstTransactionId: LONG_ID, ...options });
  t.teardown(() => sim.close());
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-e2e-safety-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const caFile = join(dir, 'gateway-ca.pem');
  writeFileSync(caFile, sim.caPem);
  return { sim, config: { kind: 'xml', template: 'authorize-net', url: sim.url, caFile } };
}

function automatedConfig(sip: number, rtp: string, gw: Record<string, unknown>, payment: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sip: { listen: `127.0.0.1:${sip}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: rtp },
    upstream: `sip:127.0.0.1:${testPort(5769)}`, // never dialled in automated mode
    payment: { uri: 'sip:pay@127.0.0.1', returnBy: 'BYE', ...payment },
    gateway: gw,
  };
}

async function key(e: E2eServer, c: ScriptedCaller, prompt: string, keys: string): Promise<void> {
  await e.waitPrompt(prompt);
  await new Promise((r) => setTimeout(r, 300));
  c.rtp.queueKeys(keys, 'rfc4733');
  await c.rtp.drained();
}

/** `agentAmount`: an agent-assisted payment whose amount the agent gave (announced, no balance menu). */
async function payToConfirmation(e: E2eServer, c: ScriptedCaller, agentAmount = false): Promise<void> {
  if (agentAmount) {
    await key(e, c, 'you-are-paying-amount', `${VISA}#`); // the card keyed over the announcement
  } else {
    await key(e, c, 'press-1-to-pay-balance-of', '1');
    await key(e, c, 'enter-card-number', `${VISA}#`);
  }
  await key(e, c, 'enter-expiry', EXPIRY);
  await key(e, c, 'enter-security-code-3', CVV);
}

t.jobs = 4;

t.test("a gateway's 16-digit transaction ID rides on the BYE as given; the server stays up", async (t) => {
  const gw = await gateway(t);
  const e = await startE2eServer(t, automatedConfig(testPort(5761), testPortRange('34600-34649'), gw.config));
  const c = await ScriptedCaller.start(0, testPort(34590));
  t.teardown(() => c.close());
  t.equal(await c.dial(testPort(5761), 'sip:pay@127.0.0.1', HEADERS), 200);
  await payToConfirmation(e, c);
  await key(e, c, 'readback-paying', '1');
  await waitFor(() => c.bye !== null, 30_000);
  const h = c.byeHeaders();
  t.equal(h['X-Payment-Result'], 'success');
  t.equal(h['X-Payment-Transaction-Id'], String(LONG_ID), "the gateway's ID as given");
  t.equal(h['X-Payment-Card-Last4'], '1111');
  t.equal(gw.sim.ledger().charges, 1);
  t.equal((await e.fetchText('/health/live')).status, 200, 'the server is alive');
  t.same(needlesIn(e.logs.join('\n'), cardNeedles(VISA, EXPIRY, CVV)), [], 'no card data in any log line');
});

t.test('shutdown in the middle of a charge: the gateway is waited for, the BYE carries its real answer, one charge', async (t) => {
  const gw = await gateway(t, { slowMs: 2500 });
  const e = await startE2eServer(t, automatedConfig(testPort(5762), testPortRange('34650-34699'), gw.config));
  const c = await ScriptedCaller.start(0, testPort(34591));
  t.teardown(() => c.close());
  t.equal(await c.dial(testPort(5762), 'sip:pay@127.0.0.1', HEADERS), 200);
  await payToConfirmation(e, c);
  gw.sim.injectFaults(['slow']);
  await key(e, c, 'readback-paying', '1');
  await e.waitPrompt('processing');
  await waitFor(() => gw.sim.ledger().requests === 1, 5000);
  const stopping = e.server.shutdown(0); // SIGTERM's path, grace 0
  await waitFor(() => c.bye !== null, 15_000);
  await stopping;
  const h = c.byeHeaders();
  const entry = Object.values(gw.sim.ledger().keys)[0];
  t.equal(h['X-Payment-Result'], 'success', "the gateway's answer, not internal-error");
  t.equal(h['X-Payment-Transaction-Id'], entry.transactionId, 'with its transaction ID');
  t.equal(gw.sim.ledger().charges, 1, 'one charge');
  t.equal(gw.sim.ledger().requests, 1, 'never retried');
  t.ok(
    e.logs.some((l) => l.includes('"payment ended"') && l.includes('"result":"success"')),
    'recorded as success',
  );
  t.same(needlesIn(e.logs.join('\n') + JSON.stringify(h), cardNeedles(VISA, EXPIRY, CVV)), [], 'no card data in any log line or header');
});

t.test('agent-assisted: the agent hears the readback without the expiry; the caller hears it all', async (t) => {
  const pbx = await Peer.start(0);
  const agent = await RtpEndpoint.open(testPort(34592));
  t.teardown(async () => {
    agent.close();
    await pbx.close();
  });
  const gw = await gateway(t);
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${testPort(5763)}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('34700-34749') },
    upstream: pbx.uri,
    gateway: gw.config,
  });
  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      answerInvite(pbx, req, tx, 200, { body: sdpBody(agent.port), contentType: 'application/sdp' });
      agent.start(sdpAudioTarget(req.body.toString()));
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const c = await ScriptedCaller.start(0, testPort(34593));
  t.teardown(() => c.close());
  t.equal(await c.dial(testPort(5763), 'sip:agent@127.0.0.1', {}), 200);
  const callId = (JSON.parse((await e.fetchText('/calls')).text) as { calls: { id: string }[] }).calls[0].id;
  const start = await e.fetchText(`/calls/${encodeURIComponent(callId)}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ idempotencyKey: 'desk-1', customerId: 'C-1001', amount: '125.50', currency: 'GBP' }),
  });
  t.equal(start.status, 201, start.text);
  const from = Date.now();
  await payToConfirmation(e, c, true);
  await e.waitPrompt('readback-paying');
  await new Promise((r) => setTimeout(r, 16_000)); // the readback plays out (about 12 s)
  const library = new PromptLibrary({ directory: DEFAULT_PROMPT_DIR });
  const month = probe(await library.prompt('month-12'));
  const ending = probe(await library.prompt('readback-card-ending'));
  const callerHeard = c.rtp.receivedPcm(from);
  const agentHeard = agent.receivedPcm(from);
  t.ok(contains(callerHeard, ending) && contains(agentHeard, ending), 'both hear the card-ending words (the control)');
  t.ok(contains(callerHeard, month), 'the caller hears the expiry month');
  t.notOk(contains(agentHeard, month), 'the agent does not');
  t.same(needlesIn(e.logs.join('\n') + e.responses.join('\n'), cardNeedles(VISA, EXPIRY, CVV)), [], 'no card data in any log line or API response');
  c.rtp.queueKeys('1', 'rfc4733');
  await c.rtp.drained();
});

t.test('no reflection: never-ACKed INVITEs naming a third party in their SDP send it nothing; an ACKed call hears its prompts', async (t) => {
  const e = await startE2eServer(t, automatedConfig(testPort(5764), testPortRange('34750-34799'), { kind: 'simulator', url: `https://127.0.0.1:${testPort(8564)}/xml/v1/request.api` }));
  const victim = await bind();
  const forger = await bind();
  t.teardown(() => {
    victim.close();
    forger.close();
  });
  let rtpAtVictim = 0;
  victim.on('message', () => rtpAtVictim++);
  const answers: string[] = [];
  forger.on('message', (m: Buffer) => answers.push(m.toString('latin1').split('\r\n')[0]));
  for (let i = 0; i < 3; i++) forger.send(invite(i, forger.address().port, victim.address().port), testPort(5764), '127.0.0.1');
  await new Promise((r) => setTimeout(r, 8000));
  t.ok(answers.filter((a) => a.startsWith('SIP/2.0 200')).length >= 3, `the INVITEs were answered (${answers.length} responses)`);
  t.equal(rtpAtVictim, 0, 'the address in the SDP got no RTP in 8 s');

  const c = await ScriptedCaller.start(0, testPort(34594));
  t.teardown(() => c.close());
  t.equal(await c.dial(testPort(5764), 'sip:pay@127.0.0.1', HEADERS), 200);
  const at = Date.now();
  await waitFor(() => c.rtp.loudPackets(at) > 10, 5000);
  t.pass('the ACKed caller hears its prompt');
  t.equal(rtpAtVictim, 0);
});

function invite(n: number, fromPort: number, rtpPort: number): string {
  const sdp = sdpBody(rtpPort);
  return [
    'INVITE sip:pay@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${fromPort};branch=z9hG4bK-forged-${n}-${Date.now()}`,
    'Max-Forwards: 70',
    `From: <sip:forger@127.0.0.1>;tag=f${n}`,
    'To: <sip:pay@127.0.0.1>',
    `Call-ID: forged-${n}-${Date.now()}@127.0.0.1`,
    'CSeq: 1 INVITE',
    `Contact: <sip:forger@127.0.0.1:${fromPort}>`,
    ...Object.entries(HEADERS).map(([k, v]) => `${k}: ${v}`),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
}

async function bind(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/** 50 ms from the loudest part of a prompt: what to look for in a recording. */
function probe(pcm: Int16Array): Int16Array {
  const n = 400;
  let best = 0;
  let bestEnergy = -1;
  for (let i = 0; i + n <= pcm.length; i += 80) {
    let energy = 0;
    for (let j = i; j < i + n; j++) energy += Math.abs(pcm[j]);
    if (energy > bestEnergy) {
      bestEnergy = energy;
      best = i;
    }
  }
  return pcm.slice(best, best + n);
}

/** Whether `needle` occurs in `hay` sample for sample (G.711 decode/encode/decode is exact). */
function contains(hay: Int16Array, needle: Int16Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    if (hay[i] !== needle[0]) continue;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
