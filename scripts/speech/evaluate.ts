// Measures the word recogniser with one FSDD speaker held out of training at a time and prints
// the table of docs/speech.md.
//   node --import tsx scripts/speech/evaluate.ts --fsdd DIR [--models DIR] [--speakers a,b] [--word-by-word] [--min-rejected-ms N] [--min-digits-for-unsure N]
// (--word-by-word: the recogniser reports each word as it ends instead of whole utterances;
// --min-rejected-ms: the shortest rejected segment that drops its utterance, default 200;
// --min-digits-for-unsure: the digits an utterance needs to keep those under the threshold, default 12 (1 for the card
// numbers, as in the dialog's card-number field), 0 never; given, it applies to every measurement.)
// For each held-out speaker it loads DIR/speech-words-without-SPEAKER.json, or trains that model
// with the shipped recipe (train-offline.ts: one CNN, Debian's python3-torch; some minutes,
// more on a loaded machine, nice'd) and saves it there. Everything is seeded: the same inputs give the same table.
// The spoken card numbers are Luhn-valid; each is counted as heard and after the dialog's repair
// of a number failing Luhn (`repairSpokenLuhn`, one digit's next-best reading).

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { WordModel } from '../../native-free-dsp/speech-classifier.js';
import { luhnValid, repairSpokenLuhn } from '../../src/dialog/card-checks.js';
import { SPOKEN_LUHN_MIN_ODDS } from '../../src/dialog/field-collector.js';
import { SecretDigits } from '../../src/dialog/secret-digits.js';
import { loadWordModel } from '../../src/speech/model-file.js';
import { MAX_UTTERANCE_TOKENS, MIN_DIGITS_FOR_UNSURE_CHECKED, WordRecogniser, type WordRecogniserOptions, type WordToken } from '../../src/speech/word-recogniser.js';
import {
  activePower,
  atPower,
  channel,
  concat,
  espeak,
  heldOutNonDigitSpeech,
  levelledTakes,
  loadFsdd,
  MENU_TEST_WORDS,
  Rng,
  silence,
  speakersOf,
  SPOKEN_WORDS,
  TEST_VOICES,
  type FsddClip,
} from './corpus.js';
import { OFFLINE_DEFAULTS, trainOffline } from './train-offline.js';

export interface RunResult {
  tokens: WordToken[];
  rejected: number;
  endsOfUtterance: number[];
  cpuMs: number;
}

/** Runs a recogniser over a whole buffer in 20 ms packets, then 600 ms of silence. */
export function recognise(model: WordModel, samples: Int16Array, options: WordRecogniserOptions = {}): RunResult {
  const tokens: WordToken[] = [];
  const ends: number[] = [];
  let rejected = 0;
  const r = new WordRecogniser(model, { onToken: (t) => tokens.push(t), onRejected: () => rejected++, onEndOfUtterance: (ms) => ends.push(ms) }, options);
  const all = concat([samples, silence(600)]);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i + 160 <= all.length; i += 160) r.push(all.subarray(i, i + 160));
  const cpuMs = Number(process.hrtime.bigint() - t0) / 1e6;
  r.close();
  return { tokens, rejected, endsOfUtterance: ends, cpuMs };
}

const digitsOf = (r: RunResult): string =>
  r.tokens
    .filter((t) => t.kind === 'digit')
    .map((t) => (t.kind === 'digit' ? t.digit : ''))
    .join('');

/** The number as the dialog would take it: the digits heard, failing Luhn repaired as `repairSpokenLuhn` does. */
function repairedOf(r: RunResult): { digits: string; luhn: boolean } {
  const entry = new SecretDigits(MAX_UTTERANCE_TOKENS);
  for (const t of r.tokens) if (t.kind === 'digit') entry.push(t.digit, t.runnerUp);
  repairSpokenLuhn(entry, SPOKEN_LUHN_MIN_ODDS);
  const digits = Array.from(entry.view(), (c) => String.fromCharCode(c)).join('');
  return { digits, luhn: luhnValid(entry) };
}

