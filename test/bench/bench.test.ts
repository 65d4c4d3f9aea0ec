// The benchmarks end to end on the recorded fixture, with a small time budget: one measurement
// (a few seconds), printed both ways.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURE_DIR, FIXTURE_TRUTH, projectRoot } from '../../bench/fixture.js';
import { formatBenchmarks, measureBenchmarks, MIN_REPETITIONS, type BenchResults } from '../../bench/run.js';
import { testPortRange } from '../helpers/ports.js';

interface Score {
  truth: number;
  found: number;
  overSpeech: { truth: number; found: number };
  errors: number;
}
interface BenchLine {
  benchmark: string;
  skipped?: boolean;
  reason?: string;
  unit?: string;
  repetitions?: number;
  ours?: number | Score;
  baseline?: string;
  baselineValue?: number | Score;
  ratio?: number | null;
  runs?: { ours: number[]; baseline: number[] };
  reference?: { spandsp: Score | null };
}

const truthDigits = (JSON.parse(readFileSync(join(projectRoot(), FIXTURE_DIR, FIXTURE_TRUTH), 'utf8')) as { digits: unknown[] }).digits.length;

let measured: Promise<BenchResults> | undefined;

/** The lines runBenchmarks would print; measured once, on first use. */
async function bench(json: boolean): Promise<string[]> {
  // The media-load relay takes up to 4 ports a call: one planned RTP range holds 1,000 calls.
  measured ??= measureBenchmarks({ seconds: 1, repetitions: MIN_REPETITIONS, ports: testPortRange('34000-37999') });
  return formatBenchmarks(await measured, json);
}

t.test('--json: one object per benchmark, each a ratio against its baseline', async (t) => {
  const objects = (await bench(true)).map((line) => JSON.parse(line) as BenchLine);
  const byName = new Map(objects.map((o) => [o.benchmark, o]));
  t.same([...byName.keys()].sort(), ['detector', 'detector-quality', 'detector-spandsp']);

  const detector = byName.get('detector')!;
  t.equal(detector.unit, 'samples/s');
  t.equal(detector.baseline, 'goertzel-package');
  t.ok((detector.repetitions ?? 0) >= MIN_REPETITIONS, 'at least 5 repetitions');
  t.equal(detector.runs?.ours.length, detector.repetitions);
  t.equal(detector.runs?.baseline.length, detector.repetitions);
  t.ok(typeof detector.ours === 'number' && detector.ours > 0, 'our throughput');
  t.ok(typeof detector.baselineValue === 'number' && detector.baselineValue > 0, 'baseline throughput');
  t.ok(typeof detector.ratio === 'number' && Number.isFinite(detector.ratio) && detector.ratio > 0, 'ratio');

  const spandsp = byName.get('detector-spandsp')!;
  if (spandsp.skipped) {
    t.match(spandsp.reason, /gcc|spandsp/, 'says why spandsp was skipped');
  } else {
    t.equal(spandsp.baseline, 'spandsp');
    t.ok(typeof spandsp.ratio === 'number' && spandsp.ratio > 0, 'ratio against spandsp');
  }

  // The baselines' scores check the fixture, its decoding and the scoring, not our detector.
  const quality = byName.get('detector-quality')!;
  const ours = quality.ours as Score;
  const baseline = quality.baselineValue as Score;
  t.equal(ours.truth, truthDigits);
  t.equal(baseline.truth, truthDigits);
  t.ok(baseline.found >= 0.9 * truthDigits, `goertzel-package finds most digits (${baseline.found}/${truthDigits})`);
  const reference = quality.reference?.spandsp;
  if (reference) t.ok(reference.found >= 0.8 * truthDigits, `spandsp finds most digits (${reference.found}/${truthDigits})`);
});

t.test('text: one line per benchmark in the documented form', async (t) => {
  const lines = await bench(false);
  t.match(
    lines.find((l) => l.startsWith('detector:')),
    /^detector: ours \d+ samples\/s, goertzel-package \d+ samples\/s, ratio \d+\.\d\d$/,
  );
  t.match(
    lines.find((l) => l.startsWith('detector-spandsp:')),
    /^detector-spandsp: (ours \d+ samples\/s, spandsp \d+ samples\/s, ratio \d+\.\d\d|skipped \(.+\))$/,
  );
  t.match(
    lines.find((l) => l.startsWith('detector-quality:')),
    /^detector-quality: ours \d+\/\d+ found .*; goertzel-package \d+\/\d+ found .*; spandsp /,
  );
});
