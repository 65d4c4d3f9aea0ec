// DTMF receiver for 8 kHz 16-bit PCM: a bank of eight Goertzel filters, in the manner of
// spandsp's dtmf.c (state struct, precomputed coefficients, rx over fixed blocks, named
// acceptance constants), with four additions that make it more accurate:
//
// 1. Frequency is measured, not inferred from bin energy. The bank runs over 51-sample
//    sub-blocks; two sub-blocks make a 102-sample analysis window (78 Hz resolution, as
//    spandsp) every 6.4 ms. The phase advance of a tone between overlapping windows gives
//    its frequency to a few Hz, so the ITU-T Q.24 limits (accept ±1.5 %, reject ±3.5 %)
//    are applied directly, on every tone including 1633 Hz, which spandsp's energy-only
//    test rejects at +1.5 %. Levels and twist are corrected for the Goertzel loss at the
//    measured offset, so twist limits hold at any accepted frequency.
// 2. Edges to the sample: a sub-block only partly covered by the tone has a Goertzel
//    magnitude proportional to the covered part, so start, end, drop-outs and pauses are
//    measured in samples rather than counted in blocks.
// 3. Cross-group leakage removed: the known Dirichlet-kernel leakage of the strongest row and
//    column tones is subtracted from the other bins, so twist, relative peaks and stationarity
//    hold at 8-10 dB twist and at ±1.5 % offsets (spandsp's 941 Hz row fails there).
// 4. Talk-off defences beyond spandsp's level, twist and relative-peak tests, judged over the
//    whole tone rather than per block: the tones' share of the signal power, the steadiness
//    of their frequency (phase coherence), two guard frequencies in the empty band between the
//    groups, and the harmonic comb (a voice's harmonics n F0 and m F0 imply harmonics at their
//    difference and at 2 f1 - f2, 2 f2 - f1; a DTMF pair leaves those empty). A pair within
//    0.25 % of nominal with an empty guard band is accepted at a lower share, so that speech
//    over a real digit (talk-down) does not hide it while speech alone is never taken for one.
//
// Streaming: any chunking of the input gives the same events. No allocation per sample or
// per block; events are allocated only when a digit ends.
import { DTMF_HIGH_HZ, DTMF_KEYPAD, DTMF_LOW_HZ, type DtmfDigit } from './dtmf-tones.js';
import {
  clearGoertzelBank,
  createGoertzelBank,
  DEFAULT_GOERTZEL_KERNEL,
  goertzelSubBlock,
  HISTORY,
  HISTORY_RING,
  SPAN_FREQUENCIES,
  SUB_BLOCK,
  TONES,
  WASM_SLOTS,
  WASM_STAGING,
  type GoertzelKernel,
  type GoertzelWasm,
  type WindowTests,
} from './goertzel-bank.js';
import { amplitudeToDbm0, dbm0ToAmplitude } from './levels.js';

export type { GoertzelKernel } from './goertzel-bank.js';
export { DEFAULT_GOERTZEL_KERNEL, GoertzelKernelError, isGoertzelKernelAvailable } from './goertzel-bank.js';

export interface DtmfDetectorConfig {
  /** Largest accepted relative frequency deviation of each tone (ITU-T Q.24: accept 1.5 %, reject 3.5 %). */
  readonly maxFrequencyDeviation: number;
  /** Largest accepted normal twist (low group stronger), dB. */
  readonly maxNormalTwistDb: number;
  /** Largest accepted reverse twist (high group stronger), dB. */
  readonly maxReverseTwistDb: number;
  /** Weakest accepted level of each tone, dBm0. */
  readonly minToneLevelDbm0: number;
  /** Shortest tone reported, ms. */
  readonly minDurationMs: number;
  /** Longest gap inside a tone that does not split it, ms. */
  readonly maxDropoutMs: number;
  /** A tone must exceed every other tone of its group in the window by this much, dB. */
  readonly minRelativePeakDb: number;
  /**
   * Smallest share of the signal power, over the tone, that the two tones must hold (0..1).
   * Vowel formants near a DTMF pair hold up to about 0.5 of the speech power; a digit at
   * 15 dB SNR holds 0.97, and one 6 dB above speech about 0.8.
   */
  readonly minToneShare: number;
  /**
   * Smallest phase coherence of each tone over the digit (0..1): |sum of phase steps| over
   * the sum of their magnitudes. A generator's tone stays at one frequency; speech harmonics
   * follow the pitch and music vibrato.
   */
  readonly minCoherence: number;
  /** Largest power between the groups (at 1020 and 1130 Hz) relative to the weaker tone, dB. */
  readonly maxGuardDb: number;
  /**
   * Largest power at the harmonic-comb frequencies of the pair (f_high - f_low, 2 f_low - f_high,
   * 2 f_high - f_low) relative to the weaker tone, dB. Two harmonics n F0 and m F0 of a voice
   * imply harmonics at those three frequencies too; a DTMF pair leaves them empty (hard
   * clipping puts third-order products there at about -20 dB).
   */
  readonly maxCombDb: number;
  /**
   * A digit whose tones are both within this relative deviation of nominal is held to the
   * precise-tone limits below instead of the three above. Crystal DTMF generators are within
   * 0.1 %; speech harmonics that mimic a digit were 0.6 % to 2 % off on the Asterisk prompts.
   */
  readonly preciseToneDeviation: number;
  readonly preciseToneMinShare: number;
  readonly preciseToneMinCoherence: number;
  readonly preciseToneMaxGuardDb: number;
  readonly preciseToneMaxCombDb: number;
}