function passesLuhn(digits: string): boolean {
  const entry = new SecretDigits(digits.length);
  for (const d of digits) entry.push(d);
  return luhnValid(entry);
}

/** A Luhn-valid number of `length` digits (a card number): random digits and the check digit that passes. */
function luhnNumber(rng: Rng, length: number): string {
  let body = '';
  for (let i = 0; i < length - 1; i++) body += String(rng.int(10));
  for (let c = 0; c < 9; c++) if (passesLuhn(body + c)) return body + c;
  return body + 9;
}

/** Clips joined with pauses of 100-300 ms, lead-in and tail, through the phone channel. */
export function utterance(parts: Int16Array[], rng: Rng, snrDb: number | undefined): Int16Array {
  return utteranceWithWords(parts, rng, snrDb).samples;
}

/** As utterance(), with the samples [start, end) of each part in the result. */
export function utteranceWithWords(parts: Int16Array[], rng: Rng, snrDb: number | undefined): { samples: Int16Array; words: [number, number][] } {
  const pieces: Int16Array[] = [silence(400)];
  const words: [number, number][] = [];
  let at = pieces[0].length;
  parts.forEach((p, i) => {
    if (i > 0) {
      const pause = silence(rng.range(100, 300));
      pieces.push(pause);
      at += pause.length;
    }
    pieces.push(p);
    words.push([at, at + p.length]);
    at += p.length;
  });
  pieces.push(silence(300));
  const speech = concat(parts);
  return { samples: channel(concat(pieces), rng, { ...(snrDb === undefined ? {} : { snrDb }), ulaw: true }, activePower(speech)), words };
}

export interface FoldFigures {
  speaker: string;
  isolated: [number, number];
  cardClean: CardFigures;
  card20dB: CardFigures;
  doubleForms: [number, number];
  menuWords: [number, number];
  falseDigits: number;
  falseWords: number;
  nonDigitMinutes: number;
  eouLatencyMaxMs: number;
  realTimeFactor: number;
}

/** Spoken 16-digit card numbers of one condition: exactly right as heard and after the Luhn repair; wrong ones that pass Luhn (so the dialog would take them), both ways. */
export interface CardFigures {
  heard: [number, number];
  repaired: [number, number];
  wrongValid: number;
  repairedWrongValid: number;
}

/**
 * `options` for every measurement; the card numbers add MIN_DIGITS_FOR_UNSURE_CHECKED as the
 * dialog does in its card-number field, unless `options` sets minDigitsForUnsure itself.
 */
