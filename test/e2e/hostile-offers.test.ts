// Offers the media plane cannot carry, sent to the whole server (`toneguard serve` wiring) over
// UDP: an Opus-only offer to the payment URI is refused with 488 and a Warning; a=ptime outside
// 10-120 ms (5, 1, 200) is negotiated into that range (RFC 4566 §6: ptime is a hint), to the
// payment URI and through the B2BUA in both directions; the server keeps serving and nothing
// is left behind (calls, RTP ports, internal errors).
import t, { type Test } from 'tap';
import { parseSdp } from '../../src/sip/sdp.js';
import type { Dialog } from '../../src/sip/sip-stack.js';
import { answerInvite, Peer, waitFor } from '../helpers/call-sip-peers.js';
import { startE2eServer, type E2eServer } from '../helpers/e2e-server.js';
import { parsePrometheusText, sumOf } from '../helpers/prometheus-text.js';
import { testPort, testPortRange } from '../helpers/ports.js';

// Ports of this file: SIP 5790 (toneguard), 5791 (PBX), RTP 31000-31099, gateway simulator 8561.
const SIP = testPort(5790);
const PBX = testPort(5791);
const HEADERS = { 'X-Payment-Customer-Id': 'C-1001', 'X-Payment-Amount': '12.50', 'X-Payment-Currency': 'GBP' };

function offer(port: number, m: string, attrs: string[]): string {
  return `${['v=0', 'o=caller 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', m, ...attrs, 'a=sendrecv'].join('\r\n')}\r\n`.replace('PORT', String(port));
}

const G711 = (port: number, ptime: number): string => offer(port, 'm=audio PORT RTP/AVP 0 101', ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', `a=ptime:${ptime}`]);

async function setup(t: Test): Promise<{ e: E2eServer; caller: Peer; pbx: Peer; pbxDialogs: Dialog[]; pbxPtime: { value: number } }> {
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('31000-31099') },
    upstream: `sip:127.0.0.1:${PBX}`,
    payment: { uri: 'sip:pay@127.0.0.1', returnBy: 'BYE' },
    gateway: { url: `https://127.0.0.1:${testPort(8561)}/xml/v1/request.api` },
  });
  const caller = await Peer.start();
  const pbx = await Peer.start(PBX);
  t.teardown(() => Promise.all([caller.close(), pbx.close()]));
  const pbxDialogs: Dialog[] = [];
  const pbxPtime = { value: 20 };
  pbx.handler = (req, tx) => {
    if (tx === undefined) return;
    if (req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      const d = answerInvite(pbx, req, tx, 200, { body: G711(testPort(30000), pbxPtime.value), contentType: 'application/sdp' });
      if (d !== undefined) pbxDialogs.push(d);
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  return { e, caller, pbx, pbxDialogs, pbxPtime };
}

const tg = { transport: 'udp' as const, address: '127.0.0.1', port: SIP };

async function nothingLeft(t: Test, e: E2eServer): Promise<void> {
  await waitFor(() => e.server.callCount === 0 && e.server.rtpPortPairsInUse === 0, 5000);
  t.equal(e.server.callCount, 0, 'no call left');
  t.equal(e.server.rtpPortPairsInUse, 0, 'every RTP port pair released');
  const metrics = parsePrometheusText((await e.fetchText('/metrics')).text);
  t.equal(sumOf(metrics, 'toneguard_internal_errors_total'), 0, 'no error needed containment');
  t.ok(
    metrics.some((s) => s.name === 'toneguard_internal_errors_total'),
    'the internal error counter is exported',
  );
}

t.test('an Opus-only offer to the payment URI gets 488 with a Warning, and the server keeps serving', async (t) => {
  const { e, caller } = await setup(t);
  const opus = offer(40000, 'm=audio PORT RTP/AVP 96 101', ['a=rtpmap:96 opus/48000/2', 'a=rtpmap:101 telephone-event/8000']);
  const refused = await caller.invite(tg, 'sip:pay@127.0.0.1', { body: opus, headers: HEADERS }).final;
  t.equal(refused.status, 488);
  t.equal(refused.headers.get('warning'), '305 toneguard "Incompatible media format"');

  const out = caller.invite(tg, 'sip:pay@127.0.0.1', { body: G711(40002, 20), headers: HEADERS });
  t.equal((await out.final).status, 200, 'the next caller is answered');
  t.equal((await caller.request(out.dialog as Dialog, 'BYE'))?.status, 200);
  await nothingLeft(t, e);
});

t.test('ptime 5, 1 and 200 ms to the payment URI: answered with 10, 10 and 120 ms, prompts play, the call ends cleanly', async (t) => {
  const { e, caller } = await setup(t);
  for (const [offered, answered] of [
    [5, 10],
    [1, 10],
    [200, 120],
  ]) {
    const out = caller.invite(tg, 'sip:pay@127.0.0.1', { body: G711(40010, offered), headers: HEADERS });
    const final = await out.final;
    t.equal(final.status, 200, `ptime ${offered}: answered`);
    t.equal(parseSdp(final.body.toString())?.media[0].ptimeMs, answered, `ptime ${offered}: our answer says ${answered}`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // prompts play at that packet size meanwhile
    t.equal((await caller.request(out.dialog as Dialog, 'BYE'))?.status, 200);
  }
  await nothingLeft(t, e);
});

t.test('ptime 5, 1 and 200 ms through the B2BUA, from the caller and from the PBX: negotiated into 10-120, calls survive', async (t) => {
  const { e, caller, pbx, pbxDialogs, pbxPtime } = await setup(t);
  const cases: [number, number][] = [
    [5, 200],
    [1, 1],
    [200, 5],
  ];
  for (const [callerPtime, pbxAnswerPtime] of cases) {
    pbxPtime.value = pbxAnswerPtime;
    const out = caller.invite(tg, `sip:100@127.0.0.1:${SIP}`, { body: G711(40020, callerPtime) });
    const final = await out.final;
    t.equal(final.status, 200, `caller ${callerPtime} ms, PBX ${pbxAnswerPtime} ms: connected`);
    const { req: relayed } = await pbx.next('INVITE');
    t.equal(parseSdp(relayed.body.toString())?.media[0].ptimeMs, Math.min(120, Math.max(10, callerPtime)), 'the PBX is offered a ptime we packetise');
    t.equal(parseSdp(final.body.toString())?.media[0].ptimeMs, Math.min(120, Math.max(10, pbxAnswerPtime)), 'the caller is answered with one too');
    // A re-INVITE from the PBX with a hostile ptime is negotiated the same way.
    const reinvite = await pbx.request(pbxDialogs[pbxDialogs.length - 1], 'INVITE', { body: G711(testPort(30000), 1), contentType: 'application/sdp' });
    t.equal(reinvite?.status, 200, 'a re-INVITE with ptime 1 is handled');
    t.equal((await caller.request(out.dialog as Dialog, 'BYE'))?.status, 200);
    await pbx.next('BYE');
  }
  await nothingLeft(t, e);
});
