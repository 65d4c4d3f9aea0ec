// Training vectors for the word classifier. Every utterance goes through the same front end as
// at run time (pad with silence, phone channel, MFCC, segmenter): the longest segment carries
// the utterance's label and any other segment (a split-off stop burst or trailing breath) is
// garbage, so the classifier learns from exactly the segments the recogniser will hand it.

import { MFCC_COEFFS, speechFramesOf } from '../../native-free-dsp/speech-features.js';
import { segmentEnergies, type SpeechSegment } from '../../native-free-dsp/speech-segmenter.js';
import { segmentVector } from '../../native-free-dsp/speech-classifier.js';
import { DIGIT_LABELS, GARBAGE_LABEL, MENU_WORDS } from '../../src/speech/word-recogniser.js';
import { espeak, GARBAGE_WORDS, type FsddClip, installedTtsVoices, noiseBurst, synth, nonDigitPrompts, readWav8k, Rng, speed, SPOKEN_WORDS, TRAIN_SENTENCES, TRAIN_VOICES } from './corpus.js';
import type { Example } from './mlp.js';
import { randomChannel, type ChannelEq } from './training-channel.js';

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
  /** Synthesiser engines for the vocabulary words (default: corpus.ts `DEFAULT_TTS_ENGINES`, those installed). */
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
    o.log?.(`+ synthesiser words (${installedTtsVoices(o.ttsEngines).join(', ')}): ${out.length} vectors`);
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
    const flite = installedTtsVoices(['flite']);
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
