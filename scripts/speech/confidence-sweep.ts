// Measures the trade between right digits and false digits as the recogniser's minConfidence
// rises (docs/speech.md, "Confidence threshold"): for each held-out speaker's model, the
// speaker's isolated clips and the ten minutes of non-digit speech of evaluate.ts, recognised
// once with no threshold (minConfidence 0); a token counts at threshold T when its confidence is at least T.
// Offline tooling only.
//   node --import tsx scripts/speech/confidence-sweep.ts --fsdd DIR --models DIR [--speakers a,b]

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadWordModel } from '../../src/speech/model-file.js';
import type { WordToken } from '../../src/speech/word-recogniser.js';
import { heldOutNonDigitSpeech, loadFsdd, Rng, speakersOf } from './corpus.js';
import { recognise, utterance } from './evaluate.js';

const THRESHOLDS = [0.6, 0.7, 0.8, 0.9, 0.95, 0.98];

const { values } = parseArgs({ options: { fsdd: { type: 'string' }, models: { type: 'string' }, speakers: { type: 'string' } } });
if (!values.fsdd || !values.models) throw new Error('--fsdd DIR --models DIR are required');
const fsdd = loadFsdd(values.fsdd);
const speakers = values.speakers ? values.speakers.split(',') : speakersOf(fsdd);
// Read once, measured against every speaker's model.
const nonDigit = heldOutNonDigitSpeech().map((source) => source());
console.log(`| held-out speaker | ${THRESHOLDS.map((t) => `minConfidence ${t}: isolated / false digits`).join(' | ')} |`);
console.log(`|---|${THRESHOLDS.map(() => '---').join('|')}|`);
for (const speaker of speakers) {
  const model = loadWordModel(join(values.models, `speech-words-without-${speaker}.json`));
  const rng = new Rng(7);
  const held = fsdd.filter((c) => c.speaker === speaker);
  const iso = held.map((c) => ({ label: c.label, tokens: recognise(model, utterance([c.samples], rng, undefined), { minConfidence: 0 }).tokens }));
  const falseTokens: WordToken[] = [];
  let ms = 0;
  for (const x of nonDigit) {
    if (ms >= 600_000) break;
    ms += x.length / 8;
    falseTokens.push(...recognise(model, utterance([x], rng, undefined), { minConfidence: 0 }).tokens);
  }
  const cells = THRESHOLDS.map((t) => {
    const right = iso.filter((u) => {
      const kept = u.tokens.filter((k) => k.confidence >= t);
      return kept.length === 1 && kept[0].kind === 'digit' && kept[0].digit === u.label;
    }).length;
    const falseDigits = falseTokens.filter((k) => k.kind === 'digit' && k.confidence >= t).length;
    return `${((100 * right) / iso.length).toFixed(1)} % / ${falseDigits}`;
  });
  console.log(`| ${speaker} | ${cells.join(' | ')} |`);
}
