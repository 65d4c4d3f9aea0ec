// Trains the word model and writes it as a model file.
//   node --import tsx scripts/speech/train.ts --fsdd DIR [--hold-out SPEAKER] [--out FILE]
//        [--networks N] [--epochs N] [--trainer torch|ts] [--seconds S] [--garbage-words] [--channel-eq off|on|strong] [--room] [--channels-per-clip N] [--tts-engines flite,festival,rhvoice,pico]
// Without --hold-out it trains on every FSDD speaker in DIR and writes models/speech-words.json,
// the shipped model. With --hold-out the speaker is left out (for the held-out measurements).
// Trainers: `torch` (default, the shipped recipe: two CNNs from the offline trainer,
// train-offline.ts, Debian's python3-torch), `ensemble` (two MLPs from the TypeScript trainer and
// one CNN, averaged; measured, not shipped), `ts` (MLPs only, no Python needed; it makes the small
// test model of fixtures/speech-fsdd/).

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { serialiseWordModel } from '../../src/speech/model-file.js';
import type { WordModel, WordNetwork } from '../../native-free-dsp/speech-classifier.js';
import { loadFsdd, type FsddClip } from './corpus.js';
import { buildTrainingSet, LABELS } from './dataset.js';
import { trainMlp } from './mlp.js';
import { describeOfflineRun, OFFLINE_DEFAULTS, trainEnsemble, trainOffline } from './train-offline.js';

export interface TrainRun {
  holdOut: string | null;
  seed?: number;
  /** Seconds per network at most. */
  maxSeconds?: number;
  networks?: number;
  log?: (line: string) => void;
}

export const DEFAULT_NETWORKS = 2;
export const MODEL_SHAPE = { hidden: [192, 96], epochs: 12, batch: 32, learningRate: 1e-3, weightDecay: 1e-4, dropout: 0.15 };

/**
 * Trains `networks` perceptrons, each on its own draw of augmentations (speed, channel, voice
 * settings) and its own initialisation; the model averages them (one network's choices vary by
 * several per cent on a held-out speaker, the average of three varies less and is better).
 */
export function trainWordModel(fsdd: FsddClip[], run: TrainRun): WordModel {
  const networks: WordNetwork[] = [];
  for (let n = 0; n < (run.networks ?? DEFAULT_NETWORKS); n++) {
    const seed = (run.seed ?? 1) + 101 * n;
    const examples = buildTrainingSet(fsdd, { holdOut: run.holdOut, seed, speeds: [0.9, 1.0, 1.1], channelsPerClip: 2, log: run.log });
    networks.push(...trainMlp(examples, LABELS, { ...MODEL_SHAPE, seed, maxSeconds: run.maxSeconds ?? 600, log: run.log }).networks);
  }
  return { labels: LABELS, networks };
}

export function describeRun(run: TrainRun): string {
  const speakers = run.holdOut ? `FSDD without ${run.holdOut}` : 'FSDD (every speaker)';
  return `${speakers}, speed 0.9/1.0/1.1, 2 random phone channels per clip; espeak-ng words; Asterisk prompts and espeak-ng sentences and noise bursts as garbage. ${run.networks ?? DEFAULT_NETWORKS} MLPs ${JSON.stringify(MODEL_SHAPE)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fsdd: { type: 'string' },
      'hold-out': { type: 'string' },
      out: { type: 'string' },
      seconds: { type: 'string' },
      networks: { type: 'string' },
      epochs: { type: 'string' },
      trainer: { type: 'string' },
      'garbage-words': { type: 'boolean' },
      'channel-eq': { type: 'string' },
      'tts-engines': { type: 'string' },
      room: { type: 'boolean' },
      'channels-per-clip': { type: 'string' },
    },
  });
  if (!values.fsdd) throw new Error('--fsdd DIR is required (the recordings/ folder of the Free Spoken Digit Dataset)');
  const holdOut = values['hold-out'] ?? null;
  const out = values.out ?? (holdOut ? `speech-words-without-${holdOut}.json` : new URL('../../models/speech-words.json', import.meta.url).pathname);
  const log = (l: string): void => console.error(l);
  const trainer = values.trainer ?? 'torch';
  if (trainer === 'ensemble') {
    trainEnsemble(loadFsdd(values.fsdd), holdOut, out, log);
    console.error(`wrote ${out}`);
    return;
  }
  if (trainer === 'torch') {
    const eq = values['channel-eq'];
    if (eq !== undefined && !['off', 'on', 'strong'].includes(eq)) throw new Error(`--channel-eq must be off, on or strong, not ${eq}`);
    const channels = values['channels-per-clip'] === undefined ? undefined : Number(values['channels-per-clip']);
    if (channels !== undefined && !(Number.isInteger(channels) && channels >= 1 && channels <= 10)) throw new Error('--channels-per-clip must be a whole number from 1 to 10');
    const run = {
      holdOut,
      networks: values.networks ? Number(values.networks) : OFFLINE_DEFAULTS.networks,
      epochs: values.epochs ? Number(values.epochs) : OFFLINE_DEFAULTS.epochs,
      recipe: {
        garbageWords: values['garbage-words'] === true,
        ...(eq === undefined ? {} : { channelEq: eq === 'strong' ? ('strong' as const) : eq === 'on' }),
        room: values.room === true,
        ...(channels === undefined ? {} : { channelsPerClip: channels }),
        ...(values['tts-engines'] ? { ttsEngines: values['tts-engines'].split(',') } : {}),
      },
      log,
    };
    trainOffline(loadFsdd(values.fsdd), run, out);
    console.error(`wrote ${out}: ${describeOfflineRun(run)}`);
    return;
  }
  const run: TrainRun = { holdOut, maxSeconds: values.seconds ? Number(values.seconds) : undefined, networks: values.networks ? Number(values.networks) : undefined, log };
  const model = trainWordModel(loadFsdd(values.fsdd), run);
  writeFileSync(out, JSON.stringify(serialiseWordModel(model, describeRun(run))) + '\n');
  console.error(`wrote ${out}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) await main();
