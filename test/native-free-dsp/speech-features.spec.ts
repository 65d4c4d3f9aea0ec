// MFCC front end: frame count and timing, chunking invariance, level independence of c1..c12,
// spectral shape in the cepstrum, and the reset that forgets audio.
import t from 'tap';
import { createMfccState, mfccOf, mfccRx, MFCC_COEFFS, resetMfccState } from '../../native-free-dsp/speech-features.js';

function sine(hz: number, amplitude: number, samples: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000)));
}

t.test('one frame per 10 ms once a 25 ms window is full', async (t) => {
  t.equal(mfccOf(new Int16Array(199)).length, 0);
  t.equal(mfccOf(new Int16Array(200)).length / MFCC_COEFFS, 1);
  t.equal(mfccOf(new Int16Array(8000)).length / MFCC_COEFFS, 98);
});

t.test('any chunking gives the same frames', async (t) => {
  const x = Int16Array.from({ length: 4000 }, (_, i) => Math.round(3000 * Math.sin(i * 0.37) + 500 * Math.sin(i * 1.9 + (i % 7))));
  const whole = mfccOf(x);
  const s = createMfccState();
  const frame = new Float32Array(MFCC_COEFFS);
  const chunked: number[] = [];
  let pos = 0;
  for (const size of [1, 7, 160, 33, 80, 1000]) {
    while (pos < x.length) {
      const n = Math.min(size, x.length - pos);
      mfccRx(s, x.subarray(pos, pos + n), n, frame, (c) => chunked.push(...c));
      pos += n;
      if (size !== 1000) break;
    }
  }
  t.equal(chunked.length, whole.length);
  t.ok(chunked.every((v, i) => Math.abs(v - whole[i]) < 1e-4));
});

t.test('a 20 dB level change moves only c0, by ln(100)', async (t) => {
  // Broadband (noise-like) input, so no filter sits on the energy floor.
  const base = Int16Array.from({ length: 2000 }, (_, i) => Math.round(300 * Math.sin(i * 12.9898 + Math.sin(i * 78.233))));
  const quiet = mfccOf(base);
  const loud = mfccOf(Int16Array.from(base, (v) => v * 10));
  const f = 10 * MFCC_COEFFS;
  t.ok(Math.abs(loud[f] - quiet[f] - Math.log(100)) < 0.01, `c0 step ${loud[f] - quiet[f]}`);
  for (let k = 1; k < MFCC_COEFFS; k++) t.ok(Math.abs(loud[f + k] - quiet[f + k]) < 0.05, `c${k} unchanged`);
});

t.test('low and high tones differ in c1 (spectral tilt) with the expected sign', async (t) => {
  const low = mfccOf(sine(300, 3000, 2000));
  const high = mfccOf(sine(3000, 3000, 2000));
  const f = 10 * MFCC_COEFFS;
  // c1 weights the low filters positively (cos of a quarter turn across the bank).
  t.ok(low[f + 1] > high[f + 1] + 5, `c1 ${low[f + 1]} vs ${high[f + 1]}`);
});

t.test('reset zeroes the sample history', async (t) => {
  const s = createMfccState();
  const frame = new Float32Array(MFCC_COEFFS);
  mfccRx(s, sine(500, 5000, 1000), 1000, frame, () => {});
  t.ok(s.history.some((v) => v !== 0));
  resetMfccState(s);
  t.ok(s.history.every((v) => v === 0) && s.re.every((v) => v === 0) && s.received === 0);
});

t.test('vocal-tract-length warp: 1 is the run-time front end, over 1 moves a tone to lower filters', async (t) => {
  const tone = sine(1500, 3000, 2000);
  const plain = mfccOf(tone);
  t.same(Array.from(mfccOf(tone, 1)), Array.from(plain), 'warp 1 changes nothing');
  // A filter bank stretched upwards (warp 1.15) sees a fixed tone in lower filters, as if the
  // speaker's formants were lower: c1 (low filters weighted positively) rises.
  const f = 10 * MFCC_COEFFS;
  const up = mfccOf(tone, 1.15);
  const down = mfccOf(tone, 0.87);
  t.ok(up[f + 1] > plain[f + 1] + 0.5 && plain[f + 1] > down[f + 1] + 0.5, `c1 ${down[f + 1]} < ${plain[f + 1]} < ${up[f + 1]}`);
  t.ok(Math.abs(up[f] - plain[f]) < 1e-4, 'c0 (frame energy) does not depend on the filter bank');
});
