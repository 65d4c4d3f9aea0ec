// Prompt composition (en-GB / en-US numbers, amounts, dates, digit strings), the vocabulary, the
// committed default set, and the loader (plan -> 8 kHz Int16 PCM).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeUlaw } from '../../native-free-dsp/g711.js';
import { DEFAULT_PROMPT_DIR } from '../../src/dialog/dialog-config.js';
import { encodeWav } from '../../src/audio-file/wav-writer.js';
import { amountSegments, characterSegments, monthYearSegments, numberSegments, planText, yearSegments } from '../../src/dialog/prompts/compose.js';
import { PromptError, PromptLibrary } from '../../src/dialog/prompts/prompt-library.js';
import { PROMPT_IDS, PROMPT_TEXT } from '../../src/dialog/prompts/prompt-text.js';

const say = (s: readonly string[]): string => planText(s, PROMPT_TEXT);

t.test('amounts: en-GB and en-US rules', async (t) => {
  t.equal(say(amountSegments(12550, 'GBP', 'en-GB')), 'one hundred and twenty five pounds fifty');
  t.same(amountSegments(12550, 'GBP', 'en-GB'), ['n-1', 'hundred', 'and', 'n-20', 'n-5', 'pounds', 'n-50'], 'as segments');
  t.equal(say(amountSegments(12550, 'USD', 'en-US')), 'one hundred twenty five dollars and fifty cents');
  t.equal(say(amountSegments(99, 'GBP', 'en-GB')), 'ninety nine pence');
  t.equal(say(amountSegments(99, 'USD', 'en-US')), 'ninety nine cents');
  t.equal(say(amountSegments(1, 'GBP', 'en-GB')), 'one penny');
  t.equal(say(amountSegments(101, 'USD', 'en-US')), 'one dollar and one cent');
  t.equal(say(amountSegments(100000000, 'GBP', 'en-GB')), 'one million pounds');
  t.equal(say(amountSegments(100000000, 'USD', 'en-US')), 'one million dollars');
  t.equal(say(amountSegments(100500, 'GBP', 'en-GB')), 'one thousand and five pounds');
  t.equal(say(amountSegments(100500, 'USD', 'en-US')), 'one thousand five dollars');
  t.equal(say(amountSegments(2500, 'EUR', 'en-GB')), 'twenty five euros');
  t.equal(say(amountSegments(500, 'JPY', 'en-GB')), 'five hundred J P Y', 'no recorded words: the ISO code spelled');
  t.equal(say(amountSegments(1234, 'CHF', 'en-US')), 'twelve point three four C H F');
  t.equal(say(amountSegments(0, 'GBP', 'en-GB')), 'zero pence');
  t.throws(() => amountSegments(-1, 'GBP', 'en-GB'), RangeError);
});

t.test('numbers', async (t) => {
  t.equal(say(numberSegments(0, 'en-GB')), 'zero');
  t.equal(say(numberSegments(15, 'en-GB')), 'fifteen');
  t.equal(say(numberSegments(40, 'en-GB')), 'forty');
  t.equal(say(numberSegments(999, 'en-GB')), 'nine hundred and ninety nine');
  t.equal(say(numberSegments(999, 'en-US')), 'nine hundred ninety nine');
  t.equal(say(numberSegments(1000000, 'en-GB')), 'one million');
  t.equal(say(numberSegments(1001000, 'en-GB')), 'one million one thousand');
  t.equal(say(numberSegments(2000120, 'en-GB')), 'two million one hundred and twenty');
  t.equal(say(numberSegments(123456789012, 'en-US')), 'one hundred twenty three billion four hundred fifty six million seven hundred eighty nine thousand twelve');
  t.throws(() => numberSegments(1e12, 'en-GB'), RangeError);
  t.throws(() => numberSegments(1.5, 'en-GB'), RangeError);
});

t.test('dates and digit strings', async (t) => {
  t.equal(say(monthYearSegments(12, 2028, 'en-GB')), 'December twenty twenty eight');
  t.equal(say(monthYearSegments(3, 2030, 'en-US')), 'March twenty thirty');
  t.equal(say(yearSegments(2005, 'en-GB')), 'two thousand and five');
  t.equal(say(yearSegments(2100, 'en-GB')), 'twenty one hundred');
  t.equal(say(yearSegments(2105, 'en-US')), 'twenty one oh five');
  t.throws(() => monthYearSegments(13, 2028, 'en-GB'), RangeError);
  t.equal(say(characterSegments('100000001')), 'one zero zero zero zero zero zero zero one');
  t.equal(say(characterSegments('AB-12')), 'A B one two', 'letters spelled, punctuation skipped');
});

