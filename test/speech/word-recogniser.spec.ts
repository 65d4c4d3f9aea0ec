// The streaming word recogniser with the shipped model, on voices it was never trained on:
// Allison's digit recordings from the Asterisk prompts (a female US speaker; the model learnt
// digits from four male FSDD speakers and espeak-ng). Also rejection of noise and non-digit
// speech, double/triple, end of utterance, chunking, reset/close hygiene.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWav } from '../../src/audio-file/wav-parser.js';
import { toMono8k } from '../../src/audio-file/mono-8k.js';
import { loadWordModel } from '../../src/speech/model-file.js';
import {
  MAX_UTTERANCE_TOKENS,
  DEFAULT_MIN_REJECTED_WORD_MS,
  MIN_DIGITS_FOR_UNSURE,
  MIN_DIGITS_FOR_UNSURE_CHECKED,
  WordRecogniser,
  type RejectedSpan,
  type WordRecogniserOptions,
  type WordToken,
} from '../../src/speech/word-recogniser.js';
import { SEGMENT_VECTOR_LENGTH, type WordModel } from '../../native-free-dsp/speech-classifier.js';
import { SPEECH_DIR } from '../helpers/audio-files.js';
import { unsureWordModel } from '../helpers/spoken-digits.js';

const model = loadWordModel();
const DIGITS_DIR = join(SPEECH_DIR, 'digits');
const haveAsterisk = existsSync(join(DIGITS_DIR, '0.wav'));

function wav(path: string): Int16Array {
  return toMono8k(parseWav(readFileSync(path), path), path);
}
const silence = (ms: number): Int16Array => new Int16Array(ms * 8);
function join16(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

interface Heard {
  tokens: WordToken[];
  rejected: RejectedSpan[];
  ends: number[];
}
function hear(samples: Int16Array, chunk = 160, options: WordRecogniserOptions = {}): Heard {
  const heard: Heard = { tokens: [], rejected: [], ends: [] };
  const r = new WordRecogniser(model, { onToken: (x) => heard.tokens.push(x), onRejected: (x) => heard.rejected.push(x), onEndOfUtterance: (ms) => heard.ends.push(ms) }, options);
  const all = join16([samples, silence(600)]);
  for (let i = 0; i < all.length; i += chunk) r.push(all.subarray(i, Math.min(all.length, i + chunk)));
  r.close();
  return heard;
}
const digits = (h: Heard): string => h.tokens.map((x) => (x.kind === 'digit' ? x.digit : `<${x.word}>`)).join('');

t.test('isolated digits from a speaker the model never heard', { skip: !haveAsterisk && 'asterisk-core-sounds-en-wav not installed' }, async (t) => {
  let right = 0;
  for (let d = 0; d <= 9; d++) {
    const h = hear(join16([silence(300), wav(join(DIGITS_DIR, `${d}.wav`)), silence(300)]));
    if (digits(h) === String(d)) right++;
    else t.comment(`digit ${d} heard as "${digits(h)}"`);
  }
  // Measured 8/10 (docs/speech.md: held-out speakers get about seven digits in ten right).
  t.ok(right >= 8, `${right}/10 right`);
});

t.test('a spoken digit carries the next-best digit and its odds (for the card number Luhn repair)', { skip: !haveAsterisk && 'asterisk-core-sounds-en-wav not installed' }, async (t) => {
  for (let d = 0; d <= 9; d++) {
    for (const token of hear(join16([silence(300), wav(join(DIGITS_DIR, `${d}.wav`)), silence(300)])).tokens) {
      if (token.kind !== 'digit') continue;
      t.match(token.runnerUp.digit, /^[0-9]$/);
      t.not(token.runnerUp.digit, token.digit, 'another digit');
      t.ok(token.runnerUp.odds >= 0 && token.runnerUp.odds <= 1, `odds ${token.runnerUp.odds}`);
    }
  }
});

t.test(
  'digits with 150 ms pauses, word by word: one result per word, as when heard alone, then end of utterance',
  { skip: !haveAsterisk && 'asterisk-core-sounds-en-wav not installed' },
  async (t) => {
    const byWord = { wholeUtterances: false };
    const clips = ['4', '0', '7', '1', '9', '2', '3'].map((d) => wav(join(DIGITS_DIR, `${d}.wav`)));
    const alone = clips.map((c) => digits(hear(join16([silence(300), c, silence(300)]), 160, byWord))).join('');
    const parts: Int16Array[] = [silence(300)];
    for (const c of clips) parts.push(c, silence(150));
    const audio = join16(parts);
    const h = hear(audio, 160, byWord);
    t.equal(digits(h), alone, 'the segmenter splits at each pause and the classifier sees the same words');
    t.equal(h.tokens.length + h.rejected.length, clips.length, 'one token or rejection per word');
    // The prompt files carry their own silence, so a pause may already be long enough to end an
    // utterance; the last end must come within 500 ms of the speech stopping.
    t.ok(h.ends.length >= 1);
    const stopMs = audio.length / 8 - 150;
    t.ok(h.ends[h.ends.length - 1] - stopMs <= 500, `end of utterance ${h.ends[h.ends.length - 1] - stopMs} ms after the speech stopped`);
    for (let i = 1; i < h.tokens.length; i++) t.ok(h.tokens[i].startMs >= h.tokens[i - 1].endMs - 40, 'tokens in order, not overlapping');
    t.same(digits(hear(audio, 37, byWord)), digits(h), 'any chunking gives the same tokens');
    const whole = hear(audio);
    t.equal(digits(whole), h.rejected.length === 0 ? digits(h) : '', 'as one utterance: the same digits, or none if a word was rejected');
  },
);

// A stub model that labels a segment by its length: short words are "4", middle "double", long "triple".
const byLength: WordModel = {
  labels: ['4', 'double', 'triple', 'garbage'],
  networks: [
    {
      inputMean: new Float32Array(SEGMENT_VECTOR_LENGTH),
      inputScale: new Float32Array(SEGMENT_VECTOR_LENGTH).fill(1),
      // The last input is ln(frames).
      layers: [{ inputs: SEGMENT_VECTOR_LENGTH, outputs: 4, weights: stubWeights(), bias: Float32Array.from([40, 0, -40, -1000]) }],
    },
  ],
};
const FOUR_MS = 250;
const DOUBLE_MS = 600;
const TRIPLE_MS = 1100;
const tone = (ms: number): Int16Array => Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(8000 * Math.sin(i * 0.4) * Math.sin((Math.PI * i) / (ms * 8))));

