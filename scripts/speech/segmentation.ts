// How the segmenter splits spoken 16-digit numbers into words, per FSDD speaker: numbers built as
// the measurement builds them (evaluate.ts `utterance()`: 100-300 ms pauses, mu-law, white
// noise at the SNR against the active speech level), counted as segmented exactly when every
// word gives one segment and no segment spans two words. No model is needed: this measures the
// segmenter alone (docs/speech.md, "Segmentation in noise").
//   node --import tsx scripts/speech/segmentation.ts --fsdd DIR [--speakers a,b] [--numbers 40] [--as-recorded]
// Takes are levelled to the speaker's median for the noisy conditions, as in the measurement;
// --as-recorded joins them as recorded in every condition.
import { parseArgs } from 'node:util';
import { MFCC_HOP_SAMPLES, MFCC_WINDOW_SAMPLES, speechFramesOf } from '../../native-free-dsp/speech-features.js';
import { segmentEnergies } from '../../native-free-dsp/speech-segmenter.js';
import { levelledTakes, loadFsdd, Rng, speakersOf } from './corpus.js';
import { utteranceWithWords } from './evaluate.js';

interface Count {
  exact: number;
  missed: number;
  split: number;
  merged: number;
}

/** Samples [start, end) a segment covers: frame f is samples [hop f, hop f + window), endFrame exclusive. */
function segmentSpan(startFrame: number, endFrame: number): [number, number] {
  return [startFrame * MFCC_HOP_SAMPLES, (endFrame - 1) * MFCC_HOP_SAMPLES + MFCC_WINDOW_SAMPLES];
}

/** Whether a segment covers a word: 30 % of the take, or 50 ms of it (takes carry silence around the word). */
function covers(segment: readonly [number, number], word: readonly [number, number]): boolean {
  const overlap = Math.min(segment[1], word[1]) - Math.max(segment[0], word[0]);
  return overlap > Math.min(0.3 * (word[1] - word[0]), 400);
}

function countCondition(takes: readonly Int16Array[], snrDb: number | undefined, numbers: number, seed: number): Count {
  const rng = new Rng(seed);
  const c: Count = { exact: 0, missed: 0, split: 0, merged: 0 };
  for (let n = 0; n < numbers; n++) {
    const parts = Array.from({ length: 16 }, () => rng.pick(takes));
    const { samples, words } = utteranceWithWords(parts, rng, snrDb);
    const spans = segmentEnergies(speechFramesOf(samples).level).map((s) => segmentSpan(s.startFrame, s.endFrame));
    let exact = spans.length === 16;
    for (const w of words) {
      const hits = spans.filter((s) => covers(s, w)).length;
      if (hits === 0) c.missed++;
      if (hits > 1) c.split++;
      if (hits !== 1) exact = false;
    }
    for (const s of spans) {
      if (words.filter((w) => covers(s, w)).length > 1) {
        c.merged++;
        exact = false;
      }
    }
    if (exact) c.exact++;
  }
  return c;
}

function main(): void {
  const { values } = parseArgs({ options: { fsdd: { type: 'string' }, speakers: { type: 'string' }, numbers: { type: 'string' }, 'as-recorded': { type: 'boolean' } } });
  if (!values.fsdd) throw new Error('--fsdd DIR is required (the recordings/ folder of the Free Spoken Digit Dataset)');
  const fsdd = loadFsdd(values.fsdd);
  const speakers = values.speakers ? values.speakers.split(',') : speakersOf(fsdd);
  const numbers = Number(values.numbers ?? 40);
  console.log('| speaker | clean: exact (missed / split / merged words) | 20 dB SNR | 15 dB SNR |');
  console.log('|---|---|---|---|');
  for (const speaker of speakers) {
    const held = fsdd.filter((c) => c.speaker === speaker);
    const recorded = held.map((c) => c.samples);
    const levelled = [...levelledTakes(held).values()];
    const cells = ([undefined, 20, 15] as const).map((snr) => {
      const takes = snr === undefined || values['as-recorded'] === true ? recorded : levelled;
      const c = countCondition(takes, snr, numbers, 11);
      return `${c.exact}/${numbers} (${c.missed} / ${c.split} / ${c.merged})`;
    });
    console.log(`| ${speaker} | ${cells.join(' | ')} |`);
  }
}

main();
