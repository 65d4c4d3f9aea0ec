// The media-load bench's serve contender: `toneguard serve` as a child process, calls set up
// over SIP with the load generator's ports in their SDP, secure mode on over the HTTP API. At a
// tiny level it carries every packet, and no digit reaches the agent side, while the plain relay
// in the same run shows that the generator does see digits that get through (RFC 4733 events and
// in-band tone frames); the same server with the calls left outside secure mode passes them too. A server that cannot start, or that refuses the calls, is a failed level
// with a note, not a hang.
// Fixed ports (the server's SIP port must be known up front): 64000-64999, out of the kernel's
// ephemeral range, a block per tap job slot.
import { createSocket } from 'node:dgram';
import t from 'tap';
import { formatMediaLoadBenchmark, measureMediaLoadBenchmark } from '../../bench/media-load-bench.js';
import { compileCli } from '../helpers/cli.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const { cli } = compileCli(t, 'media-load-serve');

t.test('serve: 5 calls over SIP, secure, 0 loss, no digit at the agent side; outside secure mode the digits pass', async (t) => {
  const r = await measureMediaLoadBenchmark({
    levels: [5],
    warmupMs: 300,
    measureMs: 1500,
    contenders: ['baseline', 'serve', 'serve-plain'],
    serveCli: cli,
    sipPort: testPort(5800),
    servePorts: testPortRange('36900-36999'),
    serveWorkers: 1,
  });
  t.equal(r.generator, 'c', `the C generator compiled (${r.generatorNote ?? 'no note'})`);
  const serve = r.levels.find((l) => l.contender === 'serve');
  const plain = r.levels.find((l) => l.contender === 'baseline');
  if (serve === undefined || plain === undefined) throw new Error('a contender is missing');
  t.equal(serve.note, null, 'calls set up, secure, torn down, server healthy');
  // 5 calls x 2 directions x 50 packets/s x 1.5 s = 750 audio slots.
  t.ok(serve.expected >= 650 && serve.expected <= 850, `${serve.expected} packets expected`);
  t.equal(serve.lost, 0, 'no packet lost');
  t.ok(serve.cpuUsPerPacket > 0 && Number.isFinite(serve.relayCores), `server CPU ${serve.cpuUsPerPacket} us/packet from /proc`);
  t.same(serve.digitsAtAgent, { events: 0, toneFrames: 0 }, 'no RFC 4733 event and no in-band digit frame at the agent side');
  t.ok(plain.digitsAtAgent.events > 0, `the plain relay passes events (${plain.digitsAtAgent.events})`);
  t.ok((plain.digitsAtAgent.toneFrames ?? 0) > 0, `the plain relay passes the in-band digit (${plain.digitsAtAgent.toneFrames} frames)`);
  const open = r.levels.find((l) => l.contender === 'serve-plain');
  if (open === undefined) throw new Error('serve-plain is missing');
  t.equal(open.note, null, 'the same server, calls left outside secure mode');
  t.equal(open.lost, 0, 'no packet lost outside secure mode');
  t.ok(open.digitsAtAgent.events > 0 && (open.digitsAtAgent.toneFrames ?? 0) > 0, `outside secure mode digits pass: ${JSON.stringify(open.digitsAtAgent)}`);
  t.equal(open.budgetMs, 2, 'no clamp lookahead outside secure mode');
  t.equal(r.serveWorkers, 1);
  t.ok(serve.setupMs > 0 && serve.setupMs < 30_000, `5 calls set up and secured in ${serve.setupMs} ms`);
  t.ok(
    formatMediaLoadBenchmark(r, false).some((l) => /toneguard serve rtp\.workers=1 +5 calls: lost 0\/\d+.*, setup \d+\.\d s$/.test(l)),
    'its line with the setup time',
  );
  const lines = formatMediaLoadBenchmark(r, false);
  t.ok(
    lines.some((l) => /^\| calls \| plain-udp-relay \(native I\/O\) \| toneguard serve rtp\.workers=1 \| toneguard serve rtp\.workers=1, not secure \|$/.test(l)),
    'a serve column in the capacity table',
  );
  t.ok(
    lines.some((l) => /^\| 5 \| \d+\/\d+ lost.* \| 0\/\d+ lost.* \| 0\/\d+ lost/.test(l)),
    'its row',
  );
  // A level whose generator fell behind (a machine busy with other tests) does not count, by the bench's rule.
  const zeroLoss = serve.generatorLimited ? 0 : 5;
  t.match(lines[0], new RegExp(`toneguard serve rtp\\.workers=1: \\d+ calls, zero-loss ${zeroLoss}, goal \\d+`));
  const json = JSON.parse(formatMediaLoadBenchmark(r, true)[0]) as { serveWorkers: number; capacity: Record<string, { zeroLoss: number }> };
  t.equal(json.serveWorkers, 1);
  t.equal(json.capacity.serve.zeroLoss, zeroLoss, `zero-loss capacity ${zeroLoss} (generator late on ${(serve.lateSendShare * 100).toFixed(0)} % of sends)`);
});

t.test('serve: a server that cannot start is a failed level with a note', async (t) => {
  // Its SIP port is taken.
  const squatter = createSocket('udp4');
  await new Promise<void>((resolve) => squatter.bind(testPort(5803), '127.0.0.1', () => resolve()));
  t.teardown(() => squatter.close());
  const r = await measureMediaLoadBenchmark({
    levels: [5],
    warmupMs: 200,
    measureMs: 300,
    contenders: ['serve'],
    serveCli: cli,
    sipPort: testPort(5803),
    servePorts: testPortRange('37000-37039'),
    serveWorkers: 0,
  });
  t.equal(r.levels.length, 1);
  t.match(r.levels[0], { contender: 'serve', calls: 5, expected: 0, pass: false, goalPass: false });
  t.match(r.levels[0].note, /^server start: toneguard serve exited/);
  t.equal(r.capacity.serve?.zeroLoss, 0);
  t.ok(formatMediaLoadBenchmark(r, false).some((l) => /toneguard serve rtp\.workers=0 +5 calls: FAILED: server start/.test(l)));
});

t.test('serve: calls the server refuses fail the level with a note; the calls that were set up are torn down', async (t) => {
  // rtp.ports with room for two calls (two port pairs each): the third INVITE gets 503.
  const r = await measureMediaLoadBenchmark({
    levels: [5],
    warmupMs: 200,
    measureMs: 300,
    contenders: ['serve'],
    serveCli: cli,
    sipPort: testPort(5806),
    servePorts: testPortRange('37040-37047'),
    serveWorkers: 0,
  });
  const level = r.levels[0];
  t.match(level, { contender: 'serve', expected: 0, pass: false });
  t.match(level.note, /of 5 calls: setup failed \(first: INVITE answered 5\d\d\)/);
  t.notMatch(level.note, /still listed/, 'the calls that were set up are gone after their BYE');
});
