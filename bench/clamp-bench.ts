// Clamp throughput: the in-band clamp (detector + candidate gate + delay line + replacement)
// against plain pass-through (the same delay line, copying), both in 20 ms chunks over the
// speech-with-digits fixture, interleaved, median of the per-repetition ratios. Reported in
// samples/s and in 8 kHz streams per core in real time, with the latency the clamp adds.
import { performance } from 'node:perf_hooks';
import { DEFAULT_INBAND_CLAMP_OPTIONS, InbandClamp, type ClampMode } from '../src/media/clamp/inband-clamp.js';
import { loadFixture, projectRoot } from './fixture.js';
import { median } from './median.js';

const SAMPLE_RATE = 8000;
const CHUNK = 160;
/** Timed input, samples (60 s of the fixture: speech with digits). */
const TIMED_SAMPLES = 60 * SAMPLE_RATE;
const BASELINE = 'pass-through';

export interface ClampBenchOptions {
  readonly repetitions?: number;
  readonly mode?: ClampMode;
  /** Timed samples (default 60 s). */
  readonly samples?: number;
}

export interface ClampBenchResult {
  readonly mode: ClampMode;
  readonly samples: number;
  readonly repetitions: number;
  readonly clamp: number[];
  readonly passThrough: number[];
  readonly latencyMs: number;
}

let sink = 0;

function runClamp(input: Int16Array, mode: ClampMode): number {
  const clamp = new InbandClamp({ mode });
  const out = new Int16Array(CHUNK);
  const t0 = performance.now();
  for (let i = 0; i + CHUNK <= input.length; i += CHUNK) {
    clamp.push(input.subarray(i, i + CHUNK), out);
    sink += out[0];
  }
  return input.length / ((performance.now() - t0) / 1000);
}

/** The baseline: a delay line of the same length, each chunk copied through it. */
function runPassThrough(input: Int16Array, delay: number): number {
  let size = 1;
  while (size < delay + 1) size <<= 1;
  const ring = new Int16Array(size);
  const mask = size - 1;
  const out = new Int16Array(CHUNK);
  let pos = 0;
  const t0 = performance.now();
  for (let i = 0; i + CHUNK <= input.length; i += CHUNK) {
    for (let j = 0; j < CHUNK; j++) {
      out[j] = ring[(pos - delay) & mask];
      ring[pos & mask] = input[i + j];
      pos++;
    }
    sink += out[0];
  }
  return input.length / ((performance.now() - t0) / 1000);
}

export function measureClampBenchmark(options: ClampBenchOptions = {}): ClampBenchResult {
  const mode = options.mode ?? 'silence';
  const repetitions = Math.max(3, Math.floor(options.repetitions ?? 5));
  const fixture = loadFixture(projectRoot());
  const input = fixture.samples.subarray(0, Math.min(fixture.samples.length, options.samples ?? TIMED_SAMPLES));
  const delay = Math.round((DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs * SAMPLE_RATE) / 1000);
  runClamp(input, mode); // warm-up
  runPassThrough(input, delay);
  const clamp: number[] = [];
  const passThrough: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    if (r % 2 === 0) {
      clamp.push(runClamp(input, mode));
      passThrough.push(runPassThrough(input, delay));
    } else {
      passThrough.push(runPassThrough(input, delay));
      clamp.push(runClamp(input, mode));
    }
  }
  if (sink === Number.MIN_SAFE_INTEGER) throw new Error('unreachable'); // reads the sink
  return { mode, samples: input.length, repetitions, clamp, passThrough, latencyMs: (delay * 1000) / SAMPLE_RATE };
}

/** Lines for `toneguard bench`: the clamp against pass-through, as a ratio. */
export function formatClampBenchmark(r: ClampBenchResult, json: boolean): string[] {
  const clamp = median(r.clamp);
  const pass = median(r.passThrough);
  const ratio = median(r.clamp.map((x, i) => x / r.passThrough[i]));
  const streams = Math.floor(clamp / SAMPLE_RATE);
  const passStreams = Math.floor(pass / SAMPLE_RATE);
  if (json) {
    return [
      JSON.stringify({
        benchmark: 'clamp',
        unit: 'samples/s',
        mode: r.mode,
        samples: r.samples,
        chunkSamples: CHUNK,
        repetitions: r.repetitions,
        ours: Math.round(clamp),
        baseline: BASELINE,
        baselineValue: Math.round(pass),
        ratio: Math.round(ratio * 1e4) / 1e4,
        streamsPerCore: streams,
        baselineStreamsPerCore: passStreams,
        addedLatencyMs: r.latencyMs,
      }),
    ];
  }
  return [
    `clamp: ${r.mode} ${Math.round(clamp)} samples/s (${streams} streams per core), ${BASELINE} ${Math.round(pass)} samples/s (${passStreams} streams per core), ratio ${ratio.toFixed(4)}, added latency ${r.latencyMs.toFixed(1)} ms`,
  ];
}
