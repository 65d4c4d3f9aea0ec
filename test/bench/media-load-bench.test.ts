// The media load bench at a small level: every contender carries the calls (the plain relay on
// the main thread, on two threads and on dgram; ours in secure mode, on the main thread and in
// media workers, with digits in every call), the loss and latency
// figures are measured, the C generator reports its share of the machine, and the text and JSON
// lines have the shape `toneguard bench` prints. Without gcc (forced here) the Node generator runs.
import t from 'tap';
import { formatMediaLoadBenchmark, measureMediaLoadBenchmark } from '../../bench/media-load-bench.js';
import { testPortRange } from '../helpers/ports.js';

t.test('small level, every contender, C generator', async (t) => {
  // The serve contender has its own test (media-load-serve.test.ts).
  const r = await measureMediaLoadBenchmark({
    levels: [6],
    warmupMs: 300,
    measureMs: 700,
    workers: 2,
    ports: testPortRange('30000-30199'),
    contenders: ['baseline', 'baseline-threads', 'baseline-dgram', 'ours', 'ours-workers'],
  });
  t.equal(r.generator, 'c', `the C generator compiled (${r.generatorNote ?? 'no note'})`);
  t.equal(r.levels.length, 5);
  t.same(r.levels.map((l) => l.contender).sort(), ['baseline', 'baseline-dgram', 'baseline-threads', 'ours', 'ours-workers']);
  for (const l of r.levels) {
    // 6 calls x 2 directions x 50 packets/s x 0.7 s = 420 audio slots (the baseline counts event packets instead of their slots).
    t.ok(l.expected >= 360 && l.expected <= 500, `${l.contender}: ${l.expected} packets expected`);
    t.ok(l.lost <= l.expected * 0.05, `${l.contender}: lost ${l.lost}`);
    t.ok(Number.isFinite(l.p99Ms) && l.p99Ms >= l.p50Ms && l.p50Ms >= 0, `${l.contender}: p50 ${l.p50Ms} p99 ${l.p99Ms}`);
    t.ok(l.cpuUsPerPacket > 0 && l.callsPerCore > 0, `${l.contender}: ${l.cpuUsPerPacket} us/packet of relay CPU`);
    t.ok(l.generatorCores !== null && l.generatorCores > 0 && l.generatorCores < 1, `${l.contender}: generator used ${l.generatorCores} of a core`);
    // The plain relay passes digits; toneguard in secure mode lets none through.
    if (l.contender.startsWith('baseline')) t.ok(l.digitsAtAgent.events > 0 && (l.digitsAtAgent.toneFrames ?? 0) > 0, `${l.contender}: digits at agent ${JSON.stringify(l.digitsAtAgent)}`);
    else t.same(l.digitsAtAgent, { events: 0, toneFrames: 0 }, `${l.contender}: no digit at the agent side`);
  }
  const ours = r.levels.find((l) => l.contender === 'ours');
  t.equal(ours?.budgetMs, r.lookaheadMs + 2, 'budget: lookahead + 2 ms');
  t.equal(r.lookaheadMs, 26);
  const lines = formatMediaLoadBenchmark(r, false);
  t.match(
    lines[0],
    /^media-load \(secure, digits in every call\): ours\/plain-udp-relay ratio (\d+\.\d{4}|n\/a) .*plain-udp-relay \(native I\/O\): \d+ calls, zero-loss \d+, goal \d+; .*toneguard rtp\.workers=2: \d+ calls/,
  );
  t.notMatch(lines[0], /serve/, 'a contender that did not run is not named');
  t.ok(
    lines.some((l) =>
      /^\| calls \| plain-udp-relay \(native I\/O\) \| plain-udp-relay \(native I\/O, 2 threads\) \| plain-udp-relay \(node:dgram\) \| toneguard rtp\.workers=0 \| toneguard rtp\.workers=2 \|$/.test(
        l,
      ),
    ),
    'the capacity table',
  );
  t.ok(
    lines.some((l) => /^\| 6 \| \d+\/\d+ lost/.test(l)),
    'a row per level',
  );
  const json = JSON.parse(formatMediaLoadBenchmark(r, true)[0]) as Record<string, unknown>;
  t.match(json, { benchmark: 'media-load', unit: 'calls', baseline: 'plain-udp-relay', lookaheadMs: 26, generator: 'c', workers: 2, io: 'native' });
});

t.test('the Node generator when the C one is not wanted', async (t) => {
  process.env.TONEGUARD_BENCH_GENERATOR = 'node';
  t.teardown(() => {
    delete process.env.TONEGUARD_BENCH_GENERATOR;
  });
  const r = await measureMediaLoadBenchmark({ levels: [4], warmupMs: 300, measureMs: 500, contenders: ['baseline'] });
  t.equal(r.generator, 'node');
  t.match(r.generatorNote, /Node generator/);
  t.equal(r.levels[0].generatorCores, null, 'no CPU share from a generator in the same process');
  t.ok(r.levels[0].expected > 0 && r.levels[0].lost <= r.levels[0].expected * 0.05);
});
