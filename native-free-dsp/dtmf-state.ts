// The DTMF detector's state struct and its init, as spandsp's dtmf_rx_state_t and
// dtmf_rx_init: every coefficient and threshold computed once, every buffer allocated once (the
// Goertzel bank's memory, goertzel-bank.ts), so that the per-sample and per-block code
// (dtmf-detector.ts, dtmf-sub-block.ts and what they call) allocates nothing. Also the
// constants that more than one part of the detector reads.
import { DTMF_HIGH_HZ, DTMF_LOW_HZ } from './dtmf-tones.js';
import { clearGoertzelBank, createGoertzelBank, DEFAULT_GOERTZEL_KERNEL, SPAN_FREQUENCIES, SUB_BLOCK, TONES, type GoertzelKernel, type GoertzelWasm, type WindowTests } from './goertzel-bank.js';
import { DEFAULT_DTMF_DETECTOR_CONFIG, type DtmfDetectorConfig } from './dtmf-config.js';
import type { DtmfDetectorListener } from './dtmf-events.js';
import { dbm0ToAmplitude } from './levels.js';

/** How a detector runs (not what it accepts: that is DtmfDetectorConfig). */
export interface DtmfDetectorOptions {
  /**
   * The Goertzel bank's kernel (goertzel-bank.ts): 'wasm' (WebAssembly SIMD) or 'typescript'.
   * Both give identical events. Default: 'wasm' where the runtime has WebAssembly SIMD.
   */
  readonly kernel?: GoertzelKernel;
}

export const SAMPLE_RATE_HZ = 8000;
/** Goertzel block, samples (6.375 ms; goertzel-bank.ts): SUB_BLOCK. Two make one 102-sample analysis window, as spandsp's. */
export const WINDOW = 2 * SUB_BLOCK;
/** Per-window checks are looser than the final ones: a single window is disturbed by edges and noise. */
const WINDOW_LEVEL_SLACK_DB = 6;
const WINDOW_TWIST_SLACK_DB = 4;
/** Largest change of the tone pair's magnitude between the two halves of a window, dB. */
const MAX_STATIONARITY_DB = 3;
/** A sub-block below this level (dBm0, as a sine) is not analysed: 8 dB under the weakest window considered. */
const QUIET_DBM0 = -50;

export const FREQUENCIES_HZ: readonly number[] = [...DTMF_LOW_HZ, ...DTMF_HIGH_HZ];

/** What is measured of the tracked tone over its valid windows. */
export interface ToneMeasurement {
  lowDbm0: number;
  highDbm0: number;
  lowDeviation: number;
  highDeviation: number;
  /** 1 for a tone of constant frequency; lower as it wanders. */
  coherence: number;
}

/** What the sample history says of the tone's span (see spanTests). */
export interface SpanMeasurement {
  /** Share of the signal power held by the two tones. */
  toneShare: number;
  /** Power at the stronger guard frequency over that of the weaker tone. */
  guardRatio: number;
  /** Power at the strongest harmonic-comb frequency over that of the weaker tone. */
  combRatio: number;
}

/** The tone being tracked, from its first valid window until it ends. */
export interface ToneTrack {
  /** Index into DTMF_KEYPAD, or -1 when nothing is tracked. */
  digit: number;
  confirmed: boolean;
  validWindows: number;
  startSample: number;
  lastEndSample: number;
  absentSamples: number;
  /** Sum and count of the tone's full-sub-block magnitudes (low + high): the reference for presence. */
  refSum: number;
  refCount: number;
  /** Magnitudes of the two sub-blocks that may hold the onset, and where the later one ends. */
  onsetMag0: number;
  onsetMag1: number;
  onsetBlockEnd: number;
  sumMagLow: number;
  sumMagHigh: number;

  /** Sums of the phase-step phasors between overlapping windows, and of their magnitudes. */
  phaseLowRe: number;
  phaseLowIm: number;
  phaseHighRe: number;
  phaseHighIm: number;
  phaseLowAbs: number;
  phaseHighAbs: number;
  phasePairs: number;
}

