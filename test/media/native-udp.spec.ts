// The media sockets over both I/Os (the native batched addon and node:dgram): datagrams with
// their source, bursts larger than a batch in order, oversized datagrams dropped, IPv6 sources,
// a port in use refused, send errors counted, a socket closed by an earlier datagram of the same
// batch, the coalescing timer kept through a few empty windows, and a B2BUA session relaying and
// clamping the same over either.
import { createSocket, type Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { PortAllocator } from '../../src/media/relay/port-allocator.js';
import { RtpMediaSession } from '../../src/media/relay/rtp-media-session.js';
import type { MediaIo } from '../../src/media/udp/media-io.js';
import { openMediaSocket, resolveMediaIo, type MediaSocket } from '../../src/media/udp/media-socket.js';
import { NativeUdpEngine, nativeUdpAvailability, PT_TO_JS } from '../../src/media/udp/native-udp.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { testPortRange } from '../helpers/ports.js';
import { pcmuLeg, UdpPeer } from '../helpers/udp-peer.js';

function hasCompiler(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

t.test('the native addon is built where a C compiler is (npm test builds it)', async (t) => {
  if (!hasCompiler()) return t.plan(0, 'no C compiler: the media plane uses node:dgram');
  const a = nativeUdpAvailability();
  t.ok(a.available, a.reason ?? 'available');
  t.equal(resolveMediaIo('auto'), 'native', 'auto picks native');
  t.equal(resolveMediaIo('dgram'), 'dgram');
});

const IOS: MediaIo[] = nativeUdpAvailability().available ? ['native', 'dgram'] : ['dgram'];

function bindClient(type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const s = createSocket(type);
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => resolve(s));
  });
}

function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  return new Promise((resolve) => {
    const poll = (): void => {
      if (cond()) resolve(true);
      else if (Date.now() > end) resolve(false);
      else setTimeout(poll, 5);
    };
    poll();
  });
}

async function open(io: MediaIo, address = '127.0.0.1', port = 0): Promise<MediaSocket> {
  const s = await openMediaSocket(io, address, port, 1 << 20);
  if (s === undefined) throw new Error('bind failed');
  return s;
}

/** A media socket and an IPv4 client socket to send to it, both closed when the test ends. */
async function socketAndClient(t: Test, io: MediaIo): Promise<{ s: MediaSocket; client: Socket }> {
  const s = await open(io);
  const client = await bindClient();
  t.teardown(() => {
    s.close();
    client.close();
  });
  return { s, client };
}

for (const io of IOS) {
  t.test(`${io}: each datagram arrives with its source; sends reach the peer`, async (t) => {
    const { s, client } = await socketAndClient(t, io);
    t.equal(s.io, io);
    t.ok(s.port > 0, 'bound port reported');
    const got: [string, string, number][] = [];
    // The packet is only valid during the handler: copy.
    s.onDatagram((p, address, port) => got.push([Buffer.from(p).toString(), address, port]));
    for (let i = 0; i < 5; i++) client.send(`hello${i}`, s.port, '127.0.0.1');
    t.ok(await until(() => got.length === 5), 'five datagrams');
    t.same(
      got,
      [0, 1, 2, 3, 4].map((i) => [`hello${i}`, '127.0.0.1', client.address().port]),
    );
    const back = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
    const reused = new Uint8Array([0x6f, 0x6b]);
    s.send(reused, client.address().port, '127.0.0.1', true);
    reused.fill(0); // the caller reuses its buffer at once
    t.equal(await back, 'ok', 'the bytes as they were when send() was called');
  });

  t.test(`${io}: a burst larger than one batch arrives whole and in order`, async (t) => {
    const { s, client } = await socketAndClient(t, io);
    const seen: number[] = [];
    s.onDatagram((p) => seen.push((p[0] << 8) | p[1]));
    const n = 700; // the native engine hands over at most 256 per batch
    for (let i = 0; i < n; i++) client.send(new Uint8Array([i >> 8, i & 255, 1, 2, 3]), s.port, '127.0.0.1');
    t.ok(await until(() => seen.length === n), `${seen.length} of ${n}`);
    t.same(
      seen,
      Array.from({ length: n }, (_, i) => i),
    );
  });

  t.test(`${io}: a port in use is refused, not thrown`, async (t) => {
    const s = await open(io);
    t.teardown(() => s.close());
    t.equal(await openMediaSocket(io, '127.0.0.1', s.port, undefined), undefined);
  });

  t.test(`${io}: IPv6 sources are reported in their text form`, async (t) => {
    let client: Socket;
    try {
      client = await bindClient('udp6');
    } catch {
      return t.plan(0, 'no IPv6 loopback here');
    }
    const s = await open(io, '::1');
    t.teardown(() => {
      s.close();
      client.close();
    });
    const got: [string, number][] = [];
    s.onDatagram((_p, address, port) => got.push([address, port]));
    client.send('x', s.port, '::1');
    t.ok(await until(() => got.length === 1));
    t.same(got, [['::1', client.address().port]]);
  });
}