export function evaluateFold(model: WordModel, fsdd: FsddClip[], speaker: string, cards = 100, options: WordRecogniserOptions = {}): FoldFigures {
  const cardOptions: WordRecogniserOptions = { minDigitsForUnsure: MIN_DIGITS_FOR_UNSURE_CHECKED, ...options };
  const rng = new Rng(7);
  const held = fsdd.filter((c) => c.speaker === speaker);
  const byDigit = new Map<string, FsddClip[]>();
  for (const c of held) byDigit.set(c.label, [...(byDigit.get(c.label) ?? []), c]);
  // For the numbers in noise, each take is first brought to the speaker's median active level,
  // so that every digit, not only the number as a whole, is 20 dB over the noise: some speakers'
  // takes differ by 20 dB or more (recorded in several sessions), and a noise level set on the
  // number's active level would bury the quiet ones. Clean numbers are joined as recorded.
  const levelled = levelledTakes(held);
  let cpuMs = 0;
  let audioMs = 0;
  let eouLatencyMaxMs = 0;
  const run = (x: Int16Array, recogniserOptions: WordRecogniserOptions = options): RunResult => {
    const r = recognise(model, x, recogniserOptions);
    cpuMs += r.cpuMs;
    audioMs += x.length / 8 + 600;
    return r;
  };
  let isoOk = 0;
  for (const c of held) {
    const x = utterance([c.samples], rng, undefined);
    const r = run(x);
    if (digitsOf(r) === c.label && r.tokens.length === 1) isoOk++;
    // End of utterance after the audio stops: the clip ends 300 ms before the buffer does.
    const stopMs = x.length / 8 - 300;
    for (const e of r.endsOfUtterance) eouLatencyMaxMs = Math.max(eouLatencyMaxMs, e - stopMs);
  }
  // Card numbers: Luhn-valid, so that the dialog's repair of a spoken number failing Luhn
  // (one digit's next-best reading) is measured too, with the wrong numbers it lets through.
  const card = (snrDb: number | undefined): CardFigures => {
    let ok = 0;
    let repairedOk = 0;
    let wrongValid = 0;
    let repairedWrongValid = 0;
    for (let n = 0; n < cards; n++) {
      const truth = luhnNumber(rng, 16);
      const parts: Int16Array[] = [];
      for (const d of truth) {
        const take = rng.pick(byDigit.get(d) ?? []);
        parts.push(snrDb === undefined ? take.samples : (levelled.get(take) ?? take.samples));
      }
      const r = run(utterance(parts, rng, snrDb), cardOptions);
      const heard = digitsOf(r);
      const repaired = repairedOf(r);
      if (heard === truth) ok++;
      else if (heard.length === 16 && passesLuhn(heard)) wrongValid++;
      if (repaired.digits === truth) repairedOk++;
      else if (repaired.digits.length === 16 && repaired.luhn) repairedWrongValid++;
    }
    return { heard: [ok, cards], repaired: [repairedOk, cards], wrongValid, repairedWrongValid };
  };
  const cardClean = card(undefined);
  const card20dB = card(20);
  let dblOk = 0;
  const dblN = 100;
  for (let n = 0; n < dblN; n++) {
    // Four held-out digits, a "double" or "triple" (held-out espeak-ng voice) before one of them.
    const voice = rng.pick(TEST_VOICES);
    const times = rng.next() < 0.5 ? 2 : 3;
    const word = espeak(times === 2 ? 'double' : 'triple', voice, Math.round(rng.range(35, 65)), Math.round(rng.range(140, 180)));
    const at = rng.int(4);
    let truth = '';
    const parts: Int16Array[] = [];
    for (let i = 0; i < 4; i++) {
      const d = String(rng.int(10));
      if (i === at) parts.push(gainTo(word, rng.pick(held).samples));
      parts.push(rng.pick(byDigit.get(d) ?? []).samples);
      truth += i === at ? d.repeat(times) : d;
    }
    if (digitsOf(run(utterance(parts, rng, undefined))) === truth) dblOk++;
  }
  let menuOk = 0;
  let menuN = 0;
  for (const voice of TEST_VOICES) {
    for (const w of MENU_TEST_WORDS) {
      const r = run(utterance([espeak(SPOKEN_WORDS[w], voice, 50, 160)], rng, undefined));
      menuN++;
      if (r.tokens.length === 1 && r.tokens[0].kind === 'word' && r.tokens[0].word === w) menuOk++;
    }
  }
  // Non-digit speech: the half of the Asterisk prompts not used in training, then held-out
  // espeak-ng sentences, until ten minutes.
  let falseDigits = 0;
  let falseWords = 0;
  let speechMs = 0;
  for (const source of heldOutNonDigitSpeech()) {
    if (speechMs >= 600_000) break;
    const x = source();
    speechMs += x.length / 8;
    const r = run(utterance([x], rng, undefined));
    for (const t of r.tokens)
      if (t.kind === 'digit') falseDigits++;
      else falseWords++;
  }
  return {
    speaker,
    isolated: [isoOk, held.length],
    cardClean,
    card20dB,
    doubleForms: [dblOk, dblN],
    menuWords: [menuOk, menuN],
    falseDigits,
    falseWords,
    nonDigitMinutes: speechMs / 60000,
    eouLatencyMaxMs,
    realTimeFactor: cpuMs / audioMs,
  };
}

/** Scales a synthetic word to the level of a human clip, so one utterance has one level. */
function gainTo(word: Int16Array, like: Int16Array): Int16Array {
  return atPower(word, activePower(like));
}

const pct = ([ok, n]: [number, number]): string => `${((100 * ok) / n).toFixed(1)} % (${ok}/${n})`;

