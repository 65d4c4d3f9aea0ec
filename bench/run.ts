// `toneguard bench` / `npm run bench`: every benchmark as a ratio against a baseline measured
// in the same run. Machines are noisy, so contenders are interleaved (the order rotates each
// repetition) and each figure is a median over at least MIN_REPETITIONS runs; a ratio is the
// median of the per-repetition ratios, which cancels drift that hits both sides of a pair.
//
// Benchmarks:
//  - detector: DTMF detector throughput (samples/s) on fixtures/speech-with-digits, fed in
//    160-sample chunks (one 20 ms RTP packet); baseline the `goertzel` npm package used as its
//    README suggests (bench/goertzel-baseline.ts); reference spandsp's C dtmf_rx
//    (bench/spandsp-harness.c, compiled now; skipped with a note when gcc/libspandsp-dev lack).
//  - detector-quality: digits found on the same fixture against truth.json, for all three.
//  - replay: `toneguard replay` throughput on fixtures/rtp against tshark (bench/replay-bench.ts).
//  - media-load: concurrent calls through RtpMediaSession (B2BUA, secure, RFC 4733 digits) with
//    0 loss and p99 latency within budget, against a plain UDP relay (bench/media-load-bench.ts);
//    also end to end through `toneguard serve`, calls set up over SIP (bench/serve-contender.ts).
//  - speech: the word recogniser over the fixture's speech, the model as loaded against the same
//    model as dense matrices (bench/speech-bench.ts).
import { performance } from 'node:perf_hooks';
import { createDtmfDetector, dtmfFlush, dtmfRx, type DtmfDigitEvent } from '../native-free-dsp/dtmf-detector.js';
import { FIXTURE_DIR, FIXTURE_WAV, loadFixture, projectRoot } from './fixture.js';
import { detectWithGoertzelPackage, type BaselineDigit } from './goertzel-baseline.js';
import { formatScore, scoreDigits, type DigitScore } from './score.js';
import { SpandspHarness, type SpandspRun } from './spandsp.js';
import { formatReplayBenchmark, measureReplayBenchmark } from './replay-bench.js';
import { formatScanBenchmark, measureScanBenchmark } from './scan-bench.js';
import { formatClampBenchmark, measureClampBenchmark } from './clamp-bench.js';
import { formatClampStageBenchmark, measureClampStageBenchmark } from './clamp-stage-bench.js';
import { formatSpeechBenchmark, measureSpeechBenchmark } from './speech-bench.js';
import { formatMediaLoadBenchmark, LOAD_CONTENDERS, measureMediaLoadBenchmark, type LoadContender } from './media-load-bench.js';
import { median } from './median.js';
import { ServeProcessError } from './serve-process.js';

export interface BenchOptions {
  /** One JSON object per benchmark per line instead of text. */
  readonly json: boolean;
  /**
   * Rough wall-clock budget for the timed runs, s. The timed runs then use a prefix of the
   * fixture sized to fit (the quality pass always uses all of it). Default: the whole fixture.
   */
  readonly seconds?: number;
  /** Timed runs per contender; at least MIN_REPETITIONS. Default 11. */
  readonly repetitions?: number;
  /** Output sink, one line per call. Default: process.stdout. */
  readonly write?: (line: string) => void;
  /** Run only these benchmarks (BENCHMARK_NAMES); default all. */
  readonly only?: readonly BenchmarkName[];
  /** RTP ports the media-load benchmark's relay under test binds, `FIRST-LAST`. */
  readonly ports?: string;
}

/** The benchmarks by name, in the order they run (`toneguard bench --only NAME,...`). */
export const BENCHMARK_NAMES = ['detector', 'replay', 'scan', 'clamp', 'clamp-stage', 'speech', 'media-load'] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

export const CHUNK_SAMPLES = 160; // 20 ms at 8 kHz: one G.711 RTP packet
const SAMPLE_RATE = 8000; // Hz
export const MIN_REPETITIONS = 5;
const DEFAULT_REPETITIONS = 11;
/** Shortest prefix the timed runs use under a `seconds` budget: 10 s of audio. */
const MIN_TIMED_SAMPLES = 10 * SAMPLE_RATE;
/** Longest a spandsp harness run should take (it repeats the input to last as long as ours), s. */
const SPANDSP_RUN_SECONDS = 0.1;
const SPANDSP_MAX_REPEATS = 200;

const BASELINE = 'goertzel-package';
const REFERENCE = 'spandsp';

/** Keeps results observable so no run can be optimised away. */
let sink = 0;

