// The clamp benchmark: its ratio against pass-through, streams per core and added latency, in
// the text and JSON forms `toneguard bench` prints.
import t from 'tap';
import { formatClampBenchmark, measureClampBenchmark } from '../../bench/clamp-bench.js';
import { DEFAULT_INBAND_CLAMP_OPTIONS } from '../../src/media/clamp/inband-clamp.js';

const result = measureClampBenchmark({ repetitions: 3, samples: 10 * 8000 });

t.test('measures both sides on the same input', async (t) => {
  t.equal(result.clamp.length, 3);
  t.equal(result.passThrough.length, 3);
  t.ok(
    result.clamp.every((x) => Number.isFinite(x) && x > 8000),
    'the clamp runs faster than real time',
  );
  t.ok(result.passThrough.every((x) => Number.isFinite(x) && x > 0));
  t.equal(result.latencyMs, DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs, 'added latency is the lookahead');
});

t.test('text and JSON lines', async (t) => {
  const [line] = formatClampBenchmark(result, false);
  t.match(line, /^clamp: silence \d+ samples\/s \(\d+ streams per core\), pass-through \d+ samples\/s \(\d+ streams per core\), ratio \d+\.\d{4}, added latency \d+\.\d ms$/);
  const json: unknown = JSON.parse(formatClampBenchmark(result, true)[0]);
  t.match(json, { benchmark: 'clamp', unit: 'samples/s', baseline: 'pass-through', mode: 'silence' });
  const ratio = (json as { ratio: number }).ratio;
  t.ok(ratio > 0 && ratio < 1, `ratio clamp / pass-through ${ratio} (the clamp does more work)`);
});
