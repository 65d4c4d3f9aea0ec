// Training vectors for the word classifier. Every utterance goes through the same front end as
// at run time (pad with silence, phone channel, MFCC, segmenter): the longest segment carries
// the utterance's label and any other segment (a split-off stop burst or trailing breath) is
// garbage, so the classifier learns from exactly the segments the recogniser will hand it.

import { MFCC_COEFFS, speechFramesOf } from '../../native-free-dsp/speech-features.js';
import { segmentEnergies, type SpeechSegment } from '../../native-free-dsp/speech-segmenter.js';
import { segmentVector } from '../../native-free-dsp/speech-classifier.js';
import { DIGIT_LABELS, GARBAGE_LABEL, MENU_WORDS } from '../../src/speech/word-recogniser.js';
import {
  channel,
  concat,
  espeak,
  GARBAGE_WORDS,
  type FsddClip,
  installedTtsVoices,
  noiseBurst,
  synth,
  nonDigitPrompts,
  readWav8k,
  Rng,
  silence,
  speed,
  SPOKEN_WORDS,
  TRAIN_SENTENCES,
  TRAIN_VOICES,
} from './corpus.js';
import type { Example } from './mlp.js';

export const LABELS: string[] = [...DIGIT_LABELS, 'oh', 'double', 'triple', ...MENU_WORDS, GARBAGE_LABEL];

/** Pitch factor and duration stretch of the flite / festival renditions of a word. */
const TTS_GRID: ReadonlyArray<[number, number]> = [
  [1, 1],
  [0.9, 1.1],
  [1.1, 0.9],
  [0.95, 0.85],
  [1.05, 1.2],
  [0.88, 1],
];

export interface Segmented {
  mfcc: Float32Array;
  segments: SpeechSegment[];
}

export function segmentAudio(samples: Int16Array, warp = 1): Segmented {
  const { mfcc, level } = speechFramesOf(samples, warp);
  return { mfcc, segments: segmentEnergies(level) };
}

export function vectorOf(s: Segmented, seg: SpeechSegment): Float32Array {
  const end = Math.min(seg.endFrame, s.mfcc.length / MFCC_COEFFS);
  return segmentVector(s.mfcc.subarray(seg.startFrame * MFCC_COEFFS, end * MFCC_COEFFS), end - seg.startFrame);
}

type Biquad = readonly [number, number, number, number, number];

/** RBJ cookbook biquads at 8 kHz, normalised (b0, b1, b2, a1, a2). */
function peaking(hz: number, db: number, q: number): Biquad {
  const w0 = (2 * Math.PI * hz) / 8000;
  const a = Math.pow(10, db / 40);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha / a;
  return [(1 + alpha * a) / a0, (-2 * Math.cos(w0)) / a0, (1 - alpha * a) / a0, (-2 * Math.cos(w0)) / a0, (1 - alpha / a) / a0];
}

function pass(kind: 'low' | 'high', hz: number): Biquad {
  const w0 = (2 * Math.PI * hz) / 8000;
  const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
  const c = Math.cos(w0);
  const a0 = 1 + alpha;
  const b0 = (kind === 'low' ? (1 - c) / 2 : (1 + c) / 2) / a0;
  const b1 = (kind === 'low' ? 1 - c : -(1 + c)) / a0;
  return [b0, b1, b0, (-2 * c) / a0, (1 - alpha) / a0];
}

function filter(y: Float32Array, [b0, b1, b2, a1, a2]: Biquad): void {
  let [x1, x2, y1, y2] = [0, 0, 0, 0];
  for (let i = 0; i < y.length; i++) {
    const t = y[i];
    const v = b0 * t + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    [x2, x1, y2, y1] = [x1, t, y1, v];
    y[i] = v;
  }
}

/**
 * A random handset and line response: a first-order tilt and one peaking band (250-3000 Hz,
 * -9..+9 dB); `strong` adds a second band and, each half the time, a high-pass at 80-400 Hz and a
 * low-pass at 2.8-3.8 kHz. The speech's power is kept. Each FSDD speaker was recorded through one
 * microphone and room, so without it the classifier learns a speaker's channel as part of the
 * word (measured: docs/speech.md).
 */
