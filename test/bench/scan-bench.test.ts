// The scan benchmark with one repetition: figures present and finite, the 11-minute G.711
// fixture scanned faster than 1,000x real time on one core (counted in CPU time: CI runs test
// files side by side, and wall-clock time there measures the neighbours too), printed in the
// documented forms.
import t from 'tap';
import { formatScanBenchmark, measureScanBenchmark } from '../../bench/scan-bench.js';

t.test('scan throughput against multimon-ng', async (t) => {
  const r = await measureScanBenchmark({ repetitions: 1 });
  t.ok(r.audioSeconds > 600, `${r.audioSeconds} s of audio`);
  t.ok(r.oursCpu > 1000, `scan at ${Math.round(r.oursCpu)}x real time per CPU second (target: at least 1,000x; ${Math.round(r.ours)}x by the wall clock)`);
  t.ok(Number.isFinite(r.ours) && r.ours > 0, 'wall-clock figure present');
  const [json] = formatScanBenchmark(r, true);
  const line = JSON.parse(json) as { benchmark: string; ratio: number | null; baseline: string; skipped?: boolean };
  t.equal(line.benchmark, 'scan');
  t.equal(line.baseline, 'multimon-ng -a DTMF');
  if (line.skipped === true) t.equal(line.ratio, null);
  else t.ok(line.ratio !== null && line.ratio > 0 && Number.isFinite(line.ratio), `ratio ${line.ratio}`);
  t.match(formatScanBenchmark(r, false)[0], /^scan: \d+x real time per core on 11\.\d min of G\.711 WAV; multimon-ng -a DTMF /);
});
