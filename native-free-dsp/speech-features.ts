// MFCC front end for the spoken-digit recogniser, on 8 kHz telephone audio.
//
// One analysis frame every 10 ms (80 samples) over a 25 ms Hamming window (200 samples), zero
// padded to a 256-point FFT. Pre-emphasis 0.97. 24 triangular mel filters between 200 and
// 3600 Hz (inside the G.712 telephone band, 300-3400 Hz, with a little margin). 13 cepstra by
// DCT-II of the log filter energies; c0 is replaced by the frame's log energy (natural log of the
// mean square in 16-bit units), as HTK's _E does. The state struct / init / rx shape follows
// spandsp: everything is precomputed in `createMfccState`, and `mfccRx` walks samples with no
// allocation.

export const MFCC_SAMPLE_RATE_HZ = 8000;
export const MFCC_HOP_SAMPLES = 80; // 10 ms
export const MFCC_WINDOW_SAMPLES = 200; // 25 ms
export const MFCC_FFT_SIZE = 256;
export const MFCC_FILTERS = 24;
export const MFCC_COEFFS = 13;
const MEL_LOW_HZ = 200;
const MEL_HIGH_HZ = 3600;
const PRE_EMPHASIS = 0.97;
/** Floor under filter energies and frame energy (16-bit units squared): about -96 dBFS. */
const ENERGY_FLOOR = 1e-2;

export interface MfccState {
  readonly window: Float32Array;
  readonly filterStart: Int32Array;
  readonly filterWeights: Float32Array[];
  readonly dct: Float32Array; // MFCC_COEFFS x MFCC_FILTERS
  readonly cosTable: Float32Array;
  readonly sinTable: Float32Array;
  readonly bitReverse: Uint16Array;
  /** Last MFCC_WINDOW_SAMPLES pre-emphasised samples, as a ring. */
  readonly history: Float32Array;
  /** The same samples before pre-emphasis (same ring position), for the frame's level. */
  readonly raw: Float32Array;
  historyPos: number;
  /** Samples seen since the last frame was emitted. */
  sinceFrame: number;
  /** Samples received in total (a frame needs a full window). */
  received: number;
  lastSample: number;
  readonly re: Float32Array;
  readonly im: Float32Array;
  readonly energies: Float32Array;
}

function melOf(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}
function hzOfMel(mel: number): number {
  return 700 * (Math.pow(10, mel / 2595) - 1);
}

/**
 * `warp` scales the filter bank's frequencies (vocal-tract-length perturbation, training only: a
 * factor of 1.1 treats the speaker as having a 10 % shorter vocal tract). Run time uses 1.
 */
export function createMfccState(warp = 1): MfccState {
  const window = new Float32Array(MFCC_WINDOW_SAMPLES);
  for (let i = 0; i < MFCC_WINDOW_SAMPLES; i++) window[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (MFCC_WINDOW_SAMPLES - 1));
  const bins = MFCC_FFT_SIZE / 2 + 1;
  const binHz = MFCC_SAMPLE_RATE_HZ / MFCC_FFT_SIZE;
  const melLow = melOf(MEL_LOW_HZ);
  const melHigh = melOf(MEL_HIGH_HZ);
  const edges: number[] = [];
  for (let i = 0; i < MFCC_FILTERS + 2; i++) edges.push(Math.min(MFCC_SAMPLE_RATE_HZ / 2 - binHz, hzOfMel(melLow + ((melHigh - melLow) * i) / (MFCC_FILTERS + 1)) * warp));
  const filterStart = new Int32Array(MFCC_FILTERS);
  const filterWeights: Float32Array[] = [];
  for (let f = 0; f < MFCC_FILTERS; f++) {
    const lo = edges[f];
    const mid = edges[f + 1];
    const hi = edges[f + 2];
    const first = Math.max(0, Math.ceil(lo / binHz));
    const last = Math.min(bins - 1, Math.floor(hi / binHz));
    const weights = new Float32Array(Math.max(0, last - first + 1));
    for (let b = first; b <= last; b++) {
      const hz = b * binHz;
      weights[b - first] = hz <= mid ? (hz - lo) / (mid - lo) : (hi - hz) / (hi - mid);
    }
    filterStart[f] = first;
    filterWeights.push(weights);
  }
  const dct = new Float32Array(MFCC_COEFFS * MFCC_FILTERS);
  for (let k = 0; k < MFCC_COEFFS; k++) {
    for (let n = 0; n < MFCC_FILTERS; n++) dct[k * MFCC_FILTERS + n] = Math.sqrt(2 / MFCC_FILTERS) * Math.cos((Math.PI * k * (n + 0.5)) / MFCC_FILTERS);
  }
  const cosTable = new Float32Array(MFCC_FFT_SIZE / 2);
  const sinTable = new Float32Array(MFCC_FFT_SIZE / 2);
  for (let i = 0; i < MFCC_FFT_SIZE / 2; i++) {
    cosTable[i] = Math.cos((2 * Math.PI * i) / MFCC_FFT_SIZE);
    sinTable[i] = -Math.sin((2 * Math.PI * i) / MFCC_FFT_SIZE);
  }
  const bitReverse = new Uint16Array(MFCC_FFT_SIZE);
  const bits = Math.log2(MFCC_FFT_SIZE);
  for (let i = 0; i < MFCC_FFT_SIZE; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitReverse[i] = r;
  }
  return {
    window,
    filterStart,
    filterWeights,
    dct,
    cosTable,
    sinTable,
    bitReverse,
    history: new Float32Array(MFCC_WINDOW_SAMPLES),
    raw: new Float32Array(MFCC_WINDOW_SAMPLES),
    historyPos: 0,
    sinceFrame: 0,
    received: 0,
    lastSample: 0,
    re: new Float32Array(MFCC_FFT_SIZE),
    im: new Float32Array(MFCC_FFT_SIZE),
    energies: new Float32Array(MFCC_FILTERS),
  };
}

