// Training vectors for the word classifier. Every utterance goes through the same front end as
// at run time (pad with silence, phone channel, MFCC, segmenter): the longest segment carries
// the utterance's label and any other segment (a split-off stop burst or trailing breath) is
// garbage, so the classifier learns from exactly the segments the recogniser will hand it.

import { mfccOf, MFCC_COEFFS } from '../../native-free-dsp/speech-features.js';
import { segmentEnergies, type SpeechSegment } from '../../native-free-dsp/speech-segmenter.js';
import { segmentVector } from '../../native-free-dsp/speech-classifier.js';
import { DIGIT_LABELS, GARBAGE_LABEL, MENU_WORDS } from '../../src/speech/word-recogniser.js';
import { channel, concat, espeak, type FsddClip, noiseBurst, nonDigitPrompts, readWav8k, Rng, silence, speed, SPOKEN_WORDS, TRAIN_SENTENCES, TRAIN_VOICES } from './corpus.js';
import type { Example } from './mlp.js';

export const LABELS: string[] = [...DIGIT_LABELS, 'oh', 'double', 'triple', ...MENU_WORDS, GARBAGE_LABEL];

export interface Segmented {
  mfcc: Float32Array;
  segments: SpeechSegment[];
}

export function segmentAudio(samples: Int16Array): Segmented {
  const mfcc = mfccOf(samples);
  const frames = mfcc.length / MFCC_COEFFS;
  const energies = new Float32Array(frames);
  for (let f = 0; f < frames; f++) energies[f] = mfcc[f * MFCC_COEFFS];
  return { mfcc, segments: segmentEnergies(energies) };
}

export function vectorOf(s: Segmented, seg: SpeechSegment): Float32Array {
  const end = Math.min(seg.endFrame, s.mfcc.length / MFCC_COEFFS);
  return segmentVector(s.mfcc.subarray(seg.startFrame * MFCC_COEFFS, end * MFCC_COEFFS), end - seg.startFrame);
}

/** A random phone channel for training: level, noise (60 %) at 8-35 dB SNR, mu-law. */
function randomChannel(x: Int16Array, rng: Rng): Int16Array {
  const padded = concat([silence(rng.range(150, 400)), x, silence(rng.range(250, 500))]);
  const noisy = rng.next() < 0.6;
  return channel(padded, rng, { gainDb: rng.range(-14, 2), ...(noisy ? { snrDb: rng.range(8, 35) } : { snrDb: rng.range(45, 70) }), ulaw: true }, undefined);
}

function addUtterance(out: Example[], samples: Int16Array, label: string, rng: Rng): void {
  const s = segmentAudio(randomChannel(samples, rng));
  const usable = s.segments.filter((g) => !g.tooLong);
  if (usable.length === 0) return;
  let main = usable[0];
  for (const g of usable) if (g.endFrame - g.startFrame > main.endFrame - main.startFrame) main = g;
  const garbage = LABELS.indexOf(GARBAGE_LABEL);
  for (const g of usable) out.push({ vector: vectorOf(s, g), label: g === main ? LABELS.indexOf(label) : garbage });
}

export interface BuildOptions {
  holdOut: string | null;
  seed: number;
  speeds: number[];
  channelsPerClip: number;
  log?: (line: string) => void;
}

export function buildTrainingSet(fsdd: FsddClip[], o: BuildOptions): Example[] {
  const rng = new Rng(o.seed);
  const out: Example[] = [];
  for (const clip of fsdd) {
    if (clip.speaker === o.holdOut) continue;
    for (const f of o.speeds) {
      const x = speed(clip.samples, f);
      for (let c = 0; c < o.channelsPerClip; c++) addUtterance(out, x, clip.label, rng);
    }
  }
  o.log?.(`FSDD: ${out.length} vectors`);
  // Voice settings from their own generator, so every fold asks espeak-ng for the same renditions
  // (cached on disk) whichever speaker is held out.
  const voiceRng = new Rng(o.seed + 1000);
  for (const voice of TRAIN_VOICES) {
    for (const [label, text] of Object.entries(SPOKEN_WORDS)) {
      for (let k = 0; k < 2; k++) {
        const x = espeak(text, voice, Math.round(voiceRng.range(25, 75)), Math.round(voiceRng.range(120, 200)));
        addUtterance(out, x, label, rng);
      }
    }
  }
  o.log?.(`+ espeak-ng words: ${out.length} vectors`);
  const prompts = nonDigitPrompts().filter((_, i) => i % 2 === 0);
  for (const p of prompts) for (let c = 0; c < 2; c++) addUtterance(out, readWav8k(p), GARBAGE_LABEL, rng);
  for (const sentence of TRAIN_SENTENCES) {
    for (let k = 0; k < 6; k++) addUtterance(out, espeak(sentence, voiceRng.pick(TRAIN_VOICES), Math.round(voiceRng.range(30, 70)), Math.round(voiceRng.range(130, 190))), GARBAGE_LABEL, rng);
  }
  for (let k = 0; k < 400; k++) addUtterance(out, noiseBurst(rng, rng.range(100, 900), rng.range(300, 8000)), GARBAGE_LABEL, rng);
  o.log?.(`+ non-digit speech and noise: ${out.length} vectors`);
  return out;
}