export const DEFAULT_DTMF_DETECTOR_CONFIG: DtmfDetectorConfig = {
  // Q.24 accepts 1.5 % and rejects 3.5 %; 2 % keeps 0.5 % of headroom for measurement error
  // (under 0.3 % at 15 dB SNR) while rejecting speech harmonics that drift in from further out.
  maxFrequencyDeviation: 0.02,
  // Q.24 and spandsp accept 8 dB normal and 4 dB reverse twist; the limits sit 1 dB beyond
  // so that measurement error on weak, coded tones never rejects a compliant digit.
  maxNormalTwistDb: 9,
  maxReverseTwistDb: 5,
  // Q.24 asks for -25 dBm0 per tone (less twist); nothing at -45 dBm0 or below.
  minToneLevelDbm0: -36,
  // Between the 20 ms that must be rejected and the 40 ms that must be detected.
  minDurationMs: 30,
  // Between the 10 ms drop-out that must be bridged and the 40 ms pause that must split.
  maxDropoutMs: 24,
  // spandsp uses 8 dB; at 8 dB twist the strong tone plus the weak one's own sidelobe reach
  // -7 dB in the neighbouring column bin, so 8 dB rejects compliant digits (0 at 8 dB twist).
  minRelativePeakDb: 6,
  // The talk-off limits below were set on 62 minutes of speech and music (Debian's Asterisk
  // prompts and music on hold, and espeak-ng speech), measured at each candidate's confirmation
  // against digits in clean audio, in 15 dB SNR noise, clipped, G.711-coded and mixed under
  // speech: clean digits hold a share of 0.94 or more with guard and comb 16 dB or more below
  // the weaker tone, while every candidate in the speech and music failed one limit.
  minToneShare: 0.6,
  minCoherence: 0.97,
  maxGuardDb: -10,
  maxCombDb: -12,
  // Digits under speech keep their frequency within 0.25 % (the speech shifts the estimate a
  // little) but lose share and may have speech harmonics at the comb frequencies.
  preciseToneDeviation: 0.0025,
  preciseToneMinShare: 0.3,
  preciseToneMinCoherence: 0.99,
  preciseToneMaxGuardDb: -8,
  preciseToneMaxCombDb: 0,
};

export interface DtmfDigitEvent {
  readonly digit: DtmfDigit;
  /** Start and end of the tone, ms from the first sample pushed. */
  readonly startMs: number;
  readonly endMs: number;
  /** Measured level of each tone, dBm0. */
  readonly lowDbm0: number;
  readonly highDbm0: number;
  /** Low-group level minus high-group level, dB (positive: normal twist). */
  readonly twistDb: number;
  /** Measured frequencies, Hz. */
  readonly lowHz: number;
  readonly highHz: number;
}

export interface DtmfDetectorListener {
  /** A digit is confirmed (tone still on); called once per digit, before onDigit. */
  readonly onDigitStart?: (digit: DtmfDigit, startMs: number) => void;
  /** A digit has ended; called once per digit. */
  readonly onDigit: (event: DtmfDigitEvent) => void;
  /**
   * A tone that may be DTMF has begun: the first analysis window that holds a digit's pair
   * (about 13-19 ms after the onset, before any confirmation). For clamping: other decoders
   * accept tones shorter than this detector does (multimon-ng takes 20 ms), so what must be
   * muted is every candidate, confirmed or not. `startMs` is the onset estimate that a
   * confirmed digit's startMs would use (ms from the first sample pushed).
   */
  readonly onToneCandidate?: (startMs: number, digit: DtmfDigit) => void;
  /**
   * The candidate begun by the last onToneCandidate has ended (confirmed or not), called once
   * per candidate, after its onDigit when it was confirmed. `endMs`: where the tone was last
   * present (the digit's endMs when confirmed). Fires one drop-out limit (maxDropoutMs) after
   * the end at the latest.
   */
  readonly onToneCandidateEnd?: (endMs: number) => void;
}

/** How a detector runs (not what it accepts: that is DtmfDetectorConfig). */
export interface DtmfDetectorOptions {
  /**
   * The Goertzel bank's kernel (goertzel-bank.ts): 'wasm' (WebAssembly SIMD) or 'typescript'.
   * Both give identical events. Default: 'wasm' where the runtime has WebAssembly SIMD.
   */
  readonly kernel?: GoertzelKernel;
}

const SAMPLE_RATE_HZ = 8000;
/** Goertzel block, samples (6.375 ms; goertzel-bank.ts): SUB_BLOCK. Two make one 102-sample analysis window, as spandsp's. */
const WINDOW = 2 * SUB_BLOCK;
/** Windows that must hold the digit before it can be confirmed. */
const MIN_VALID_WINDOWS = 3;
/**
 * Phase steps a digit needs before it may be confirmed on the precise-tone limits: a synth
 * note pair can sit within 0.3 % of a digit for 20 ms and then drift away, a generator can't.
 */