interface Events {
  log: string[];
  rejected: RejectedSpan[];
}
/** Words of the given lengths, each followed by its pause (ms); events logged with the sample time they came at. */
function say(words: [number, number][], options: WordRecogniserOptions = {}, model = byLength, setUp?: (r: WordRecogniser) => void): Events {
  const ev: Events = { log: [], rejected: [] };
  let atMs = 0;
  const r = new WordRecogniser(
    model,
    {
      onToken: (x) => ev.log.push(`${x.kind === 'digit' ? x.digit : x.word}@${atMs}`),
      onWord: () => ev.log.push(`word@${atMs}`),
      onRejected: (s) => ev.rejected.push(s),
      onEndOfUtterance: () => ev.log.push(`end@${atMs}`),
    },
    options,
  );
  setUp?.(r);
  for (const x of [...words.flatMap(([ms, pause]) => [tone(ms), silence(pause)]), silence(600)])
    for (let i = 0; i < x.length; i += 160) {
      r.push(x.subarray(i, i + 160));
      atMs += 20;
    }
  r.close();
  return ev;
}
const tokensOf = (ev: Events): string[] => ev.log.filter((e) => !e.startsWith('word@') && !e.startsWith('end@')).map((e) => e.split('@')[0]);

t.test('"double" and "triple" repeat the next digit', async (t) => {
  // double 4, 4, triple 4; then, after a pause that ends the utterance, a dangling double.
  const ev = say([
    [DOUBLE_MS, 250],
    [FOUR_MS, 250],
    [FOUR_MS, 250],
    [TRIPLE_MS, 250],
    [FOUR_MS, 700],
    [DOUBLE_MS, 250],
  ]);
  t.same(tokensOf(ev), ['4', '4', '4', '4', '4', '4']);
  t.same(
    ev.rejected.map((s) => s.reason),
    ['dangling-multiplier'],
  );
});