export function randomResponse(x: Int16Array, rng: Rng, strong = false): Int16Array {
  const tilt = rng.range(-0.5, 0.5);
  const hz = (): number => Math.exp(rng.range(Math.log(250), Math.log(3000)));
  const filters: Biquad[] = [peaking(hz(), rng.range(-9, 9), rng.range(0.7, 2.5))];
  if (strong) {
    filters.push(peaking(hz(), rng.range(-9, 9), rng.range(0.7, 2.5)));
    if (rng.next() < 0.5) filters.push(pass('high', rng.range(80, 400)));
    if (rng.next() < 0.5) filters.push(pass('low', rng.range(2800, 3800)));
  }
  const y = new Float32Array(x.length);
  let prev = 0;
  for (let i = 0; i < x.length; i++) {
    y[i] = x[i] - tilt * prev;
    prev = x[i];
  }
  for (const f of filters) filter(y, f);
  let ein = 0;
  let eout = 0;
  for (let i = 0; i < x.length; i++) {
    ein += x[i] * x[i];
    eout += y[i] * y[i];
  }
  const g = Math.sqrt(ein / Math.max(1e-9, eout));
  return Int16Array.from(y, (v) => Math.max(-32768, Math.min(32767, Math.round(v * g))));
}

/**
 * A random small room: Schroeder's reverberator (four parallel combs, two all-passes) with a
 * reverberation time of 0.1-0.5 s, mixed 6-20 dB under the direct sound. O(1) per sample, where
 * convolving with a measured room response would cost thousands of multiplies per sample.
 */
export function randomRoom(x: Int16Array, rng: Rng): Int16Array {
  const rt60 = rng.range(0.1, 0.5);
  const wet = Math.pow(10, -rng.range(6, 20) / 20);
  const combs = [29.7, 37.1, 41.1, 43.7].map((ms) => Math.round(ms * 8 * rng.range(0.85, 1.15)));
  const tail = new Float32Array(x.length);
  for (const d of combs) {
    const g = Math.pow(10, (-3 * d) / (8000 * rt60));
    const line = new Float32Array(d);
    for (let i = 0, k = 0; i < x.length; i++, k = k + 1 === d ? 0 : k + 1) {
      const y = x[i] + g * line[k];
      line[k] = y;
      tail[i] += y / combs.length;
    }
  }
  for (const [ms, g] of [
    [5, 0.7],
    [1.7, 0.7],
  ] as const) {
    const d = Math.round(ms * 8);
    const line = new Float32Array(d);
    for (let i = 0, k = 0; i < tail.length; i++, k = k + 1 === d ? 0 : k + 1) {
      const v = tail[i] + g * line[k];
      tail[i] = line[k] - g * v;
      line[k] = v;
    }
  }
  let ex = 0;
  let et = 0;
  for (let i = 0; i < x.length; i++) {
    ex += x[i] * x[i];
    et += tail[i] * tail[i];
  }
  const gt = wet * Math.sqrt(ex / Math.max(1e-9, et));
  return Int16Array.from(x, (v, i) => Math.max(-32768, Math.min(32767, Math.round(v + gt * tail[i]))));
}

/** A random phone channel for training: level, noise (60 %) at 8-35 dB SNR, mu-law; with `eq`, a random response first (80 %). */
function randomChannel(x: Int16Array, rng: Rng, eq: ChannelEq = false, room = false): Int16Array {
  if (room && rng.next() < 0.4) x = randomRoom(x, rng);
  if (eq !== false && rng.next() < 0.8) x = randomResponse(x, rng, eq === 'strong');
  const padded = concat([silence(rng.range(150, 400)), x, silence(rng.range(250, 500))]);
  const noisy = rng.next() < 0.6;
  return channel(padded, rng, { gainDb: rng.range(-14, 2), ...(noisy ? { snrDb: rng.range(8, 35) } : { snrDb: rng.range(45, 70) }), ulaw: true }, undefined);
}

/** The longest of the segments (the word of a one-word clip); undefined when there is none. */
export function longestSegment(segments: readonly SpeechSegment[]): SpeechSegment | undefined {
  let main = segments[0];
  for (const g of segments) if (g.endFrame - g.startFrame > main.endFrame - main.startFrame) main = g;
  return main;
}

function addUtterance(out: Example[], samples: Int16Array, label: string, rng: Rng, warp = 1, eq: ChannelEq = false, room = false): void {
  const s = segmentAudio(randomChannel(samples, rng, eq, room), warp);
  const usable = s.segments.filter((g) => !g.tooLong);
  const main = longestSegment(usable);
  if (main === undefined) return;
  const garbage = LABELS.indexOf(GARBAGE_LABEL);
  for (const g of usable) out.push({ vector: vectorOf(s, g), label: g === main ? LABELS.indexOf(label) : garbage });
}

export type ChannelEq = boolean | 'strong';

