// Joins model files into one ensemble (their networks' posteriors are averaged by geometric mean):
//   node --import tsx scripts/speech/merge-models.ts --out FILE A.json B.json...
// The labels must be the same, in the same order.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkWordModel, type WordModel } from '../../native-free-dsp/speech-classifier.js';
import { loadWordModel, serialiseWordModel } from '../../src/speech/model-file.js';

export function mergeModels(models: WordModel[]): WordModel {
  if (models.length === 0) throw new Error('no model given');
  const labels = models[0].labels;
  for (const m of models) if (m.labels.join('\n') !== labels.join('\n')) throw new Error('models have different labels');
  return checkWordModel({ labels, networks: models.flatMap((m) => m.networks) });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, 'trained-on': { type: 'string' } } });
  if (!values.out || positionals.length === 0) throw new Error('usage: merge-models.ts --out FILE A.json B.json...');
  writeFileSync(values.out, JSON.stringify(serialiseWordModel(mergeModels(positionals.map((p) => loadWordModel(p))), values['trained-on'])) + '\n');
  console.error(`wrote ${values.out}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) await main();