t.test('an utterance is reported when it ends; a rejected word drops the whole utterance', async (t) => {
  const ev = say([
    [FOUR_MS, 250],
    [FOUR_MS, 250],
  ]);
  const words = ev.log.filter((e) => e.startsWith('word@')).map((e) => Number(e.split('@')[1]));
  const first = ev.log.findIndex((e) => e.startsWith('4@'));
  t.equal(words.length, 2, 'each word is signalled as it is heard');
  t.ok(first > 0 && ev.log.slice(0, first).every((e) => e.startsWith('word@')), 'before any token');
  t.match(ev.log.slice(first), [/^4@/, /^4@/, /^end@/], 'the tokens, then the end of the utterance');
  // The last word is signalled once the segmenter's 80 ms hangover ends it; the utterance 400 ms after the speech.
  t.ok(Number(ev.log[first].split('@')[1]) - words[1] >= 300, 'held until the pause ends the utterance');

  // "4 4 double" then a pause: the dangling multiplier is a rejected word.
  const dropped = say([
    [FOUR_MS, 250],
    [FOUR_MS, 250],
    [DOUBLE_MS, 250],
  ]);
  t.same(tokensOf(dropped), [], 'no token of the utterance is reported');
  t.same(
    dropped.rejected.map((s) => s.reason),
    ['dangling-multiplier', 'rejected-utterance'],
  );
  const span = dropped.rejected[1];
  t.ok(span.startMs < 300 && span.endMs > 500 && span.endMs < 800, 'the dropped span covers the held words');
  t.same(
    tokensOf(
      say(
        [
          [FOUR_MS, 250],
          [FOUR_MS, 250],
          [DOUBLE_MS, 250],
        ],
        { wholeUtterances: false },
      ),
    ),
    ['4', '4'],
    'word by word, the accepted words are reported',
  );
  t.same(
    tokensOf(
      say([
        [FOUR_MS, 700],
        [FOUR_MS, 250],
        [DOUBLE_MS, 250],
      ]),
    ),
    ['4'],
    'a pause that ends the utterance keeps the words before it',
  );
});

t.test('a short rejected segment (a click, a breath) does not drop its utterance; a longer one does', async (t) => {
  // The stub's garbage label wins for the shortest segments: an 80 ms burst is a segment of 175 ms, 120 ms one of 215 ms.
  const withNoise: WordModel = {
    ...byLength,
    networks: [{ ...byLength.networks[0], layers: [{ ...byLength.networks[0].layers[0], weights: stubWeights(-18), bias: Float32Array.from([40, 0, -40, 61]) }] }],
  };
  const short = say(
    [
      [FOUR_MS, 250],
      [80, 250],
      [FOUR_MS, 250],
    ],
    {},
    withNoise,
  );
  t.same(tokensOf(short), ['4', '4']);
  t.same(
    short.rejected.map((s) => [s.reason, s.endMs - s.startMs < DEFAULT_MIN_REJECTED_WORD_MS]),
    [['not-in-vocabulary', true]],
  );
  const long = say(
    [
      [FOUR_MS, 250],
      [120, 250],
      [FOUR_MS, 250],
    ],
    {},
    withNoise,
  );
  t.same(tokensOf(long), []);
  t.same(
    long.rejected.map((s) => s.reason),
    ['not-in-vocabulary', 'rejected-utterance'],
  );
  t.ok(long.rejected[0].endMs - long.rejected[0].startMs >= DEFAULT_MIN_REJECTED_WORD_MS);
  t.same(
    tokensOf(
      say(
        [
          [FOUR_MS, 250],
          [80, 250],
          [FOUR_MS, 250],
        ],
        { minRejectedWordMs: 0 },
        withNoise,
      ),
    ),
    [],
    'with no allowance the click drops the utterance too',
  );
});

t.test('digits under the confidence threshold are kept in an utterance of at least twelve digits, dropped in a shorter one, kept in any while the field has a check digit', async (t) => {
  // Every segment is "4" or "5" at 0.5 each: under the 0.6 threshold.
  const unsure = unsureWordModel();
  const words = (n: number): [number, number][] => Array.from({ length: n }, () => [FOUR_MS, 250]);
  t.equal(tokensOf(say(words(MIN_DIGITS_FOR_UNSURE), {}, unsure)).length, MIN_DIGITS_FOR_UNSURE, 'a card number long: kept');
  const short = say(words(MIN_DIGITS_FOR_UNSURE - 1), {}, unsure);
  t.same(tokensOf(short), [], 'shorter: dropped');
  t.same(
    short.rejected.map((s) => s.reason),
    ['rejected-utterance'],
  );
  t.same(tokensOf(say(words(MIN_DIGITS_FOR_UNSURE), { minDigitsForUnsure: 0 }, unsure)), [], 'minDigitsForUnsure 0: never kept');
  t.same(tokensOf(say(words(MIN_DIGITS_FOR_UNSURE), { wholeUtterances: false }, unsure)), [], 'word by word: rejected as before');
  // A field with a check digit (the card number, said in several breaths): any utterance keeps them.
  const checked = (r: WordRecogniser): void => r.setMinDigitsForUnsure(MIN_DIGITS_FOR_UNSURE_CHECKED);
  t.equal(tokensOf(say(words(1), {}, unsure, checked)).length, 1, 'checked field: one unsure digit kept');
  t.equal(tokensOf(say(words(4), {}, unsure, checked)).length, 4, 'checked field: four kept');
  const back = (r: WordRecogniser): void => {
    checked(r);
    r.setMinDigitsForUnsure(MIN_DIGITS_FOR_UNSURE);
  };
  t.same(tokensOf(say(words(4), {}, unsure, back)), [], 'set back for the next field: dropped again');
});