export interface BuildOptions {
  holdOut: string | null;
  seed: number;
  speeds: number[];
  channelsPerClip: number;
  /** Vocal-tract-length perturbation: each utterance's filter bank scaled by a factor drawn from this range. */
  warpRange?: [number, number];
  /** Renditions of each vocabulary word per flite / festival voice (0: none). */
  ttsPerWord?: number;
  /** Single non-digit words (GARBAGE_WORDS) from flite and espeak-ng voices as garbage. */
  garbageWords?: boolean;
  /** Synthesiser engines for the vocabulary words (default: every one installed, corpus.ts `TTS_ENGINES`). */
  ttsEngines?: readonly string[];
  /** A random handset and line response on most utterances (`randomResponse`; 'strong': more filters). */
  channelEq?: ChannelEq;
  /** A random small room on some utterances (`randomRoom`). */
  room?: boolean;
  /** Only the FSDD clips (a check set). */
  fsddOnly?: boolean;
  log?: (line: string) => void;
}

export function buildTrainingSet(fsdd: FsddClip[], o: BuildOptions): Example[] {
  const rng = new Rng(o.seed);
  const out: Example[] = [];
  const [w0, w1] = o.warpRange ?? [1, 1];
  const warp = (): number => (w0 === w1 ? w0 : rng.range(w0, w1));
  const eq = o.channelEq ?? false;
  const room = o.room === true;
  for (const clip of fsdd) {
    if (clip.speaker === o.holdOut) continue;
    for (const f of o.speeds) {
      const x = speed(clip.samples, f);
      for (let c = 0; c < o.channelsPerClip; c++) addUtterance(out, x, clip.label, rng, warp(), eq, room);
    }
  }
  o.log?.(`FSDD: ${out.length} vectors`);
  if (o.fsddOnly) return out;
  // Voice settings from their own generator, so every fold asks espeak-ng for the same renditions
  // (cached on disk) whichever speaker is held out.
  const voiceRng = new Rng(o.seed + 1000);
  for (const voice of TRAIN_VOICES) {
    for (const [label, text] of Object.entries(SPOKEN_WORDS)) {
      for (let k = 0; k < 2; k++) {
        const x = espeak(text, voice, Math.round(voiceRng.range(25, 75)), Math.round(voiceRng.range(120, 200)));
        addUtterance(out, x, label, rng, warp(), eq, room);
      }
    }
  }
  o.log?.(`+ espeak-ng words: ${out.length} vectors`);
  if ((o.ttsPerWord ?? 0) > 0) {
    for (const voice of installedTtsVoices(o.ttsEngines)) {
      for (const [label, text] of Object.entries(SPOKEN_WORDS)) {
        for (let k = 0; k < (o.ttsPerWord ?? 0); k++) {
          // A fixed grid of pitch and duration, the same for every network and fold (each
          // rendition is synthesised once and cached); variety per network comes from the channel.
          const [pitch, stretch] = TTS_GRID[k % TTS_GRID.length];
          const x = synth(text, voice, pitch, stretch);
          addUtterance(out, x, label, rng, warp(), eq, room);
        }
      }
    }
    o.log?.(`+ flite/festival words (${installedTtsVoices(o.ttsEngines).join(', ')}): ${out.length} vectors`);
  }
  const prompts = nonDigitPrompts().filter((_, i) => i % 2 === 0);
  for (const p of prompts) for (let c = 0; c < 2; c++) addUtterance(out, readWav8k(p), GARBAGE_LABEL, rng, 1, eq, room);
  for (const sentence of TRAIN_SENTENCES) {
    for (let k = 0; k < 6; k++)
      addUtterance(out, espeak(sentence, voiceRng.pick(TRAIN_VOICES), Math.round(voiceRng.range(30, 70)), Math.round(voiceRng.range(130, 190))), GARBAGE_LABEL, rng, 1, eq, room);
  }
  if (o.garbageWords) {
    // Each word once from every flite voice (the fixed grid's first two settings) and twice from
    // espeak-ng voices: cached renditions, the same for every fold.
    const flite = installedTtsVoices(['flite']).filter((v) => v.startsWith('flite:'));
    for (const word of GARBAGE_WORDS) {
      for (const voice of flite) addUtterance(out, synth(word, voice, ...TTS_GRID[(word.length + voice.length) % 2]), GARBAGE_LABEL, rng, 1, eq, room);
      for (let k = 0; k < 2; k++)
        addUtterance(out, espeak(word, voiceRng.pick(TRAIN_VOICES), Math.round(voiceRng.range(30, 70)), Math.round(voiceRng.range(130, 190))), GARBAGE_LABEL, rng, 1, eq, room);
    }
  }
  for (let k = 0; k < 400; k++) addUtterance(out, noiseBurst(rng, rng.range(100, 900), rng.range(300, 8000)), GARBAGE_LABEL, rng, 1, eq, room);
  o.log?.(`+ non-digit speech and noise: ${out.length} vectors`);
  return out;
}
