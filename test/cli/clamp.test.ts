// `toneguard clamp IN OUT [--mode ...] [--json]` end to end (docs/cli.md):
// OUT in IN's format and length, time-aligned, no digit left in it (digit mode: only the fixed
// one), stdout exactly what `detect` prints for IN, exit codes 0 / 1 / 2.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { generateDtmfSequence, type DtmfSequenceItem } from '../../native-free-dsp/tone-generator.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { encodeRaw } from '../../src/audio-file/raw-audio.js';
import { encodeWav } from '../../src/audio-file/wav-writer.js';
import { parseAudio } from '../../src/audio-file/audio-file.js';
import { parseWav } from '../../src/audio-file/wav-parser.js';
import type { AudioEncoding } from '../../src/audio-file/audio-format.js';
import { compileCli } from '../helpers/cli.js';

const { workDir: dir, run } = compileCli(t, 'cli-clamp');

/** Digits (90 ms, 120 ms apart) over a quiet 300 Hz hum, so "untouched" is visible. */
function signal(digits: string, sampleRate: number): Int16Array {
  const items: DtmfSequenceItem[] = [...digits].map((digit) => ({ digit: digit as DtmfDigit, durationMs: 90, gapBeforeMs: 150, lowDbm0: -12, twistDb: 2, sampleRate }));
  const pcm = generateDtmfSequence(items, 300, sampleRate);
  for (let i = 0; i < pcm.length; i++) pcm[i] += Math.round(200 * Math.sin((2 * Math.PI * 300 * i) / sampleRate));
  return pcm;
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

t.test('WAV in every format: OUT in the same format and length, digits gone, stdout as detect', async (t) => {
  for (const [name, digits, rate, encoding, channels] of [
    ['ulaw-8k.wav', '4929', 8000, 'ulaw', 1],
    ['alaw-8k.wav', '1234567890*#', 8000, 'alaw', 1],
    ['pcm16-8k.wav', 'ABCD', 8000, 'pcm16', 1],
    ['pcm16-16k.wav', '159#', 16000, 'pcm16', 1],
    ['pcm16-44k-stereo.wav', '0258', 44100, 'pcm16', 2],
  ] as const) {
    const pcm = signal(digits, rate);
    const inPath = file(
      name,
      encodeWav(
        Array.from({ length: channels }, () => pcm),
        { sampleRate: rate, encoding: encoding as AudioEncoding },
      ),
    );
    const outPath = join(dir, `clamped-${name}`);
    const result = run('clamp', inPath, outPath);
    t.same(result, { status: 0, stdout: `${digits}\n`, stderr: '' }, `${name}: exit 0, the removed digits on stdout`);
    t.equal(result.stdout, run('detect', inPath).stdout, `${name}: stdout is what detect prints`);
    t.equal(run('clamp', '--json', inPath, outPath).stdout, run('detect', '--json', inPath).stdout, `${name} --json: detect's JSON lines`);
    const input = parseWav(readFileSync(inPath));
    const output = parseWav(readFileSync(outPath));
    t.same([output.encoding, output.sampleRate, output.channels, output.length], [input.encoding, input.sampleRate, input.channels, input.length], `${name}: same encoding, rate, channels, length`);
    t.equal(readFileSync(outPath).length, readFileSync(inPath).length, `${name}: same file size`);
    t.same(run('detect', outPath), { status: 0, stdout: '\n', stderr: '' }, `${name}: no digit in OUT`);
    // Time-aligned: the first 100 ms (hum only, before the first tone) are untouched.
    const head = Math.round(rate / 10);
    let same = 0;
    for (let i = 0; i < head; i++) if (output.channelData[0][i] === input.channelData[0][i]) same++;
    t.equal(same, head, `${name}: the first 100 ms are identical (no delay)`);
  }
});

t.test('modes: noise and tone leave no digit, digit mode only the fixed one', async (t) => {
  const inPath = file('modes.wav', encodeWav(signal('123', 8000), { sampleRate: 8000, encoding: 'pcm16' }));
  for (const mode of ['silence', 'noise', 'tone']) {
    const out = join(dir, `m-${mode}.wav`);
    t.equal(run('clamp', '--mode', mode, inPath, out).stdout, '123\n', `--mode ${mode}: digits removed`);
    t.equal(run('detect', out).stdout, '\n', `--mode ${mode}: none left`);
  }
  const out = join(dir, 'm-digit.wav');
  t.equal(run('clamp', '--mode', 'digit', inPath, out).stdout, '123\n');
  t.equal(run('detect', out).stdout, '###\n', '--mode digit: each key became #');
});

t.test('raw input is written raw', async (t) => {
  const pcm = signal('77', 8000);
  const inPath = file('in.ulaw', encodeRaw(pcm, 'ulaw'));
  const outPath = join(dir, 'out.ulaw');
  t.same(run('clamp', '--format', 'ulaw', inPath, outPath), { status: 0, stdout: '77\n', stderr: '' });
  const out = readFileSync(outPath);
  t.equal(out.length, readFileSync(inPath).length, 'same length');
  t.equal(parseAudio(out, 'out.ulaw', { format: 'ulaw', sampleRate: 8000 }).length, pcm.length);
  t.equal(run('detect', '--format', 'ulaw', outPath).stdout, '\n', 'no digit left');
});

t.test('errors: exit 2 for usage and bad input, 1 when OUT cannot be written', async (t) => {
  const inPath = file('ok.wav', encodeWav(signal('1', 8000), { sampleRate: 8000, encoding: 'pcm16' }));
  const usage = [
    [['clamp', inPath], /missing required argument 'out'/],
    [['clamp', '--mode', 'loud', inPath, 'x.wav'], /argument 'loud' is invalid.*silence, noise, tone, digit/],
    [['clamp', inPath, 'x.wav', 'y.wav'], /too many arguments/],
    [['clamp', join(dir, 'missing.wav'), 'x.wav'], /missing\.wav/],
    [['clamp', file('bad.wav', new TextEncoder().encode('not a wav at all, clearly')), 'x.wav'], /bad\.wav/],
  ] as const;
  for (const [args, words] of usage) {
    const result = run(...args);
    t.equal(result.status, 2, `${args.join(' ')}: exit 2`);
    t.match(result.stderr, words, 'stderr says what is wrong');
    t.equal(result.stdout, '', 'nothing on stdout');
  }
  mkdirSync(join(dir, 'a-directory'), { recursive: true });
  const unwritable = run('clamp', inPath, join(dir, 'a-directory'));
  t.equal(unwritable.status, 1, 'OUT is a directory: exit 1');
  t.match(unwritable.stderr, /a-directory: cannot write/, 'stderr names OUT');
});
