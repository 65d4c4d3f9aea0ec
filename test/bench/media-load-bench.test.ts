// The media load bench at a small level: both contenders carry the calls (ours in secure mode
// with RFC 4733 digits), the loss and latency figures are measured, and the text and JSON lines
// have the shape `toneguard bench` prints.
import t from 'tap';
import { formatMediaLoadBenchmark, measureMediaLoadBenchmark } from '../../bench/media-load-bench.js';
import { testPortRange } from '../helpers/ports.js';

t.test('small level, both contenders', async (t) => {
  const r = await measureMediaLoadBenchmark({ levels: [5], warmupMs: 300, measureMs: 700, ports: testPortRange('30000-30099') });
  t.equal(r.levels.length, 2);
  t.same(r.levels.map((l) => l.contender).sort(), ['baseline', 'ours']);
  for (const l of r.levels) {
    // 5 calls x 2 directions x 50 packets/s x 0.7 s = 350 audio slots (the baseline counts event packets instead of their slots).
    t.ok(l.expected >= 300 && l.expected <= 420, `${l.contender}: ${l.expected} packets expected`);
    t.ok(l.lost <= l.expected * 0.05, `${l.contender}: lost ${l.lost}`);
    t.ok(Number.isFinite(l.p99Ms) && l.p99Ms >= l.p50Ms && l.p50Ms >= 0, `${l.contender}: p50 ${l.p50Ms} p99 ${l.p99Ms}`);
    t.ok(l.cpuUsPerPacket > 0 && l.callsPerCore > 0, `${l.contender}: ${l.cpuUsPerPacket} us/packet of relay CPU`);
  }
  const ours = r.levels.find((l) => l.contender === 'ours');
  t.equal(ours?.budgetMs, r.lookaheadMs + 2, 'budget: lookahead + 2 ms');
  t.equal(r.lookaheadMs, 26);
  const lines = formatMediaLoadBenchmark(r, false);
  t.match(lines[0], /^media-load: \d+ calls .*plain-udp-relay \d+ calls, ratio (\d+\.\d{4}|n\/a)/);
  const json = JSON.parse(formatMediaLoadBenchmark(r, true)[0]) as Record<string, unknown>;
  t.match(json, { benchmark: 'media-load', unit: 'calls', baseline: 'plain-udp-relay', lookaheadMs: 26 });
});