export interface DtmfDetector {
  readonly config: DtmfDetectorConfig;
  readonly listener: DtmfDetectorListener;
  /** The Goertzel bank's kernel this detector runs. */
  readonly kernel: GoertzelKernel;
  /** The wasm kernel (goertzel-bank.ts), or null when the TypeScript kernel runs. */
  readonly wasm: GoertzelWasm | null;
  // Precomputed per bin (goertzel-bank.ts): Goertzel coefficient 2cos(w), the terms that turn
  // the final two states into the block's DFT value sum x[n] e^{-jwn}, and the rotation e^{-jwS}.
  readonly coef: Float64Array;
  readonly finARe: Float64Array;
  readonly finAIm: Float64Array;
  readonly finBRe: Float64Array;
  readonly finBIm: Float64Array;
  readonly rotRe: Float64Array;
  readonly rotIm: Float64Array;
  /** leakRe/Im[a * TONES + b]: what a tone on bin a puts into bin b over a window, relative to bin a. */
  readonly leakRe: Float64Array;
  readonly leakIm: Float64Array;
  /** The same over one sub-block. */
  readonly subLeakRe: Float64Array;
  readonly subLeakIm: Float64Array;
  // Acceptance thresholds in the units the per-block code compares.
  readonly windowMinPower: number;
  readonly windowMaxTwistRatio: number;
  readonly windowMinTwistRatio: number;
  readonly relativePeakRatio: number;
  readonly stationarityRatio: number;
  readonly maxGuardRatio: number;
  readonly preciseMaxGuardRatio: number;
  readonly maxCombRatio: number;
  readonly preciseMaxCombRatio: number;
  readonly maxDropoutSamples: number;
  readonly minDurationSamples: number;
  // The sub-block in progress: how many samples (they go straight into history), their energy
  // (sum of x^2); the bank's final two states over it (TypeScript kernel).
  /** Its length is the sub-block size; it holds no samples (history does). */
  readonly block: Int16Array;
  subPos: number;
  energy: number;
  readonly s1: Float64Array;
  readonly s2: Float64Array;
  /** Sub-blocks with less energy than this hold nothing the detector could accept: the bank is skipped. */
  readonly quietEnergy: number;
  /**
   * The last HISTORY_RING input samples, by absolute index modulo HISTORY_RING (goertzel-bank.ts;
   * the sub-block in progress included), and the index just after the last analysed sub-block.
   */
  readonly history: Int16Array;
  samplesIn: number;
  /** Scratch for the span tests: frequencies, Goertzel coefficients and DFT values. */
  readonly spanHz: Float64Array;
  readonly spanCoef: Float64Array;
  readonly spanRe: Float64Array;
  readonly spanIm: Float64Array;
  /** Index of the sample at which the sub-block in progress starts. */
  blockStart: number;
  blocksSeen: number;
  // DFT values of the last three sub-blocks (0: newest) and of the last two windows; the
  // arrays (slots of the bank's memory) rotate by reference, nothing is copied.
  x0Re: Float64Array;
  x0Im: Float64Array;
  x1Re: Float64Array;
  x1Im: Float64Array;
  x2Re: Float64Array;
  x2Im: Float64Array;
  winRe: Float64Array;
  winIm: Float64Array;
  prevWinRe: Float64Array;
  prevWinIm: Float64Array;
  /** The slots x0, x1, x2, win and prevWin point at in a new detector, in that order. */
  readonly slotsRe: readonly Float64Array[];
  readonly slotsIm: readonly Float64Array[];
  /** The digit the previous window held, or -1. */
  prevWindowDigit: number;
  readonly track: ToneTrack;
  readonly measurement: ToneMeasurement;
  readonly span: SpanMeasurement;
}

function dbToPowerRatio(db: number): number {
  return Math.pow(10, db / 10);
}

