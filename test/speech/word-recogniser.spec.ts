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
import { WordRecogniser, type RejectedSpan, type WordToken } from '../../src/speech/word-recogniser.js';
import { SEGMENT_VECTOR_LENGTH, type WordModel } from '../../native-free-dsp/speech-classifier.js';
import { SPEECH_DIR } from '../helpers/audio-files.js';

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
function hear(samples: Int16Array, chunk = 160): Heard {
  const heard: Heard = { tokens: [], rejected: [], ends: [] };
  const r = new WordRecogniser(model, { onToken: (x) => heard.tokens.push(x), onRejected: (x) => heard.rejected.push(x), onEndOfUtterance: (ms) => heard.ends.push(ms) });
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

t.test('digits with 150 ms pauses: one result per word, as when heard alone, then end of utterance', { skip: !haveAsterisk && 'asterisk-core-sounds-en-wav not installed' }, async (t) => {
  const clips = ['4', '0', '7', '1', '9', '2', '3'].map((d) => wav(join(DIGITS_DIR, `${d}.wav`)));
  const alone = clips.map((c) => digits(hear(join16([silence(300), c, silence(300)])))).join('');
  const parts: Int16Array[] = [silence(300)];
  for (const c of clips) parts.push(c, silence(150));
  const audio = join16(parts);
  const h = hear(audio);
  t.equal(digits(h), alone, 'the segmenter splits at each pause and the classifier sees the same words');
  t.equal(h.tokens.length + h.rejected.length, clips.length, 'one token or rejection per word');
  // The prompt files carry their own silence, so a pause may already be long enough to end an
  // utterance; the last end must come within 500 ms of the speech stopping.
  t.ok(h.ends.length >= 1);
  const stopMs = audio.length / 8 - 150;
  t.ok(h.ends[h.ends.length - 1] - stopMs <= 500, `end of utterance ${h.ends[h.ends.length - 1] - stopMs} ms after the speech stopped`);
  for (let i = 1; i < h.tokens.length; i++) t.ok(h.tokens[i].startMs >= h.tokens[i - 1].endMs - 40, 'tokens in order, not overlapping');
  t.same(digits(hear(audio, 37)), digits(h), 'any chunking gives the same tokens');
});

t.test('"double" and "triple" repeat the next digit', async (t) => {
  // The expansion is checked with a stub model that labels a segment by its length.
  const labels = ['4', 'double', 'triple', 'garbage'];
  const byLength: WordModel = {
    labels,
    networks: [
      {
        inputMean: new Float32Array(SEGMENT_VECTOR_LENGTH),
        inputScale: new Float32Array(SEGMENT_VECTOR_LENGTH).fill(1),
        // The last input is ln(frames): short words are "4", middle "double", long "triple".
        layers: [{ inputs: SEGMENT_VECTOR_LENGTH, outputs: 4, weights: stubWeights(), bias: Float32Array.from([40, 0, -40, -1000]) }],
      },
    ],
  };
  const heard: string[] = [];
  let dangling = 0;
  const r = new WordRecogniser(byLength, { onToken: (x) => heard.push(x.kind === 'digit' ? x.digit : x.word), onRejected: (s) => s.reason === 'dangling-multiplier' && dangling++ });
  const tone = (ms: number): Int16Array => Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(8000 * Math.sin(i * 0.4) * Math.sin((Math.PI * i) / (ms * 8))));
  // double 4, 4, triple 4, then a dangling double at the end.
  for (const ms of [600, 250, 250, 1100, 250, 600]) r.push(join16([tone(ms), silence(250)]));
  r.push(silence(600));
  r.close();
  t.same(heard, ['4', '4', '4', '4', '4', '4']);
  t.equal(dangling, 1);
});

function stubWeights(): Float32Array {
  // Logit_k = bias_k + w_k * ln(frames): "4" wins below ~35 frames, "double" up to ~90, "triple" above.
  const w = new Float32Array(4 * SEGMENT_VECTOR_LENGTH);
  const slopes = [-11.25, 0, 8.9, 0];
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
});
