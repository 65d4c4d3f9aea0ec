// Talk-down signals: DTMF digits mixed over real speech at a fixed speech-to-tone ratio, at
// deterministic pseudo-random positions inside active speech. The ratio is measured over each
// digit's own span (the speech power under the tone against the pair's total power), not over
// the whole file: a file-wide level puts some digits under syllables 10 dB louder than it. Shared by the detector test and
// the reference-decoder comparison so both see the same audio.
import { DTMF_DIGITS } from '../../native-free-dsp/dtmf-tones.js';
import { msToSamples } from '../../native-free-dsp/tone-generator.js';
import type { CorpusFile } from './audio-files.js';
import { mixTone, type ToneTruth } from './dtmf-cases.js';
import { meanSquareToDbm0 } from '../../native-free-dsp/levels.js';
import { activeSpeechLevel, pick, randomInt, shuffle, type Rng } from './signals.js';

export interface TalkDownItem {
  readonly path: string;
  readonly mix: Float64Array;
  readonly truth: ToneTruth[];
  /** Active speech level of the file (P.56-like, 20 ms frames above -50 dBm0), dBm0. */
  readonly speechDbm0: number;
  /** Per digit (as truth): level of each of its two tones, dBm0 (twist 0: the pair is 3.01 dB above). */
  readonly toneDbm0: number[];
}

export interface TalkDownOptions {
  /** Speech power under the digit minus the DTMF pair's total power, dB (-6: tones 6 dB above). */
  readonly speechToToneDb: number;
  readonly digits: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  /** Up to this many digits per file. */
  readonly perFile: number;
  /** Tones are never weaker than this per tone (quieter speech only widens the ratio). */
  readonly minToneDbm0: number;
  /** Nor stronger than this: places whose speech would need louder tones are not used. */
  readonly maxToneDbm0: number;
}

export const TALK_DOWN_DEFAULTS: TalkDownOptions = {
  speechToToneDb: -6,
  digits: 300,
  minDurationMs: 50,
  maxDurationMs: 100,
  perFile: 2,
  minToneDbm0: -25,
  maxToneDbm0: -3,
};

/** Clear time around each digit, ms: more than the 40 ms inter-digit pause. */
const GUARD_MS = 200;
/** A digit is "inside speech" when at least this share of the 20 ms frames it covers are active. */
const MIN_ACTIVE_SHARE = 0.75;

export interface TalkDownSet {
  readonly items: TalkDownItem[];
  readonly filesConsidered: number;
  /** Files where every place tried would have needed tones above maxToneDbm0. */
  readonly filesTooLoud: number;
}

export function buildTalkDown(rng: Rng, corpus: readonly CorpusFile[], options: TalkDownOptions = TALK_DOWN_DEFAULTS): TalkDownSet {
  const items: TalkDownItem[] = [];
  let placed = 0;
  let filesTooLoud = 0;
  let filesConsidered = 0;
  for (const file of shuffle(rng, corpus)) {
    if (placed >= options.digits) break;
    const speech = activeSpeechLevel(file.pcm);
    const activeMs = speech.activeFrames.reduce((sum, flag) => sum + flag, 0) * 20;
    if (file.pcm.length < msToSamples(1500) || activeMs < 800) continue;
    filesConsidered++;
    const mix = Float64Array.from(file.pcm);
    const truth: ToneTruth[] = [];
    const toneLevels: number[] = [];
    let tooLoud = 0;
    const want = Math.min(options.perFile, options.digits - placed);
    for (let attempt = 0; attempt < 200 && truth.length < want; attempt++) {
      const durationMs = randomInt(rng, options.minDurationMs, options.maxDurationMs);
      const length = msToSamples(durationMs);
      const start = randomInt(rng, 0, file.pcm.length - length);
      const guard = msToSamples(GUARD_MS);
      if (truth.some((other) => start < other.endSample + guard && start + length + guard > other.startSample)) continue;
      const firstFrame = Math.floor(start / speech.frameSamples);
      const lastFrame = Math.min(speech.activeFrames.length - 1, Math.floor((start + length - 1) / speech.frameSamples));
      let active = 0;
      for (let f = firstFrame; f <= lastFrame; f++) active += speech.activeFrames[f];
      if (active < MIN_ACTIVE_SHARE * (lastFrame - firstFrame + 1)) continue;
      let sum = 0;
      for (let i = start; i < start + length; i++) sum += file.pcm[i] * file.pcm[i];
      // Pair power = local speech power - ratio; equal tones, each 10*log10(2) = 3.01 dB below the pair.
      const toneDbm0 = Math.max(options.minToneDbm0, meanSquareToDbm0(sum / length) - options.speechToToneDb - 10 * Math.log10(2));
      if (toneDbm0 > options.maxToneDbm0) {
        tooLoud++;
        continue;
      }
      truth.push(mixTone(rng, mix, start, { digit: pick(rng, DTMF_DIGITS), durationMs, lowDbm0: toneDbm0, highDbm0: toneDbm0 }));
      toneLevels.push(toneDbm0);
    }
    if (truth.length === 0) {
      if (tooLoud > 0) filesTooLoud++;
      continue;
    }
    const order = truth
      .map((tone, i) => [tone.startSample, i] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, i]) => i);
    items.push({
      path: file.path,
      mix,
      truth: order.map((i) => truth[i]),
      speechDbm0: speech.levelDbm0,
      toneDbm0: order.map((i) => toneLevels[i]),
    });
    placed += truth.length;
  }
  return { items, filesConsidered, filesTooLoud };
}
