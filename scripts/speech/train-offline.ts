// Trains a word model with the offline trainer: the training set is built here by the run-time
// front end (dataset.ts, augmented as in dump-features.ts), written to a scratch directory, each
// network is trained by scripts/speech/train_torch.py (Debian python3-torch, nice'd) and the
// networks are imported into one model file. Offline tooling only; nothing here runs in a call.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEGMENT_VECTOR_LENGTH } from '../../native-free-dsp/speech-classifier.js';
import { serialiseWordModel } from '../../src/speech/model-file.js';
import { installedTtsVoices, type FsddClip } from './corpus.js';
import { buildTrainingSet, LABELS } from './dataset.js';
import { augmentedBuild, type AugmentedRecipe } from './dump-features.js';
import { importNetworks } from './import-network.js';
import { mergeModels } from './merge-models.js';
import { describeRun, trainWordModel } from './train.js';
import { loadWordModel } from '../../src/speech/model-file.js';

export interface OfflineRun {
  holdOut: string | null;
  networks: number;
  epochs: number;
  /** Recipe choices (dump-features.ts `AugmentedRecipe`): single non-digit words as garbage, handset responses, synthesiser engines. */
  recipe?: AugmentedRecipe;
  /** Python with torch and numpy (Debian's python3-torch lives under /usr/bin/python3). */
  python?: string;
  log?: (line: string) => void;
}

export const OFFLINE_DEFAULTS = { networks: 2, epochs: 25, arch: 'cnn' } as const;

export function describeOfflineRun(run: OfflineRun): string {
  const speakers = run.holdOut ? `FSDD without ${run.holdOut}` : 'FSDD (every speaker)';
  const b = augmentedBuild(run.holdOut, 1, run.recipe);
  return `${speakers}, speeds ${b.speeds.join('/')}, VTLP ${b.warpRange?.join('-')}, ${b.channelsPerClip} random phone channels per clip${b.channelEq === 'strong' ? ' with strong random handset responses' : b.channelEq ? ' with random handset responses' : ''}${b.room ? ' and rooms' : ''}; espeak-ng words and ${installedTtsVoices(b.ttsEngines).join(', ')}; Asterisk prompts, espeak-ng sentences${b.garbageWords ? ', single non-digit words' : ''} and noise bursts as garbage. ${run.networks} CNNs (conv 5x48, conv 3x64 stride 2, dense 128), ${run.epochs} epochs, torch, exported as dense layers`;
}

export function trainOffline(fsdd: FsddClip[], run: OfflineRun, out: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-speech-train-'));
  const script = fileURLToPath(new URL('./train_torch.py', import.meta.url));
  try {
    const nets: string[] = [];
    for (let n = 0; n < run.networks; n++) {
      const seed = 1 + 101 * n;
      const ex = buildTrainingSet(fsdd, { ...augmentedBuild(run.holdOut, seed, run.recipe), log: run.log });
      const x = new Float32Array(ex.length * SEGMENT_VECTOR_LENGTH);
      const y = new Uint8Array(ex.length);
      ex.forEach((e, i) => {
        x.set(e.vector, i * SEGMENT_VECTOR_LENGTH);
        y[i] = e.label;
      });
      const prefix = join(dir, `set${n}`);
      writeFileSync(`${prefix}.x.f32`, Buffer.from(x.buffer));
      writeFileSync(`${prefix}.y.u8`, Buffer.from(y.buffer));
      writeFileSync(`${prefix}.labels.json`, JSON.stringify(LABELS));
      const net = join(dir, `net${n}.json`);
      run.log?.(`network ${n + 1}/${run.networks}: ${ex.length} vectors`);
      execFileSync('nice', ['-n', '10', run.python ?? '/usr/bin/python3', script, prefix, net, '--arch', OFFLINE_DEFAULTS.arch, '--epochs', String(run.epochs), '--seed', String(seed)], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      nets.push(net);
    }
    writeFileSync(out, JSON.stringify(serialiseWordModel(importNetworks(nets), describeOfflineRun(run))) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The TypeScript trainer's two MLPs and one offline CNN, averaged: measured against the CNN alone
 * (docs/speech.md, "Alternatives measured"), the same mean over the four held-out speakers and a
 * worse worst speaker, so not the shipped recipe; kept to reproduce that row.
 */
export function trainEnsemble(fsdd: FsddClip[], holdOut: string | null, out: string, log?: (line: string) => void): void {
  const mlpRun = { holdOut, log };
  const mlps = trainWordModel(fsdd, mlpRun);
  const cnnRun: OfflineRun = { holdOut, networks: OFFLINE_DEFAULTS.networks, epochs: OFFLINE_DEFAULTS.epochs, ...(log ? { log } : {}) };
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-speech-cnn-'));
  try {
    const cnnFile = join(dir, 'cnn.json');
    trainOffline(fsdd, cnnRun, cnnFile);
    const model = mergeModels([mlps, loadWordModel(cnnFile)]);
    writeFileSync(out, JSON.stringify(serialiseWordModel(model, `ensemble. ${describeRun(mlpRun)}. Plus: ${describeOfflineRun(cnnRun)}`)) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
