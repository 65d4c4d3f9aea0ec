// The DTMF detector's inner loop: eight Goertzel filters over one 51-sample sub-block of the
// sample history, each bin's DFT value, and the 102-sample window value. Two kernels compute
// it with the same IEEE double operations in the same order, so their values are
// bit-identical and the detector's events identical whichever runs:
//  - `typescript`: the reference, and the fallback where WebAssembly SIMD is missing; one
//    sub-block at a time as the samples come in (goertzelSubBlock);
//  - `wasm`: goertzel-bank.wat (f64x2 SIMD, two filters per instruction), which also takes the
//    samples into the history and sums each sub-block's energy, for every sub-block a chunk
//    completes in one call; the detector then analyses them in order (GoertzelWasm).
// The state both read and write lives in one ArrayBuffer laid out as goertzel-bank.wat
// describes; for the wasm kernel it is the instance's memory, so nothing is copied per call.
// The TypeScript kernel's buffer holds the history and the slots only: its constants are one
// read-only copy shared by every bank (a thread serving 1,000 calls keeps them in its caches).
import { GOERTZEL_BANK_WASM } from './goertzel-bank-wasm.js';

export type GoertzelKernel = 'wasm' | 'typescript';

/** Samples per sub-block (6.375 ms at 8 kHz). */
export const SUB_BLOCK = 51;
/** Bins 0-3: low group; 4-7: high group. */
export const TONES = 8;
/**
 * Sample history the detector looks back on, samples (128 ms at 8 kHz). The ring holding it is
 * twice as long, so that the wasm kernel can take up to WASM_STAGING samples in ahead of the
 * sub-blocks still to be analysed without overwriting what their analysis reads.
 */
export const HISTORY = 1024;
/** Length of the history ring, samples (power of two: indexes are masked). */
export const HISTORY_RING = 2048;

// Byte offsets in the shared memory (goertzel-bank.wat).
const HISTORY_OFFSET = 0;
const CONSTANTS_OFFSET = 4096;
/** The wasm kernel's i64 energy of the sub-block in progress, right after the constants. */
const ENERGY_OFFSET = 4608;
const QUIET_ENERGY_OFFSET = 4616;
/** Scratch after the window tests (goertzel-bank.wat: the powers of the window being classified). */
const WINDOW_POWERS_OFFSET = 4672;
const WINDOW_TESTS_OFFSET = 4624;
const LEAK_OFFSET = 10240;
const CLASSES_OFFSET = 12288;
const SPAN_COEF_OFFSET = 4736;
const SPAN_S1_OFFSET = 4800;
const SPAN_S2_OFFSET = 4864;
/** Frequencies of the span DFTs (dtmf-span.ts spanDfts). */
export const SPAN_FREQUENCIES = 7;
const STAGING_OFFSET = 8192;
/** Samples the wasm kernel takes per call (it completes at most 21 sub-blocks). */
export const WASM_STAGING = 1024;
const BIN_BYTES = TONES * 8;
const SLOT_BYTES = 2 * BIN_BYTES;
/** Sub-block slots, then as many window slots: sub-block b's values are in slot b mod SLOTS. */
const SLOTS_OFFSET = 16384;
export const WASM_SLOTS = 32;
/** The TypeScript kernel's slots: x0, x1, x2, window, previous window (rotated by the detector), after the history. */
const TS_SLOTS = 5;
const TS_SLOTS_OFFSET = HISTORY_RING * 2;
const TS_MEMORY_BYTES = TS_SLOTS_OFFSET + TS_SLOTS * SLOT_BYTES;
/** The seven per-bin constants (coef, finARe ... rotIm), as laid out from CONSTANTS_OFFSET. */
const CONSTANT_ROWS = 7;

export class GoertzelKernelError extends Error {
  readonly code = 'ERR_DTMF_KERNEL_UNAVAILABLE';
}

/** The compiled kernel, or null where this runtime has no WebAssembly SIMD. Compiled once. */
const wasmModule: WebAssembly.Module | null = compileKernel();

function compileKernel(): WebAssembly.Module | null {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(GOERTZEL_BANK_WASM)) return null;
  try {
    return new WebAssembly.Module(GOERTZEL_BANK_WASM);
  } catch {
    return null;
  }
}

/** The kernel a detector uses unless told otherwise: wasm where it runs. */
export const DEFAULT_GOERTZEL_KERNEL: GoertzelKernel = wasmModule !== null ? 'wasm' : 'typescript';

export function isGoertzelKernelAvailable(kernel: GoertzelKernel): boolean {
  // Checked at run time too: options read from outside may name no kernel at all.
  return kernel === 'typescript' || (kernel === 'wasm' && wasmModule !== null);
}

