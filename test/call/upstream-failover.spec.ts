// Several PBXs behind toneguard: a call fails over from a dead or overloaded upstream to the next
// within sip.inviteTimeoutMs, OPTIONS keep-alives mark upstreams down and up, and toneguard knows
// when no upstream is up. Real SIP on UDP loopback; a dead PBX is a socket that swallows packets.
import t, { type Test } from 'tap';
import { UpstreamPool } from '../../src/call/upstream-pool.js';
import { Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { b2buaRig } from '../helpers/b2bua-rig.js';
import { UdpPeer } from '../helpers/udp-peer.js';

async function deadPbx(t: Test): Promise<UdpPeer> {
  const dead = await UdpPeer.bind();
  t.teardown(() => dead.close());
  return dead;
}

async function livePbx(t: Test, status = 200): Promise<Peer> {
  const pbx = await Peer.start();
  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      if (status !== 200) tx.respond(status, undefined, status === 503 ? { headers: { 'retry-after': '120' } } : undefined);
      else tx.respond(200, undefined, { body: sdpBody(30000), contentType: 'application/sdp', headers: { contact: pbx.stack.contact('udp', 'pbx') } });
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  t.teardown(() => pbx.close());
  return pbx;
}

t.test('a dead first upstream: the call reaches the second within inviteTimeoutMs', async (t) => {
  const dead = await deadPbx(t);
  const live = await livePbx(t);
  let pool: UpstreamPool | undefined;
  const r = await b2buaRig(t, (stack) => ({
    inviteTimeoutMs: 300,
    upstream: (pool = new UpstreamPool({
      stack,
      upstreams: [
        { uri: `sip:127.0.0.1:${dead.port}`, priority: 1, weight: 1 },
        { uri: live.uri, priority: 2, weight: 1 },
      ],
      probe: { intervalMs: 0, failureThreshold: 1 },
    })),
  }));
  const started = Date.now();
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) });
  t.equal((await out.final).status, 200, 'answered by the second upstream');
  const took = Date.now() - started;
  t.ok(took >= 250 && took < 2000, `failed over after about 300 ms (took ${took} ms)`);
  t.ok(
    dead.received.some((p) => p.data.toString().startsWith('INVITE ')),
    'the dead upstream was tried first',
  );
  t.equal(live.received.filter((x) => x.req.method === 'INVITE').length, 1);
  t.match(r.warnings.join('\n'), /failed \(timeout\); trying sip:127\.0\.0\.1:\d+/);
  t.equal(pool?.upstreams[0].up, false, 'the dead upstream is marked down');
  t.equal(pool?.candidates()[0].label, live.uri, 'the next call goes to the live one first');
});

t.test('503 with Retry-After and 500 fail over; 486 does not', async (t) => {
  const busy = await livePbx(t, 503);
  const broken = await livePbx(t, 500);
  const live = await livePbx(t);
  let pool: UpstreamPool | undefined;
  const r = await b2buaRig(t, (stack) => ({
    upstream: (pool = new UpstreamPool({
      stack,
      upstreams: [
        { uri: busy.uri, priority: 1, weight: 1 },
        { uri: broken.uri, priority: 2, weight: 1 },
        { uri: live.uri, priority: 3, weight: 1 },
      ],
      probe: { intervalMs: 0 },
    })),
  }));
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) });
  t.equal((await out.final).status, 200);
  t.ok(
    out.responses.every((x) => x.status === 100 || x.status === 200),
    'the caller saw none of the failures',
  );
  t.ok((pool?.upstreams[0].retryAfter ?? 0) > Date.now() + 100_000, "the 503's Retry-After keeps that upstream last");
  t.equal(pool?.candidates().at(-1)?.label, busy.uri);

  const rejecting = await livePbx(t, 486);
  const spare = await livePbx(t);
  const r2 = await b2buaRig(t, (stack) => ({
    upstream: new UpstreamPool({
      stack,
      upstreams: [
        { uri: rejecting.uri, priority: 1, weight: 1 },
        { uri: spare.uri, priority: 2, weight: 1 },
      ],
      probe: { intervalMs: 0 },
    }),
  }));
  t.equal((await r2.caller.invite(r2.tg, r2.uri('100'), { body: sdpBody(40000) }).final).status, 486, 'a busy callee is an answer, not a failure');
  t.equal(spare.received.length, 0);
});

t.test('OPTIONS keep-alives mark a dead upstream down and report when none is up', async (t) => {
  const dead = await deadPbx(t);
  const live = await livePbx(t);
  const { stack } = await Peer.start().then((p) => {
    t.teardown(() => p.close());
    return p;
  });
  const pool = new UpstreamPool({
    stack,
    upstreams: [
      { uri: `sip:127.0.0.1:${dead.port}`, priority: 1, weight: 1 },
      { uri: live.uri, priority: 1, weight: 1 },
    ],
    probe: { intervalMs: 100, timeoutMs: 80, failureThreshold: 2 },
  });
  t.teardown(() => pool.close());
  const changes: string[] = [];
  pool.on('change', (u) => changes.push(`${u.label} ${u.up ? 'up' : 'down'}`));
  pool.start();
  await waitFor(() => !pool.upstreams[0].up, 3000);
  t.same(changes, [`sip:127.0.0.1:${dead.port} down`]);
  t.ok(pool.upstreams[1].up, 'the live upstream answers OPTIONS');
  t.ok(live.received.some((x) => x.req.method === 'OPTIONS'));
  t.ok(pool.anyUp);
  await live.close();
  await waitFor(() => !pool.anyUp, 3000);
  t.notOk(pool.anyUp, 'no upstream up');
});

t.test('weights share calls among upstreams of one priority; lower priority only as fallback', async (t) => {
  const { stack } = await Peer.start().then((p) => {
    t.teardown(() => p.close());
    return p;
  });
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const pool = new UpstreamPool({
    stack,
    random,
    upstreams: [
      { uri: 'sip:10.0.0.1', priority: 1, weight: 3 },
      { uri: 'sip:10.0.0.2', priority: 1, weight: 1 },
      { uri: 'sip:10.0.0.3', priority: 2, weight: 100 },
    ],
    probe: { intervalMs: 0 },
  });
  const firsts = new Map<string, number>();
  let lowLast = 0;
  for (let i = 0; i < 4000; i += 1) {
    const order = pool.candidates().map((u) => u.label);
    if (order[2] === 'sip:10.0.0.3') lowLast += 1;
    firsts.set(order[0], (firsts.get(order[0]) ?? 0) + 1);
  }
  t.equal(lowLast, 4000, 'priority 2 always last');
  const share = (firsts.get('sip:10.0.0.1') ?? 0) / 4000;
  t.ok(share > 0.7 && share < 0.8, `weight 3:1 gives about 75 % (${(share * 100).toFixed(1)} %)`);
});