t.test('an utterance longer than any field is dropped', async (t) => {
  const words = (n: number): [number, number][] => Array.from({ length: n }, () => [FOUR_MS, 150] as [number, number]);
  t.equal(tokensOf(say(words(MAX_UTTERANCE_TOKENS))).length, MAX_UTTERANCE_TOKENS);
  const over = say(words(MAX_UTTERANCE_TOKENS + 1));
  t.same(tokensOf(over), []);
  t.same(
    over.rejected.map((s) => s.reason),
    ['rejected-utterance'],
  );
});

function stubWeights(garbageSlope = 0): Float32Array {
  // Logit_k = bias_k + w_k * ln(frames): "4" wins below ~35 frames, "double" up to ~90, "triple" above.
  const w = new Float32Array(4 * SEGMENT_VECTOR_LENGTH);
  const slopes = [-11.25, 0, 8.9, garbageSlope];
  for (let k = 0; k < 4; k++) w[k * SEGMENT_VECTOR_LENGTH + SEGMENT_VECTOR_LENGTH - 1] = slopes[k];
  return w;
}

t.test('silence and noise give no token', async (t) => {
  const noise = Int16Array.from({ length: 24000 }, (_, i) => Math.round(1000 * Math.sin(i * 12.9898) * Math.cos(i * 0.37 + (i % 13))));
  t.same(hear(silence(3000)).tokens, []);
  t.same(
    hear(join16([silence(500), noise, silence(500)])).tokens.filter((x) => x.kind === 'digit'),
    [],
  );
});

t.test('non-digit speech gives no digit', { skip: !haveAsterisk && 'asterisk-core-sounds-en-wav not installed' }, async (t) => {
  let falseDigits = 0;
  for (const name of ['all-circuits-busy-now', 'cannot-complete-as-dialed', 'call-waiting', 'auth-thankyou']) {
    const h = hear(join16([silence(300), wav(join(SPEECH_DIR, `${name}.wav`)), silence(300)]));
    falseDigits += h.tokens.filter((x) => x.kind === 'digit').length;
  }
  t.ok(falseDigits <= 1, `${falseDigits} false digits`);
});

t.test('reset zeroes what the recogniser heard; push after close is an error', async (t) => {
  const r = new WordRecogniser(model, {});
  const tone = Int16Array.from({ length: 4000 }, (_, i) => Math.round(8000 * Math.sin(i * 0.3)));
  r.push(tone);
  const inside = r as unknown as { ring: Float32Array; mfcc: { history: Float32Array } };
  t.ok(inside.ring.some((v) => v !== 0) && inside.mfcc.history.some((v) => v !== 0));
  r.reset();
  t.ok(inside.ring.every((v) => v === 0) && inside.mfcc.history.every((v) => v === 0));
  r.push(tone);
  r.close();
  t.ok(inside.ring.every((v) => v === 0) && inside.mfcc.history.every((v) => v === 0));
  t.throws(() => r.push(tone), { code: 'ERR_SPEECH_CLOSED' });
});

t.test('options out of range are refused', async (t) => {
  t.throws(() => new WordRecogniser(model, {}, { endOfUtteranceMs: 600 }), { code: 'ERR_SPEECH_OPTIONS' });
  t.throws(() => new WordRecogniser(model, {}, { minConfidence: 2 }), { code: 'ERR_SPEECH_OPTIONS' });
  t.throws(() => new WordRecogniser(model, {}, { minRejectedWordMs: -1 }), { code: 'ERR_SPEECH_OPTIONS' });
  t.throws(() => new WordRecogniser(model, {}, { minRejectedWordMs: Number.NaN }), { code: 'ERR_SPEECH_OPTIONS' });
  for (const minDigitsForUnsure of [-1, 1.5, MAX_UTTERANCE_TOKENS + 1, Number.NaN])
    t.throws(() => new WordRecogniser(model, {}, { minDigitsForUnsure }), { code: 'ERR_SPEECH_OPTIONS' }, String(minDigitsForUnsure));
  const r = new WordRecogniser(model, {});
  for (const n of [-1, 1.5, MAX_UTTERANCE_TOKENS + 1, Number.NaN]) t.throws(() => r.setMinDigitsForUnsure(n), { code: 'ERR_SPEECH_OPTIONS' }, `set ${n}`);
});