export function newToneTrack(): ToneTrack {
  return {
    digit: -1,
    confirmed: false,
    validWindows: 0,
    startSample: 0,
    lastEndSample: 0,
    absentSamples: 0,
    refSum: 0,
    refCount: 0,
    onsetMag0: 0,
    onsetMag1: 0,
    onsetBlockEnd: 0,
    sumMagLow: 0,
    sumMagHigh: 0,
    phaseLowRe: 0,
    phaseLowIm: 0,
    phaseHighRe: 0,
    phaseHighIm: 0,
    phaseLowAbs: 0,
    phaseHighAbs: 0,
    phasePairs: 0,
  };
}

function newMeasurement(): ToneMeasurement {
  return { lowDbm0: 0, highDbm0: 0, lowDeviation: 0, highDeviation: 0, coherence: 0 };
}

function newSpanMeasurement(): SpanMeasurement {
  return { toneShare: 0, guardRatio: 0, combRatio: 0 };
}

export function createDtmfDetector(listener: DtmfDetectorListener, config: Partial<DtmfDetectorConfig> = {}, options: DtmfDetectorOptions = {}): DtmfDetector {
  const full: DtmfDetectorConfig = { ...DEFAULT_DTMF_DETECTOR_CONFIG, ...config };
  const quietEnergy = (SUB_BLOCK * dbm0ToAmplitude(QUIET_DBM0) ** 2) / 2;
  // A tone of peak amplitude a gives |W| = a * S over a 102-sample window.
  const windowMinAmplitude = dbm0ToAmplitude(full.minToneLevelDbm0 - WINDOW_LEVEL_SLACK_DB) * SUB_BLOCK;
  // Over N samples, e^{j w_a n} gives W_b / W_a = e^{j d (N-1)/2} sin(N d/2) / (N sin(d/2)),
  // d = w_a - w_b: the Dirichlet kernel. Cross-group leakage reaches -21 dB (941 Hz into the
  // 1209 Hz bin), which at 8-10 dB twist would swing the weak tone by 2-3 dB.
  const [leakRe, leakIm] = WINDOW_LEAKAGE;
  const [subLeakRe, subLeakIm] = SUB_BLOCK_LEAKAGE;
  const tests: WindowTests = {
    windowMinPower: windowMinAmplitude * windowMinAmplitude,
    windowMaxTwistRatio: dbToPowerRatio(full.maxNormalTwistDb + WINDOW_TWIST_SLACK_DB),
    windowMinTwistRatio: dbToPowerRatio(-(full.maxReverseTwistDb + WINDOW_TWIST_SLACK_DB)),
    relativePeakRatio: dbToPowerRatio(full.minRelativePeakDb),
    stationarityRatio: dbToPowerRatio(MAX_STATIONARITY_DB),
    leakRe,
    leakIm,
    subLeakRe,
    subLeakIm,
  };
  const bank = createGoertzelBank(options.kernel ?? DEFAULT_GOERTZEL_KERNEL, FREQUENCIES_HZ, SAMPLE_RATE_HZ, quietEnergy, tests);
  const { coef, finARe, finAIm, finBRe, finBIm, rotRe, rotIm, slotsRe, slotsIm } = bank;
  const bins = (): Float64Array => new Float64Array(TONES);
  return {
    config: full,
    listener,
    kernel: bank.kernel,
    wasm: bank.wasm,
    coef,
    finARe,
    finAIm,
    finBRe,
    finBIm,
    rotRe,
    rotIm,
    ...tests,
    maxGuardRatio: dbToPowerRatio(full.maxGuardDb),
    preciseMaxGuardRatio: dbToPowerRatio(full.preciseToneMaxGuardDb),
    maxCombRatio: dbToPowerRatio(full.maxCombDb),
    preciseMaxCombRatio: dbToPowerRatio(full.preciseToneMaxCombDb),
    maxDropoutSamples: (full.maxDropoutMs * SAMPLE_RATE_HZ) / 1000,
    minDurationSamples: (full.minDurationMs * SAMPLE_RATE_HZ) / 1000,
    block: new Int16Array(SUB_BLOCK),
    subPos: 0,
    energy: 0,
    s1: bins(),
    s2: bins(),
    quietEnergy,
    history: bank.history,
    samplesIn: 0,
    spanHz: new Float64Array(SPAN_FREQUENCIES),
    spanCoef: bank.wasm !== null ? bank.wasm.spanCoef : new Float64Array(SPAN_FREQUENCIES),
    spanRe: new Float64Array(SPAN_FREQUENCIES),
    spanIm: new Float64Array(SPAN_FREQUENCIES),
    blockStart: 0,
    blocksSeen: 0,
    x0Re: slotsRe[0],
    x0Im: slotsIm[0],
    x1Re: slotsRe[1],
    x1Im: slotsIm[1],
    x2Re: slotsRe[2],
    x2Im: slotsIm[2],
    winRe: slotsRe[3],
    winIm: slotsIm[3],
    prevWinRe: slotsRe[4],
    prevWinIm: slotsIm[4],
    slotsRe,
    slotsIm,
    prevWindowDigit: -1,
    track: newToneTrack(),
    measurement: newMeasurement(),
    span: newSpanMeasurement(),
  };
}