if (IOS.includes('native')) {
  t.test('native: a datagram longer than a slot is dropped and counted, the next one arrives', async (t) => {
    const { s, client } = await socketAndClient(t, 'native');
    const before = NativeUdpEngine.get().stats().truncated;
    const lengths: number[] = [];
    s.onDatagram((p) => lengths.push(p.length));
    client.send(new Uint8Array(1984), s.port, '127.0.0.1');
    client.send(new Uint8Array(1985), s.port, '127.0.0.1');
    client.send(new Uint8Array(9000), s.port, '127.0.0.1');
    client.send(new Uint8Array(12), s.port, '127.0.0.1');
    t.ok(await until(() => lengths.length === 2));
    t.same(lengths, [1984, 12], 'the largest slot-sized one and the small one');
    t.equal(NativeUdpEngine.get().stats().truncated - before, 2, 'two counted as too long');
  });

  t.test('native: after traffic the engine waits out several empty windows before watching for readiness again, and a datagram after a quiet spell still arrives', async (t) => {
    const { s, client } = await socketAndClient(t, 'native');
    let got = 0;
    s.onDatagram(() => got++);
    const engine = NativeUdpEngine.get();
    // Let any earlier test's traffic settle: the engine is back to waiting for readiness.
    await new Promise((r) => setTimeout(r, 50));
    const before = engine.stats().rearms;
    client.send(new Uint8Array(12), s.port, '127.0.0.1');
    t.ok(await until(() => got === 1), 'the first datagram after a quiet spell');
    // Datagrams 2 ms apart: the empty windows between them are too few to go back to readiness
    // (one empty window was enough before, a return per datagram). A gap this thread's load
    // stretched to 8 ms or more may allow one.
    let longGaps = 0;
    let last = performance.now();
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 2));
      const now = performance.now();
      if (now - last >= 8) longGaps++;
      last = now;
      client.send(new Uint8Array(12), s.port, '127.0.0.1');
    }
    t.ok(await until(() => got === 11), 'all of them');
    const rearms = engine.stats().rearms - before;
    t.ok(rearms <= longGaps, `returns to readiness while datagrams kept coming: ${rearms} (gaps of 8 ms or more: ${longGaps})`);
    await new Promise((r) => setTimeout(r, 50));
    t.equal(engine.stats().rearms - before, rearms + 1, 'one return once the line went quiet');
    client.send(new Uint8Array(12), s.port, '127.0.0.1');
    t.ok(await until(() => got === 12), 'a datagram after the quiet spell arrives');
  });

  t.test('native: sends that cannot go out are counted; a closed socket sends nothing and never throws', async (t) => {
    const s = await open('native');
    let errors = 0;
    s.onSendError(() => errors++);
    s.send(new Uint8Array(4), 9, 'not-an-address', false);
    s.send(new Uint8Array(4), 0, '127.0.0.1', false);
    t.equal(errors, 2);
    s.close();
    s.close();
    s.send(new Uint8Array(4), 9, '127.0.0.1', false);
    t.equal(errors, 3, 'counted, not thrown');
  });

  t.test("native: a handler that closes another socket drops that socket's datagrams still in the batch", async (t) => {
    const a = await open('native');
    const b = await open('native');
    const client = await bindClient();
    t.teardown(() => {
      a.close();
      b.close();
      client.close();
    });
    const order: string[] = [];
    b.onDatagram((p) => order.push(Buffer.from(p).toString()));
    a.onDatagram((p) => {
      order.push(Buffer.from(p).toString());
      b.close();
      order.push('closed b');
    });
    // Queued for both before the loop reads either: one batch holds both sockets' datagrams.
    client.send('b0', b.port, '127.0.0.1');
    client.send('a0', a.port, '127.0.0.1');
    client.send('b1', b.port, '127.0.0.1');
    t.ok(await until(() => order.includes('closed b')));
    await new Promise((r) => setTimeout(r, 50));
    const closedAt = order.indexOf('closed b');
    t.same(order.slice(closedAt + 1), [], `nothing for b after its close (${order.join(', ')})`);
  });

  t.test('native: a forwarding rule sends RTP from its one source out of another socket, PT mapped; the rest reaches the handler', async (t) => {
    const s = await open('native');
    const via = await open('native');
    const source = await bindClient();
    const stranger = await bindClient();
    const target = await bindClient();
    t.teardown(() => {
      s.close();
      via.close();
      for (const c of [source, stranger, target]) c.close();
    });
    const handled: string[] = [];
    s.onDatagram((p) => handled.push(p.length >= 2 && p[0] >> 6 === 2 ? `pt ${p[1] & 0x7f}` : Buffer.from(p).toString()));
    const forwarded: { pt: number; marker: boolean; port: number; body: number }[] = [];
    target.on('message', (m, r) => forwarded.push({ pt: m[1] & 0x7f, marker: m[1] >> 7 === 1, port: r.port, body: m[12] }));
    const map = new Uint8Array(128).map((_, pt) => pt);
    map[0] = 8;
    map[101] = PT_TO_JS;
    const sourcePort = source.address().port;
    const rule = { from: { address: '127.0.0.1', port: sourcePort }, via, to: { address: '127.0.0.1', port: target.address().port }, payloadTypes: map };
    t.ok(s.forward(rule), 'rule set');
    const rtp = (pt: number, marker = false, body = 7): Uint8Array => serializeRtp({ payloadType: pt, marker, sequence: 1, timestamp: 160, ssrc: 5, payload: new Uint8Array(20).fill(body) });
    source.send(rtp(0, true), s.port, '127.0.0.1');
    source.send(rtp(9, false, 9), s.port, '127.0.0.1');
    source.send(rtp(101), s.port, '127.0.0.1');
    source.send('not rtp', s.port, '127.0.0.1');
    source.send(new Uint8Array([0x80, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]), s.port, '127.0.0.1'); // 11 bytes: no header
    stranger.send(rtp(0), s.port, '127.0.0.1');
    t.ok(await until(() => forwarded.length === 2 && handled.length === 4));
    t.same(
      forwarded,
      [
        { pt: 8, marker: true, port: via.port, body: 7 },
        { pt: 9, marker: false, port: via.port, body: 9 },
      ],
      'mapped, marker kept, sent from the other socket',
    );
    t.same(handled.slice(0, 2), ['pt 101', 'not rtp'], 'a PT left to JavaScript, and what is not RTP');
    t.same(handled.slice(2).sort(), ['pt 0', 'pt 0'].sort(), 'a datagram too short for a header, and RTP from another source');
    t.same(s.forwarded(), { packets: 2, sendErrors: 0 });

    t.ok(s.forward(null), 'cleared');
    source.send(rtp(0), s.port, '127.0.0.1');
    t.ok(await until(() => handled.length === 5));
    t.equal(forwarded.length, 2, 'nothing forwarded once cleared');

    t.ok(s.forward(rule), 'set again');
    t.notOk(s.forward({ ...rule, to: { address: 'nowhere', port: 5 } }), 'a refused rule');
    source.send(rtp(0), s.port, '127.0.0.1');
    t.ok(await until(() => handled.length === 6), 'leaves no rule behind: the handler gets it');
    t.equal(forwarded.length, 2);

    t.ok(s.forward(rule), 'and again');
    via.close();
    source.send(rtp(0), s.port, '127.0.0.1');
    t.ok(await until(() => handled.length === 7), 'the target socket closed: the handler gets it');
    t.equal(forwarded.length, 2);
    t.notOk(s.forward(rule), 'a rule through a closed socket is refused');
    s.close();
    t.same(s.forwarded(), { packets: 2, sendErrors: 0 }, 'counts readable after close');
  });

  t.test('native: a rule with an address of the wrong form is refused', async (t) => {
    const s = await open('native');
    const via = await open('native');
    t.teardown(() => {
      s.close();
      via.close();
    });
    const map = new Uint8Array(128);
    t.notOk(s.forward({ from: { address: 'nowhere', port: 5 }, via, to: { address: '127.0.0.1', port: 5 }, payloadTypes: map }));
    t.notOk(s.forward({ from: { address: '127.0.0.1', port: 5 }, via, to: { address: '::1', port: 5 }, payloadTypes: map }), 'IPv6 target from an IPv4 socket');
    t.notOk(s.forward({ from: { address: '127.0.0.1', port: 5 }, via, to: { address: '127.0.0.1', port: 0 }, payloadTypes: map }), 'port 0');
    t.notOk(s.forward({ from: { address: '127.0.0.1', port: 5 }, via, to: { address: '127.0.0.1', port: 5 }, payloadTypes: new Uint8Array(12) }), 'a short map');
  });
}