const PRECISE_MIN_PHASE_STEPS = 3;
/** Per-window checks are looser than the final ones: a single window is disturbed by edges and noise. */
const WINDOW_LEVEL_SLACK_DB = 6;
const WINDOW_TWIST_SLACK_DB = 4;
const WINDOW_FREQUENCY_DEVIATION = 0.05;
/** Largest change of the tone pair's magnitude between the two halves of a window, dB. */
const MAX_STATIONARITY_DB = 3;
/** A sub-block whose tone magnitude is below this fraction of the full-tone magnitude counts as empty. */
const PRESENCE_FLOOR = 0.1;
/** A sub-block below this level (dBm0, as a sine) is not analysed: 8 dB under the weakest window considered. */
const QUIET_DBM0 = -50;
/** Longest span of a tone the span tests look at, samples (64 ms). */
const MAX_SPAN = 512;
/** Shortest span they can judge, samples (20 ms). */
const MIN_SPAN = 160;
/** Comb frequencies outside this band (Hz) are not tested: telephone audio has nothing there. */
const COMB_MIN_HZ = 150;
const COMB_MAX_HZ = 3600;

const FREQUENCIES_HZ: readonly number[] = [...DTMF_LOW_HZ, ...DTMF_HIGH_HZ];
// Guard frequencies in the empty band between the groups, 79 Hz above 941 Hz and below 1209 Hz:
// voiced speech with a pitch below about 230 Hz always has a harmonic between the groups.
const GUARD_HZ: readonly number[] = [1020, 1130];

/** What is measured of the tracked tone over its valid windows. */
interface ToneMeasurement {
  lowDbm0: number;
  highDbm0: number;
  lowDeviation: number;
  highDeviation: number;
  /** 1 for a tone of constant frequency; lower as it wanders. */
  coherence: number;
}

/** What the sample history says of the tone's span (see spanTests). */
interface SpanMeasurement {
  /** Share of the signal power held by the two tones. */
  toneShare: number;
  /** Power at the stronger guard frequency over that of the weaker tone. */
  guardRatio: number;
  /** Power at the strongest harmonic-comb frequency over that of the weaker tone. */
  combRatio: number;
}

