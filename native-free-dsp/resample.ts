// Streaming sample-rate conversion of 16-bit mono PCM, by default to the 8000 Hz that G.711 and
// the DTMF detector use, plus interleaved-to-mono downmixing for the same edge of the pipeline.
//
// Method: rational polyphase resampling with a Kaiser-windowed sinc. With in/out = M/L in lowest
// terms, output n is the band-limited input evaluated at time n / outputRate, i.e. at input
// position n*M/L; the L possible fractional positions each get a precomputed row of 2P taps.
// The kernel is centred on the output instant (zero phase), so there is no group delay to
// compensate: output n lines up with input time n / outputRate to a small fraction of a sample,
// and a timestamp computed at 8 kHz matches the original recording. The price is lookahead:
// output n is produced only once the input P samples past its instant has arrived, so the
// streaming latency is P input samples (3.6 ms at 48 kHz, 3.4 ms at 44.1 kHz).
//
// Filter: passband edge 0.425 x the lower of the two rates (3400 Hz for 8 kHz out, the top of
// the ITU-T G.712 telephone band), stopband edge 0.5 x (4000 Hz: everything that would alias),
// cutoff midway, Kaiser window sized by Kaiser's formula for 70 dB. Measured from the table for
// 11025..96000 Hz in: passband within +-0.004 dB up to 3400 Hz, and at least 69 dB of rejection
// from 4000 Hz up to the input Nyquist frequency.
//
// End of stream: samples before the first input and after the last are taken as zero.
// resamplerFlush() emits the outputs still held back by the lookahead, so that a stream of N
// input samples gives exactly ceil(N * outputRate / inputRate) output samples, the last one
// at the last output instant before the end of the input.

/** Passband edge as a fraction of the lower rate (3400 / 8000). */
export const RESAMPLER_PASSBAND_EDGE = 0.425;
/** Stopband edge as a fraction of the lower rate: its Nyquist frequency. */
export const RESAMPLER_STOPBAND_EDGE = 0.5;
/** Stopband attenuation the Kaiser window is designed for, dB. */
export const RESAMPLER_DESIGN_ATTENUATION_DB = 70;

/** Largest polyphase table accepted (coefficients): 32 MiB of Float32, for odd rate pairs. */
const MAX_COEFFICIENTS = 1 << 23;
/** Input samples buffered per block beyond the filter span. */
const BLOCK_SAMPLES = 4096;

export type ResampleErrorCode = 'ERR_RESAMPLE_RATE' | 'ERR_RESAMPLE_LENGTH' | 'ERR_RESAMPLE_OUTPUT' | 'ERR_RESAMPLE_FLUSHED' | 'ERR_RESAMPLE_CHANNELS';

export class ResampleError extends RangeError {
  readonly code: ResampleErrorCode;
  constructor(code: ResampleErrorCode, message: string) {
    super(message);
    this.name = 'ResampleError';
    this.code = code;
  }
}

/**
 * State of one resampler stream. The coefficient table is fixed at creation; the other fields
 * belong to this module and are advanced by resamplerPush / resamplerFlush.
 */
export interface Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  /** Interpolation factor L and decimation factor M: inputRate / outputRate = M / L, lowest terms. */
  readonly up: number;
  readonly down: number;
  /** True when the rates are equal: samples are copied, with no filter and no latency. */
  readonly passthrough: boolean;
  /** Half-length P of the filter in input samples: the streaming latency. 0 for passthrough. */
  readonly halfLength: number;
  /** Taps per phase, 2P. */
  readonly taps: number;
  /** up rows of `taps` coefficients; row p is for output instants p/up past an input sample. */
  readonly coefficients: Float32Array;
  /** Input samples still needed, history[0] being input sample number historyStart. */
  readonly history: Int16Array;
  historyStart: number;
  historyLength: number;
  /** Input samples pushed so far. */
  received: number;
  /** Output samples produced so far; the next one sits at input position base + phase/up. */
  produced: number;
  base: number;
  phase: number;
  flushed: boolean;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200 && term > sum * 1e-17; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
  }
  return sum;
}

function checkRate(name: string, rate: number): void {
  if (!Number.isSafeInteger(rate) || rate <= 0) {
    throw new ResampleError('ERR_RESAMPLE_RATE', `${name} must be a positive integer (Hz), got ${rate}`);
  }
}

