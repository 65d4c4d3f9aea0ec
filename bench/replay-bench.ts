// Replay throughput: `replayCapture` (capture reading, RTP tracking, RFC 4733, G.711/Opus decode
// and the in-band detector on every stream) over the recorded RTP fixtures, in RTP packets/s and
// in capture time per wall-clock time on one core; baseline `tshark -q -z rtp,streams` on the
// same files in the same run. tshark is a process per file, so its start-up (timed on a
// one-frame capture) is reported and the ratio is also given with it excluded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodePcap, ipv4UdpPacket } from '../src/capture/capture-writer.js';
import { replayCapture } from '../src/replay/replay.js';
import { projectRoot } from './fixture.js';

export const REPLAY_FIXTURE_DIR = 'fixtures/rtp';
const BASELINE = 'tshark -q -z rtp,streams';

export interface ReplayBenchOptions {
  readonly repetitions?: number;
}

export interface ReplayBenchResults {
  readonly fixtures: readonly string[];
  readonly packets: number;
  /** Sum of the fixtures' capture durations, s. */
  readonly captureSeconds: number;
  readonly repetitions: number;
  /** Wall-clock seconds per repetition over all fixtures. */
  readonly oursSeconds: number[];
  readonly tsharkSeconds: number[];
  readonly tsharkStartupSeconds: number[];
  /** Why tshark was not run, if it was not. */
  readonly tsharkNote: string | null;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function runTshark(file: string): number {
  const t0 = performance.now();
  const result = spawnSync('tshark', ['-q', '-z', 'rtp,streams', '-r', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`tshark failed on ${file}: ${result.stderr || result.error?.message}`);
  return seconds;
}

export async function measureReplayBenchmark(options: ReplayBenchOptions = {}): Promise<ReplayBenchResults> {
  const root = projectRoot();
  const manifest = JSON.parse(readFileSync(join(root, REPLAY_FIXTURE_DIR, 'manifest.json'), 'utf8')) as { fixtures: { file: string }[] };
  const files = manifest.fixtures.map((f) => join(root, REPLAY_FIXTURE_DIR, f.file));
  const inputs = files.map((file) => ({ file, bytes: readFileSync(file) }));
  const repetitions = Math.max(1, Math.floor(options.repetitions ?? 5));

  // Warm-up and totals.
  let packets = 0;
  let captureMs = 0;
  for (const input of inputs) {
    const result = await replayCapture(input.bytes, input.file);
    packets += result.rtpPackets;
    captureMs += result.durationMs;
  }

  const probe = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  const tsharkNote = probe.status === 0 ? null : 'tshark not installed (apt-get install tshark)';
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-bench-'));
  const tiny = join(dir, 'one-frame.pcap');
  writeFileSync(tiny, encodePcap([{ timeMs: 0, data: ipv4UdpPacket('127.0.0.1', 1, '127.0.0.1', 2, new Uint8Array(12)) }], { linkType: 101 }));

  const oursSeconds: number[] = [];
  const tsharkSeconds: number[] = [];
  const tsharkStartupSeconds: number[] = [];
  try {
    for (let r = 0; r < repetitions; r++) {
      const contenders = [
        async (): Promise<void> => {
          const t0 = performance.now();
          for (const input of inputs) await replayCapture(input.bytes, input.file);
          oursSeconds.push((performance.now() - t0) / 1000);
        },
      ];
      if (tsharkNote === null) {
        contenders.push(async () => {
          tsharkSeconds.push(files.reduce((s, file) => s + runTshark(file), 0));
          tsharkStartupSeconds.push(runTshark(tiny));
        });
      }
      // Alternate the order so drift hits both.
      for (let k = 0; k < contenders.length; k++) await contenders[(r + k) % contenders.length]();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { fixtures: manifest.fixtures.map((f) => f.file), packets, captureSeconds: captureMs / 1000, repetitions, oursSeconds, tsharkSeconds, tsharkStartupSeconds, tsharkNote };
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export function formatReplayBenchmark(r: ReplayBenchResults, json: boolean): string[] {
  const ours = r.packets / median(r.oursSeconds);
  const realTime = r.captureSeconds / median(r.oursSeconds);
  const files = r.fixtures.length;
  if (r.tsharkNote !== null) {
    if (json) return [JSON.stringify({ benchmark: 'replay', unit: 'packets/s', fixtures: files, packets: r.packets, ours: Math.round(ours), realTimePerCore: round(realTime, 1), baseline: BASELINE, skipped: true, reason: r.tsharkNote })];
    return [`replay: ours ${Math.round(ours)} packets/s (${realTime.toFixed(0)}x real time per core); ${BASELINE} skipped (${r.tsharkNote})`];
  }
  const tshark = r.packets / median(r.tsharkSeconds);
  const startup = median(r.tsharkStartupSeconds);
  const ratio = median(r.oursSeconds.map((s, i) => r.tsharkSeconds[i] / s));
  // tshark pays its start-up once per file. Excluding it is a difference of two noisy timings,
  // so it comes from the medians and is null when the difference is not clearly positive.
  const tsharkWork = median(r.tsharkSeconds) - files * startup;
  const clear = tsharkWork > 0.05 * median(r.tsharkSeconds);
  const tsharkExcluding = clear ? r.packets / tsharkWork : null;
  const ratioExcluding = clear ? tsharkWork / median(r.oursSeconds) : null;
  if (json) {
    return [
      JSON.stringify({
        benchmark: 'replay', unit: 'packets/s', fixtures: files, packets: r.packets, captureSeconds: round(r.captureSeconds, 2), repetitions: r.repetitions,
        ours: Math.round(ours), realTimePerCore: round(realTime, 1), baseline: BASELINE, baselineValue: Math.round(tshark), ratio: round(ratio, 3),
        baselineStartupMs: round(startup * 1000, 1), baselineValueExcludingStartup: tsharkExcluding === null ? null : Math.round(tsharkExcluding), ratioExcludingStartup: ratioExcluding === null ? null : round(ratioExcluding, 3),
        runs: { ours: r.oursSeconds.map((s) => round(s, 4)), baseline: r.tsharkSeconds.map((s) => round(s, 4)), baselineStartup: r.tsharkStartupSeconds.map((s) => round(s, 4)) },
      }),
    ];
  }
  return [
    `replay: ${files} captures in ${REPLAY_FIXTURE_DIR} (${r.packets} RTP packets, ${r.captureSeconds.toFixed(1)} s of calls), median of ${r.repetitions} runs`,
    `replay: ours ${Math.round(ours)} packets/s (${realTime.toFixed(0)}x real time per core), ${BASELINE} ${Math.round(tshark)} packets/s, ratio ${ratio.toFixed(2)}; ` +
      `excluding tshark's start-up (${(startup * 1000).toFixed(0)} ms per file) ` +
      (tsharkExcluding === null || ratioExcluding === null ? 'n/a (start-up is nearly all of its time)' : `${Math.round(tsharkExcluding)} packets/s, ratio ${ratioExcluding.toFixed(2)}`),
  ];
}