/** The wasm kernel of one detector: its entry point and the views the detector reads. */
export interface GoertzelWasm {
  /**
   * Takes staging[0, n) (n <= WASM_STAGING) as the samples at absolute index `start` on, with
   * `subPos` samples of the sub-block in progress before them and `blocks` sub-blocks completed
   * before that; returns how many sub-blocks they complete. Sub-block b's values (and its
   * window's) are then in blockRe/Im[b % WASM_SLOTS] (windowRe/Im).
   */
  readonly rx: (n: number, subPos: number, blocks: number, start: number) => number;
  readonly staging: Int16Array;
  /**
   * The loop of the detector's spanDfts: the recurrences with coefficients spanCoef over the
   * history from `start` (may be fractional, indexes as in TypeScript) while n < length, final
   * states into spanS1 (s[L-1]) and spanS2 (s[L-2]); returns the sum of the squares.
   */
  readonly span: (start: number, length: number) => number;
  readonly spanCoef: Float64Array;
  readonly spanS1: Float64Array;
  readonly spanS2: Float64Array;
  /**
   * Per window slot (from the second sub-block on): the digit (index into the keypad) the window
   * holds by every per-window test but the frequency deviations, or -1. The window's values are
   * then without the leakage of its strongest bins, as the detector's classifyWindow leaves them.
   */
  readonly classes: Int32Array;
  readonly blockRe: readonly Float64Array[];
  readonly blockIm: readonly Float64Array[];
  readonly windowRe: readonly Float64Array[];
  readonly windowIm: readonly Float64Array[];
}

/** The bank's state: views on one buffer, plus the wasm entry point when that kernel runs. */
export interface GoertzelBank {
  readonly kernel: GoertzelKernel;
  /** The last HISTORY_RING input samples, by absolute index modulo HISTORY_RING. */
  readonly history: Int16Array;
  // Per bin: Goertzel coefficient 2cos(w), the terms that turn the final two states into the
  // block's DFT value sum x[n] e^{-jwn}, and the rotation e^{-jwS}.
  readonly coef: Float64Array;
  readonly finARe: Float64Array;
  readonly finAIm: Float64Array;
  readonly finBRe: Float64Array;
  readonly finBIm: Float64Array;
  readonly rotRe: Float64Array;
  readonly rotIm: Float64Array;
  /** The TypeScript kernel's five slots (re, im): x0, x1, x2, window, previous window. */
  readonly slotsRe: readonly Float64Array[];
  readonly slotsIm: readonly Float64Array[];
  /** The wasm kernel; null when the TypeScript kernel runs. */
  readonly wasm: GoertzelWasm | null;
}

/** The detector's per-window tests, in the units classifyWindow compares (dtmf-window.ts). */
export interface WindowTests {
  readonly windowMinPower: number;
  readonly windowMaxTwistRatio: number;
  readonly windowMinTwistRatio: number;
  readonly relativePeakRatio: number;
  readonly stationarityRatio: number;
  readonly leakRe: Float64Array;
  readonly leakIm: Float64Array;
  readonly subLeakRe: Float64Array;
  readonly subLeakIm: Float64Array;
}

/**
 * `quietEnergy`: sub-blocks with less energy (sum of x^2) are not filtered; their values are +0.
 * `tests`: what the wasm kernel's window classification (GoertzelWasm.classes) applies.
 */