/** Forgets all audio (the history may hold card digits): zeroes every buffer. */
export function resetMfccState(s: MfccState): void {
  s.history.fill(0);
  s.raw.fill(0);
  s.re.fill(0);
  s.im.fill(0);
  s.energies.fill(0);
  s.historyPos = 0;
  s.sinceFrame = 0;
  s.received = 0;
  s.lastSample = 0;
}

function fftInPlace(s: MfccState): void {
  const { re, im, bitReverse, cosTable, sinTable } = s;
  const n = MFCC_FFT_SIZE;
  for (let i = 0; i < n; i++) {
    const j = bitReverse[i];
    if (j > i) {
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cosTable[k * step];
        const wi = sinTable[k * step];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/**
 * Computes one frame's 13 coefficients from the history into `out` at `offset`; returns the
 * frame's level (see mfccRx).
 */
function computeFrame(s: MfccState, out: Float32Array, offset: number): number {
  const { re, im, history, raw, window, energies } = s;
  let energy = 0;
  let rawEnergy = 0;
  for (let i = 0; i < MFCC_WINDOW_SAMPLES; i++) {
    const at = (s.historyPos + i) % MFCC_WINDOW_SAMPLES;
    const x = history[at];
    energy += x * x;
    rawEnergy += raw[at] * raw[at];
    re[i] = x * window[i];
    im[i] = 0;
  }
  for (let i = MFCC_WINDOW_SAMPLES; i < MFCC_FFT_SIZE; i++) {
    re[i] = 0;
    im[i] = 0;
  }
  fftInPlace(s);
  for (let f = 0; f < MFCC_FILTERS; f++) {
    const w = s.filterWeights[f];
    const first = s.filterStart[f];
    let e = 0;
    for (let k = 0; k < w.length; k++) {
      const b = first + k;
      e += w[k] * (re[b] * re[b] + im[b] * im[b]);
    }
    energies[f] = Math.log(Math.max(e, ENERGY_FLOOR));
  }
  for (let k = 1; k < MFCC_COEFFS; k++) {
    let c = 0;
    const row = k * MFCC_FILTERS;
    for (let n = 0; n < MFCC_FILTERS; n++) c += s.dct[row + n] * energies[n];
    out[offset + k] = c;
  }
  out[offset] = Math.log(Math.max(energy / MFCC_WINDOW_SAMPLES, ENERGY_FLOOR));
  return Math.log(Math.max(rawEnergy / MFCC_WINDOW_SAMPLES, ENERGY_FLOOR));
}

/**
 * Feeds `length` samples; calls `onFrame(coeffs, level)` once per 10 ms frame (13 values, valid
 * only during the call). Any chunking of the input gives the same frames.
 *
 * `level` is the frame's natural log mean square before pre-emphasis, in 16-bit units: what the
 * segmenter reads. c0 is taken after pre-emphasis, which cuts voiced speech (most of its energy
 * under 1 kHz) by about 10 dB against white noise, so words 20 dB over a noise floor read only
 * 10-15 dB over it in c0 and the quieter ones were missed.
 */
export function mfccRx(s: MfccState, samples: Int16Array | Float32Array, length: number, frame: Float32Array, onFrame: (coeffs: Float32Array, level: number) => void): void {
  for (let i = 0; i < length; i++) {
    const x = samples[i];
    s.raw[s.historyPos] = x;
    s.history[s.historyPos] = x - PRE_EMPHASIS * s.lastSample;
    s.lastSample = x;
    s.historyPos = (s.historyPos + 1) % MFCC_WINDOW_SAMPLES;
    s.received++;
    s.sinceFrame++;
    if (s.sinceFrame >= MFCC_HOP_SAMPLES && s.received >= MFCC_WINDOW_SAMPLES) {
      s.sinceFrame = 0;
      const level = computeFrame(s, frame, 0);
      onFrame(frame, level);
    }
  }
}

/** MFCCs of a whole buffer, frame-major (frames x 13). */
export function mfccOf(samples: Int16Array | Float32Array, warp = 1): Float32Array {
  return speechFramesOf(samples, warp).mfcc;
}

/** MFCCs (frames x 13) and each frame's level (see mfccRx) of a whole buffer. */
export function speechFramesOf(samples: Int16Array | Float32Array, warp = 1): { mfcc: Float32Array; level: Float32Array } {
  const s = createMfccState(warp);
  const frames = samples.length >= MFCC_WINDOW_SAMPLES ? Math.floor((samples.length - MFCC_WINDOW_SAMPLES) / MFCC_HOP_SAMPLES) + 1 : 0;
  const mfcc = new Float32Array(frames * MFCC_COEFFS);
  const level = new Float32Array(frames);
  const frame = new Float32Array(MFCC_COEFFS);
  let n = 0;
  mfccRx(s, samples, samples.length, frame, (c, l) => {
    if (n < frames) {
      mfcc.set(c, n * MFCC_COEFFS);
      level[n] = l;
    }
    n++;
  });
  return { mfcc, level };
}
