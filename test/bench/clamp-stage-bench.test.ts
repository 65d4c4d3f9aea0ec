// The clamp stage benchmark: secure against pass-through, streams per core, added latency, the
// cost per packet with many streams against one, the two detector kernels, in the text and JSON forms `toneguard bench` prints.
import t, { type Test } from 'tap';
import { formatClampStageBenchmark, measureClampStageBenchmark } from '../../bench/clamp-stage-bench.js';

const result = measureClampStageBenchmark({ repetitions: 3, seconds: 10, streams: [1, 20] });

t.test('measures both sides on the same packets', async (t) => {
  t.equal(result.packets, 500);
  t.equal(result.secure.length, 3);
  t.equal(result.passThrough.length, 3);
  t.ok(
    result.secure.every((x) => Number.isFinite(x) && x > 50),
    'secure mode runs faster than real time',
  );
  t.equal(result.latencyMs, 26, 'added latency is the lookahead');
});

t.test('text and JSON lines', async (t) => {
  const [line] = formatClampStageBenchmark(result, false);
  t.match(line, /^clamp-stage: secure \d+ packets\/s \(\d+ streams per core, \d+\.\d us\/packet\), pass-through \d+ packets\/s \(\d+ streams per core\), ratio \d+\.\d{4}, added latency 26\.0 ms$/);
  const json: unknown = JSON.parse(formatClampStageBenchmark(result, true)[0]);
  t.match(json, { benchmark: 'clamp-stage', unit: 'packets/s', baseline: 'pass-through' });
  const ratio = (json as { ratio: number }).ratio;
  t.ok(ratio > 0 && ratio < 1, `ratio secure / pass-through ${ratio} (secure mode does more work)`);
  t.comment(line);
});

/** One cost per packet for each stream count asked for, each a positive number. */
function checkCosts(t: Test, costs: readonly { readonly streams: number; readonly usPerPacket: number }[]): void {
  t.same(
    costs.map((s) => s.streams),
    [1, 20],
  );
  t.ok(
    costs.every((s) => Number.isFinite(s.usPerPacket) && s.usPerPacket > 0),
    'a cost per packet for each',
  );
}

t.test('many streams in one thread against one stream', async (t) => {
  checkCosts(t, result.byStreams);
  const [, line] = formatClampStageBenchmark(result, false);
  t.match(line, /^clamp-stage-streams: secure, us per packet with N streams in one thread against one stream: 1 \d+\.\d\d \(1\.00x\), 20 \d+\.\d\d \(\d+\.\d\dx\)$/);
  const json: unknown = JSON.parse(formatClampStageBenchmark(result, true)[1]);
  t.match(json, { benchmark: 'clamp-stage-streams', unit: 'us/packet', baseline: 'one stream', streams: [{ streams: 1, ratio: 1 }, { streams: 20 }] });
});

t.test("the detector's wasm kernel against the clamp's default kernel, per stream count", async (t) => {
  checkCosts(t, result.wasmByStreams);
  const [, , line] = formatClampStageBenchmark(result, false);
  t.match(
    line,
    /^clamp-stage-kernel: secure with the detector's wasm kernel against its typescript kernel \(the clamp's default\), us per packet with N streams: 1 \d+\.\d\d against \d+\.\d\d \(\d+\.\d\dx\), 20 \d+\.\d\d against \d+\.\d\d \(\d+\.\d\dx\)$/,
  );
  const json: unknown = JSON.parse(formatClampStageBenchmark(result, true)[2]);
  t.match(json, { benchmark: 'clamp-stage-kernel', unit: 'us/packet', ours: 'wasm detector kernel', streams: [{ streams: 1 }, { streams: 20 }] });
  t.comment(line);
});