/** The tone being tracked, from its first valid window until it ends. */
interface ToneTrack {
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

function newToneTrack(): ToneTrack {
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
  const [leakRe, leakIm] = leakageKernel(WINDOW);
  const [subLeakRe, subLeakIm] = leakageKernel(SUB_BLOCK);
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

/** Samples per detector sub-block (6.375 ms): the detector decides (and calls its listener) only at their ends. */
export const DTMF_SUB_BLOCK_SAMPLES = SUB_BLOCK;

/**
 * Samples the detector needs before it next decides (1..DTMF_SUB_BLOCK_SAMPLES): a caller that
 * feeds at most this many and acts after each call sees every decision at the sample it was made.
 */
export function dtmfSamplesToDecision(det: DtmfDetector): number {
  return SUB_BLOCK - det.subPos;
}

/** The last dtmfRx ended exactly at a decision point (a sub-block boundary). */
export function dtmfAtDecision(det: DtmfDetector): boolean {
  return det.subPos === 0;
}

/**
 * Feeds `length` 8 kHz 16-bit samples, from index `from` of `samples` (default: all of it); any
 * chunk size gives the same events.
 */
export function dtmfRx(det: DtmfDetector, samples: Int16Array, length: number = samples.length, from = 0): void {
  if (!(Number.isInteger(from) && from >= 0 && Number.isInteger(length) && length >= 0 && from + length <= samples.length)) {
    throw new RangeError(`dtmfRx: ${length} samples from ${from} are not within ${samples.length}`);
  }
  if (det.wasm !== null) {
    rxWasm(det, det.wasm, samples, from, length);
    return;
  }
  const history = det.history;
  let i = 0;
  while (i < length) {
    const n = Math.min(length - i, SUB_BLOCK - det.subPos);
    let energy = det.energy;
    // Samples go straight into the history, where both kernels read the sub-block.
    const offset = det.blockStart + det.subPos - i;
    const end = i + n;
    for (let j = i; j < end; j++) {
      const x = samples[from + j];
      history[(offset + j) & (HISTORY_RING - 1)] = x;
      energy += x * x;
    }
    det.energy = energy;
    det.subPos += n;
    i = end;
    if (det.subPos === SUB_BLOCK) endSubBlock(det);
  }
}

/** End of stream: completes the last block with silence and reports a digit still in progress. */
export function dtmfFlush(det: DtmfDetector): void {
  if (det.subPos > 0) dtmfRx(det, new Int16Array(SUB_BLOCK - det.subPos));
  if (det.track.digit >= 0) endTrack(det);
}

/** Convenience: every digit in a whole 8 kHz buffer. */
export function detectDtmf(samples: Int16Array, config: Partial<DtmfDetectorConfig> = {}, options: DtmfDetectorOptions = {}): DtmfDigitEvent[] {
  const events: DtmfDigitEvent[] = [];
  const detector = createDtmfDetector({ onDigit: (event) => events.push(event) }, config, options);
  dtmfRx(detector, samples);
  dtmfFlush(detector);
  return events;
}

/** Pieces at least this long (samples) are staged through a subarray view rather than a loop. */
const STAGING_VIEW_MIN = 256;

/**
 * The wasm kernel takes the samples into the history, sums the energy and runs the bank for
 * every sub-block they complete (up to WASM_STAGING samples per call); then each completed
 * sub-block is analysed in order, exactly as endSubBlock does with the TypeScript kernel.
 */
function rxWasm(det: DtmfDetector, wasm: GoertzelWasm, samples: Int16Array, from: number, length: number): void {
  const staging = wasm.staging;
  let i = 0;
  while (i < length) {
    const n = Math.min(length - i, WASM_STAGING);
    const at = from + i;
    // A typed-array copy is a memcpy; a view costs an allocation, worth it for long pieces.
    if (at === 0 && n === samples.length) staging.set(samples);
    else if (n >= STAGING_VIEW_MIN) staging.set(samples.subarray(at, at + n));
    else for (let j = 0; j < n; j++) staging[j] = samples[at + j];
    const completed = wasm.rx(n, det.subPos, det.blocksSeen, det.blockStart + det.subPos);
    det.subPos = (det.subPos + n) % SUB_BLOCK;
    for (let k = 0; k < completed; k++) {
      det.samplesIn += SUB_BLOCK;
      const candidate = wasm.classes[det.blocksSeen % WASM_SLOTS];
      // A window that holds no digit while no tone is tracked needs nothing but counting: its
      // values are not looked at, so the views are only moved for the others (and the last).
      if (candidate >= 0 || det.track.digit >= 0 || k === completed - 1) showSlots(det, wasm, det.blocksSeen);
      analyseSubBlock(det, candidate < 0 ? -1 : withinWindowDeviation(det, rowOf(candidate), colOf(candidate)) ? candidate : -1);
    }
    i += n;
  }
}

/** Points x0, x1, x2, win and prevWin at the kernel's slots of sub-block b and the two before. */
function showSlots(det: DtmfDetector, wasm: GoertzelWasm, b: number): void {
  const s0 = b % WASM_SLOTS,
    s1 = (b + WASM_SLOTS - 1) % WASM_SLOTS,
    s2 = (b + WASM_SLOTS - 2) % WASM_SLOTS;
  det.x0Re = wasm.blockRe[s0];
  det.x0Im = wasm.blockIm[s0];
  det.x1Re = wasm.blockRe[s1];
  det.x1Im = wasm.blockIm[s1];
  det.x2Re = wasm.blockRe[s2];
  det.x2Im = wasm.blockIm[s2];
  det.winRe = wasm.windowRe[s0];
  det.winIm = wasm.windowIm[s0];
  det.prevWinRe = wasm.windowRe[s1];
  det.prevWinIm = wasm.windowIm[s1];
}

function endSubBlock(det: DtmfDetector): void {
  // Rotate the sub-block and window buffers by reference.
  let re = det.x2Re,
    im = det.x2Im;
  det.x2Re = det.x1Re;
  det.x2Im = det.x1Im;
  det.x1Re = det.x0Re;
  det.x1Im = det.x0Im;
  det.x0Re = re;
  det.x0Im = im;
  re = det.prevWinRe;
  im = det.prevWinIm;
  det.prevWinRe = det.winRe;
  det.prevWinIm = det.winIm;
  det.winRe = re;
  det.winIm = im;
  det.samplesIn += SUB_BLOCK;
  // The bank over the sub-block into x0, and the window over the last two sub-blocks into win.
  goertzelSubBlock(det, det.blockStart, det.energy < det.quietEnergy);
  det.energy = 0;
  det.subPos = 0;
  analyseSubBlock(det, UNCLASSIFIED);
}

/** analyseSubBlock's `digit` when the window is still to be classified (TypeScript kernel). */
const UNCLASSIFIED = -2;

/**
 * The analysis of the sub-block just completed (its values are in x0 and win). `digit`: the
 * window's classification when the kernel made it (the wasm kernel), else UNCLASSIFIED.
 */
function analyseSubBlock(det: DtmfDetector, classified: number): void {
  det.blocksSeen++;
  if (det.blocksSeen >= 2) {
    const digit = classified === UNCLASSIFIED ? classifyWindow(det) : classified;
    trackWindow(det, digit);
    det.prevWindowDigit = digit;
  }
  det.blockStart += SUB_BLOCK;
}

function magnitude(re: Float64Array, im: Float64Array, k: number): number {
  return Math.sqrt(re[k] * re[k] + im[k] * im[k]);
}

/**
 * |X_row| + |X_col| of one sub-block, each without the other's leakage. Over 51 samples a tone
 * leaks up to -14 dB into the other group's bin, and two tones 1.5 % towards each other beat
 * there by up to ±3.5 dB from one sub-block to the next.
 */
function pairMagnitude(det: DtmfDetector, re: Float64Array, im: Float64Array, row: number, col: number): number {
  const { subLeakRe, subLeakIm } = det;
  const i = col * TONES + row;
  const j = row * TONES + col;
  const rowRe = re[row] - (re[col] * subLeakRe[i] - im[col] * subLeakIm[i]);
  const rowIm = im[row] - (re[col] * subLeakIm[i] + im[col] * subLeakRe[i]);
  const colRe = re[col] - (re[row] * subLeakRe[j] - im[row] * subLeakIm[j]);
  const colIm = im[col] - (re[row] * subLeakIm[j] + im[row] * subLeakRe[j]);
  return Math.sqrt(rowRe * rowRe + rowIm * rowIm) + Math.sqrt(colRe * colRe + colIm * colIm);
}

function power(re: Float64Array, im: Float64Array, k: number): number {
  return re[k] * re[k] + im[k] * im[k];
}

/** Relative frequency deviation of bin k from a phase step (re, im) over one sub-block. */
function deviationFromPhase(k: number, re: number, im: number): number {
  const deltaRadPerSample = Math.atan2(im, re) / SUB_BLOCK;
  return (deltaRadPerSample * SAMPLE_RATE_HZ) / (2 * Math.PI * FREQUENCIES_HZ[k]);
}

/** The digit the newest window holds (index into DTMF_KEYPAD), or -1. */
function classifyWindow(det: DtmfDetector): number {
  const { winRe, winIm } = det;
  let row = 0;
  let rowPower = -1;
  let col = 4;
  let colPower = -1;
  for (let k = 0; k < 4; k++) {
    const p = power(winRe, winIm, k);
    if (p > rowPower) {
      rowPower = p;
      row = k;
    }
  }
  for (let k = 4; k < TONES; k++) {
    const p = power(winRe, winIm, k);
    if (p > colPower) {
      colPower = p;
      col = k;
    }
  }
  if (rowPower < det.windowMinPower || colPower < det.windowMinPower) return -1;
  removeLeakage(det, row, col);
  rowPower = power(winRe, winIm, row);
  colPower = power(winRe, winIm, col);
  const twist = rowPower / colPower;
  if (twist > det.windowMaxTwistRatio || twist < det.windowMinTwistRatio) return -1;
  for (let k = 0; k < TONES; k++) {
    if (k === row || k === col) continue;
    if (power(winRe, winIm, k) * det.relativePeakRatio > (k < 4 ? rowPower : colPower)) return -1;
  }
  // Both halves of the window must hold the same steady pair. The pair's summed magnitude is
  // used because at 8 dB twist the weak tone alone still swings with what is left of the
  // strong one's leakage.
  const newer = pairMagnitude(det, det.x0Re, det.x0Im, row, col);
  const older = pairMagnitude(det, det.x1Re, det.x1Im, row, col);
  if (newer * newer > older * older * det.stationarityRatio || older * older > newer * newer * det.stationarityRatio) return -1;
  if (!withinWindowDeviation(det, row, col)) return -1;
  return row * 4 + (col - 4);
}

/** classifyWindow's last test (the wasm kernel makes the others): both tones' frequency from their phase step. */
function withinWindowDeviation(det: DtmfDetector, row: number, col: number): boolean {
  // Written as "not beyond" so that it decides exactly as the two tests it replaces, NaN included.
  return !(Math.abs(subBlockDeviation(det, row)) > WINDOW_FREQUENCY_DEVIATION) && !(Math.abs(subBlockDeviation(det, col)) > WINDOW_FREQUENCY_DEVIATION);
}

/**
 * Takes out of every other bin of the newest window what the strongest row and column tones
 * leak into it, as if they sat on their nominal frequencies (first order: each tone's own
 * value still holds the other's small leakage). A tone 1.5 % off leaves a few per cent of the
 * leakage behind, which is well under the measurement tolerances.
 */
function removeLeakage(det: DtmfDetector, row: number, col: number): void {
  const { winRe, winIm, leakRe, leakIm } = det;
  const rowRe = winRe[row],
    rowIm = winIm[row],
    colRe = winRe[col],
    colIm = winIm[col];
  for (let k = 0; k < TONES; k++) {
    if (k !== row) {
      const i = row * TONES + k;
      winRe[k] -= rowRe * leakRe[i] - rowIm * leakIm[i];
      winIm[k] -= rowRe * leakIm[i] + rowIm * leakRe[i];
    }
    if (k !== col) {
      const i = col * TONES + k;
      winRe[k] -= colRe * leakRe[i] - colIm * leakIm[i];
      winIm[k] -= colRe * leakIm[i] + colIm * leakRe[i];
    }
  }
}

/** Deviation of bin k measured from its phase step between the two newest sub-blocks. */
function subBlockDeviation(det: DtmfDetector, k: number): number {
  return deviationFromPhase(k, stepRe(det, k, det.x0Re, det.x0Im, det.x1Re, det.x1Im), stepIm(det, k, det.x0Re, det.x0Im, det.x1Re, det.x1Im));
}

// The phase step of bin k from b to a (S samples apart): a conj(b) e^{-jwS}, whose angle is
// (w' - w) S for a tone at w'.
function stepRe(det: DtmfDetector, k: number, aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array): number {
  const pr = aRe[k] * bRe[k] + aIm[k] * bIm[k];
  const pi = aIm[k] * bRe[k] - aRe[k] * bIm[k];
  return pr * det.rotRe[k] - pi * det.rotIm[k];
}

function stepIm(det: DtmfDetector, k: number, aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array): number {
  const pr = aRe[k] * bRe[k] + aIm[k] * bIm[k];
  const pi = aIm[k] * bRe[k] - aRe[k] * bIm[k];
  return pr * det.rotIm[k] + pi * det.rotRe[k];
}

function rowOf(digit: number): number {
  return digit >> 2;
}

function colOf(digit: number): number {
  return 4 + (digit & 3);
}

function trackWindow(det: DtmfDetector, digit: number): void {
  const track = det.track;
  if (track.digit >= 0 && digit >= 0 && digit !== track.digit) endTrack(det);
  if (track.digit < 0) {
    if (digit >= 0) beginTrack(det, digit);
    return;
  }
  const tracked = track.digit;
  updatePresence(det, rowOf(tracked), colOf(tracked));
  if (track.digit < 0) {
    // A gap long enough to split ended the tone; this window may start the next press.
    if (digit >= 0) beginTrack(det, digit);
    return;
  }
  if (digit === tracked) addValidWindow(det, rowOf(tracked), colOf(tracked));
  if (!track.confirmed) tryConfirm(det);
}

function beginTrack(det: DtmfDetector, digit: number): void {
  const row = rowOf(digit);
  const col = colOf(digit);
  Object.assign(det.track, newToneTrackValues);
  const track = det.track;
  track.digit = digit;
  // The window's older sub-block may be cut by the onset, and the one before may hold its start.
  track.onsetMag0 = pairMagnitude(det, det.x2Re, det.x2Im, row, col);
  track.onsetMag1 = pairMagnitude(det, det.x1Re, det.x1Im, row, col);
  track.onsetBlockEnd = det.blockStart;
  track.lastEndSample = det.blockStart + SUB_BLOCK;
  addValidWindow(det, row, col);
  det.listener.onToneCandidate?.(samplesToMs(startSampleOf(track)), DTMF_KEYPAD[digit]);
}

const newToneTrackValues: ToneTrack = newToneTrack();

function addValidWindow(det: DtmfDetector, row: number, col: number): void {
  const track = det.track;
  const { winRe, winIm, prevWinRe, prevWinIm } = det;
  track.validWindows++;
  track.refSum += pairMagnitude(det, det.x0Re, det.x0Im, row, col);
  track.refCount++;
  track.sumMagLow += magnitude(winRe, winIm, row);
  track.sumMagHigh += magnitude(winRe, winIm, col);
  if (det.prevWindowDigit === track.digit) {
    // Phase step between overlapping windows (S samples apart), summed over the tone.
    const lowRe = stepRe(det, row, winRe, winIm, prevWinRe, prevWinIm);
    const lowIm = stepIm(det, row, winRe, winIm, prevWinRe, prevWinIm);
    const highRe = stepRe(det, col, winRe, winIm, prevWinRe, prevWinIm);
    const highIm = stepIm(det, col, winRe, winIm, prevWinRe, prevWinIm);
    track.phaseLowRe += lowRe;
    track.phaseLowIm += lowIm;
    track.phaseHighRe += highRe;
    track.phaseHighIm += highIm;
    track.phaseLowAbs += Math.sqrt(lowRe * lowRe + lowIm * lowIm);
    track.phaseHighAbs += Math.sqrt(highRe * highRe + highIm * highIm);
    track.phasePairs++;
  }
}

/** Samples of a sub-block covered by the tracked tone, from the pair's summed magnitude in it. */
function coveredSamples(track: ToneTrack, magnitudeSum: number): number {
  const fraction = magnitudeSum / (track.refSum / track.refCount);
  if (fraction < PRESENCE_FLOOR) return 0;
  return fraction >= 1 ? SUB_BLOCK : fraction * SUB_BLOCK;
}

function updatePresence(det: DtmfDetector, row: number, col: number): void {
  const track = det.track;
  const covered = coveredSamples(track, pairMagnitude(det, det.x0Re, det.x0Im, row, col));
  const blockEnd = det.blockStart + SUB_BLOCK;
  if (covered >= SUB_BLOCK / 2) {
    // The tone is (back) on: the uncovered part of this block belongs to the gap before it.
    if (track.absentSamples > 0 && track.absentSamples + (SUB_BLOCK - covered) > det.maxDropoutSamples) {
      endTrack(det);
      return;
    }
    track.absentSamples = 0;
    track.lastEndSample = blockEnd;
    return;
  }
  // Mostly gone: the tone ran `covered` samples into this block.
  if (track.absentSamples === 0) track.lastEndSample = det.blockStart + covered;
  track.absentSamples += SUB_BLOCK - covered;
  if (track.absentSamples > det.maxDropoutSamples) endTrack(det);
}

function startSampleOf(track: ToneTrack): number {
  const covered1 = coveredSamples(track, track.onsetMag1);
  // The tone covers the tail of the onset sub-block, and reaches into the one before only if
  // it covers all of it.
  const reach = covered1 >= 0.9 * SUB_BLOCK ? SUB_BLOCK + coveredSamples(track, track.onsetMag0) : covered1;
  return Math.max(0, track.onsetBlockEnd - reach);
}

/** Gain of a 2S-sample Goertzel window for a tone off bin k by `deviation` (relative). */
function windowGain(k: number, deviation: number): number {
  const delta = (2 * Math.PI * FREQUENCIES_HZ[k] * deviation) / SAMPLE_RATE_HZ;
  if (Math.abs(delta) < 1e-9) return 1;
  return Math.abs(Math.sin(delta * SUB_BLOCK) / (WINDOW * Math.sin(delta / 2)));
}

function measure(det: DtmfDetector): ToneMeasurement {
  const track = det.track;
  const m = det.measurement;
  const row = rowOf(track.digit);
  const col = colOf(track.digit);
  m.lowDeviation = deviationFromPhase(row, track.phaseLowRe, track.phaseLowIm);
  m.highDeviation = deviationFromPhase(col, track.phaseHighRe, track.phaseHighIm);
  const lowGain = windowGain(row, m.lowDeviation);
  const highGain = windowGain(col, m.highDeviation);
  // A tone of peak amplitude a gives |W| = a S over a 102-sample window.
  m.lowDbm0 = amplitudeToDbm0(track.sumMagLow / track.validWindows / SUB_BLOCK / lowGain);
  m.highDbm0 = amplitudeToDbm0(track.sumMagHigh / track.validWindows / SUB_BLOCK / highGain);
  // The better of the two tones: at 8 dB twist the strong tone leaks into the weak one's bin
  // at -13 dB and jitters its phase steps by about 0.2 rad.
  m.coherence = Math.max(Math.hypot(track.phaseLowRe, track.phaseLowIm) / track.phaseLowAbs, Math.hypot(track.phaseHighRe, track.phaseHighIm) / track.phaseHighAbs);
  return m;
}

function isAcceptable(det: DtmfDetector, m: ToneMeasurement): boolean {
  const c = det.config;
  const track = det.track;
  const twist = m.lowDbm0 - m.highDbm0;
  const deviation = Math.max(Math.abs(m.lowDeviation), Math.abs(m.highDeviation));
  const isDigit =
    track.validWindows >= MIN_VALID_WINDOWS &&
    track.phasePairs > 0 &&
    track.lastEndSample - startSampleOf(track) >= det.minDurationSamples &&
    deviation <= c.maxFrequencyDeviation &&
    m.lowDbm0 >= c.minToneLevelDbm0 &&
    m.highDbm0 >= c.minToneLevelDbm0 &&
    twist <= c.maxNormalTwistDb &&
    -twist <= c.maxReverseTwistDb;
  if (!isDigit) return false;
  const span = spanTests(det, m);
  const isClean = span.toneShare >= c.minToneShare && m.coherence >= c.minCoherence && span.guardRatio <= det.maxGuardRatio && span.combRatio <= det.maxCombRatio;
  const isPrecise =
    track.phasePairs >= PRECISE_MIN_PHASE_STEPS &&
    deviation <= c.preciseToneDeviation &&
    span.toneShare >= c.preciseToneMinShare &&
    m.coherence >= c.preciseToneMinCoherence &&
    span.guardRatio <= det.preciseMaxGuardRatio &&
    span.combRatio <= det.preciseMaxCombRatio;
  return isClean || isPrecise;
}

/** Frequencies the span tests evaluate, in this order: the two tones, two guards, three comb (SPAN_FREQUENCIES). */

/**
 * DFTs of `length` history samples from absolute index `start` at det.spanHz[0..6], into
 * det.spanRe/spanIm as sum x[n] e^{-jwn} / length, in one pass (seven independent recurrences
 * keep the core busy where seven loops would each wait on their own), and the span's energy.
 */
function spanDfts(det: DtmfDetector, start: number, length: number): number {
  const { spanHz, spanRe, spanIm } = det;
  const c = det.spanCoef;
  for (let k = 0; k < SPAN_FREQUENCIES; k++) c[k] = 2 * Math.cos((2 * Math.PI * spanHz[k]) / SAMPLE_RATE_HZ);
  const energy = det.wasm !== null ? spanLoopWasm(det, det.wasm, start, length) : spanLoop(det, start, length);
  for (let k = 0; k < SPAN_FREQUENCIES; k++) {
    const w = (2 * Math.PI * spanHz[k]) / SAMPLE_RATE_HZ;
    // y = s[L-1] - e^{-jw} s[L-2] = sum x[n] e^{jw(L-1-n)}; rotate by e^{-jw(L-1)}.
    const yRe = spanRe[k] - Math.cos(w) * spanIm[k];
    const yIm = Math.sin(w) * spanIm[k];
    const r = -w * (length - 1);
    spanRe[k] = (yRe * Math.cos(r) - yIm * Math.sin(r)) / length;
    spanIm[k] = (yRe * Math.sin(r) + yIm * Math.cos(r)) / length;
  }
  return energy;
}

/** spanDfts' loop in the wasm kernel (det.spanCoef is the kernel's). */
function spanLoopWasm(det: DtmfDetector, wasm: GoertzelWasm, start: number, length: number): number {
  const energy = wasm.span(start, length);
  det.spanRe.set(wasm.spanS1);
  det.spanIm.set(wasm.spanS2);
  return energy;
}

/**
 * spanDfts' loop in TypeScript: final states s[L-1] into spanRe and s[L-2] into spanIm, and the
 * span's energy.
 */
function spanLoop(det: DtmfDetector, start: number, length: number): number {
  const { history, spanRe, spanIm } = det;
  const c = det.spanCoef;
  const c0 = c[0],
    c1 = c[1],
    c2 = c[2],
    c3 = c[3],
    c4 = c[4],
    c5 = c[5],
    c6 = c[6];
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0,
    a4 = 0,
    a5 = 0,
    a6 = 0;
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0,
    b4 = 0,
    b5 = 0,
    b6 = 0;
  let energy = 0;
  for (let n = 0; n < length; n++) {
    const x = history[(start + n) & (HISTORY_RING - 1)];
    energy += x * x;
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
    t = x - b4 + c4 * a4;
    b4 = a4;
    a4 = t;
    t = x - b5 + c5 * a5;
    b5 = a5;
    a5 = t;
    t = x - b6 + c6 * a6;
    b6 = a6;
    a6 = t;
  }
  spanRe[0] = a0;
  spanRe[1] = a1;
  spanRe[2] = a2;
  spanRe[3] = a3;
  spanRe[4] = a4;
  spanRe[5] = a5;
  spanRe[6] = a6;
  spanIm[0] = b0;
  spanIm[1] = b1;
  spanIm[2] = b2;
  spanIm[3] = b3;
  spanIm[4] = b4;
  spanIm[5] = b5;
  spanIm[6] = b6;
  return energy;
}

/**
 * The tests that look at the tone's span in the sample history (its last MAX_SPAN samples, at
 * the measured frequencies): the tones' share of the power, and the power left at the guard and
 * harmonic-comb frequencies once what the two tones leak there is taken out (the difference
 * frequency of 770 + 1477 Hz lies 63 Hz from 770 Hz; 1020 Hz lies 79 Hz from 941 Hz).
 */
function spanTests(det: DtmfDetector, m: ToneMeasurement): SpanMeasurement {
  const track = det.track;
  const span = det.span;
  const end = Math.min(track.lastEndSample, det.samplesIn);
  const start = Math.max(startSampleOf(track), end - MAX_SPAN, det.samplesIn - HISTORY);
  const length = end - start;
  if (length < MIN_SPAN) {
    // Too short to judge: pass, the per-window tests and the duration limit still hold.
    span.toneShare = 1;
    span.guardRatio = 0;
    span.combRatio = 0;
    return span;
  }
  const lowHz = FREQUENCIES_HZ[rowOf(track.digit)] * (1 + m.lowDeviation);
  const highHz = FREQUENCIES_HZ[colOf(track.digit)] * (1 + m.highDeviation);
  const hz = det.spanHz;
  hz[0] = lowHz;
  hz[1] = highHz;
  hz[2] = GUARD_HZ[0];
  hz[3] = GUARD_HZ[1];
  hz[4] = highHz - lowHz;
  hz[5] = 2 * lowHz - highHz;
  hz[6] = 2 * highHz - lowHz;
  const energy = spanDfts(det, start, length);
  const { spanRe, spanIm } = det;
  const lowPower = spanRe[0] * spanRe[0] + spanIm[0] * spanIm[0];
  const highPower = spanRe[1] * spanRe[1] + spanIm[1] * spanIm[1];
  // A tone of peak amplitude a has |X| / L = a / 2 and mean square a^2 / 2 = 2 |X / L|^2.
  span.toneShare = energy > 0 ? (2 * (lowPower + highPower) * length) / energy : 0;
  const weaker = Math.min(lowPower, highPower);
  span.guardRatio = Math.max(residualPower(det, 2, length), residualPower(det, 3, length)) / weaker;
  span.combRatio = Math.max(residualPower(det, 4, length), residualPower(det, 5, length), residualPower(det, 6, length)) / weaker;
  return span;
}

/** |X_k|^2 of span frequency k without what the two tones (span frequencies 0 and 1) leak there. */
function residualPower(det: DtmfDetector, k: number, length: number): number {
  const { spanHz, spanRe, spanIm } = det;
  if (spanHz[k] < COMB_MIN_HZ || spanHz[k] > COMB_MAX_HZ) return 0;
  let re = spanRe[k];
  let im = spanIm[k];
  // A component c e^{j w_t n} puts c D(w_t - w) / L there, D(d) = e^{jd(L-1)/2} sin(Ld/2)/sin(d/2).
  for (let tone = 0; tone < 2; tone++) {
    const d = (2 * Math.PI * (spanHz[tone] - spanHz[k])) / SAMPLE_RATE_HZ;
    const gain = Math.sin((length * d) / 2) / (length * Math.sin(d / 2));
    const kRe = gain * Math.cos((d * (length - 1)) / 2);
    const kIm = gain * Math.sin((d * (length - 1)) / 2);
    re -= spanRe[tone] * kRe - spanIm[tone] * kIm;
    im -= spanRe[tone] * kIm + spanIm[tone] * kRe;
  }
  return re * re + im * im;
}

function tryConfirm(det: DtmfDetector): void {
  const track = det.track;
  if (track.validWindows < MIN_VALID_WINDOWS || track.phasePairs === 0) return;
  if (!isAcceptable(det, measure(det))) return;
  track.confirmed = true;
  track.startSample = startSampleOf(track);
  det.listener.onDigitStart?.(DTMF_KEYPAD[track.digit], samplesToMs(track.startSample));
}

function endTrack(det: DtmfDetector): void {
  const track = det.track;
  if (!track.confirmed) tryConfirm(det);
  if (track.confirmed) {
    const m = measure(det);
    const row = rowOf(track.digit);
    const col = colOf(track.digit);
    det.listener.onDigit({
      digit: DTMF_KEYPAD[track.digit],
      startMs: samplesToMs(track.startSample),
      endMs: samplesToMs(track.lastEndSample),
      lowDbm0: round2(m.lowDbm0),
      highDbm0: round2(m.highDbm0),
      twistDb: round2(m.lowDbm0 - m.highDbm0),
      lowHz: round2(FREQUENCIES_HZ[row] * (1 + m.lowDeviation)),
      highHz: round2(FREQUENCIES_HZ[col] * (1 + m.highDeviation)),
    });
  }
  track.digit = -1;
  track.confirmed = false;
  det.listener.onToneCandidateEnd?.(samplesToMs(track.lastEndSample));
}

function samplesToMs(samples: number): number {
  return Math.round((samples * 1000 * 10) / SAMPLE_RATE_HZ) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