/** Precomputes the polyphase filter for inputRate -> outputRate (Hz, integers). */
export function createResampler(inputRate: number, outputRate = 8000): Resampler {
  checkRate('inputRate', inputRate);
  checkRate('outputRate', outputRate);
  const gcd = greatestCommonDivisor(inputRate, outputRate);
  const up = outputRate / gcd;
  const down = inputRate / gcd;
  const passthrough = up === down;

  let halfLength = 0;
  let coefficients = new Float32Array(0);
  if (!passthrough) {
    // All frequencies below as cycles per input sample.
    const baseRate = Math.min(inputRate, outputRate) / inputRate;
    const passEdge = RESAMPLER_PASSBAND_EDGE * baseRate;
    const stopEdge = RESAMPLER_STOPBAND_EDGE * baseRate;
    const cutoff = (passEdge + stopEdge) / 2;
    // Kaiser's design formulas (Kaiser 1974, as in Oppenheim & Schafer): order N for stopband
    // attenuation A over a transition of width dw (rad/sample), and window shape beta for A > 50 dB.
    const attenuation = RESAMPLER_DESIGN_ATTENUATION_DB;
    const order = (attenuation - 7.95) / (2.285 * 2 * Math.PI * (stopEdge - passEdge));
    const beta = 0.1102 * (attenuation - 8.7);
    // The span must also exceed one output period (in input samples), so the history kept for
    // the next output never starts past the input received (only matters for odd rate pairs).
    halfLength = Math.max(Math.ceil(order / 2), Math.ceil(down / up) + 1);
    const taps = 2 * halfLength;
    if (up * taps > MAX_COEFFICIENTS) {
      throw new ResampleError('ERR_RESAMPLE_RATE', `${inputRate} -> ${outputRate} Hz needs ${up} filter phases of ${taps} taps; too large`);
    }
    coefficients = new Float32Array(up * taps);
    const windowNorm = 1 / besselI0(beta);
    for (let phase = 0; phase < up; phase++) {
      const frac = phase / up;
      const row = phase * taps;
      let sum = 0;
      for (let i = 0; i < taps; i++) {
        // Tap i multiplies input (base - P + 1 + i); u is the output instant minus that input's
        // time, in input samples, within (-P, P).
        const u = frac + halfLength - 1 - i;
        const x = 2 * cutoff * u;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = u / halfLength;
        const window = r * r < 1 ? besselI0(beta * Math.sqrt(1 - r * r)) * windowNorm : 0;
        const value = 2 * cutoff * sinc * window;
        coefficients[row + i] = value;
        sum += value;
      }
      // Unit DC gain on every phase, so the fractional position does not modulate the level.
      for (let i = 0; i < taps; i++) coefficients[row + i] /= sum;
    }
  }

  const taps = 2 * halfLength;
  const state: Resampler = {
    inputRate,
    outputRate,
    up,
    down,
    passthrough,
    halfLength,
    taps,
    coefficients,
    history: new Int16Array(passthrough ? 0 : taps + Math.max(BLOCK_SAMPLES, halfLength)),
    historyStart: 0,
    historyLength: 0,
    received: 0,
    produced: 0,
    base: 0,
    phase: 0,
    flushed: false,
  };
  resamplerReset(state);
  return state;
}

/** Returns the resampler to its initial state (no input seen), keeping its filter. */
export function resamplerReset(state: Resampler): void {
  const lead = state.passthrough ? 0 : state.halfLength - 1;
  // Output 0 needs inputs -P+1 .. P: the ones before the stream start are zeros.
  state.history.fill(0, 0, lead);
  state.historyStart = -lead;
  state.historyLength = lead;
  state.received = 0;
  state.produced = 0;
  state.base = 0;
  state.phase = 0;
  state.flushed = false;
}

/** Outputs n with n * down < limit * up, i.e. before input position `limit`, minus those made. */
function outputsBefore(state: Resampler, limit: number): number {
  if (limit <= 0) return 0;
  const scaled = limit * state.up - 1;
  return (scaled - (scaled % state.down)) / state.down + 1 - state.produced;
}

/** Exact number of samples resamplerPush will write for `inputLength` more input samples. */
export function resamplerOutputLength(state: Resampler, inputLength: number): number {
  if (state.passthrough) return inputLength;
  return Math.max(0, outputsBefore(state, state.received + inputLength - state.halfLength));
}

/** Exact number of samples resamplerFlush will write. */
export function resamplerFlushLength(state: Resampler): number {
  if (state.passthrough || state.flushed) return 0;
  return Math.max(0, outputsBefore(state, state.received));
}

/** Writes every output whose last tap is below input number `available`; returns the new count. */
function produce(state: Resampler, output: Int16Array, written: number, available: number, last: number): number {
  const { history, coefficients, taps, up, halfLength } = state;
  const stepWhole = Math.floor(state.down / state.up);
  const stepFrac = state.down % state.up;
  let base = state.base;
  let phase = state.phase;
  let produced = state.produced;
  const historyStart = state.historyStart;
  while (base + halfLength < available && produced < last) {
    const h = base - halfLength + 1 - historyStart;
    const c = phase * taps;
    let acc = 0;
    for (let k = 0; k < taps; k++) acc += history[h + k] * coefficients[c + k];
    output[written++] = acc >= 32767 ? 32767 : acc <= -32768 ? -32768 : Math.round(acc);
    produced++;
    base += stepWhole;
    phase += stepFrac;
    if (phase >= up) {
      phase -= up;
      base++;
    }
  }
  state.base = base;
  state.phase = phase;
  state.produced = produced;
  return written;
}

