// src/audio-file/: WAV/raw parsing and writing. Files come from our own writer (patched
// byte by byte for the malformed cases) and from sox, an independent writer and decoder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { AudioFileError, type AudioFileErrorCode } from '../../src/audio-file/audio-file-error.js';
import { type AudioEncoding, durationMs } from '../../src/audio-file/audio-format.js';
import { encodeAudio, parseAudio, readAudioFile } from '../../src/audio-file/audio-file.js';
import { encodeRaw, parseRaw } from '../../src/audio-file/raw-audio.js';
import { encodeWav } from '../../src/audio-file/wav-writer.js';
import { parseWav } from '../../src/audio-file/wav-parser.js';
import { toMono8k } from '../../src/audio-file/mono-8k.js';
import { alawToLinear, linearToAlaw, linearToUlaw, ulawToLinear } from '../../native-free-dsp/g711.js';

const dir = mkdtempSync(join(tmpdir(), 'toneguard-audio-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Helpers

/** sox present, or the test fails with how to get it (skipped with TONEGUARD_SKIP_TOOLS=1). */
function requireSox(tt: Test): boolean {
  if (spawnSync('sox', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  if (process.env.TONEGUARD_SKIP_TOOLS === '1') tt.pass('sox not found', { skip: 'sox not found; skipped because TONEGUARD_SKIP_TOOLS=1' });
  else tt.fail('sox not found: install it (apt-get install -y sox), or set TONEGUARD_SKIP_TOOLS=1 to skip the tests that need it');
  return false;
}

/** A deterministic test signal: a sweep plus full-scale extremes, so every code path is hit. */
function signal(length: number, seed = 1): Int16Array {
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.round(20000 * Math.sin((seed * i * i) / 5000) + 5000 * Math.sin(i / (3 + seed)));
  if (length > 2) {
    out[0] = 32767;
    out[1] = -32768;
  }
  return out;
}

function g711RoundTrip(samples: Int16Array, encoding: AudioEncoding): Int16Array {
  if (encoding === 'pcm16') return samples;
  const [encode, decode] = encoding === 'ulaw' ? [linearToUlaw, ulawToLinear] : [linearToAlaw, alawToLinear];
  return samples.map((s) => decode(encode(s)));
}

function u32le(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return b;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One RIFF chunk; `declaredSize` overrides the size field; odd bodies get their pad byte unless `pad` is false. */
function chunk(id: string, body: Uint8Array, options: { declaredSize?: number; pad?: boolean } = {}): Uint8Array {
  const pad = (options.pad ?? true) && body.length % 2 === 1 ? new Uint8Array(1) : new Uint8Array(0);
  return concat(ascii(id), u32le(options.declaredSize ?? body.length), body, pad);
}

/** RIFF/WAVE around `chunks`; RIFF size is right unless given. */
function riff(chunks: Uint8Array[], riffSize?: number, head = 'RIFF'): Uint8Array {
  const body = concat(ascii('WAVE'), ...chunks);
  return concat(ascii(head), u32le(riffSize ?? body.length), body);
}

function fmtBody(tag: number, channels: number, rate: number, bits: number, extra?: Uint8Array): Uint8Array {
  const b = new Uint8Array(16 + (extra === undefined ? 0 : 2 + extra.length));
  const v = new DataView(b.buffer);
  const blockAlign = (channels * bits) / 8;
  v.setUint16(0, tag, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, rate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, bits, true);
  if (extra !== undefined) {
    v.setUint16(16, extra.length, true);
    b.set(extra, 18);
  }
  return b;
}

/** WAVEFORMATEXTENSIBLE extension: valid bits, channel mask, SubFormat GUID for `subTag`. */
function extensibleExtra(bits: number, subTag: number, guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]): Uint8Array {
  const b = new Uint8Array(22);
  const v = new DataView(b.buffer);
  v.setUint16(0, bits, true);
  v.setUint32(2, 0x4, true);
  v.setUint16(6, subTag, true);
  b.set(guidTail, 8);
  return b;
}

function pcmBytes(samples: Int16Array): Uint8Array {
  return encodeRaw(samples, 's16le');
}

function checkError(tt: Test, error: unknown, code: AudioFileErrorCode, words: RegExp, file: string): void {
  if (!(error instanceof AudioFileError)) {
    tt.fail(`expected AudioFileError ${code}, got ${String(error)}`);
    return;
  }
  tt.equal(error.code, code, `code ${code}: ${error.message}`);
  tt.equal(error.file, file, 'error names the file');
  tt.ok(error.message.startsWith(`${file}: `), 'message starts with the file name');
  tt.match(error.message, words, `message names the problem: ${words}`);
}

function expectError(tt: Test, fn: () => unknown, code: AudioFileErrorCode, words: RegExp, file = 'in.wav'): void {
  try {
    fn();
    tt.fail(`expected ${code}, parsed without error`);
  } catch (error) {
    checkError(tt, error, code, words, file);
  }
}

async function expectRejection(tt: Test, promise: Promise<unknown>, code: AudioFileErrorCode, words: RegExp, file: string): Promise<void> {
  try {
    await promise;
    tt.fail(`expected ${code}, read without error`);
  } catch (error) {
    checkError(tt, error, code, words, file);
  }
}

function sox(tt: Test, args: string[]): boolean {
  const result = spawnSync('sox', args, { encoding: 'utf8' });
  if (result.status !== 0) {
    tt.fail(`sox ${args.join(' ')} failed: ${result.stderr}${result.error?.message ?? ''}`);
    return false;
  }
  return true;
}

/** sox's own decoding of `path` to interleaved 16-bit samples. */
function soxDecode(tt: Test, path: string): Int16Array | undefined {
  const raw = join(dir, 'sox-decoded.raw');
  if (!sox(tt, [path, '-t', 'raw', '-e', 'signed', '-b', '16', '-L', raw])) return undefined;
  const bytes = readFileSync(raw);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function deinterleave(interleaved: Int16Array, channels: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let c = 0; c < channels; c++) out.push(interleaved.filter((_, i) => i % channels === c));
  return out;
}

function sameSamples(tt: Test, actual: Int16Array, expected: Int16Array, what: string): void {
  tt.equal(actual.length, expected.length, `${what}: length`);
  let firstDiff = -1;
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    if (actual[i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  tt.equal(firstDiff, -1, `${what}: samples equal${firstDiff >= 0 ? ` (first difference at ${firstDiff}: ${actual[firstDiff]} vs ${expected[firstDiff]})` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// Writer and round trips

t.test('encodeWav writes a canonical header', async (t) => {
  const pcm = encodeWav(signal(101), { sampleRate: 8000, encoding: 'pcm16' });
  const v = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  t.equal(String.fromCharCode(...pcm.subarray(0, 4)), 'RIFF');
  t.equal(v.getUint32(4, true), pcm.length - 8, 'RIFF size');
  t.equal(String.fromCharCode(...pcm.subarray(8, 16)), 'WAVEfmt ');
  t.equal(v.getUint32(16, true), 16, 'PCM fmt chunk is 16 bytes');
  t.equal(v.getUint16(20, true), 1, 'WAVE_FORMAT_PCM');
  t.equal(v.getUint16(34, true), 16, '16 bits');
  t.equal(String.fromCharCode(...pcm.subarray(36, 40)), 'data');
  t.equal(v.getUint32(40, true), 202, 'data size');
  t.equal(pcm.length, 44 + 202);

  const ulaw = encodeWav(signal(101), { sampleRate: 8000, encoding: 'ulaw' });
  const u = new DataView(ulaw.buffer, ulaw.byteOffset, ulaw.byteLength);
  t.equal(u.getUint32(16, true), 18, 'G.711 fmt chunk is 18 bytes (cbSize 0)');
  t.equal(u.getUint16(20, true), 7, 'WAVE_FORMAT_MULAW');
  t.equal(u.getUint16(34, true), 8, '8 bits');
  t.equal(String.fromCharCode(...ulaw.subarray(38, 42)), 'fact', 'fact chunk for a non-PCM format');
  t.equal(u.getUint32(46, true), 101, 'fact: sample frames');
  t.equal(String.fromCharCode(...ulaw.subarray(50, 54)), 'data');
  t.equal(u.getUint32(54, true), 101, 'data size (odd)');
  t.equal(ulaw.length, 58 + 101 + 1, 'odd data chunk padded to even');
  t.equal(u.getUint32(4, true), ulaw.length - 8, 'RIFF size includes the pad byte');

  const alaw = encodeWav([signal(10), signal(10, 2)], { sampleRate: 16000, encoding: 'alaw' });
  const a = new DataView(alaw.buffer, alaw.byteOffset, alaw.byteLength);
  t.equal(a.getUint16(20, true), 6, 'WAVE_FORMAT_ALAW');
  t.equal(a.getUint16(22, true), 2, 'two channels');
  t.equal(a.getUint32(28, true), 32000, 'byte rate');
  t.equal(a.getUint16(32, true), 2, 'block align');

  t.throws(() => encodeWav([signal(10), signal(11)], { sampleRate: 8000, encoding: 'pcm16' }), RangeError, 'channels of different lengths');
  t.throws(() => encodeWav([], { sampleRate: 8000, encoding: 'pcm16' }), RangeError, 'no channels');
  t.throws(() => encodeWav(signal(10), { sampleRate: 0, encoding: 'pcm16' }), RangeError, 'rate 0');
});

t.test('writer -> parser round trip for every encoding, rate and channel count', async (t) => {
  for (const encoding of ['pcm16', 'ulaw', 'alaw'] as const) {
    for (const sampleRate of [8000, 11025, 16000, 44100, 48000]) {
      for (const channels of [1, 2, 3]) {
        const frames = 1001;
        const input = Array.from({ length: channels }, (_, c) => signal(frames, c + 1));
        const audio = parseWav(encodeWav(input, { sampleRate, encoding }), 'rt.wav');
        const label = `${encoding} ${sampleRate} Hz ${channels} ch`;
        t.same(
          { container: audio.container, encoding: audio.encoding, sampleRate: audio.sampleRate, channels: audio.channels, length: audio.length },
          { container: 'wav', encoding, sampleRate, channels, length: frames },
          label,
        );
        for (let c = 0; c < channels; c++) sameSamples(t, audio.channelData[c], g711RoundTrip(input[c], encoding), `${label} channel ${c}`);
        if (channels === 1) t.equal(audio.samples, audio.channelData[0], `${label}: mono samples are channel 0`);
        else {
          const mean = audio.channelData[0].map((_, i) => Math.round(audio.channelData.reduce((s, ch) => s + ch[i], 0) / channels));
          sameSamples(t, audio.samples, mean, `${label}: mono mix is the mean of the channels`);
        }
      }
    }
  }
});

t.test('encodeAudio reproduces the input format, WAV or raw', async (t) => {
  const stereo = parseWav(encodeWav([signal(50), signal(50, 3)], { sampleRate: 22050, encoding: 'alaw' }), 'a.wav');
  const again = parseWav(encodeAudio(stereo.channelData, stereo), 'b.wav');
  t.same([again.encoding, again.sampleRate, again.channels], ['alaw', 22050, 2]);
  sameSamples(t, again.channelData[1], stereo.channelData[1], 'G.711 decode -> encode -> decode is exact');

  for (const format of ['s16le', 'ulaw', 'alaw'] as const) {
    const raw = parseRaw(encodeRaw(signal(99), format), { format, sampleRate: 8000 }, 'x.raw');
    const bytes = encodeAudio(raw.channelData, raw);
    t.same(bytes, encodeRaw(raw.samples, format), `${format}: raw stays raw`);
  }
  t.throws(() => encodeAudio([signal(5), signal(5)], { container: 'wav', encoding: 'pcm16', sampleRate: 8000, channels: 1 }), RangeError, 'channel count must match');
});

// ---------------------------------------------------------------------------------------------
// Chunk layout

t.test('chunks in any order, odd sizes padded, unknown chunks skipped', async (t) => {
  const samples = signal(40);
  const fmt = chunk('fmt ', fmtBody(1, 1, 8000, 16));
  const data = chunk('data', pcmBytes(samples));
  const list = chunk('LIST', ascii('INFOISFT\x05\x00\x00\x00sox!\x00')); // 17 bytes: odd, padded
  const junk = chunk('JUNK', new Uint8Array(3));

  for (const [label, chunks] of [
    ['fmt, data', [fmt, data]],
    ['data before fmt', [data, fmt]],
    ['odd LIST and JUNK between', [list, fmt, junk, data, list]],
    ['data first, odd chunks after', [data, junk, list, fmt]],
  ] as const) {
    const audio = parseWav(riff([...chunks]), 'order.wav');
    sameSamples(t, audio.samples, samples, label);
  }

  const unpadded = riff([fmt, chunk('LIST', new Uint8Array(5).fill(0x41), { pad: false }), data]);
  sameSamples(t, parseWav(unpadded, 'nopad.wav').samples, samples, 'a writer that forgot the pad byte after an odd chunk');

  const twoData = riff([fmt, data, chunk('data', pcmBytes(signal(10, 9)))]);
  sameSamples(t, parseWav(twoData, 'two.wav').samples, samples, 'the first data chunk wins');

  const trailing = concat(riff([fmt, data]), ascii('\x00\x00garbage after the RIFF chunk'));
  sameSamples(t, parseWav(trailing, 'trailing.wav').samples, samples, 'garbage after the RIFF chunk is ignored');

  const oddPcm = riff([fmt, chunk('data', concat(pcmBytes(samples), new Uint8Array([0x7f])))]);
  t.equal(parseWav(oddPcm, 'odd.wav').length, 40, 'a trailing half sample is dropped');

  const longRiff = concat(riff([fmt, data], 10_000));
  sameSamples(t, parseWav(longRiff, 'long-riff.wav').samples, samples, 'RIFF size beyond the file with the data complete');
});

t.test('WAVE_FORMAT_EXTENSIBLE maps the subformat GUID', async (t) => {
  const samples = signal(64);
  for (const [subTag, encoding, bits, bytes] of [
    [1, 'pcm16', 16, pcmBytes(samples)],
    [7, 'ulaw', 8, Uint8Array.from(samples, linearToUlaw)],
    [6, 'alaw', 8, Uint8Array.from(samples, linearToAlaw)],
  ] as const) {
    const file = riff([chunk('fmt ', fmtBody(0xfffe, 1, 8000, bits, extensibleExtra(bits, subTag))), chunk('data', bytes)]);
    const audio = parseWav(file, 'ext.wav');
    t.equal(audio.encoding, encoding, `subformat ${subTag} is ${encoding}`);
    sameSamples(t, audio.samples, g711RoundTrip(samples, encoding), `extensible ${encoding}`);
  }
  const float = riff([chunk('fmt ', fmtBody(0xfffe, 1, 8000, 32, extensibleExtra(32, 3))), chunk('data', new Uint8Array(16))]);
  expectError(t, () => parseWav(float, 'in.wav'), 'EUNSUPPORTED', /unsupported: WAVE_FORMAT_EXTENSIBLE 32-bit IEEE float/);
  const ambisonic = extensibleExtra(16, 1, [0x00, 0x00, 0x21, 0x07, 0xd3, 0x11, 0x86, 0x44, 0xc8, 0xc1, 0xca, 0x00, 0x00, 0x00]);
  const odd = riff([chunk('fmt ', fmtBody(0xfffe, 1, 8000, 16, ambisonic)), chunk('data', pcmBytes(samples))]);
  expectError(t, () => parseWav(odd, 'in.wav'), 'EUNSUPPORTED', /unsupported: WAVE_FORMAT_EXTENSIBLE subformat \{00000001-0721-11d3-8644-c8c1ca000000\}/);
  const short = riff([chunk('fmt ', fmtBody(0xfffe, 1, 8000, 16)), chunk('data', pcmBytes(samples))]);
  expectError(t, () => parseWav(short, 'in.wav'), 'EBADFMT', /WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is 16 bytes/);
});

t.test('streaming writers: unfinalised sizes mean "to the end of the file"', async (t) => {
  const samples = signal(80);
  const fmt = chunk('fmt ', fmtBody(1, 1, 8000, 16));
  const body = pcmBytes(samples);
  const dataHeader = (size: number): Uint8Array => concat(ascii('data'), u32le(size));
  for (const [label, riffSize, dataSize] of [
    ['RIFF 0, data 0', 0, 0],
    ['RIFF 0xFFFFFFFF, data 0xFFFFFFFF', 0xffffffff, 0xffffffff],
    ['RIFF 0xFFFFFFFF, data 0', 0xffffffff, 0],
    ['RIFF 0, data larger than the file', 0, 1_000_000],
    ['sox to a pipe: data 0x7FFFF000', 0x7ffff024, 0x7ffff000],
  ] as const) {
    const file = concat(ascii('RIFF'), u32le(riffSize), ascii('WAVE'), fmt, dataHeader(dataSize), body);
    sameSamples(t, parseWav(file, 'stream.wav').samples, samples, label);
  }
  const rf64 = concat(
    ascii('RF64'),
    u32le(0xffffffff),
    ascii('WAVE'),
    chunk('ds64', concat(u32le(0), u32le(0), u32le(160), u32le(0), u32le(80), u32le(0), u32le(0))),
    fmt,
    dataHeader(0xffffffff),
    body,
    ascii('LIST'),
  );
  sameSamples(t, parseWav(rf64, 'rf64.wav').samples, samples, 'RF64 with the data size in ds64');

  const finalisedEmpty = concat(ascii('RIFF'), u32le(36), ascii('WAVE'), fmt, dataHeader(0));
  expectError(t, () => parseWav(finalisedEmpty, 'in.wav'), 'EEMPTY', /empty/);
  const unfinalisedEmpty = concat(ascii('RIFF'), u32le(0), ascii('WAVE'), fmt, dataHeader(0));
  expectError(t, () => parseWav(unfinalisedEmpty, 'in.wav'), 'EEMPTY', /empty/);
});

// ---------------------------------------------------------------------------------------------
// Errors

t.test('malformed, truncated, empty and unsupported files', async (t) => {
  const samples = signal(100);
  const fmt = chunk('fmt ', fmtBody(1, 1, 8000, 16));
  const good = riff([fmt, chunk('data', pcmBytes(samples))]);

  expectError(t, () => parseWav(new Uint8Array(0), 'in.wav'), 'EEMPTY', /empty: the file is 0 bytes/);
  expectError(t, () => parseWav(ascii('hello, this is text and not audio'), 'in.wav'), 'ENOTWAV', /not a WAV file/);
  expectError(t, () => parseWav(ascii('RI'), 'in.wav'), 'ENOTWAV', /not a WAV file/);
  expectError(
    t,
    () =>
      parseWav(
        riff([fmt], undefined, 'RIFF').map((b, i) => (i >= 8 && i < 12 ? 'AVI '.charCodeAt(i - 8) : b)),
        'in.wav',
      ),
    'ENOTWAV',
    /RIFF form 'AVI '/,
  );
  expectError(t, () => parseWav(riff([fmt], undefined, 'RIFX'), 'in.wav'), 'EUNSUPPORTED', /big-endian/);
  expectError(t, () => parseWav(good.subarray(0, 10), 'in.wav'), 'ETRUNCATED', /truncated: 10 bytes/);

  expectError(t, () => parseWav(good.subarray(0, good.length - 51), 'in.wav'), 'ETRUNCATED', /truncated: data chunk declares 200 bytes but only 149 are present/);
  expectError(t, () => parseWav(good.subarray(0, 44), 'in.wav'), 'ETRUNCATED', /truncated: data chunk declares 200 bytes but only 0/);
  expectError(t, () => parseWav(good.subarray(0, 30), 'in.wav'), 'ETRUNCATED', /truncated: 'fmt ' chunk declares 16 bytes but only 10/);
  expectError(t, () => parseWav(riff([fmt, chunk('LIST', new Uint8Array(10), { declaredSize: 5000 })]), 'in.wav'), 'ETRUNCATED', /truncated: 'LIST' chunk declares 5000 bytes.*no 'data' chunk/);

  expectError(t, () => parseWav(riff([fmt, chunk('data', new Uint8Array(0))]), 'in.wav'), 'EEMPTY', /empty: the data chunk holds no samples \(0 bytes\)/);
  expectError(t, () => parseWav(riff([fmt, chunk('data', new Uint8Array(1))]), 'in.wav'), 'EEMPTY', /empty: .*1 byte\)/);
  expectError(t, () => parseWav(riff([fmt]), 'in.wav'), 'ENODATA', /no 'data' chunk/);
  expectError(t, () => parseWav(riff([chunk('data', pcmBytes(samples))]), 'in.wav'), 'ENOFMT', /no 'fmt ' chunk/);
  expectError(t, () => parseWav(riff([]), 'in.wav'), 'ENOFMT', /no 'fmt ' chunk and no 'data' chunk/);
  expectError(t, () => parseWav(riff([chunk('fmt ', new Uint8Array(14)), chunk('data', pcmBytes(samples))]), 'in.wav'), 'EBADFMT', /'fmt ' chunk is 14 bytes/);
  expectError(t, () => parseWav(riff([chunk('fmt ', fmtBody(1, 0, 8000, 16)), chunk('data', pcmBytes(samples))]), 'in.wav'), 'EBADFMT', /0 channels/);
  expectError(t, () => parseWav(riff([chunk('fmt ', fmtBody(1, 1, 0, 16)), chunk('data', pcmBytes(samples))]), 'in.wav'), 'EBADFMT', /0 Hz/);

  for (const [tag, bits, words] of [
    [1, 8, /unsupported: 8-bit PCM/],
    [1, 24, /unsupported: 24-bit PCM/],
    [1, 32, /unsupported: 32-bit PCM/],
    [3, 32, /unsupported: 32-bit IEEE float/],
    [3, 64, /unsupported: 64-bit IEEE float/],
    [7, 16, /unsupported: mu-law with 16 bits per sample/],
    [2, 4, /unsupported: Microsoft ADPCM \(format tag 0x0002\)/],
    [0x55, 0, /unsupported: MPEG Layer 3 \(MP3\) \(format tag 0x0055\)/],
    [0x1234, 16, /unsupported: format tag 0x1234/],
  ] as const) {
    const file = riff([chunk('fmt ', fmtBody(tag, 1, 8000, bits)), chunk('data', new Uint8Array(64))]);
    expectError(t, () => parseWav(file, 'in.wav'), 'EUNSUPPORTED', words);
    expectError(t, () => parseWav(file, 'in.wav'), 'EUNSUPPORTED', /toneguard reads 16-bit PCM, G.711 mu-law and G.711 A-law/);
  }

  t.test('AudioFileError', async (t) => {
    const error = new AudioFileError('ETRUNCATED', 'a/b.wav', 'truncated: x');
    t.ok(error instanceof Error);
    t.equal(error.name, 'AudioFileError');
    t.equal(error.message, 'a/b.wav: truncated: x');
    t.equal(error.problem, 'truncated: x');
  });
});

// ---------------------------------------------------------------------------------------------
// Raw input, files on disk, 8 kHz conversion

t.test('raw input', async (t) => {
  const samples = signal(333);
  const s16 = parseRaw(encodeRaw(samples, 's16le'), { format: 's16le', sampleRate: 16000 }, 'x.raw');
  t.same([s16.container, s16.encoding, s16.sampleRate, s16.channels, s16.length], ['raw', 'pcm16', 16000, 1, 333]);
  sameSamples(t, s16.samples, samples, 's16le');
  for (const format of ['ulaw', 'alaw'] as const) {
    const audio = parseRaw(encodeRaw(samples, format), { format, sampleRate: 8000 }, 'x.raw');
    t.equal(audio.encoding, format);
    sameSamples(t, audio.samples, g711RoundTrip(samples, format), format);
  }
  t.equal(parseRaw(new Uint8Array(7), { format: 's16le', sampleRate: 8000 }, 'x.raw').length, 3, 'a trailing half sample is dropped');
  expectError(t, () => parseRaw(new Uint8Array(0), { format: 'ulaw', sampleRate: 8000 }, 'x.raw'), 'EEMPTY', /empty: no ulaw samples \(0 bytes\)/, 'x.raw');
  expectError(t, () => parseRaw(new Uint8Array(1), { format: 's16le', sampleRate: 8000 }, 'x.raw'), 'EEMPTY', /empty/, 'x.raw');
  expectError(t, () => parseRaw(new Uint8Array(8), { format: 's16le', sampleRate: 0 }, 'x.raw'), 'EINVAL', /sample rate 0/, 'x.raw');
  expectError(t, () => parseRaw(new Uint8Array(8), { format: 's16le', sampleRate: 8000.5 }, 'x.raw'), 'EINVAL', /sample rate/, 'x.raw');
  // parseAudio: WAV unless raw options are given, even when the bytes are a WAV file.
  const wav = encodeWav(samples, { sampleRate: 8000, encoding: 'pcm16' });
  t.equal(parseAudio(wav, 'w.wav').container, 'wav');
  t.equal(parseAudio(wav, 'w.wav', { format: 's16le', sampleRate: 8000 }).length, wav.length / 2, 'raw options: header read as samples');
});

t.test('readAudioFile', async (t) => {
  const path = join(dir, 'read.wav');
  writeFileSync(path, encodeWav(signal(160), { sampleRate: 8000, encoding: 'ulaw' }));
  const audio = await readAudioFile(path);
  t.same([audio.encoding, audio.length], ['ulaw', 160]);
  t.equal(durationMs(audio), 20, 'duration, ms');

  const rawPath = join(dir, 'read.ul');
  writeFileSync(rawPath, encodeRaw(signal(80), 'ulaw'));
  t.equal((await readAudioFile(rawPath, { format: 'ulaw', sampleRate: 8000 })).length, 80);

  await expectRejection(t, readAudioFile(join(dir, 'missing.wav')), 'EREAD', /cannot read: no such file/, join(dir, 'missing.wav'));
  await expectRejection(t, readAudioFile(dir), 'EREAD', /cannot read: is a directory/, dir);
  const bad = join(dir, 'bad.wav');
  writeFileSync(bad, 'not audio');
  await expectRejection(t, readAudioFile(bad), 'ENOTWAV', /not a WAV file/, bad);
});

t.test('toMono8k', async (t) => {
  const at8k = parseWav(encodeWav(signal(800), { sampleRate: 8000, encoding: 'pcm16' }), 'a.wav');
  t.equal(toMono8k(at8k), at8k.samples, '8 kHz input is passed through');
  for (const rate of [16000, 44100, 48000, 11025]) {
    const frames = rate / 10; // 100 ms
    const mixed = parseWav(encodeWav([signal(frames), signal(frames, 2)], { sampleRate: rate, encoding: 'pcm16' }), 'b.wav');
    const out = toMono8k(mixed);
    t.ok(Math.abs(out.length - 800) <= 1, `${rate} Hz, 100 ms -> ${out.length} samples at 8 kHz`);
  }
});

// ---------------------------------------------------------------------------------------------
// Files written by sox (an independent implementation)

t.test('files written by sox', async (t) => {
  if (!requireSox(t)) return;

  const cases: { name: string; args: string[]; encoding: AudioEncoding; rate: number; channels: number; fmtTag: number }[] = [
    { name: 'pcm16-44k-stereo.wav', args: ['-r', '44100', '-c', '2', '-b', '16'], encoding: 'pcm16', rate: 44100, channels: 2, fmtTag: 1 },
    { name: 'pcm16-8k-mono.wav', args: ['-r', '8000', '-c', '1', '-b', '16'], encoding: 'pcm16', rate: 8000, channels: 1, fmtTag: 1 },
    { name: 'pcm16-22k-3ch-extensible.wav', args: ['-r', '22050', '-c', '3', '-b', '16', '-t', 'wav'], encoding: 'pcm16', rate: 22050, channels: 3, fmtTag: 0xfffe },
    { name: 'pcm16-22k-3ch-wavpcm.wav', args: ['-r', '22050', '-c', '3', '-b', '16', '-t', 'wavpcm'], encoding: 'pcm16', rate: 22050, channels: 3, fmtTag: 1 },
    { name: 'ulaw-8k.wav', args: ['-r', '8000', '-c', '1', '-e', 'mu-law'], encoding: 'ulaw', rate: 8000, channels: 1, fmtTag: 7 },
    { name: 'alaw-8k.wav', args: ['-r', '8000', '-c', '1', '-e', 'a-law'], encoding: 'alaw', rate: 8000, channels: 1, fmtTag: 6 },
    { name: 'ulaw-16k-stereo.wav', args: ['-r', '16000', '-c', '2', '-e', 'mu-law', '-t', 'wav'], encoding: 'ulaw', rate: 16000, channels: 2, fmtTag: 7 },
    { name: 'alaw-8k-3ch.wav', args: ['-r', '8000', '-c', '3', '-e', 'a-law', '-t', 'wavpcm'], encoding: 'alaw', rate: 8000, channels: 3, fmtTag: 6 },
  ];
  for (const c of cases) {
    const path = join(dir, c.name);
    // -D: no dither, so the file is a pure function of the synth.
    if (!sox(t, ['-D', '-n', ...c.args, path, 'synth', '0.5', 'sine', '1000', 'sine', '697', 'gain', '-3'])) continue;
    const bytes = readFileSync(path);
    t.equal(bytes.readUInt16LE(20), c.fmtTag, `${c.name}: sox wrote format tag 0x${c.fmtTag.toString(16)}`);
    const audio = await readAudioFile(path);
    t.same([audio.encoding, audio.sampleRate, audio.channels, audio.length], [c.encoding, c.rate, c.channels, c.rate / 2], `${c.name}: format`);
    const decoded = soxDecode(t, path);
    if (decoded === undefined) continue;
    const channels = deinterleave(decoded, c.channels);
    for (let ch = 0; ch < c.channels; ch++) sameSamples(t, audio.channelData[ch], channels[ch], `${c.name}: channel ${ch} equals sox's decoding`);
  }

  t.test('sox writing to a pipe (header never finalised)', async (t) => {
    const result = spawnSync('sh', ['-c', `sox -D -n -r 8000 -c 1 -b 16 -e signed -t wav - synth 0.25 sine 1000 2>/dev/null | cat > '${join(dir, 'piped.wav')}'`]);
    t.equal(result.status, 0, 'sox | cat');
    const bytes = readFileSync(join(dir, 'piped.wav'));
    t.equal(bytes.readUInt32LE(40), 0x7ffff000, 'sox left its placeholder data size');
    const audio = await readAudioFile(join(dir, 'piped.wav'));
    t.equal(audio.length, 2000, 'all 250 ms read');
  });

  t.test('raw files written by sox', async (t) => {
    for (const [format, args] of [
      ['s16le', ['-e', 'signed', '-b', '16', '-L']],
      ['ulaw', ['-e', 'mu-law']],
      ['alaw', ['-e', 'a-law']],
    ] as const) {
      const path = join(dir, `sox.${format}`);
      if (!sox(t, ['-D', '-n', '-r', '16000', '-c', '1', ...args, '-t', 'raw', path, 'synth', '0.1', 'sine', '1209'])) continue;
      const audio = await readAudioFile(path, { format, sampleRate: 16000 });
      t.equal(audio.length, 1600, `${format}: length`);
      const decoded = spawnSync('sox', ['-t', 'raw', '-r', '16000', '-c', '1', ...args, path, '-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-'], { maxBuffer: 1 << 24 });
      const expected = new Int16Array(decoded.stdout.buffer.slice(decoded.stdout.byteOffset, decoded.stdout.byteOffset + decoded.stdout.length));
      sameSamples(t, audio.samples, expected, `${format}: equals sox's decoding`);
    }
  });

  t.test('unsupported codecs written by sox', async (t) => {
    for (const [name, args, words] of [
      ['pcm8.wav', ['-b', '8'], /unsupported: 8-bit PCM/],
      ['pcm24.wav', ['-b', '24'], /unsupported: WAVE_FORMAT_EXTENSIBLE 24-bit PCM/],
      ['pcm32.wav', ['-b', '32', '-e', 'signed'], /unsupported: WAVE_FORMAT_EXTENSIBLE 32-bit PCM/],
      ['float32.wav', ['-b', '32', '-e', 'floating-point'], /unsupported: 32-bit IEEE float/],
      ['ms-adpcm.wav', ['-e', 'ms-adpcm'], /unsupported: Microsoft ADPCM/],
      ['ima-adpcm.wav', ['-e', 'ima-adpcm'], /unsupported: IMA ADPCM/],
      ['gsm.wav', ['-e', 'gsm-full-rate'], /unsupported: GSM 6.10/],
    ] as const) {
      const path = join(dir, name);
      if (!sox(t, ['-D', '-n', '-r', '8000', '-c', '1', ...args, '-t', 'wav', path, 'synth', '0.1', 'sine', '1000'])) continue;
      await expectRejection(t, readAudioFile(path), 'EUNSUPPORTED', words, path);
    }
  });

  t.test('a sox file cut short', async (t) => {
    const full = readFileSync(join(dir, 'pcm16-8k-mono.wav'));
    const path = join(dir, 'cut.wav');
    writeFileSync(path, full.subarray(0, 1000));
    await expectRejection(t, readAudioFile(path), 'ETRUNCATED', /truncated: data chunk declares 8000 bytes but only 956 are present/, path);
  });
});
