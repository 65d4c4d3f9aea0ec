// The media session's pure parts: digit merging, remote latching, port ranges and allocation.
import { createSocket } from 'node:dgram';
import t from 'tap';
import { DigitMerger, MERGE_WINDOW_MS } from '../../src/media/digits/digit-merger.js';
import { PortAllocator, parsePortRange, type RtpPortPair } from '../../src/media/relay/port-allocator.js';
import { PromptQueue } from '../../src/media/prompts/prompt-queue.js';
import { RemoteLatch } from '../../src/media/relay/remote-latch.js';
import { testPort } from '../helpers/ports.js';

t.test('digit merger: same key from two sources within the window is one press', async (t) => {
  const m = new DigitMerger();
  t.ok(m.push({ digit: '5', source: 'rfc4733', atMs: 1000 }));
  t.notOk(m.push({ digit: '5', source: 'inband', atMs: 1000 + MERGE_WINDOW_MS - 1 }), 'in-band copy folded');
  t.notOk(m.push({ digit: '5', source: 'sip-info', atMs: 990 }), 'SIP INFO copy folded');
  t.ok(m.push({ digit: '5', source: 'inband', atMs: 1010 }), 'a second in-band 5: a second press');
  t.ok(m.push({ digit: '5', source: 'rfc4733', atMs: 1000 + MERGE_WINDOW_MS + 50 }), 'outside the window: new press');
  t.ok(m.push({ digit: '6', source: 'inband', atMs: 1000 }), 'another digit');
  t.equal(m.duplicates, 2);
  const m2 = new DigitMerger();
  t.ok(m2.push({ digit: '8', source: 'rfc4733', atMs: 1000 }));
  t.ok(m2.push({ digit: '8', source: 'rfc4733', atMs: 1005 }), 'same source twice is two presses');
});

t.test('remote latch: negotiated IP, first good source latches, others dropped; re-INVITE unlatches', async (t) => {
  const l = new RemoteLatch();
  t.notOk(l.accepts('10.0.0.1', 4000), 'no remote yet');
  l.setRemote('10.0.0.1', 4000);
  t.equal(l.sendAddress, '10.0.0.1');
  t.notOk(l.accepts('10.0.0.2', 4000), 'other IP');
  t.ok(l.accepts('10.0.0.1', 5555), 'NAT: other port of the negotiated IP');
  t.notOk(l.latched, 'accepts alone does not latch');
  l.latch('10.0.0.1', 5555);
  t.ok(l.accepts('10.0.0.1', 5555));
  t.notOk(l.accepts('10.0.0.1', 4001), 'after latching, another port of the IP is another source');
  t.equal(l.sendPort, 5555, 'replies go to the latched source');
  t.ok(l.accepts('10.0.0.1', 4000), 'the negotiated remote itself is still accepted');
  l.latch('10.0.0.1', 4000);
  t.equal(l.sendPort, 4000, 'and takes the latch over');
  t.notOk(l.accepts('10.0.0.1', 5555), 'the NAT source is now another source');
  l.latch('10.0.0.1', 5555);
  t.equal(l.sendPort, 4000, 'latched on the negotiated remote: final');
  t.ok(l.accepts('::ffff:10.0.0.1', 5555) === false, 'mapped form of another source string is not the latched one');
  l.setRemote('10.0.0.9', 6000);
  t.notOk(l.latched, 'new remote unlatches');
  t.ok(l.accepts('::ffff:10.0.0.9', 1234), 'IPv4-mapped source matches');
  l.setRemote('0.0.0.0', 6000);
  t.equal(l.sendAddress, null, 'hold (c=0.0.0.0): nowhere to send');
  t.notOk(l.accepts('0.0.0.0', 6000));
  t.equal(l.dropped, 6);
});

t.test('remote latch: the negotiated remote itself, and a latch elsewhere (NAT)', async (t) => {
  const l = new RemoteLatch();
  t.notOk(l.isNegotiated('10.0.0.1', 4000), 'no remote yet');
  l.setRemote('10.0.0.1', 4000);
  t.ok(l.isNegotiated('10.0.0.1', 4000));
  t.ok(l.isNegotiated('::ffff:10.0.0.1', 4000), 'IPv4-mapped form');
  t.notOk(l.isNegotiated('10.0.0.1', 4002), 'other port');
  t.notOk(l.latchedElsewhere, 'not latched');
  l.latch('10.0.0.1', 4000);
  t.notOk(l.latchedElsewhere, 'latched on the negotiated remote');
  l.setRemote('10.0.0.1', 4002);
  l.latch('10.0.0.1', 5555);
  t.ok(l.latchedElsewhere, 'latched on a NAT port');
});

t.test('port range parsing', async (t) => {
  t.same(parsePortRange('20000-29999'), { min: 20000, max: 29999 });
  t.same(parsePortRange('30001-30010'), { min: 30002, max: 30010 }, 'first port made even');
  for (const bad of ['', 'abc', '20000', '30000-30000', '100-200', '60000-70000', '30010-30000']) {
    t.throws(() => parsePortRange(bad), { code: 'EPORTRANGE' }, bad);
  }
  t.throws(() => new PortAllocator({ address: 'localhost', ports: '30000-30010' }), { code: 'EPORTRANGE' });
});

t.test('allocation: even/odd pairs, skips ports taken by others, exhaustion, reuse after release', async (t) => {
  const base = testPort(30000);
  const squatter = createSocket('udp4');
  await new Promise<void>((resolve) => squatter.bind(base + 3, '127.0.0.1', () => resolve()));
  t.teardown(() => squatter.close());
  const a = new PortAllocator({ address: '127.0.0.1', ports: `${base}-${base + 5}` });
  t.equal(a.capacity, 3);
  // Released however the test ends: a bound native socket keeps the process (every spec of this
  // folder) alive, so a failure here would otherwise hang until tap's time-out.
  const held: RtpPortPair[] = [];
  t.teardown(() => held.forEach((p) => p.release()));
  const allocate = async (): Promise<RtpPortPair> => {
    const p = await a.allocate();
    held.push(p);
    return p;
  };
  const p1 = await allocate();
  const p2 = await allocate();
  t.same([p1.rtpPort, p1.rtcpPort], [base, base + 1]);
  t.same([p2.rtpPort, p2.rtcpPort], [base + 4, base + 5], 'pair +2/+3 skipped (+3 taken)');
  await t.rejects(a.allocate(), { code: 'EPORTS_EXHAUSTED', message: `${base}-${base + 5}` });
  p1.release();
  p1.release();
  const p3 = await allocate();
  t.equal(p3.rtpPort, base, 'released pair reused');
  p2.release();
  p3.release();
  t.equal(a.used, 0);
});

t.test('prompt queue: in order, ends reported, barge-in stops only barge-in prompts', async (t) => {
  const ends: string[] = [];
  const q = new PromptQueue((e) => ends.push(`${e.id}${e.interrupted ? '!' : ''}`));
  q.add(1, new Int16Array([1, 2, 3]), false);
  q.add(2, new Int16Array([4, 5]), true);
  q.add(3, new Int16Array([6]), false);
  const out = new Int16Array(4);
  t.ok(q.read(out, 4));
  t.same([...out], [1, 2, 3, 4]);
  t.same(ends, ['1']);
  q.bargeIn();
  t.same(ends, ['1', '2!']);
  t.ok(q.read(out, 4));
  t.same([...out], [6, 0, 0, 0]);
  t.same(ends, ['1', '2!', '3']);
  t.notOk(q.read(out, 2));
  q.add(4, new Int16Array(10), false);
  q.stop();
  t.same(ends, ['1', '2!', '3', '4!']);
});