const cardPct = (c: CardFigures): string => `${((100 * c.heard[0]) / c.heard[1]).toFixed(0)} % / ${((100 * c.repaired[0]) / c.repaired[1]).toFixed(0)} %`;

export function formatTable(rows: FoldFigures[]): string {
  const lines = [
    '| held-out speaker | isolated digits | 16-digit, clean: as heard / Luhn-repaired | 16-digit, 20 dB SNR: as heard / Luhn-repaired | wrong numbers passing Luhn (clean + 20 dB): as heard / repaired | double/triple forms | menu words (espeak-ng test voices) | false digits / words in non-digit speech | end of utterance, worst | real-time factor |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.speaker} | ${pct(r.isolated)} | ${cardPct(r.cardClean)} | ${cardPct(r.card20dB)} | ${r.cardClean.wrongValid + r.card20dB.wrongValid} / ${r.cardClean.repairedWrongValid + r.card20dB.repairedWrongValid} | ${pct(r.doubleForms)} | ${pct(r.menuWords)} | ${r.falseDigits} / ${r.falseWords} in ${r.nonDigitMinutes.toFixed(1)} min | ${r.eouLatencyMaxMs.toFixed(0)} ms | ${r.realTimeFactor.toFixed(4)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fsdd: { type: 'string' },
      models: { type: 'string' },
      speakers: { type: 'string' },
      cards: { type: 'string' },
      'word-by-word': { type: 'boolean' },
      'min-rejected-ms': { type: 'string' },
      'min-digits-for-unsure': { type: 'string' },
    },
  });
  if (!values.fsdd) throw new Error('--fsdd DIR is required (the recordings/ folder of the Free Spoken Digit Dataset)');
  const fsdd = loadFsdd(values.fsdd);
  const dir = values.models ?? 'speech-models';
  mkdirSync(dir, { recursive: true });
  const speakers = values.speakers ? values.speakers.split(',') : speakersOf(fsdd);
  const rows: FoldFigures[] = [];
  let memoryBytes: number | undefined;
  for (const speaker of speakers) {
    const file = join(dir, `speech-words-without-${speaker}.json`);
    if (!existsSync(file)) {
      trainOffline(fsdd, { holdOut: speaker, networks: OFFLINE_DEFAULTS.networks, epochs: OFFLINE_DEFAULTS.epochs, log: (l: string) => console.error(`[${speaker}] ${l}`) }, file);
    }
    const model = loadWordModel(file);
    // Measured before any evaluation: the buffers of earlier work are released lazily, after the
    // collection that frees them, and would be counted against the new recognisers.
    memoryBytes ??= await memoryPerRecogniser(model);
    const row = evaluateFold(model, fsdd, speaker, values.cards ? Number(values.cards) : 100, {
      wholeUtterances: !values['word-by-word'],
      ...(values['min-rejected-ms'] === undefined ? {} : { minRejectedWordMs: Number(values['min-rejected-ms']) }),
      ...(values['min-digits-for-unsure'] === undefined ? {} : { minDigitsForUnsure: Number(values['min-digits-for-unsure']) }),
    });
    console.error(formatTable([row]).split('\n')[2]);
    rows.push(row);
  }
  console.log(formatTable(rows));
  console.log(`\nmemory per recogniser: ${((memoryBytes ?? 0) / 1024).toFixed(1)} KiB (model shared)`);
}

/** Heap and typed-array bytes per live recogniser, from 200 of them (the model is shared). */
export async function memoryPerRecogniser(model: WordModel): Promise<number> {
  const n = 200;
  // Full collections before each reading, so that what is counted is what the recognisers
  // keep (a collection in between made the figure negative); and a pause after them, since array
  // buffers a collection frees (the model file's dense matrices, replaced by sparse rows when it
  // loads) are released afterwards, off the main thread.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await settle();
  const before = process.memoryUsage();
  const live: WordRecogniser[] = [];
  for (let i = 0; i < n; i++) live.push(new WordRecogniser(model, {}));
  await settle();
  const after = process.memoryUsage();
  const bytes = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  for (const r of live) r.close();
  return bytes / n;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) await main();
