// Resampler: frequency and level preserved in the telephone band, aliases rejected, chunking
// invisible, and output sample n aligned with input time n / 8000 s.
import t from 'tap';
import {
  ResampleError,
  createResampler,
  downmixToMono,
  resample,
  resampleTo8k,
  resamplerFlush,
  resamplerFlushLength,
  resamplerOutputLength,
  resamplerPush,
  resamplerReset,
} from '../../native-free-dsp/resample.js';

const RATES = [11025, 16000, 22050, 32000, 44100, 48000, 96000];

function sine(rate: number, hz: number, amplitude: number, seconds: number, phase = 0): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin(phase + (2 * Math.PI * hz * i) / rate));
  return out;
}

/** RMS over [from, to). */
function rms(x: Int16Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (to - from));
}

/** Frequency from the first and last upward zero crossings in [from, to), interpolated, Hz. */
function zeroCrossingHz(x: Int16Array, rate: number, from: number, to: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const at = i - 1 + -x[i - 1] / (x[i] - x[i - 1]);
      if (first < 0) first = at;
      last = at;
      count++;
    }
  }
  return ((count - 1) * rate) / (last - first);
}

/** Goertzel power of `hz` over [from, to), normalised so a sine of amplitude A gives A^2 / 2. */
function goertzelPower(x: Int16Array, rate: number, hz: number, from: number, to: number): number {
  const n = to - from;
  const w = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * power) / (n * n);
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

