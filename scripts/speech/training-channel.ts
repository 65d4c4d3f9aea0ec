// The random channels of the training set: what a caller's handset, line and room may do to a
// word before toneguard hears it. Offline tooling only (scripts/speech/dataset.ts uses it).

import { channel, concat, type Rng, silence } from './corpus.js';

export type ChannelEq = boolean | 'strong';

type Biquad = readonly [number, number, number, number, number];

/** RBJ cookbook biquads at 8 kHz, normalised (b0, b1, b2, a1, a2). */
function peaking(hz: number, db: number, q: number): Biquad {
  const w0 = (2 * Math.PI * hz) / 8000;
  const a = Math.pow(10, db / 40);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha / a;
  return [(1 + alpha * a) / a0, (-2 * Math.cos(w0)) / a0, (1 - alpha * a) / a0, (-2 * Math.cos(w0)) / a0, (1 - alpha / a) / a0];
}

function pass(kind: 'low' | 'high', hz: number): Biquad {
  const w0 = (2 * Math.PI * hz) / 8000;
  const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
  const c = Math.cos(w0);
  const a0 = 1 + alpha;
  const b0 = (kind === 'low' ? (1 - c) / 2 : (1 + c) / 2) / a0;
  const b1 = (kind === 'low' ? 1 - c : -(1 + c)) / a0;
  return [b0, b1, b0, (-2 * c) / a0, (1 - alpha) / a0];
}

function filter(y: Float32Array, [b0, b1, b2, a1, a2]: Biquad): void {
  let [x1, x2, y1, y2] = [0, 0, 0, 0];
  for (let i = 0; i < y.length; i++) {
    const t = y[i];
    const v = b0 * t + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    [x2, x1, y2, y1] = [x1, t, y1, v];
    y[i] = v;
  }
}

function sumOfSquares(a: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e += a[i] * a[i];
  return e;
}

/** The gain that gives `y` the power of `x` (whole signals). */
function amplitudeRatio(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return Math.sqrt(sumOfSquares(x) / Math.max(1e-9, sumOfSquares(y)));
}

/**
 * A random handset and line response: a first-order tilt and one peaking band (250-3000 Hz,
 * -9..+9 dB); `strong` adds a second band and, each half the time, a high-pass at 80-400 Hz and a
 * low-pass at 2.8-3.8 kHz. The speech's power is kept. Each FSDD speaker was recorded through one
 * microphone and room, so without it the classifier learns a speaker's channel as part of the
 * word (measured: docs/speech.md).
 */
export function randomResponse(x: Int16Array, rng: Rng, strong = false): Int16Array {
  const tilt = rng.range(-0.5, 0.5);
  const hz = (): number => Math.exp(rng.range(Math.log(250), Math.log(3000)));
  const filters: Biquad[] = [peaking(hz(), rng.range(-9, 9), rng.range(0.7, 2.5))];
  if (strong) {
    filters.push(peaking(hz(), rng.range(-9, 9), rng.range(0.7, 2.5)));
    if (rng.next() < 0.5) filters.push(pass('high', rng.range(80, 400)));
    if (rng.next() < 0.5) filters.push(pass('low', rng.range(2800, 3800)));
  }
  const y = new Float32Array(x.length);
  let prev = 0;
  for (let i = 0; i < x.length; i++) {
    y[i] = x[i] - tilt * prev;
    prev = x[i];
  }
  for (const f of filters) filter(y, f);
  const g = amplitudeRatio(x, y);
  return Int16Array.from(y, (v) => Math.max(-32768, Math.min(32767, Math.round(v * g))));
}

/**
 * A random small room: Schroeder's reverberator (four parallel combs, two all-passes) with a
 * reverberation time of 0.1-0.5 s, mixed 6-20 dB under the direct sound. O(1) per sample, where
 * convolving with a measured room response would cost thousands of multiplies per sample.
 */
export function randomRoom(x: Int16Array, rng: Rng): Int16Array {
  const rt60 = rng.range(0.1, 0.5);
  const wet = Math.pow(10, -rng.range(6, 20) / 20);
  const combs = [29.7, 37.1, 41.1, 43.7].map((ms) => Math.round(ms * 8 * rng.range(0.85, 1.15)));
  const tail = new Float32Array(x.length);
  for (const d of combs) {
    const g = Math.pow(10, (-3 * d) / (8000 * rt60));
    const line = new Float32Array(d);
    for (let i = 0, k = 0; i < x.length; i++, k = k + 1 === d ? 0 : k + 1) {
      const y = x[i] + g * line[k];
      line[k] = y;
      tail[i] += y / combs.length;
    }
  }
  for (const [ms, g] of [
    [5, 0.7],
    [1.7, 0.7],
  ] as const) {
    const d = Math.round(ms * 8);
    const line = new Float32Array(d);
    for (let i = 0, k = 0; i < tail.length; i++, k = k + 1 === d ? 0 : k + 1) {
      const v = tail[i] + g * line[k];
      tail[i] = line[k] - g * v;
      line[k] = v;
    }
  }
  const gt = wet * amplitudeRatio(x, tail);
  return Int16Array.from(x, (v, i) => Math.max(-32768, Math.min(32767, Math.round(v + gt * tail[i]))));
}

/** A random phone channel for training: level, noise (60 %) at 8-35 dB SNR, mu-law; with `eq`, a random response first (80 %). */
export function randomChannel(x: Int16Array, rng: Rng, eq: ChannelEq = false, room = false): Int16Array {
  if (room && rng.next() < 0.4) x = randomRoom(x, rng);
  if (eq !== false && rng.next() < 0.8) x = randomResponse(x, rng, eq === 'strong');
  const padded = concat([silence(rng.range(150, 400)), x, silence(rng.range(250, 500))]);
  const noisy = rng.next() < 0.6;
  return channel(padded, rng, { gainDb: rng.range(-14, 2), ...(noisy ? { snrDb: rng.range(8, 35) } : { snrDb: rng.range(45, 70) }), ulaw: true }, undefined);
}