/** TONEGUARD_BENCH_SERVE_NODE_ARGS as options: space-separated Node flags; anything that is not a flag is refused (it would run as the script). */
function serveNodeArgs(value: string | undefined): { serveNodeArgs?: string[] } {
  const args = (value ?? '').split(' ').filter((a) => a !== '');
  if (args.length === 0) return {};
  const bad = args.find((a) => !/^--[a-z][a-z0-9-]*(=[^\s]*)?$/.test(a));
  if (bad !== undefined) throw new ServeProcessError(`TONEGUARD_BENCH_SERVE_NODE_ARGS: not a Node flag: ${bad}`);
  return { serveNodeArgs: args };
}

function runOurs(samples: Int16Array): DtmfDigitEvent[] {
  const events: DtmfDigitEvent[] = [];
  const detector = createDtmfDetector({ onDigit: (event) => events.push(event) });
  for (let i = 0; i < samples.length; i += CHUNK_SAMPLES) {
    dtmfRx(detector, samples.subarray(i, Math.min(i + CHUNK_SAMPLES, samples.length)));
  }
  dtmfFlush(detector);
  return events;
}

function runBaseline(samples: Int16Array): BaselineDigit[] {
  return detectWithGoertzelPackage(samples, CHUNK_SAMPLES);
}

