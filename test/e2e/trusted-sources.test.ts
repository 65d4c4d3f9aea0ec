// `toneguard serve` with sip.trustedSources and sip.auth from the config: a source outside the
// list gets 403 and the PBX never hears of it; a digest user gets a challenge, then its call.
import t from 'tap';
import { digestAuthorization } from '../../src/sip/digest-auth.js';
import { Peer, sdpBody } from '../helpers/call-sip-peers.js';
import { startE2eServer } from '../helpers/e2e-server.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5796);

t.test('serve: untrusted sources get 403 (PBX untouched) or, with sip.auth users, a digest challenge', async (t) => {
  const pbx = await Peer.start();
  t.teardown(() => pbx.close());
  const user = { name: 'branch-office', password: 'a long trunk secret' };
  await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}`, trustedSources: ['10.99.0.0/16'], auth: { users: [user] }, keepalive: { intervalSeconds: 0 } },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('37300-37339') },
    upstream: pbx.uri,
  });
  const caller = await Peer.start();
  t.teardown(() => caller.close());
  const tg = { transport: 'udp' as const, address: '127.0.0.1', port: SIP };
  const first = await caller.invite(tg, `sip:100@127.0.0.1:${SIP}`, { body: sdpBody(40000), headers: { 'X-Payment-Result': 'success' } }).final;
  t.equal(first.status, 401, 'outside sip.trustedSources: challenged, as digest users are configured');
  const challenge = first.headers.getAll('www-authenticate')[0] ?? '';
  t.match(challenge, /algorithm=SHA-256/);
  t.notMatch(first.headers.getAll('www-authenticate').join('\n'), /MD5/, 'no MD5 unless sip.auth.allowMd5');
  t.equal(pbx.received.length, 0, 'the PBX heard nothing of it');
  const authorization = digestAuthorization(challenge, user, 'INVITE', `sip:100@127.0.0.1:${SIP}`, 'e2e') ?? '';
  const out = caller.invite(tg, `sip:100@127.0.0.1:${SIP}`, { body: sdpBody(40000), headers: { authorization } });
  t.equal((await out.final).status, 200, 'the digest user gets its call');
  t.equal(pbx.received.filter((x) => x.req.method === 'INVITE').length, 1);
});

t.test('serve: without digest users an untrusted source is refused outright', async (t) => {
  const pbx = await Peer.start();
  t.teardown(() => pbx.close());
  await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP + 1}`, trustedSources: ['10.99.0.0/16'], keepalive: { intervalSeconds: 0 } },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('37340-37379') },
    upstream: pbx.uri,
  });
  const caller = await Peer.start();
  t.teardown(() => caller.close());
  const final = await caller.invite({ transport: 'udp', address: '127.0.0.1', port: SIP + 1 }, `sip:pay@127.0.0.1`, { body: sdpBody(40000), headers: { 'X-Payment-Amount': '1.00' } }).final;
  t.equal(final.status, 403, 'no payment dialog for an untrusted source either');
  t.equal(pbx.received.length, 0);
});