/** Deterministic PRNG (mulberry32) so chunk sizes are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('output length is ceil(N * 8000 / rate)', async (t) => {
  for (const rate of [...RATES, 8000, 12000, 6000]) {
    for (const n of [0, 1, 7, 441, 1000, 44101]) {
      t.equal(resampleTo8k(new Int16Array(n), rate).length, Math.ceil((n * 8000) / rate), `${rate} Hz, ${n} samples`);
    }
  }
});

t.test('8000 Hz is passed through unchanged, with no latency', async (t) => {
  const input = sine(8000, 1234, 20000, 0.1);
  t.same(resampleTo8k(input, 8000), input);
  const state = createResampler(8000);
  t.equal(state.passthrough, true);
  const out = new Int16Array(10);
  t.equal(resamplerPush(state, input, out, 10), 10);
  t.same(out, input.subarray(0, 10));
  t.equal(resamplerFlushLength(state), 0);
});

t.test('1000 Hz keeps its frequency and level (within 0.5 dB)', async (t) => {
  const amplitude = 10000;
  for (const rate of RATES) {
    const out = resampleTo8k(sine(rate, 1000, amplitude, 1), rate);
    t.equal(out.length, 8000);
    // Skip the edges, where the zero padding before and after the stream is inside the filter.
    const from = 400;
    const to = 7600;
    const hz = zeroCrossingHz(out, 8000, from, to);
    t.ok(Math.abs(hz - 1000) < 0.1, `${rate} Hz in: measured ${hz.toFixed(4)} Hz`);
    const goertzelDb = 10 * Math.log10(goertzelPower(out, 8000, 1000, from, to)) - db(amplitude / Math.SQRT2);
    const rmsDb = db(rms(out, from, to) / (amplitude / Math.SQRT2));
    t.ok(Math.abs(goertzelDb) < 0.5 && Math.abs(rmsDb) < 0.5, `${rate} Hz in: level ${rmsDb.toFixed(4)} dB (Goertzel ${goertzelDb.toFixed(4)} dB)`);
  }
});

t.test('passband flat within 0.5 dB from 200 to 3400 Hz', async (t) => {
  const amplitude = 16000;
  for (const rate of [11025, 44100, 48000]) {
    let worst = 0;
    for (let hz = 200; hz <= 3400; hz += 100) {
      const out = resampleTo8k(sine(rate, hz, amplitude, 0.5), rate);
      worst = Math.max(worst, Math.abs(db(rms(out, 400, 3600) / (amplitude / Math.SQRT2))));
    }
    t.ok(worst < 0.5, `${rate} Hz in: worst passband deviation ${worst.toFixed(4)} dB`);
  }
});

t.test('aliases are rejected', async (t) => {
  const amplitude = 30000;
  const inputRms = amplitude / Math.SQRT2;
  const five = resampleTo8k(sine(48000, 5000, amplitude, 1), 48000);
  const fiveDb = db(rms(five, 400, 7600) / inputRms);
  t.ok(fiveDb <= -55, `5000 Hz at 48 kHz attenuated ${(-fiveDb).toFixed(1)} dB (>= 55)`);
  // Whole stopband, 4000 Hz (the 8 kHz Nyquist) up to just below the input Nyquist: >= 60 dB.
  for (const rate of [16000, 44100, 48000]) {
    let worst = -Infinity;
    let worstHz = 0;
    for (let hz = 4050; hz < rate / 2; hz += hz < 6000 ? 50 : 997) {
      const out = resampleTo8k(sine(rate, hz, amplitude, 0.25, 0.3), rate);
      const level = db(rms(out, 400, 1600) / inputRms);
      if (level > worst) {
        worst = level;
        worstHz = hz;
      }
    }
    t.ok(worst <= -60, `${rate} Hz in: stopband worst ${worst.toFixed(1)} dB at ${worstHz} Hz`);
  }
});

t.test('any chunking gives the same samples as one push', async (t) => {
  for (const rate of [11025, 44100, 48000, 16000, 8000]) {
    const random = prng(rate);
    const input = new Int16Array(rate * 2);
    for (let i = 0; i < input.length; i++) input[i] = Math.round((random() - 0.5) * 40000 * (i % 3000 < 1500 ? 1 : 0.1));
    const whole = resampleTo8k(input, rate);

    const state = createResampler(rate);
    const chunked = new Int16Array(whole.length);
    const scratch = new Int16Array(1024);
    let written = 0;
    let offset = 0;
    let predictedOk = true;
    while (offset < input.length) {
      const size = Math.min(1 + Math.floor(random() * 1000), input.length - offset);
      const predicted = resamplerOutputLength(state, size);
      const n = resamplerPush(state, input.subarray(offset, offset + size), scratch);
      if (n !== predicted) predictedOk = false;
      chunked.set(scratch.subarray(0, n), written);
      written += n;
      offset += size;
    }
    const tail = resamplerFlushLength(state);
    t.equal(resamplerFlush(state, scratch), tail, `${rate} Hz: flush writes what resamplerFlushLength says`);
    chunked.set(scratch.subarray(0, tail), written);
    written += tail;
    t.ok(predictedOk, `${rate} Hz: every push wrote what resamplerOutputLength predicted`);
    t.equal(written, whole.length, `${rate} Hz: same length`);
    t.same(chunked, whole, `${rate} Hz: identical samples`);
  }
});

t.test('reset reuses a resampler; push after flush is refused', async (t) => {
  const input = sine(44100, 700, 8000, 0.2);
  const expected = resampleTo8k(input, 44100);
  const state = createResampler(44100);
  const out = new Int16Array(expected.length);
  for (let round = 0; round < 2; round++) {
    const n = resamplerPush(state, input, out);
    resamplerFlush(state, out.subarray(n));
    t.same(out, expected, `round ${round}`);
    t.throws(() => resamplerPush(state, input, out), { code: 'ERR_RESAMPLE_FLUSHED' });
    resamplerReset(state);
  }
});

t.test('output is aligned with input time (no group delay)', async (t) => {
  for (const rate of RATES) {
    let worstImpulse = 0;
    let worstStep = 0;
    let worstBurst = 0;
    // Onsets at several fractional positions of the 8 kHz grid.
    for (const onsetMs of [100, 100.03, 100.0625, 100.09, 137.7]) {
      const onset = Math.round((onsetMs / 1000) * rate); // input sample index
      const expected = (onset * 8000) / rate; // output sample index (fractional)
      // A sampled step from 0 (sample onset-1) to its full value (sample onset) has its
      // band-limited edge midway between the two: half an input sample before t.
      const edge = ((onset - 0.5) * 8000) / rate;

      // Impulse: the output peak, refined by a parabola through its neighbours.
      const impulse = new Int16Array(Math.round(0.3 * rate));
      impulse[onset] = 32767;
      const y = resampleTo8k(impulse, rate);
      let peak = 0;
      for (let i = 1; i < y.length; i++) if (y[i] > y[peak]) peak = i;
      const a = y[peak - 1];
      const b = y[peak];
      const c = y[peak + 1];
      const refined = peak + (0.5 * (a - c)) / (a - 2 * b + c);
      t.ok(Math.abs(peak - expected) <= 1, `${rate} Hz impulse at ${onsetMs} ms: peak ${peak}, expected ${expected.toFixed(3)}`);
      worstImpulse = Math.max(worstImpulse, Math.abs(refined - expected));

      // Step: a zero-phase low-pass crosses half the step height at the step itself.
      const step = new Int16Array(Math.round(0.3 * rate));
      step.fill(10000, onset);
      const s = resampleTo8k(step, rate);
      let k = 0;
      while (s[k + 1] < 5000) k++;
      const crossing = k + (5000 - s[k]) / (s[k + 1] - s[k]);
      t.ok(Math.abs(crossing - expected) <= 1, `${rate} Hz step at ${onsetMs} ms: within 1 sample of t*8000`);
      worstStep = Math.max(worstStep, Math.abs(crossing - edge));

      // 1000 Hz tone burst: envelope by demodulation, averaged over one 8-sample period (which
      // removes the 2000 Hz product exactly); half amplitude marks the onset.
      const amplitude = 12000;
      const burst = new Int16Array(Math.round(0.3 * rate));
      for (let i = onset; i < burst.length; i++) burst[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 1000 * (i - onset)) / rate + 1));
      const z = resampleTo8k(burst, rate);
      const envelope = new Float64Array(z.length);
      for (let n = 4; n < z.length - 4; n++) {
        let re = 0;
        let im = 0;
        for (let m = n - 3; m <= n + 4; m++) {
          re += z[m] * Math.cos((2 * Math.PI * 1000 * m) / 8000);
          im += z[m] * Math.sin((2 * Math.PI * 1000 * m) / 8000);
        }
        envelope[n] = (2 * Math.hypot(re, im)) / 8; // window centred at n + 0.5
      }
      let e = 4;
      while (envelope[e + 1] < amplitude / 2) e++;
      const burstOnset = e + 0.5 + (amplitude / 2 - envelope[e]) / (envelope[e + 1] - envelope[e]);
      t.ok(Math.abs(burstOnset - expected) <= 1, `${rate} Hz burst at ${onsetMs} ms: within 1 sample of t*8000`);
      worstBurst = Math.max(worstBurst, Math.abs(burstOnset - edge));
    }
    t.ok(worstImpulse < 0.5, `${rate} Hz: impulse peak within ${worstImpulse.toFixed(3)} samples of t*8000`);
    t.ok(worstStep < 0.1, `${rate} Hz: step half-height within ${worstStep.toFixed(3)} samples of its edge`);
    t.ok(worstBurst < 0.5, `${rate} Hz: tone-burst half-envelope within ${worstBurst.toFixed(3)} samples of its edge`);
  }
});

t.test('streaming latency is the filter half-length', async (t) => {
  const state = createResampler(48000);
  t.equal(state.up, 1);
  t.equal(state.down, 6);
  // Nothing comes out until the first output's lookahead (P input samples) has arrived.
  const out = new Int16Array(1000);
  t.equal(resamplerPush(state, new Int16Array(state.halfLength), out), 0);
  t.equal(resamplerPush(state, new Int16Array(1), out), 1);
  t.ok(state.halfLength / 48 < 5, `latency ${(state.halfLength / 48).toFixed(2)} ms < 5 ms at 48 kHz`);
});

t.test('other rate pairs', async (t) => {
  // Upsampling (6 kHz in): the anti-imaging filter follows the input's Nyquist frequency.
  const up = resampleTo8k(sine(6000, 1000, 10000, 1), 6000);
  t.ok(Math.abs(zeroCrossingHz(up, 8000, 400, 7600) - 1000) < 0.1, '6 kHz -> 8 kHz keeps 1000 Hz');
  t.ok(Math.abs(db(rms(up, 400, 7600) / (10000 / Math.SQRT2))) < 0.5, '6 kHz -> 8 kHz keeps the level');
  // 8 kHz -> 16 kHz, the other direction of the pipeline.
  const wide = resample(sine(8000, 1000, 10000, 1), 8000, 16000);
  t.equal(wide.length, 16000);
  t.ok(Math.abs(zeroCrossingHz(wide, 16000, 800, 15200) - 1000) < 0.1, '8 kHz -> 16 kHz keeps 1000 Hz');
});

t.test('argument errors carry codes', async (t) => {
  t.throws(() => createResampler(0), { code: 'ERR_RESAMPLE_RATE' });
  t.throws(() => createResampler(44100.5), ResampleError);
  t.throws(() => createResampler(48000, -8000), { code: 'ERR_RESAMPLE_RATE' });
  const state = createResampler(16000);
  t.throws(() => resamplerPush(state, new Int16Array(4), new Int16Array(4), 5), { code: 'ERR_RESAMPLE_LENGTH' });
  t.throws(() => resamplerPush(state, new Int16Array(1000), new Int16Array(10)), { code: 'ERR_RESAMPLE_OUTPUT' });
});

t.test('downmixToMono averages interleaved channels', async (t) => {
  const stereo = new Int16Array([100, 300, -32768, -32768, 32767, 32767, 1, 2, 5, 5]);
  const mono = new Int16Array(5);
  downmixToMono(stereo, 2, mono);
  t.same([...mono], [200, -32768, 32767, 2, 5]);
  const three = new Int16Array([3, 6, 9, 30, 60, 90]);
  const out = new Int16Array(2);
  downmixToMono(three, 3, out);
  t.same([...out], [6, 60]);
  const copy = new Int16Array(2);
  downmixToMono(new Int16Array([7, 8, 9]), 1, copy, 2);
  t.same([...copy], [7, 8]);
  t.throws(() => downmixToMono(stereo, 0, mono), { code: 'ERR_RESAMPLE_CHANNELS' });
  t.throws(() => downmixToMono(stereo, 2, new Int16Array(2)), { code: 'ERR_RESAMPLE_LENGTH' });
});
