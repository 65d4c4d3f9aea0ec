// The speech benchmark: the recogniser as loaded against dense matrices on the same spoken
// digits, both classifying the same words, in the text and JSON forms `toneguard bench` prints.
import t from 'tap';
import { formatSpeechBenchmark, measureSpeechBenchmark } from '../../bench/speech-bench.js';

const result = measureSpeechBenchmark({ repetitions: 3, samples: 10 * 8000 });

t.test('measures both forms on the same spoken digits', async (t) => {
  t.equal(result.ours.length, 3);
  t.equal(result.baseline.length, 3);
  t.ok(result.segments >= 10, `${result.segments} words in 10 s of digits said one after another`);
  t.ok(
    [...result.ours, ...result.baseline].every((x) => Number.isFinite(x) && x > 8000),
    'both run faster than real time',
  );
});

t.test('text and JSON lines', async (t) => {
  const [line] = formatSpeechBenchmark(result, false);
  t.match(
    line,
    /^speech: \d+ spoken words in 10 s, \d+ samples\/s \(real-time factor [\d.e-]+, \d+ streams per core\), dense-matrices \d+ samples\/s \([\d.e-]+, \d+ streams per core\), ratio \d+\.\d{4}$/,
  );
  const json: unknown = JSON.parse(formatSpeechBenchmark(result, true)[0]);
  t.match(json, { benchmark: 'speech', unit: 'samples/s', baseline: 'dense-matrices', segments: result.segments });
  const ratio = (json as { ratio: number }).ratio;
  t.ok(ratio > 1, `ratio sparse / dense ${ratio} (the sparse rows skip the convolutions' zeros)`);
});