export function createGoertzelBank(kernel: GoertzelKernel, frequenciesHz: readonly number[], sampleRateHz: number, quietEnergy: number, tests: WindowTests): GoertzelBank {
  let buffer: ArrayBuffer;
  let wasm: GoertzelWasm | null = null;
  const bins = (offset: number): Float64Array => new Float64Array(buffer, offset, TONES);
  const slotsOffset = kernel === 'wasm' ? SLOTS_OFFSET : TS_SLOTS_OFFSET;
  const slots = (first: number, count: number, part: number): Float64Array[] => Array.from({ length: count }, (_, i) => bins(slotsOffset + (first + i) * SLOT_BYTES + part * BIN_BYTES));
  if (kernel === 'wasm') {
    if (wasmModule === null) throw new GoertzelKernelError('the wasm Goertzel kernel needs WebAssembly SIMD, which this runtime lacks');
    const exports = new WebAssembly.Instance(wasmModule).exports;
    buffer = (exports.memory as WebAssembly.Memory).buffer;
    new Float64Array(buffer, QUIET_ENERGY_OFFSET, 1)[0] = quietEnergy;
    new Float64Array(buffer, WINDOW_TESTS_OFFSET, 5).set([tests.windowMinPower, tests.windowMaxTwistRatio, tests.windowMinTwistRatio, tests.relativePeakRatio, tests.stationarityRatio]);
    const leak = new Float64Array(buffer, LEAK_OFFSET, 4 * TONES * TONES);
    [tests.leakRe, tests.leakIm, tests.subLeakRe, tests.subLeakIm].forEach((table, i) => leak.set(table, i * TONES * TONES));
    wasm = {
      rx: exports.rx as GoertzelWasm['rx'],
      staging: new Int16Array(buffer, STAGING_OFFSET, WASM_STAGING),
      span: exports.span as GoertzelWasm['span'],
      spanCoef: new Float64Array(buffer, SPAN_COEF_OFFSET, SPAN_FREQUENCIES),
      spanS1: new Float64Array(buffer, SPAN_S1_OFFSET, SPAN_FREQUENCIES),
      spanS2: new Float64Array(buffer, SPAN_S2_OFFSET, SPAN_FREQUENCIES),
      classes: new Int32Array(buffer, CLASSES_OFFSET, WASM_SLOTS),
      blockRe: slots(0, WASM_SLOTS, 0),
      blockIm: slots(0, WASM_SLOTS, 1),
      windowRe: slots(WASM_SLOTS, WASM_SLOTS, 0),
      windowIm: slots(WASM_SLOTS, WASM_SLOTS, 1),
    };
  } else {
    buffer = new ArrayBuffer(TS_MEMORY_BYTES);
  }
  // The wasm kernel reads its constants in its own memory; the TypeScript kernel's are shared (header).
  const constants = kernel === 'wasm' ? new Float64Array(buffer, CONSTANTS_OFFSET, CONSTANT_ROWS * TONES) : sharedConstants(frequenciesHz, sampleRateHz);
  const constant = (i: number): Float64Array => constants.subarray(i * TONES, (i + 1) * TONES);
  const bank: GoertzelBank = {
    kernel,
    history: new Int16Array(buffer, HISTORY_OFFSET, HISTORY_RING),
    coef: constant(0),
    finARe: constant(1),
    finAIm: constant(2),
    finBRe: constant(3),
    finBIm: constant(4),
    rotRe: constant(5),
    rotIm: constant(6),
    slotsRe: slots(0, TS_SLOTS, 0),
    slotsIm: slots(0, TS_SLOTS, 1),
    wasm,
  };
  if (kernel === 'wasm') fillConstants(constants, frequenciesHz, sampleRateHz);
  return bank;
}

/** coef, finARe, finAIm, finBRe, finBIm, rotRe, rotIm, TONES values each, into `c`. */
function fillConstants(c: Float64Array, frequenciesHz: readonly number[], sampleRateHz: number): void {
  for (let k = 0; k < TONES; k++) {
    const w = (2 * Math.PI * frequenciesHz[k]) / sampleRateHz;
    c[k] = 2 * Math.cos(w);
    // After S samples, y = s1 - e^{-jw} s2 = sum x[n] e^{jw(S-1-n)}; the block's DFT value
    // sum x[n] e^{-jwn} is e^{-jw(S-1)} y = A s1 + B s2 with A = e^{-jw(S-1)}, B = -e^{-jwS}.
    c[TONES + k] = Math.cos(w * (SUB_BLOCK - 1));
    c[2 * TONES + k] = -Math.sin(w * (SUB_BLOCK - 1));
    c[3 * TONES + k] = -Math.cos(w * SUB_BLOCK);
    c[4 * TONES + k] = Math.sin(w * SUB_BLOCK);
    c[5 * TONES + k] = Math.cos(w * SUB_BLOCK);
    c[6 * TONES + k] = -Math.sin(w * SUB_BLOCK);
  }
}

/** The TypeScript kernel's constants by frequencies and rate: computed once, shared by its banks. */
const shared = new Map<string, Float64Array>();

function sharedConstants(frequenciesHz: readonly number[], sampleRateHz: number): Float64Array {
  const key = `${sampleRateHz}:${frequenciesHz.join(',')}`;
  let c = shared.get(key);
  if (c === undefined) {
    c = new Float64Array(CONSTANT_ROWS * TONES);
    fillConstants(c, frequenciesHz, sampleRateHz);
    shared.set(key, c);
  }
  return c;
}

/**
 * Byte ranges of a bank's buffer written once, at creation (coefficients, the window tests, the
 * leakage tables): everything else is state or scratch, zero in a new bank.
 */
const CONSTANT_RANGES: Readonly<Record<GoertzelKernel, readonly (readonly [number, number])[]>> = {
  wasm: [
    [CONSTANTS_OFFSET, ENERGY_OFFSET],
    [QUIET_ENERGY_OFFSET, WINDOW_POWERS_OFFSET],
    [LEAK_OFFSET, CLASSES_OFFSET],
  ],
  typescript: [],
};

