// The replay benchmark end to end with one repetition: figures present, positive, finite, and
// printed in the documented forms.
import t from 'tap';
import { formatReplayBenchmark, measureReplayBenchmark } from '../../bench/replay-bench.js';

interface ReplayLine {
  benchmark: string;
  unit: string;
  packets: number;
  ours: number;
  realTimePerCore: number;
  baseline: string;
  baselineValue?: number;
  ratio?: number;
  ratioExcludingStartup?: number | null;
  skipped?: boolean;
  reason?: string;
}

t.test('replay throughput against tshark', async (t) => {
  const results = await measureReplayBenchmark({ repetitions: 1 });
  t.ok(results.packets > 5000, `${results.packets} RTP packets in the fixtures`);
  t.ok(results.captureSeconds > 30, `${results.captureSeconds} s of calls`);
  const [line] = formatReplayBenchmark(results, true);
  const json = JSON.parse(line) as ReplayLine;
  t.equal(json.benchmark, 'replay');
  t.equal(json.unit, 'packets/s');
  t.equal(json.baseline, 'tshark -q -z rtp,streams');
  t.ok(json.ours > 0 && Number.isFinite(json.ours));
  t.ok(json.realTimePerCore > 1, `faster than real time (${json.realTimePerCore}x)`);
  if (json.skipped === true) {
    t.match(json.reason, /tshark/);
  } else {
    t.ok((json.baselineValue ?? 0) > 0 && (json.ratio ?? 0) > 0, 'tshark measured, ratio positive');
    t.ok(json.ratioExcludingStartup === null || (json.ratioExcludingStartup ?? 0) > 0, 'start-up-excluded ratio positive or n/a');
  }
  const text = formatReplayBenchmark(results, false);
  t.match(text[text.length - 1], /^replay: ours \d+ packets\/s \(\d+x real time per core\)(, tshark -q -z rtp,streams \d+ packets\/s, ratio \d+\.\d\d; excluding tshark's start-up \(\d+ ms per file\) (\d+ packets\/s, ratio \d+\.\d\d|n\/a .+)|; tshark -q -z rtp,streams skipped \(.+\))$/);
});
