// Scan throughput: `toneguard scan`'s per-file path (read, decode G.711, detect, find card runs)
// on one core, as audio time per wall-clock time, against multimon-ng's DTMF decoder on the same
// recordings in the same run. multimon-ng reads raw 16-bit audio at 22050 Hz only, so each file
// is converted with sox first and only multimon-ng's own run is timed (the conversion would be
// the baseline's cost in practice, so the ratio is in its favour).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_FIND_OPTIONS } from '../src/scan/card-findings.js';
import { scanFile } from '../src/scan/scan-file.js';
import { FIXTURE_DIR, FIXTURE_WAV, projectRoot } from './fixture.js';
import { median } from './median.js';

const BASELINE = 'multimon-ng -a DTMF';

export interface ScanBenchResult {
  readonly files: number;
  readonly audioSeconds: number;
  /** Audio seconds per wall-clock second, one core (median run). */
  readonly ours: number;
  /**
   * Audio seconds per second of this process's CPU (median run): what one core does whatever
   * else the machine runs (the tests assert on this; CI runs test files side by side).
   */
  readonly oursCpu: number;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly reason?: string;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

export async function measureScanBenchmark(options: { repetitions?: number } = {}): Promise<ScanBenchResult> {
  const repetitions = Math.max(1, options.repetitions ?? 5);
  // The G.711 mu-law WAV fixture (11 minutes of speech with digits), scanned as a recording.
  const file = join(projectRoot(), FIXTURE_DIR, FIXTURE_WAV);
  const first = await scanFile(file, DEFAULT_FIND_OPTIONS);
  if (first.error !== null) throw new Error(`scan benchmark: ${first.error.message}`);
  const audioSeconds = first.durationMs / 1000;
  const ours: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await scanFile(file, DEFAULT_FIND_OPTIONS);
    const c = process.cpuUsage(c0);
    ours.push(audioSeconds / ((performance.now() - t0) / 1000));
    cpu.push(audioSeconds / ((c.user + c.system) / 1e6));
  }
  // Ours, in every result (with the baseline or the reason there is none).
  const measured = { files: 1, audioSeconds, ours: median(ours), oursCpu: median(cpu) };
  if (!has('sox') || !has('multimon-ng')) return { ...measured, baseline: null, ratio: null, reason: 'sox or multimon-ng is not installed' };
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-scan-bench-'));
  try {
    const raw = join(dir, 'in.raw');
    const sox = spawnSync('sox', [file, '-t', 'raw', '-r', '22050', '-e', 'signed', '-b', '16', '-c', '1', raw]);
    if (sox.status !== 0) return { ...measured, baseline: null, ratio: null, reason: `sox failed: ${sox.stderr.toString().trim()}` };
    const theirs: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const t0 = performance.now();
      const run = spawnSync('multimon-ng', ['-q', '-a', 'DTMF', '-t', 'raw', raw], { maxBuffer: 1 << 24 });
      const seconds = (performance.now() - t0) / 1000;
      if (run.status !== 0) return { ...measured, baseline: null, ratio: null, reason: `multimon-ng failed (${run.status})` };
      theirs.push(audioSeconds / seconds);
    }
    const baseline = median(theirs);
    return { ...measured, baseline, ratio: measured.ours / baseline };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatScanBenchmark(r: ScanBenchResult, json: boolean): string[] {
  if (json) {
    return [
      JSON.stringify({
        benchmark: 'scan',
        unit: 'x real time per core',
        audioSeconds: r.audioSeconds,
        ours: Math.round(r.ours),
        baseline: BASELINE,
        baselineValue: r.baseline === null ? null : Math.round(r.baseline),
        ratio: r.ratio === null ? null : Number(r.ratio.toFixed(2)),
        ...(r.reason === undefined ? {} : { skipped: true, reason: r.reason }),
      }),
    ];
  }
  const base = r.baseline === null ? `${BASELINE}: not run (${r.reason ?? 'unavailable'})` : `${BASELINE} ${Math.round(r.baseline)}x real time, ratio ${r.ratio?.toFixed(2)}x`;
  return [`scan: ${Math.round(r.ours)}x real time per core on ${(r.audioSeconds / 60).toFixed(1)} min of G.711 WAV; ${base}`];
}
