// `toneguard detect` end to end: the compiled CLI on generated files (docs/cli.md).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { compileCli, type CliRun } from '../helpers/cli.js';
import { generateDtmfSequence, type DtmfSequenceItem } from '../../native-free-dsp/tone-generator.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { encodeRaw } from '../../src/audio-file/raw-audio.js';
import { encodeWav } from '../../src/audio-file/wav-writer.js';
import type { AudioEncoding } from '../../src/audio-file/audio-format.js';

const { cli, workDir: dir, run, buildLog } = compileCli(t, 'cli-detect');

// ---------------------------------------------------------------------------------------------
// Test signals

const SEQUENCE_GAP_MS = 120;
const TONE_MS = 90;

interface Truth {
  readonly digit: DtmfDigit;
  readonly startMs: number;
  readonly endMs: number;
}

/** Digits with 120 ms gaps, 90 ms tones and 200 ms of trailing silence, at `sampleRate`. */
function digitsPcm(digits: string, sampleRate = 8000): { pcm: Int16Array; truth: Truth[] } {
  const items: DtmfSequenceItem[] = [];
  const truth: Truth[] = [];
  let at = 0;
  for (const digit of digits as Iterable<DtmfDigit>) {
    items.push({ digit, durationMs: TONE_MS, gapBeforeMs: SEQUENCE_GAP_MS, lowDbm0: -12, twistDb: 2 });
    at += SEQUENCE_GAP_MS;
    truth.push({ digit, startMs: at, endMs: at + TONE_MS });
    at += TONE_MS;
  }
  return { pcm: generateDtmfSequence(items, 200, sampleRate), truth };
}