/**
 * Makes `det` what createDtmfDetector returned, with the same listener, config and kernel: the
 * samples fed so far and any digit in progress are forgotten (nothing is reported for them), and
 * the events from here on are those a new detector would report. For callers that run many
 * separate signals: a new wasm-kernel detector costs a WebAssembly instance.
 */
export function resetDtmfDetector(det: DtmfDetector): void {
  clearGoertzelBank(det.kernel, det.history);
  det.subPos = 0;
  det.energy = 0;
  det.s1.fill(0);
  det.s2.fill(0);
  det.samplesIn = 0;
  det.spanHz.fill(0);
  det.spanCoef.fill(0);
  det.spanRe.fill(0);
  det.spanIm.fill(0);
  det.blockStart = 0;
  det.blocksSeen = 0;
  det.x0Re = det.slotsRe[0];
  det.x0Im = det.slotsIm[0];
  det.x1Re = det.slotsRe[1];
  det.x1Im = det.slotsIm[1];
  det.x2Re = det.slotsRe[2];
  det.x2Im = det.slotsIm[2];
  det.winRe = det.slotsRe[3];
  det.winIm = det.slotsIm[3];
  det.prevWinRe = det.slotsRe[4];
  det.prevWinIm = det.slotsIm[4];
  det.prevWindowDigit = -1;
  Object.assign(det.track, newToneTrack());
  Object.assign(det.measurement, newMeasurement());
  Object.assign(det.span, newSpanMeasurement());
}

/**
 * The leakage tables depend on the keypad's frequencies only: one copy for every detector, so a
 * thread serving many calls keeps them in its caches instead of one copy per call (read-only).
 */
const WINDOW_LEAKAGE = leakageKernel(WINDOW);
const SUB_BLOCK_LEAKAGE = leakageKernel(SUB_BLOCK);

/** The Dirichlet kernel between every pair of bins over `length` samples, as [re, im]. */
function leakageKernel(length: number): [Float64Array, Float64Array] {
  const re = new Float64Array(TONES * TONES);
  const im = new Float64Array(TONES * TONES);
  for (let a = 0; a < TONES; a++) {
    for (let b = 0; b < TONES; b++) {
      if (a === b) continue;
      const d = (2 * Math.PI * (FREQUENCIES_HZ[a] - FREQUENCIES_HZ[b])) / SAMPLE_RATE_HZ;
      const gain = Math.sin((length * d) / 2) / (length * Math.sin(d / 2));
      re[a * TONES + b] = gain * Math.cos((d * (length - 1)) / 2);
      im[a * TONES + b] = gain * Math.sin((d * (length - 1)) / 2);
    }
  }
  return [re, im];
}
