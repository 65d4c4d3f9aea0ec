// `toneguard serve` in front of two PBXs, the first dead: calls reach the second, the dead one is
// reported down in /metrics, and /health/ready turns not-ready once no upstream answers.
import t from 'tap';
import { Peer, sdpBody } from '../helpers/call-sip-peers.js';
import { startE2eServer } from '../helpers/e2e-server.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5790);

t.test('serve: a dead first upstream is failed over, marked down, and readiness follows the upstreams', async (t) => {
  const dead = await UdpPeer.bind();
  t.teardown(() => dead.close());
  const live = await Peer.start();
  live.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && live.dialogFor(req) === undefined) {
      tx.respond(200, undefined, { body: sdpBody(testPort(30000)), contentType: 'application/sdp', headers: { contact: live.stack.contact('udp', 'pbx') } });
      return;
    }
    live.defaultHandler(req, tx);
  };
  let liveClosed = false;
  t.teardown(() => (liveClosed ? undefined : live.close()));
  const e2e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}`, inviteTimeoutMs: 400, keepalive: { intervalSeconds: 0.3, timeoutSeconds: 0.2, failureThreshold: 2 } },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('36800-36899') },
    upstream: [
      { uri: `sip:127.0.0.1:${dead.port}`, priority: 1 },
      { uri: live.uri, priority: 2 },
    ],
  });
  const caller = await Peer.start();
  t.teardown(() => caller.close());
  const tg = { transport: 'udp' as const, address: '127.0.0.1', port: SIP };
  const out = caller.invite(tg, `sip:100@127.0.0.1:${SIP}`, { body: sdpBody(40000) });
  t.equal((await out.final).status, 200, 'the call reached the live PBX');
  t.ok(dead.received.length > 0, 'the dead PBX was tried or probed');

  const metric = async (): Promise<string> => (await e2e.fetchText('/metrics')).text;
  const downLine = new RegExp(`toneguard_upstream_up\\{upstream="sip:127\\.0\\.0\\.1:${dead.port}"\\} 0`);
  for (let i = 0; i < 40 && !downLine.test(await metric()); i += 1) await new Promise((r) => setTimeout(r, 100));
  const text = await metric();
  t.match(text, downLine, 'the dead upstream is down in /metrics');
  t.match(text, new RegExp(`toneguard_upstream_up\\{upstream="${live.uri.replace(/\./g, '\\.')}"\\} 1`));
  t.match(text, /toneguard_upstream_invites_total\{upstream="sip:127\.0\.0\.1:\d+",outcome="answered"\} 1/);
  t.equal((await e2e.fetchText('/health/ready')).status, 200, 'ready while one upstream is up');

  await caller.request(out.dialog!, 'BYE');
  await live.close();
  liveClosed = true;
  let ready = { status: 0, text: '' };
  for (let i = 0; i < 40; i += 1) {
    ready = await e2e.fetchText('/health/ready');
    if (ready.status === 503) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(ready.status, 503, 'not ready once no upstream is up');
  t.match(ready.text, /no upstream is up/);
});