t.test('dgram: no forwarding rule is taken (every datagram reaches the handler)', async (t) => {
  const s = await open('dgram');
  const via = await open('dgram');
  t.teardown(() => {
    s.close();
    via.close();
  });
  t.notOk(s.forward({ from: { address: '127.0.0.1', port: 5 }, via, to: { address: '127.0.0.1', port: 6 }, payloadTypes: new Uint8Array(128) }));
  t.ok(s.forward(null));
  t.same(s.forwarded(), { packets: 0, sendErrors: 0 });
});

// The B2BUA session over either I/O: relays both ways, and in secure mode the agent gets no
// telephone-event while the digit is reported.
for (const io of IOS) {
  t.test(`${io}: a B2BUA session relays audio and strips RFC 4733 digits in secure mode`, async (t) => {
    const ports = new PortAllocator({ address: '127.0.0.1', ports: testPortRange(io === 'native' ? '35800-35819' : '35820-35839'), io });
    t.equal(ports.io, io);
    const session = await RtpMediaSession.open({ ports, mode: 'b2bua', secure: true });
    const caller = await UdpPeer.bind();
    const agent = await UdpPeer.bind();
    t.teardown(() => {
      session.close();
      caller.close();
      agent.close();
    });
    session.configure('caller', pcmuLeg(caller));
    session.configure('agent', pcmuLeg(agent));
    const digits: string[] = [];
    session.on('digit', (d) => digits.push(d.digit));
    const ssrc = 0x11223344;
    let seq = 1000;
    let ts = 80000;
    for (let i = 0; i < 10; i++) {
      await caller.send(serializeRtp({ payloadType: 0, sequence: seq++, timestamp: ts, ssrc, payload: new Uint8Array(160).fill(0xff) }), session.local('caller').rtpPort);
      ts += 160;
    }
    for (const p of planDigitPackets('5', ts, 800)) {
      await caller.send(serializeRtp({ payloadType: 101, marker: p.marker, sequence: seq++, timestamp: p.timestamp, ssrc, payload: p.payload }), session.local('caller').rtpPort);
    }
    await agent.send(serializeRtp({ payloadType: 0, sequence: 7, timestamp: 1, ssrc: 5, payload: new Uint8Array(160).fill(0x7f) }), session.local('agent').rtpPort);
    t.ok(await until(() => digits.length === 1), 'the digit is reported');
    t.same(digits, ['5']);
    await caller.waitFor(1);
    t.equal(caller.received.length, 1, 'agent -> caller relayed');
    t.ok(await until(() => agent.received.length >= 10), `${agent.received.length} packets at the agent`);
    t.equal(agent.received.filter((r) => (r.data[1] & 0x7f) === 101).length, 0, 'no telephone-event reaches the agent');
  });
}