/** Drops history no future output needs, moving the rest to the front. */
function compact(state: Resampler): void {
  const drop = Math.min(state.base - state.halfLength + 1 - state.historyStart, state.historyLength);
  if (drop <= 0) return;
  state.history.copyWithin(0, drop, state.historyLength);
  state.historyLength -= drop;
  state.historyStart += drop;
}

/**
 * Feeds `length` input samples and writes the outputs now complete to `output` from index 0;
 * returns how many (exactly resamplerOutputLength(state, length), which `output` must hold).
 * Any split of a stream into pushes gives the same samples as one push of the whole stream.
 */
export function resamplerPush(state: Resampler, input: Int16Array, output: Int16Array, length: number = input.length): number {
  if (state.flushed) {
    throw new ResampleError('ERR_RESAMPLE_FLUSHED', 'resampler was flushed; call resamplerReset first');
  }
  if (!(Number.isInteger(length) && length >= 0 && length <= input.length)) {
    throw new ResampleError('ERR_RESAMPLE_LENGTH', `length ${length} outside input of ${input.length}`);
  }
  const needed = resamplerOutputLength(state, length);
  if (output.length < needed) {
    throw new ResampleError('ERR_RESAMPLE_OUTPUT', `output holds ${output.length} samples, ${needed} needed`);
  }
  if (state.passthrough) {
    for (let i = 0; i < length; i++) output[i] = input[i];
    state.received += length;
    state.produced += length;
    return length;
  }
  const history = state.history;
  const capacity = history.length;
  let written = 0;
  let offset = 0;
  while (offset < length) {
    if (state.historyLength === capacity) compact(state);
    const count = Math.min(length - offset, capacity - state.historyLength);
    const at = state.historyLength;
    for (let i = 0; i < count; i++) history[at + i] = input[offset + i];
    state.historyLength += count;
    state.received += count;
    offset += count;
    written = produce(state, output, written, state.received, Infinity);
  }
  return written;
}

/**
 * Ends the stream: takes the input past the last sample as zero and writes the outputs held
 * back by the lookahead (exactly resamplerFlushLength(state)); returns how many. After this,
 * resamplerPush throws until resamplerReset.
 */
export function resamplerFlush(state: Resampler, output: Int16Array): number {
  const needed = resamplerFlushLength(state);
  if (output.length < needed) {
    throw new ResampleError('ERR_RESAMPLE_OUTPUT', `output holds ${output.length} samples, ${needed} needed`);
  }
  if (state.flushed) return 0;
  state.flushed = true;
  if (state.passthrough || needed === 0) return 0;
  compact(state);
  // The last output needs inputs up to received - 1 + P: P zeros.
  const history = state.history;
  const end = state.historyLength + state.halfLength;
  history.fill(0, state.historyLength, end);
  state.historyLength = end;
  return produce(state, output, 0, state.received + state.halfLength, state.produced + needed);
}

/** Resamples a whole mono buffer: ceil(input.length * outputRate / inputRate) samples. */
export function resample(input: Int16Array, inputRate: number, outputRate: number): Int16Array {
  const state = createResampler(inputRate, outputRate);
  const output = new Int16Array(state.passthrough ? input.length : outputsBefore(state, input.length));
  const written = resamplerPush(state, input, output);
  resamplerFlush(state, output.subarray(written));
  return output;
}

/** Resamples a whole mono buffer to 8000 Hz; see resample(). */
export function resampleTo8k(input: Int16Array, inputRate: number): Int16Array {
  return resample(input, inputRate, 8000);
}

/**
 * Averages `frames` frames of `channels` interleaved samples into mono (rounded to nearest),
 * e.g. a stereo WAV file before resampling. Average rather than sum, so full scale stays in range.
 */
export function downmixToMono(src: Int16Array, channels: number, dst: Int16Array, frames: number = Math.floor(src.length / channels)): void {
  if (!(Number.isInteger(channels) && channels >= 1)) {
    throw new ResampleError('ERR_RESAMPLE_CHANNELS', `channels must be a positive integer, got ${channels}`);
  }
  if (!(Number.isInteger(frames) && frames >= 0 && frames * channels <= src.length && frames <= dst.length)) {
    throw new ResampleError('ERR_RESAMPLE_LENGTH', `${frames} frames do not fit src or dst`);
  }
  if (channels === 1) {
    for (let i = 0; i < frames; i++) dst[i] = src[i];
    return;
  }
  const scale = 1 / channels;
  for (let f = 0, s = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += src[s++];
    dst[f] = Math.round(sum * scale);
  }
}