t.test('every composed id has a sentence; the committed default set has every id, small', async (t) => {
  const used = new Set<string>([
    ...amountSegments(123456789, 'GBP', 'en-GB'),
    ...amountSegments(1234567, 'USD', 'en-US'),
    ...amountSegments(101, 'EUR', 'en-GB'),
    ...amountSegments(1234, 'CHF', 'en-GB'),
    ...characterSegments('abcdefghijklmnopqrstuvwxyz0123456789'),
  ]);
  for (let m = 1; m <= 12; m++) monthYearSegments(m, 2031, 'en-GB').forEach((s) => used.add(s));
  for (const id of used) t.ok(id in PROMPT_TEXT, id);
  const files = new Set(readdirSync(DEFAULT_PROMPT_DIR));
  const missing = PROMPT_IDS.filter((id) => !files.has(`${id}.ul`));
  t.same(missing, [], 'one .ul per prompt id');
  const total = [...files].reduce((sum, f) => sum + statSync(join(DEFAULT_PROMPT_DIR, f)).size, 0);
  t.ok(total < 2 * 1024 * 1024, `default set ${total} bytes < 2 MiB`);
  t.ok(
    PROMPT_IDS.every((id) => statSync(join(DEFAULT_PROMPT_DIR, `${id}.ul`)).size > 800),
    'every prompt holds at least 0.1 s of audio',
  );
});

t.test('loader: a plan becomes the concatenated 8 kHz PCM of its files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-prompts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = new Int16Array(800).fill(1000);
  const b = new Int16Array(400).fill(-2000);
  const ulaw = new Uint8Array(a.length);
  encodeUlaw(a, ulaw);
  writeFileSync(join(dir, 'n-1.ul'), ulaw);
  writeFileSync(join(dir, 'pounds.wav'), encodeWav(b, { sampleRate: 8000, encoding: 'pcm16' }));
  const library = new PromptLibrary({ directory: dir, gapMs: 10 });
  const pcm = await library.load({ segments: ['n-1', 'pounds', 'n-1'], bargeIn: true });
  t.equal(pcm.length, 800 + 80 + 400 + 80 + 800, 'three files and two 10 ms gaps');
  t.ok(Math.abs(pcm[0] - 1000) < 40, `mu-law decoded (${pcm[0]})`);
  t.equal(pcm[800 + 40], 0, 'gap is silence');
  t.equal(pcm[880], -2000, 'WAV read as is');
  await t.rejects(library.load({ segments: ['pence'], bargeIn: true }), { code: 'ERR_PROMPT_MISSING' });
  await t.rejects(library.load({ segments: ['../etc/passwd'], bargeIn: true }), { code: 'ERR_PROMPT_BAD_ID' });
  writeFileSync(join(dir, 'pence.wav'), new Uint8Array([1, 2, 3]));
  const err = await library.prompt('pence').catch((e: unknown) => e);
  t.ok(err instanceof PromptError && err.code === 'ERR_PROMPT_UNREADABLE', 'a broken WAV is a named error');
  library.close();
});

t.test('loader: TTS fills in a prompt without a recording', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-prompts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const asked: string[] = [];
  const library = new PromptLibrary({
    directory: dir,
    locale: 'en-US',
    tts: { synthesize: async (text, locale) => (asked.push(`${locale}:${text}`), new Int16Array(160)) },
  });
  const pcm = await library.load({ segments: ['goodbye'], bargeIn: false });
  t.equal(pcm.length, 160);
  t.same(asked, ['en-US:Thank you for calling. Goodbye.']);
});

t.test('the default set loads and sounds (not silence)', async (t) => {
  const library = new PromptLibrary({ directory: DEFAULT_PROMPT_DIR });
  const pcm = await library.load({ segments: amountSegments(12550, 'GBP', 'en-GB'), bargeIn: true });
  t.ok(pcm.length > 8000 && pcm.length < 8000 * 6, `125.50 said in ${(pcm.length / 8000).toFixed(2)} s`);
  let energy = 0;
  for (const s of pcm) energy += s * s;
  t.ok(Math.sqrt(energy / pcm.length) > 300, 'speech level');
});
