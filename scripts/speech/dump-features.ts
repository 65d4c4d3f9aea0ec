// Writes a training set as raw files for an offline trainer (scripts/speech/train_torch.py):
//   node --import tsx scripts/speech/dump-features.ts --fsdd DIR [--hold-out SPEAKER] --out PREFIX [--seed N]
// PREFIX.x.f32: N x SEGMENT_VECTOR_LENGTH float32 (little-endian), PREFIX.y.u8: N labels (index
// into PREFIX.labels.json). The vectors come from the run-time front end (dataset.ts), so a network
// trained on them runs unchanged in the TypeScript classifier.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SEGMENT_VECTOR_LENGTH } from '../../native-free-dsp/speech-classifier.js';
import { loadFsdd } from './corpus.js';
import { buildTrainingSet, LABELS, type BuildOptions } from './dataset.js';

/** The choices of the offline recipe that the training command line can change. */
export type AugmentedRecipe = Partial<Pick<BuildOptions, 'garbageWords' | 'channelEq' | 'room' | 'ttsEngines' | 'channelsPerClip'>>;

/** The augmentation of the offline-trained model (pseudo-speakers by speed and VTLP, more voices). */
export function augmentedBuild(holdOut: string | null, seed: number, recipe: AugmentedRecipe = {}): BuildOptions {
  return { holdOut, seed, speeds: [0.88, 0.94, 1.0, 1.06, 1.12], channelsPerClip: 2, warpRange: [0.88, 1.12], ttsPerWord: 6, channelEq: true, ...recipe };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { fsdd: { type: 'string' }, 'hold-out': { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, plain: { type: 'boolean' }, only: { type: 'string' } },
  });
  if (!values.fsdd || !values.out) throw new Error('--fsdd DIR and --out PREFIX are required');
  const holdOut = values['hold-out'] ?? null;
  const seed = values.seed ? Number(values.seed) : 1;
  const o: BuildOptions = values.plain ? { holdOut, seed, speeds: [0.9, 1.0, 1.1], channelsPerClip: 2 } : augmentedBuild(holdOut, seed);
  // --only SPEAKER: that speaker's clips alone, one channel each, no other data (a check set).
  const ex = values.only
    ? buildTrainingSet(
        loadFsdd(values.fsdd).filter((c) => c.speaker === values.only),
        { holdOut: null, seed, speeds: [1], channelsPerClip: 1, fsddOnly: true },
      )
    : buildTrainingSet(loadFsdd(values.fsdd), { ...o, log: (l) => console.error(l) });
  const x = new Float32Array(ex.length * SEGMENT_VECTOR_LENGTH);
  const y = new Uint8Array(ex.length);
  ex.forEach((e, i) => {
    x.set(e.vector, i * SEGMENT_VECTOR_LENGTH);
    y[i] = e.label;
  });
  writeFileSync(`${values.out}.x.f32`, Buffer.from(x.buffer));
  writeFileSync(`${values.out}.y.u8`, Buffer.from(y.buffer));
  writeFileSync(`${values.out}.labels.json`, JSON.stringify(LABELS));
  console.error(`wrote ${ex.length} vectors to ${values.out}.*`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) await main();