/** Samples per second of one run of `fn` over `samples`. */
function timeRun(samples: Int16Array, fn: (samples: Int16Array) => readonly unknown[]): number {
  const t0 = performance.now();
  const found = fn(samples);
  const t1 = performance.now();
  sink += found.length;
  return samples.length / ((t1 - t0) / 1000);
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export interface Throughput {
  readonly ours: number[];
  readonly baseline: number[];
  readonly reference: number[];
}

/** Measures, then prints every benchmark (text, or one JSON object per line). */
export async function runBenchmarks(options: BenchOptions): Promise<void> {
  const write = options.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  const wanted = (name: BenchmarkName): boolean => options.only === undefined || options.only.includes(name);
  // The detector against the goertzel package and spandsp, speed and quality (this file).
  if (wanted('detector')) for (const line of formatBenchmarks(await measureBenchmarks(options), options.json)) write(line);
  // Replay throughput against tshark on the recorded RTP fixtures (bench/replay-bench.ts).
  if (wanted('replay')) for (const line of formatReplayBenchmark(await measureReplayBenchmark({ repetitions: options.repetitions }), options.json)) write(line);
  // Recordings scanned for card data against multimon-ng (bench/scan-bench.ts).
  if (wanted('scan')) for (const line of formatScanBenchmark(await measureScanBenchmark({ repetitions: options.repetitions }), options.json)) write(line);
  // In-band clamp against pass-through (bench/clamp-bench.ts).
  if (wanted('clamp')) for (const line of formatClampBenchmark(measureClampBenchmark({ repetitions: options.repetitions }), options.json)) write(line);
  // The joined clamp stage, secure against pass-through (bench/clamp-stage-bench.ts).
  if (wanted('clamp-stage')) for (const line of formatClampStageBenchmark(measureClampStageBenchmark({ repetitions: options.repetitions }), options.json)) write(line);
  // The speech recogniser, the model as loaded against dense matrices (bench/speech-bench.ts).
  if (wanted('speech')) for (const line of formatSpeechBenchmark(measureSpeechBenchmark({ repetitions: options.repetitions }), options.json)) write(line);
  // Concurrent calls through the media plane against a plain UDP relay (bench/media-load-bench.ts);
  // quick levels (a few minutes) unless TONEGUARD_BENCH_FULL=1 or TONEGUARD_BENCH_LEVELS.
  if (wanted('media-load')) {
    // TONEGUARD_BENCH_LEVELS=500,750,1000: just those levels (calls).
    const levels = (process.env.TONEGUARD_BENCH_LEVELS ?? '')
      .split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
    const known: readonly string[] = LOAD_CONTENDERS;
    const contenders = (process.env.TONEGUARD_BENCH_CONTENDERS ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter((c): c is LoadContender => known.includes(c));
    const media = await measureMediaLoadBenchmark({
      quick: process.env.TONEGUARD_BENCH_FULL !== '1',
      ...(levels.length === 0 ? {} : { levels }),
      // TONEGUARD_BENCH_WORKERS=1: the media workers of the rtp.workers contender (default one per core).
      ...(Number(process.env.TONEGUARD_BENCH_WORKERS) >= 1 ? { workers: Math.floor(Number(process.env.TONEGUARD_BENCH_WORKERS)) } : {}),
      ...(options.ports === undefined ? {} : { ports: options.ports }),
      // TONEGUARD_BENCH_CONTENDERS=ours,serve: just those contenders (default all).
      ...(contenders.length === 0 ? {} : { contenders }),
      // TONEGUARD_BENCH_SERVE_WORKERS=0: rtp.workers of the serve contender's server (default: its default, one per core).
      ...(/^\d+$/.test(process.env.TONEGUARD_BENCH_SERVE_WORKERS ?? '') ? { serveWorkers: Number(process.env.TONEGUARD_BENCH_SERVE_WORKERS) } : {}),
      // TONEGUARD_BENCH_SIP_PORT=64000: the serve contender's SIP port (the gateway simulator takes the next; default free ports).
      ...(/^\d+$/.test(process.env.TONEGUARD_BENCH_SIP_PORT ?? '') ? { sipPort: Number(process.env.TONEGUARD_BENCH_SIP_PORT) } : {}),
      // TONEGUARD_BENCH_SERVE_PORTS=40000-47999: the serve contender's rtp.ports (the default).
      ...(/^\d+-\d+$/.test(process.env.TONEGUARD_BENCH_SERVE_PORTS ?? '') ? { servePorts: process.env.TONEGUARD_BENCH_SERVE_PORTS } : {}),
      // TONEGUARD_BENCH_SERVE_NODE_ARGS=--perf-basic-prof-only-functions: Node flags for the serve contender's server (flags only).
      ...serveNodeArgs(process.env.TONEGUARD_BENCH_SERVE_NODE_ARGS),
    });
    for (const line of formatMediaLoadBenchmark(media, options.json)) write(line);
  }
}

/** Runs every benchmark; `json` and `write` of the options are not used. */
export async function measureBenchmarks(options: Omit<BenchOptions, 'json'>): Promise<BenchResults> {
  const repetitions = Math.max(MIN_REPETITIONS, Math.floor(options.repetitions ?? DEFAULT_REPETITIONS));
  const root = projectRoot();
  const fixture = loadFixture(root);
  const samples = fixture.samples;
  const harness = SpandspHarness.create(root);
  const spandsp = harness instanceof SpandspHarness ? harness : null;
  const spandspNote = harness instanceof SpandspHarness ? null : harness.unavailable;

  try {
    // Quality pass over the whole fixture; doubles as JIT warm-up and calibrates the budget.
    let t0 = performance.now();
    const ours = runOurs(samples);
    const oursSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const baseline = runBaseline(samples);
    const baselineSeconds = (performance.now() - t0) / 1000;
    const spandspFull: SpandspRun | null = spandsp ? spandsp.run(spandsp.writeInput(samples), 1) : null;

    const scores = {
      ours: scoreDigits(fixture.truth, ours),
      baseline: scoreDigits(fixture.truth, baseline),
      reference: spandspFull ? scoreDigits(fixture.truth, spandspFull.digits) : null,
    };

    // Timed runs. A spandsp run repeats the input inside the harness so that it lasts about
    // as long as one of ours (at most SPANDSP_RUN_SECONDS) and process start-up stays small.
    const oursPerSample = oursSeconds / samples.length; // s
    const baselinePerSample = baselineSeconds / samples.length;
    const spandspPerSample = spandspFull ? 1 / spandspFull.samplesPerSecond : 0;
    let timedSamples = samples.length;
    if (options.seconds !== undefined && options.seconds > 0) {
      const perRepetition = oursPerSample + baselinePerSample + (spandspFull ? oursPerSample : 0);
      const fit = Math.floor(options.seconds / (repetitions * perRepetition));
      timedSamples = Math.min(samples.length, Math.max(MIN_TIMED_SAMPLES, fit - (fit % CHUNK_SAMPLES)));
    }
    const timed = samples.subarray(0, timedSamples);
    const spandspInput = spandsp ? spandsp.writeInput(timed) : '';
    const spandspRunSeconds = Math.min(SPANDSP_RUN_SECONDS, oursPerSample * timedSamples);
    const spandspRepeats = spandspFull ? Math.max(1, Math.min(SPANDSP_MAX_REPEATS, Math.round(spandspRunSeconds / (spandspPerSample * timedSamples)))) : 0;
    const contenders: Array<(into: Throughput) => void> = [(into) => into.ours.push(timeRun(timed, runOurs)), (into) => into.baseline.push(timeRun(timed, runBaseline))];
    if (spandsp) contenders.push((into) => into.reference.push(spandsp.run(spandspInput, spandspRepeats).samplesPerSecond));
    const rates: Throughput = { ours: [], baseline: [], reference: [] };
    for (let r = 0; r < repetitions; r++) {
      for (let k = 0; k < contenders.length; k++) contenders[(r + k) % contenders.length](rates);
    }

    if (sink < 0) throw new Error('unreachable'); // reads the sink
    return {
      fixture: `${FIXTURE_DIR}/${FIXTURE_WAV}`,
      fixtureSamples: samples.length,
      truthDigits: fixture.truth.length,
      timedSamples,
      repetitions,
      spandspRepeats,
      rates,
      scores,
      spandspNote,
    };
  } finally {
    spandsp?.close();
  }
}

export interface BenchResults {
  readonly fixture: string;
  readonly fixtureSamples: number;
  readonly truthDigits: number;
  readonly timedSamples: number;
  readonly repetitions: number;
  readonly spandspRepeats: number;
  readonly rates: Throughput;
  readonly scores: { readonly ours: DigitScore; readonly baseline: DigitScore; readonly reference: DigitScore | null };
  readonly spandspNote: string | null;
}

/** The lines `runBenchmarks` prints. */
export function formatBenchmarks(r: BenchResults, json: boolean): string[] {
  const lines: string[] = [];
  const write = (line: string): void => void lines.push(line);
  const ours = median(r.rates.ours);
  const baseline = median(r.rates.baseline);
  const ratioBaseline = median(r.rates.ours.map((x, i) => x / r.rates.baseline[i]));
  const reference = r.rates.reference.length > 0 ? median(r.rates.reference) : null;
  const ratioReference = reference !== null ? median(r.rates.ours.map((x, i) => x / r.rates.reference[i])) : null;
  const errorRatio = r.scores.baseline.errors > 0 ? r.scores.ours.errors / r.scores.baseline.errors : null;
  const common = {
    unit: 'samples/s',
    fixture: r.fixture,
    samples: r.timedSamples,
    chunkSamples: CHUNK_SAMPLES,
    repetitions: r.repetitions,
  };

  if (json) {
    write(
      JSON.stringify({
        benchmark: 'detector',
        ...common,
        ours: Math.round(ours),
        baseline: BASELINE,
        baselineValue: Math.round(baseline),
        ratio: round(ratioBaseline, 4),
        runs: { ours: r.rates.ours.map(Math.round), baseline: r.rates.baseline.map(Math.round) },
      }),
    );
    if (reference !== null && ratioReference !== null) {
      write(
        JSON.stringify({
          benchmark: 'detector-spandsp',
          ...common,
          ours: Math.round(ours),
          baseline: REFERENCE,
          baselineValue: Math.round(reference),
          ratio: round(ratioReference, 4),
          spandspRepeatsPerRun: r.spandspRepeats,
          runs: { ours: r.rates.ours.map(Math.round), baseline: r.rates.reference.map(Math.round) },
        }),
      );
    } else {
      write(JSON.stringify({ benchmark: 'detector-spandsp', skipped: true, reason: r.spandspNote }));
    }
    write(
      JSON.stringify({
        benchmark: 'detector-quality',
        unit: 'errors',
        fixture: r.fixture,
        samples: r.fixtureSamples,
        truth: r.truthDigits,
        ours: r.scores.ours,
        baseline: BASELINE,
        baselineValue: r.scores.baseline,
        ratio: errorRatio === null ? null : round(errorRatio, 4),
        reference: { [REFERENCE]: r.scores.reference },
      }),
    );
    return lines;
  }

  const minutes = (r.fixtureSamples / SAMPLE_RATE / 60).toFixed(2);
  const timedNote = r.timedSamples === r.fixtureSamples ? 'whole fixture' : `first ${(r.timedSamples / SAMPLE_RATE).toFixed(1)} s`;
  write(`bench: ${r.fixture} (${minutes} min, ${r.truthDigits} digits), ${CHUNK_SAMPLES}-sample chunks, median of ${r.repetitions} interleaved runs over the ${timedNote}`);
  write(`detector: ours ${Math.round(ours)} samples/s, ${BASELINE} ${Math.round(baseline)} samples/s, ratio ${ratioBaseline.toFixed(2)}`);
  if (reference !== null && ratioReference !== null) {
    write(`detector-spandsp: ours ${Math.round(ours)} samples/s, ${REFERENCE} ${Math.round(reference)} samples/s, ratio ${ratioReference.toFixed(2)}`);
  } else {
    write(`detector-spandsp: skipped (${r.spandspNote})`);
  }
  const quality = [formatScore('ours', r.scores.ours), formatScore(BASELINE, r.scores.baseline)];
  quality.push(r.scores.reference ? formatScore(REFERENCE, r.scores.reference) : `${REFERENCE} skipped`);
  write(`detector-quality: ${quality.join('; ')}; error ratio ours/${BASELINE} ${errorRatio === null ? 'n/a' : errorRatio.toFixed(3)}`);
  return lines;
}
