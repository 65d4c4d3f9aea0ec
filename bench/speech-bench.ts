// Speech recogniser throughput: the word recogniser (MFCC front end, segmenter, the shipped
// model) over a caller saying digits without stopping (the spoken-digit fixture's recordings one
// after another, 200 ms apart, for 60 s: the most words per second a call gives it) in 20 ms
// chunks, the model as loaded (its
// convolution layers as sparse rows) against the same model with every layer as a dense matrix
// (the form the file holds), interleaved, median of the per-repetition ratios. Both must
// classify the same words. Reported in samples/s, as a real-time factor and in 8 kHz streams
// of continuous speech per core.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { denseLayers, type WordModel } from '../native-free-dsp/speech-classifier.js';
import { loadWordModel } from '../src/speech/model-file.js';
import { WordRecogniser } from '../src/speech/word-recogniser.js';
import { parseWav } from '../src/audio-file/wav-parser.js';
import { projectRoot } from './fixture.js';
import { median } from './median.js';

const SAMPLE_RATE = 8000;
const CHUNK = 160;
/** Timed input, samples (60 s of spoken digits). */
const TIMED_SAMPLES = 60 * SAMPLE_RATE;
const SPOKEN_DIGITS_DIR = 'fixtures/speech-fsdd';
const PAUSE_SAMPLES = 0.2 * SAMPLE_RATE;
const BASELINE = 'dense-matrices';

export interface SpeechBenchOptions {
  readonly repetitions?: number;
  /** Timed samples (default 60 s). */
  readonly samples?: number;
}

export interface SpeechBenchResult {
  readonly samples: number;
  readonly repetitions: number;
  /** Segments classified in one pass (the same for both forms). */
  readonly segments: number;
  readonly ours: number[];
  readonly baseline: number[];
}

/** One pass: samples/s and the number of segments classified (tokens and rejections). */
function run(model: WordModel, input: Int16Array): { rate: number; segments: number } {
  let segments = 0;
  const count = (): void => void segments++;
  const rec = new WordRecogniser(model, { onToken: count, onRejected: count }, { wholeUtterances: false });
  const t0 = performance.now();
  for (let i = 0; i + CHUNK <= input.length; i += CHUNK) rec.push(input.subarray(i, i + CHUNK));
  const rate = input.length / ((performance.now() - t0) / 1000);
  rec.close();
  return { rate, segments };
}

/** The fixture's spoken digits one after another with pauses, repeated to `length` samples. */
function spokenDigits(length: number): Int16Array {
  const dir = join(projectRoot(), SPOKEN_DIGITS_DIR);
  const clips = readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => parseWav(readFileSync(join(dir, f)), f).samples);
  if (clips.length === 0) throw new Error(`speech bench: no recordings in ${SPOKEN_DIGITS_DIR}`);
  const out = new Int16Array(length);
  for (let at = 0, k = 0; at < length; k++) {
    const clip = clips[k % clips.length].subarray(0, length - at);
    out.set(clip, at);
    at += clip.length + PAUSE_SAMPLES;
  }
  return out;
}

export function measureSpeechBenchmark(options: SpeechBenchOptions = {}): SpeechBenchResult {
  const repetitions = Math.max(3, Math.floor(options.repetitions ?? 5));
  const input = spokenDigits(options.samples ?? TIMED_SAMPLES);
  const model = loadWordModel();
  const dense = denseLayers(model);
  const warm = run(model, input);
  if (run(dense, input).segments !== warm.segments) throw new Error('speech bench: the two model forms classified different segments');
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    if (r % 2 === 0) {
      ours.push(run(model, input).rate);
      baseline.push(run(dense, input).rate);
    } else {
      baseline.push(run(dense, input).rate);
      ours.push(run(model, input).rate);
    }
  }
  return { samples: input.length, repetitions, segments: warm.segments, ours, baseline };
}

/** Lines for `toneguard bench`: the recogniser as loaded against dense matrices, as a ratio. */
export function formatSpeechBenchmark(r: SpeechBenchResult, json: boolean): string[] {
  const ours = median(r.ours);
  const base = median(r.baseline);
  const ratio = median(r.ours.map((x, i) => x / r.baseline[i]));
  const rtf = SAMPLE_RATE / ours;
  const baseRtf = SAMPLE_RATE / base;
  const streams = Math.floor(ours / SAMPLE_RATE);
  const baseStreams = Math.floor(base / SAMPLE_RATE);
  if (json) {
    return [
      JSON.stringify({
        benchmark: 'speech',
        unit: 'samples/s',
        samples: r.samples,
        chunkSamples: CHUNK,
        segments: r.segments,
        repetitions: r.repetitions,
        ours: Math.round(ours),
        baseline: BASELINE,
        baselineValue: Math.round(base),
        ratio: Math.round(ratio * 1e4) / 1e4,
        realTimeFactor: Number(rtf.toPrecision(3)),
        baselineRealTimeFactor: Number(baseRtf.toPrecision(3)),
        streamsPerCore: streams,
        baselineStreamsPerCore: baseStreams,
      }),
    ];
  }
  return [
    `speech: ${r.segments} spoken words in ${(r.samples / SAMPLE_RATE).toFixed(0)} s, ${Math.round(ours)} samples/s (real-time factor ${rtf.toPrecision(3)}, ${streams} streams per core), ${BASELINE} ${Math.round(base)} samples/s (${baseRtf.toPrecision(3)}, ${baseStreams} streams per core), ratio ${ratio.toFixed(4)}`,
  ];
}
