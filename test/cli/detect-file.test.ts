// `toneguard detect` on mono 8 kHz input decodes a second at a time into one buffer instead of
// the whole file at once: the digits are exactly those of the detector over the whole decoded
// file, for every encoding (WAV and raw; 16-bit PCM, mu-law, A-law). decodeMonoFrames, the
// piecewise decoder, gives the samples of the whole-file decoder at any offset.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadFixture, projectRoot } from '../../bench/fixture.js';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { detectFile } from '../../src/cli/detect-command.js';
import { decodeMonoFrames } from '../../src/audio-file/sample-codec.js';
import { encodeRaw } from '../../src/audio-file/raw-audio.js';
import { encodeWav } from '../../src/audio-file/wav-writer.js';
import { parseAudio, parseAudioLayout } from '../../src/audio-file/audio-file.js';
import type { AudioEncoding, RawFormat } from '../../src/audio-file/audio-format.js';

const { samples } = loadFixture(projectRoot());
// Five minutes of the benchmark fixture (prompts with digits): several decode pieces.
const pcm = samples.subarray(0, 5 * 60 * 8000);

t.test('decodeMonoFrames at any offset equals the whole-file decoder', async (t) => {
  for (const encoding of ['pcm16', 'ulaw', 'alaw'] as const satisfies readonly AudioEncoding[]) {
    const bytes = encodeWav(pcm.subarray(0, 20011), { sampleRate: 8000, encoding });
    const whole = parseAudio(bytes).samples;
    const layout = parseAudioLayout(bytes);
    const piece = new Int16Array(997);
    let same = true;
    for (let start = 0; start < layout.length; start += piece.length) {
      const count = Math.min(piece.length, layout.length - start);
      decodeMonoFrames(layout, start, count, piece);
      for (let i = 0; i < count; i++) if (piece[i] !== whole[start + i]) same = false;
    }
    t.ok(same, `${encoding}: every piece equals the whole decode`);
  }
  const stereo = parseAudioLayout(encodeWav([pcm.subarray(0, 100), pcm.subarray(0, 100)], { sampleRate: 8000, encoding: 'pcm16' }));
  t.throws(() => decodeMonoFrames(stereo, 0, 10, new Int16Array(10)), RangeError, 'stereo is not decoded piecewise');
  const mono = parseAudioLayout(encodeWav(pcm.subarray(0, 100), { sampleRate: 8000, encoding: 'ulaw' }));
  t.throws(() => decodeMonoFrames(mono, 95, 10, new Int16Array(10)), RangeError, 'no frames past the end');
  t.throws(() => decodeMonoFrames(mono, 0, 10, new Int16Array(5)), RangeError, 'no more frames than the buffer holds');
});

t.test('detectFile on mono 8 kHz files gives the events of the detector over the whole file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-detect-file-'));
  try {
    for (const encoding of ['pcm16', 'ulaw', 'alaw'] as const satisfies readonly AudioEncoding[]) {
      const wav = encodeWav(pcm, { sampleRate: 8000, encoding });
      const expected = detectDtmf(parseAudio(wav).samples);
      t.ok(expected.length > 50, `${encoding}: the file holds digits (${expected.length})`);
      const wavPath = join(dir, `${encoding}.wav`);
      writeFileSync(wavPath, wav);
      t.same(await detectFile(wavPath, { json: true }), expected, `${encoding} WAV: same events`);
      const format: RawFormat = encoding === 'pcm16' ? 's16le' : encoding;
      const rawPath = join(dir, `${encoding}.raw`);
      writeFileSync(rawPath, encodeRaw(parseAudio(wav).samples, format));
      t.same(await detectFile(rawPath, { json: true, format, rate: 8000 }), expected, `raw ${format}: same events`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