/**
 * Puts a bank's buffer (`history` is a view on it) back as createGoertzelBank left it: every
 * byte outside the constants zero, as in a new buffer, so a reused bank computes bit for bit
 * what a new one would.
 */
export function clearGoertzelBank(kernel: GoertzelKernel, history: Int16Array): void {
  const bytes = new Uint8Array(history.buffer);
  let from = 0;
  for (const [start, end] of CONSTANT_RANGES[kernel]) {
    bytes.fill(0, from, start);
    from = end;
  }
  bytes.fill(0, from);
}

/** What the TypeScript kernel reads and writes (the detector's state has these fields). */
export interface GoertzelBankState {
  readonly history: Int16Array;
  readonly coef: Float64Array;
  readonly finARe: Float64Array;
  readonly finAIm: Float64Array;
  readonly finBRe: Float64Array;
  readonly finBIm: Float64Array;
  readonly rotRe: Float64Array;
  readonly rotIm: Float64Array;
  readonly s1: Float64Array;
  readonly s2: Float64Array;
  readonly x0Re: Float64Array;
  readonly x0Im: Float64Array;
  readonly x1Re: Float64Array;
  readonly x1Im: Float64Array;
  readonly winRe: Float64Array;
  readonly winIm: Float64Array;
}

/**
 * The TypeScript kernel: the sub-block of history samples start .. start+50 (absolute indexes)
 * into x0 (its DFT value per bin; +0 when quiet: the bank is skipped) and the window over the
 * sub-blocks x1 (older) and x0 into win: W = X1 + e^{-jwS} X0.
 */
export function goertzelSubBlock(state: GoertzelBankState, start: number, quiet: boolean): void {
  const { s1, s2, x0Re, x0Im, x1Re, x1Im, winRe, winIm, finARe, finAIm, finBRe, finBIm, rotRe, rotIm } = state;
  if (!quiet) {
    goertzelLow(state, start);
    goertzelHigh(state, start);
  }
  for (let k = 0; k < TONES; k++) {
    const xr = quiet ? 0 : finARe[k] * s1[k] + finBRe[k] * s2[k];
    const xi = quiet ? 0 : finAIm[k] * s1[k] + finBIm[k] * s2[k];
    x0Re[k] = xr;
    x0Im[k] = xi;
    winRe[k] = x1Re[k] + rotRe[k] * xr - rotIm[k] * xi;
    winIm[k] = x1Im[k] + rotRe[k] * xi + rotIm[k] * xr;
  }
}

// The hot loops, from zero state, in two passes of four filters (one multiply, two adds each)
// so that every state and coefficient of a pass stays in a register. Each recurrence is
// written (x - s[n-2]) + c s[n-1] so that only the multiply and one add are loop-carried.
function goertzelLow(state: GoertzelBankState, start: number): void {
  const { history, coef, s1, s2 } = state;
  const c0 = coef[0],
    c1 = coef[1],
    c2 = coef[2],
    c3 = coef[3];
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0;
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0;
  for (let j = 0; j < SUB_BLOCK; j++) {
    const x = history[(start + j) & (HISTORY_RING - 1)];
    let t: number;
    t = x - b0 + c0 * a0;
    b0 = a0;
    a0 = t;
    t = x - b1 + c1 * a1;
    b1 = a1;
    a1 = t;
    t = x - b2 + c2 * a2;
    b2 = a2;
    a2 = t;
    t = x - b3 + c3 * a3;
    b3 = a3;
    a3 = t;
  }
  s1[0] = a0;
  s1[1] = a1;
  s1[2] = a2;
  s1[3] = a3;
  s2[0] = b0;
  s2[1] = b1;
  s2[2] = b2;
  s2[3] = b3;
}

function goertzelHigh(state: GoertzelBankState, start: number): void {
  const { history, coef, s1, s2 } = state;
  const c4 = coef[4],
    c5 = coef[5],
    c6 = coef[6],
    c7 = coef[7];
  let a4 = 0,
    a5 = 0,
    a6 = 0,
    a7 = 0;
  let b4 = 0,
    b5 = 0,
    b6 = 0,
    b7 = 0;
  for (let j = 0; j < SUB_BLOCK; j++) {
    const x = history[(start + j) & (HISTORY_RING - 1)];
    let t: number;
    t = x - b4 + c4 * a4;
    b4 = a4;
    a4 = t;
    t = x - b5 + c5 * a5;
    b5 = a5;
    a5 = t;
    t = x - b6 + c6 * a6;
    b6 = a6;
    a6 = t;
    t = x - b7 + c7 * a7;
    b7 = a7;
    a7 = t;
  }
  s1[4] = a4;
  s1[5] = a5;
  s1[6] = a6;
  s1[7] = a7;
  s2[4] = b4;
  s2[5] = b5;
  s2[6] = b6;
  s2[7] = b7;
}
