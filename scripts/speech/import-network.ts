// Builds a model file from networks trained offline (scripts/speech/train_torch.py):
//   node --import tsx scripts/speech/import-network.ts --out FILE [--trained-on TEXT] NET.json...
// Each NET.json holds float weights; the model averages the networks (geometric mean of
// posteriors, as speech-classifier.ts does) and is written int8-quantised like every model file.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { WordModel, WordNetwork } from '../../native-free-dsp/speech-classifier.js';
import { checkWordModel } from '../../native-free-dsp/speech-classifier.js';
import { serialiseWordModel } from '../../src/speech/model-file.js';

const floatNetwork = z.object({
  labels: z.array(z.string()),
  inputMean: z.array(z.number()),
  inputScale: z.array(z.number()),
  layers: z.array(z.object({ inputs: z.number().int(), outputs: z.number().int(), weights: z.array(z.number()), bias: z.array(z.number()) })),
});

export function importNetworks(files: string[]): WordModel {
  let labels: string[] | null = null;
  const networks: WordNetwork[] = [];
  for (const f of files) {
    const n = floatNetwork.parse(JSON.parse(readFileSync(f, 'utf8')));
    if (labels && labels.join('\n') !== n.labels.join('\n')) throw new Error(`${f}: labels differ from the first network's`);
    labels = n.labels;
    networks.push({
      inputMean: Float32Array.from(n.inputMean),
      inputScale: Float32Array.from(n.inputScale),
      layers: n.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, weights: Float32Array.from(l.weights), bias: Float32Array.from(l.bias) })),
    });
  }
  if (!labels) throw new Error('no network given');
  return checkWordModel({ labels, networks });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, 'trained-on': { type: 'string' } } });
  if (!values.out || positionals.length === 0) throw new Error('usage: import-network.ts --out FILE NET.json...');
  writeFileSync(values.out, JSON.stringify(serialiseWordModel(importNetworks(positionals), values['trained-on'])) + '\n');
  console.error(`wrote ${values.out}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) await main();