function writeFile(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

function wavWithDigits(name: string, digits: string, sampleRate: number, encoding: AudioEncoding, channels = 1): { path: string; truth: Truth[] } {
  const { pcm, truth } = digitsPcm(digits, sampleRate);
  // Extra channels carry a quiet 300 Hz hum, so the mono mix is not just the tone.
  const others = Array.from({ length: channels - 1 }, () => pcm.map((_, i) => Math.round(300 * Math.sin((2 * Math.PI * 300 * i) / sampleRate))));
  return { path: writeFile(name, encodeWav([pcm, ...others], { sampleRate, encoding })), truth };
}

function checkNoStack(tt: Test, stderr: string): void {
  tt.notMatch(stderr, /^\s+at /m, 'no stack trace');
}

function checkUsageError(tt: Test, result: CliRun, words: RegExp): void {
  tt.equal(result.status, 2, `exit code 2 (${result.stderr.trim().split('\n')[0]})`);
  tt.equal(result.stdout, '', 'nothing on stdout');
  tt.match(result.stderr, words, 'stderr says what is wrong');
  checkNoStack(tt, result.stderr);
}

// ---------------------------------------------------------------------------------------------

t.test('the build', async (t) => {
  t.ok(existsSync(cli), `tsc emitted ${cli}`);
  if (existsSync(cli)) t.match(readFileSync(cli, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'main.js starts with the node shebang');
});

if (!existsSync(cli)) {
  t.fail(`the CLI did not build; tsc said:\n${buildLog}`);
} else {
  t.test('digits from WAV files in every supported format', async (t) => {
    for (const [name, digits, rate, encoding, channels] of [
      ['pcm16-8k.wav', '159#', 8000, 'pcm16', 1],
      ['pcm16-44k-stereo.wav', '0123456789', 44100, 'pcm16', 2],
      ['pcm16-48k-3ch.wav', '*#AD', 48000, 'pcm16', 3],
      ['pcm16-16k.wav', '4929', 16000, 'pcm16', 1],
      ['ulaw-8k.wav', '1234567890*#', 8000, 'ulaw', 1],
      ['alaw-8k.wav', '4111111111111111', 8000, 'alaw', 1],
      ['ulaw-16k-stereo.wav', 'ABCD', 16000, 'ulaw', 2],
    ] as const) {
      const { path } = wavWithDigits(name, digits, rate, encoding, channels);
      const result = run('detect', path);
      t.equal(result.status, 0, `${name}: exit 0`);
      t.equal(result.stdout, `${digits}\n`, `${name}: prints ${digits} on one line`);
      t.equal(result.stderr, '', `${name}: nothing on stderr`);
    }
  });

  t.test('no digits: one empty line', async (t) => {
    const silence = writeFile('silence.wav', encodeWav(new Int16Array(8000), { sampleRate: 8000, encoding: 'pcm16' }));
    const hum = writeFile(
      'hum.wav',
      encodeWav(
        Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 16000))),
        { sampleRate: 16000, encoding: 'pcm16' },
      ),
    );
    for (const path of [silence, hum]) {
      t.same(run('detect', path), { status: 0, stdout: '\n', stderr: '' }, `${path}: empty line`);
      t.same(run('detect', '--json', path), { status: 0, stdout: '', stderr: '' }, `${path} --json: no lines`);
    }
  });

  t.test('--json: one object per digit per line', async (t) => {
    const { path, truth } = wavWithDigits('json.wav', '7#0', 8000, 'pcm16');
    const result = run('detect', path, '--json');
    t.equal(result.status, 0);
    t.equal(result.stderr, '');
    t.ok(result.stdout.endsWith('\n'), 'ends with a newline');
    const lines = result.stdout.split('\n').slice(0, -1);
    t.equal(lines.length, truth.length, 'one line per digit');
    lines.forEach((line, i) => {
      const expected = truth[i];
      t.match(line, /^\{"digit":"[0-9A-D*#]","startMs":\d+\.\d,"endMs":\d+\.\d,"source":"inband"[,}]/, `line ${i}: keys in contract order, ms with one decimal`);
      const event: unknown = JSON.parse(line);
      if (typeof event !== 'object' || event === null) {
        t.fail(`line ${i} is not an object`);
        return;
      }
      t.same(Object.keys(event).slice(0, 4), ['digit', 'startMs', 'endMs', 'source'], `line ${i}: first keys`);
      t.has(event, { digit: expected.digit, source: 'inband' }, `line ${i}: digit ${expected.digit}`);
      const { startMs, endMs, lowDbm0, highDbm0, twistDb } = event as Record<string, unknown>;
      t.ok(typeof startMs === 'number' && Math.abs(startMs - expected.startMs) <= 10, `line ${i}: startMs ${String(startMs)} ~ ${expected.startMs}`);
      t.ok(typeof endMs === 'number' && Math.abs(endMs - expected.endMs) <= 10, `line ${i}: endMs ${String(endMs)} ~ ${expected.endMs}`);
      t.ok(typeof lowDbm0 === 'number' && Math.abs(lowDbm0 + 12) <= 1.5, `line ${i}: lowDbm0 ${String(lowDbm0)} ~ -12`);
      t.ok(typeof highDbm0 === 'number' && Math.abs(highDbm0 + 14) <= 1.5, `line ${i}: highDbm0 ${String(highDbm0)} ~ -14`);
      t.ok(typeof twistDb === 'number' && Math.abs(twistDb - 2) <= 1.5, `line ${i}: twistDb ${String(twistDb)} ~ 2`);
    });
  });

  t.test("timestamps are in the file's time, whatever its rate", async (t) => {
    const at8k = run('detect', '--json', wavWithDigits('t8.wav', '39', 8000, 'pcm16').path);
    const at44k = run('detect', '--json', wavWithDigits('t44.wav', '39', 44100, 'pcm16').path);
    const starts = (r: CliRun): number[] =>
      r.stdout
        .trim()
        .split('\n')
        .map((line) => Number((JSON.parse(line) as { startMs: number }).startMs));
    const a = starts(at8k);
    const b = starts(at44k);
    t.equal(a.length, 2);
    t.equal(b.length, 2);
    for (let i = 0; i < Math.min(a.length, b.length); i++) t.ok(Math.abs(a[i] - b[i]) <= 2, `digit ${i}: ${a[i]} ms at 8 kHz vs ${b[i]} ms at 44.1 kHz`);
  });

  t.test('raw input with --format and --rate', async (t) => {
    const s16 = digitsPcm('0*', 16000);
    const s16Path = writeFile('in.s16', encodeRaw(s16.pcm, 's16le'));
    t.same(run('detect', '--format', 's16le', '--rate', '16000', s16Path), { status: 0, stdout: '0*\n', stderr: '' }, 's16le at 16 kHz');
    const g711 = digitsPcm('2580');
    const ulaw = writeFile('in.ul', encodeRaw(g711.pcm, 'ulaw'));
    const alaw = writeFile('in.al', encodeRaw(g711.pcm, 'alaw'));
    t.same(run('detect', '--format', 'ulaw', ulaw), { status: 0, stdout: '2580\n', stderr: '' }, 'ulaw, rate defaults to 8000');
    t.same(run('detect', '--format', 'alaw', '--rate', '8000', alaw), { status: 0, stdout: '2580\n', stderr: '' }, 'alaw --rate 8000');
    const json = run('detect', alaw, '--format=alaw', '--json');
    t.equal(json.stdout.trim().split('\n').length, 4, '--json with raw input');
    // A WAV read as raw: the header is a few ms of noise, the digits are still there.
    const wav = wavWithDigits('as-raw.wav', '66', 8000, 'pcm16').path;
    t.same(run('detect', '--format', 's16le', '--rate', '8000', wav), { status: 0, stdout: '66\n', stderr: '' }, 'a WAV file given --format is read as raw');
  });

  t.test('unreadable or invalid input: exit 2, the file and the problem on stderr', async (t) => {
    const good = encodeWav(digitsPcm('12').pcm, { sampleRate: 8000, encoding: 'pcm16' });
    const header = good.subarray(0, 44);
    const noData = good.slice(0, 36);
    new DataView(noData.buffer).setUint32(4, 28, true);
    const pcm24 = good.slice();
    new DataView(pcm24.buffer).setUint16(34, 24, true);
    const cases: [string, string, RegExp][] = [
      ['missing.wav', '', /cannot read: no such file/],
      ['a-directory', '', /cannot read: is a directory/],
      ['text.wav', 'hello, this is not audio\n', /not a WAV file/],
      ['zero.wav', '', /empty: the file is 0 bytes/],
      ['header-only.wav', '', /empty: the data chunk holds no samples/],
      ['truncated.wav', '', /truncated: data chunk declares \d+ bytes but only 956 are present/],
      ['no-data.wav', '', /no 'data' chunk/],
      ['pcm24.wav', '', /unsupported: 24-bit PCM/],
    ];
    mkdirSync(join(dir, 'a-directory'), { recursive: true });
    writeFile('text.wav', cases[2][1]);
    writeFile('zero.wav', new Uint8Array(0));
    const empty = header.slice();
    new DataView(empty.buffer).setUint32(40, 0, true);
    new DataView(empty.buffer).setUint32(4, 36, true);
    writeFile('header-only.wav', empty);
    writeFile('truncated.wav', good.subarray(0, 1000));
    writeFile('no-data.wav', noData);
    writeFile('pcm24.wav', pcm24);
    for (const [name, , words] of cases) {
      const path = join(dir, name);
      for (const args of [
        ['detect', path],
        ['detect', '--json', path],
      ]) {
        const result = run(...args);
        checkUsageError(t, result, words);
        t.ok(result.stderr.includes(path), `${args.join(' ')}: stderr names the file`);
      }
    }
    const emptyRaw = writeFile('empty.ul', new Uint8Array(0));
    const raw = run('detect', '--format', 'ulaw', emptyRaw);
    checkUsageError(t, raw, /empty/);
    t.ok(raw.stderr.includes(emptyRaw), 'raw: stderr names the file');
  });

  t.test('bad usage: exit 2 with a message', async (t) => {
    const wav = wavWithDigits('usage.wav', '1', 8000, 'pcm16').path;
    checkUsageError(t, run('detect'), /missing required argument 'file'/);
    checkUsageError(t, run('detect', wav, 'extra.wav'), /too many arguments/);
    checkUsageError(t, run('detect', '--jsn', wav), /unknown option '--jsn'/);
    checkUsageError(t, run('detect', '--format', 'wav', wav), /argument 'wav' is invalid.*s16le, ulaw, alaw/);
    checkUsageError(t, run('detect', '--format', 's16le', '--rate', '8k', wav), /'8k' is invalid/);
    checkUsageError(t, run('detect', '--format', 's16le', '--rate', '0', wav), /'0' is invalid/);
    checkUsageError(t, run('detect', '--format', 's16le', wav), /s16le input needs --rate/);
    checkUsageError(t, run('detect', '--rate', '8000', wav), /--rate applies to raw input only/);
    checkUsageError(t, run('detect', '--format'), /argument missing/);
    checkUsageError(t, run('frobnicate'), /unknown command 'frobnicate'/);
    const bare = run();
    t.equal(bare.status, 2, 'no command: exit 2');
    t.match(bare.stderr, /Usage: toneguard/, 'no command: help on stderr');
  });

  t.test('help exits 0', async (t) => {
    for (const args of [['--help'], ['help'], ['detect', '--help'], ['help', 'detect'], ['bench', '--help']]) {
      const result = run(...args);
      t.equal(result.status, 0, `${args.join(' ')}: exit 0`);
      t.match(result.stdout, /Usage: toneguard/, `${args.join(' ')}: usage on stdout`);
    }
    t.match(run('detect', '--help').stdout, /--format <format>.*\n.*s16le/s, 'detect --help lists --format');
  });
}
