// DTMF receiver for 8 kHz 16-bit PCM: a bank of eight Goertzel filters, in the manner of
// spandsp's dtmf.c (state struct, precomputed coefficients, rx over fixed blocks, named
// acceptance constants), with three additions that make it more accurate:
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
// 3. No total-energy test: speech under a digit (talk-down) does not hide it. Talk-off is
//    held off instead by per-window checks (relative peaks, stationarity, frequency) and by
//    requiring them over several consecutive windows and the minimum duration.
//
// Streaming: any chunking of the input gives the same events. No allocation per sample or
// per block; events are allocated only when a digit ends.
import { DTMF_HIGH_HZ, DTMF_KEYPAD, DTMF_LOW_HZ, DtmfDigit } from './dtmf-tones.js';
import { amplitudeToDbm0, dbm0ToAmplitude } from './levels.js';

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
  /** Largest power between the groups (guard bins at 1020 and 1130 Hz) relative to the weaker tone, dB. */
  readonly maxGuardDb: number;
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
  // These three were set on the Asterisk speech and music prompts (44 minutes, Debian's
  // asterisk-core-sounds-en-wav and asterisk-moh-opsound-wav): the loosest values that report
  // no digit in any of them.
  minToneShare: 0.6,
  minCoherence: 0.97,
  maxGuardDb: -3,
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
}

const SAMPLE_RATE_HZ = 8000;
/** Goertzel block, samples (6.375 ms). Two make one 102-sample analysis window, as spandsp's. */
const SUB_BLOCK = 51;
const WINDOW = 2 * SUB_BLOCK;
/** The eight DTMF tones and two guard bins in the empty band between the groups. */
const TONES = 8;
const BINS = 10;
/** Consecutive-enough windows that must agree before a digit can be confirmed. */
const MIN_VALID_WINDOWS = 3;
/** Per-window checks are looser than the final ones: a single window is disturbed by edges and noise. */
const WINDOW_LEVEL_SLACK_DB = 6;
const WINDOW_TWIST_SLACK_DB = 4;
const WINDOW_FREQUENCY_DEVIATION = 0.05;
/** Largest change of a tone's magnitude between the two halves of a window, dB. */
const MAX_STATIONARITY_DB = 3;
/** A sub-block whose tone magnitude is below this fraction of the full-tone magnitude counts as empty. */
const PRESENCE_FLOOR = 0.1;

// Guard bins sit one bin width (78 Hz at 102 samples, a null of the window) above 941 Hz and
// below 1209 Hz, so a DTMF pair leaves them nearly empty, while voiced speech with a pitch below
// about 230 Hz always has a harmonic between the groups, usually stronger than the high-group
// harmonic that mimics a column tone.
const GUARD_HZ: readonly number[] = [1020, 1130];
const FREQUENCIES_HZ: readonly number[] = [...DTMF_LOW_HZ, ...DTMF_HIGH_HZ, ...GUARD_HZ];

export interface DtmfDetector {
  readonly config: DtmfDetectorConfig;
  readonly listener: DtmfDetectorListener;
  // Precomputed per tone: Goertzel coefficient 2cos(w), the terms that turn the final two
  // states into the block's DFT value sum x[n] e^{-jwn}, and the rotation e^{-jwS}.
  readonly coef: Float64Array;
  readonly finARe: Float64Array;
  readonly finAIm: Float64Array;
  readonly finBRe: Float64Array;
  readonly finBIm: Float64Array;
  readonly rotRe: Float64Array;
  readonly rotIm: Float64Array;
  // Acceptance thresholds in the units the hot path compares.
  readonly windowMinEnergy: number;
  readonly windowMaxTwistRatio: number;
  readonly windowMinTwistRatio: number;
  readonly relativePeakRatio: number;
  readonly stationarityRatio: number;
  readonly maxGuardRatio: number;
  readonly maxDropoutSamples: number;
  readonly minDurationSamples: number;
  // Goertzel state.
  readonly s1: Float64Array;
  readonly s2: Float64Array;
  subPos: number;
  /** Signal energy (sum of x^2) of the sub-block in progress, the last and the one before. */
  energy: number;
  curEnergy: number;
  prevEnergy: number;
  /** Index of the sample at which the current sub-block starts. */
  blockStart: number;
  // DFT values of the last two sub-blocks and the last window; magnitudes of the last three sub-blocks.
  readonly curRe: Float64Array;
  readonly curIm: Float64Array;
  readonly prevRe: Float64Array;
  readonly prevIm: Float64Array;
  readonly winRe: Float64Array;
  readonly winIm: Float64Array;
  readonly prevWinRe: Float64Array;
  readonly prevWinIm: Float64Array;
  readonly mag: Float64Array;
  readonly prevMag: Float64Array;
  readonly prevPrevMag: Float64Array;
  blocksSeen: number;
  prevWindowDigit: number;
  // The tone being tracked (-1: none).
  track: number;
  confirmed: boolean;
  validWindows: number;
  startSample: number;
  lastEndSample: number;
  absentSamples: number;
  /** Sum of the tone's full-sub-block magnitudes (low + high) and their count: the reference for presence. */
  refSum: number;
  refCount: number;
  /** Magnitudes of the two sub-blocks before the first valid window's second one, for the start edge. */
  onsetMag0: number;
  onsetMag1: number;
  onsetBlockEnd: number;
  sumWinLow: number;
  sumWinHigh: number;
  /** Over the valid windows: power in each tone's bin, and the windows' signal energy. */
  sumPowerLow: number;
  sumPowerHigh: number;
  sumPowerGuard: number;
  sumWindowEnergy: number;
  phaseLowRe: number;
  phaseLowIm: number;
  phaseHighRe: number;
  phaseHighIm: number;
  phasePairs: number;
  /** Sum of the phasors' magnitudes: with the sums above, how steady the frequency was. */
  phaseLowAbs: number;
  phaseHighAbs: number;
}

function dbToPowerRatio(db: number): number {
  return Math.pow(10, db / 10);
}

export function createDtmfDetector(listener: DtmfDetectorListener, config: Partial<DtmfDetectorConfig> = {}): DtmfDetector {
  const full: DtmfDetectorConfig = { ...DEFAULT_DTMF_DETECTOR_CONFIG, ...config };
  const coef = new Float64Array(BINS);
  const finARe = new Float64Array(BINS);
  const finAIm = new Float64Array(BINS);
  const finBRe = new Float64Array(BINS);
  const finBIm = new Float64Array(BINS);
  const rotRe = new Float64Array(BINS);
  const rotIm = new Float64Array(BINS);
  for (let k = 0; k < BINS; k++) {
    const w = (2 * Math.PI * FREQUENCIES_HZ[k]) / SAMPLE_RATE_HZ;
    coef[k] = 2 * Math.cos(w);
    // After S samples, y = s1 - e^{-jw} s2 = sum x[n] e^{jw(S-1-n)}; the block's DFT value
    // sum x[n] e^{-jwn} is e^{-jw(S-1)} y = A s1 + B s2 with A = e^{-jw(S-1)}, B = -e^{-jwS}.
    finARe[k] = Math.cos(w * (SUB_BLOCK - 1));
    finAIm[k] = -Math.sin(w * (SUB_BLOCK - 1));
    finBRe[k] = -Math.cos(w * SUB_BLOCK);
    finBIm[k] = Math.sin(w * SUB_BLOCK);
    rotRe[k] = Math.cos(w * SUB_BLOCK);
    rotIm[k] = -Math.sin(w * SUB_BLOCK);
  }
  // A tone of peak amplitude a gives |W| = a * S over a 102-sample window.
  const windowMinAmplitude = dbm0ToAmplitude(full.minToneLevelDbm0 - WINDOW_LEVEL_SLACK_DB) * SUB_BLOCK;
  return {
    config: full,
    listener,
    coef, finARe, finAIm, finBRe, finBIm, rotRe, rotIm,
    windowMinEnergy: windowMinAmplitude * windowMinAmplitude,
    windowMaxTwistRatio: dbToPowerRatio(full.maxNormalTwistDb + WINDOW_TWIST_SLACK_DB),
    windowMinTwistRatio: dbToPowerRatio(-(full.maxReverseTwistDb + WINDOW_TWIST_SLACK_DB)),
    relativePeakRatio: dbToPowerRatio(full.minRelativePeakDb),
    stationarityRatio: dbToPowerRatio(MAX_STATIONARITY_DB),
    maxGuardRatio: dbToPowerRatio(full.maxGuardDb),
    maxDropoutSamples: (full.maxDropoutMs * SAMPLE_RATE_HZ) / 1000,
    minDurationSamples: (full.minDurationMs * SAMPLE_RATE_HZ) / 1000,
    s1: new Float64Array(BINS),
    s2: new Float64Array(BINS),
    subPos: 0,
    energy: 0,
    curEnergy: 0,
    prevEnergy: 0,
    blockStart: 0,
    curRe: new Float64Array(BINS),
    curIm: new Float64Array(BINS),
    prevRe: new Float64Array(BINS),
    prevIm: new Float64Array(BINS),
    winRe: new Float64Array(BINS),
    winIm: new Float64Array(BINS),
    prevWinRe: new Float64Array(BINS),
    prevWinIm: new Float64Array(BINS),
    mag: new Float64Array(BINS),
    prevMag: new Float64Array(BINS),
    prevPrevMag: new Float64Array(BINS),
    blocksSeen: 0,
    prevWindowDigit: -1,
    track: -1,
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
    sumWinLow: 0,
    sumWinHigh: 0,
    sumPowerLow: 0,
    sumPowerHigh: 0,
    sumPowerGuard: 0,
    sumWindowEnergy: 0,
    phaseLowRe: 0,
    phaseLowIm: 0,
    phaseHighRe: 0,
    phaseHighIm: 0,
    phasePairs: 0,
    phaseLowAbs: 0,
    phaseHighAbs: 0,
  };
}

/** Feeds 8 kHz 16-bit samples; any chunk size gives the same events. */
export function dtmfRx(det: DtmfDetector, samples: Int16Array, length: number = samples.length): void {
  const s1 = det.s1;
  const s2 = det.s2;
  const coef = det.coef;
  const c0 = coef[0], c1 = coef[1], c2 = coef[2], c3 = coef[3], c4 = coef[4], c5 = coef[5], c6 = coef[6], c7 = coef[7];
  const c8 = coef[8], c9 = coef[9];
  let i = 0;
  while (i < length) {
    const n = Math.min(length - i, SUB_BLOCK - det.subPos);
    // The hot loop: eight Goertzel recurrences held in locals (one multiply, two adds each).
    let a0 = s1[0], a1 = s1[1], a2 = s1[2], a3 = s1[3], a4 = s1[4], a5 = s1[5], a6 = s1[6], a7 = s1[7], a8 = s1[8], a9 = s1[9];
    let b0 = s2[0], b1 = s2[1], b2 = s2[2], b3 = s2[3], b4 = s2[4], b5 = s2[5], b6 = s2[6], b7 = s2[7], b8 = s2[8], b9 = s2[9];
    let energy = det.energy;
    const end = i + n;
    for (let j = i; j < end; j++) {
      const x = samples[j];
      energy += x * x;
      let t: number;
      t = x + c0 * a0 - b0; b0 = a0; a0 = t;
      t = x + c1 * a1 - b1; b1 = a1; a1 = t;
      t = x + c2 * a2 - b2; b2 = a2; a2 = t;
      t = x + c3 * a3 - b3; b3 = a3; a3 = t;
      t = x + c4 * a4 - b4; b4 = a4; a4 = t;
      t = x + c5 * a5 - b5; b5 = a5; a5 = t;
      t = x + c6 * a6 - b6; b6 = a6; a6 = t;
      t = x + c7 * a7 - b7; b7 = a7; a7 = t;
      t = x + c8 * a8 - b8; b8 = a8; a8 = t;
      t = x + c9 * a9 - b9; b9 = a9; a9 = t;
    }
    s1[0] = a0; s1[1] = a1; s1[2] = a2; s1[3] = a3; s1[4] = a4; s1[5] = a5; s1[6] = a6; s1[7] = a7; s1[8] = a8; s1[9] = a9;
    s2[0] = b0; s2[1] = b1; s2[2] = b2; s2[3] = b3; s2[4] = b4; s2[5] = b5; s2[6] = b6; s2[7] = b7; s2[8] = b8; s2[9] = b9;
    det.energy = energy;
    i = end;
    det.subPos += n;
    if (det.subPos === SUB_BLOCK) endSubBlock(det);
  }
}

/** End of stream: completes the last block with silence and reports a digit still in progress. */
export function dtmfFlush(det: DtmfDetector): void {
  if (det.subPos > 0) dtmfRx(det, new Int16Array(SUB_BLOCK - det.subPos));
  if (det.track >= 0) endTrack(det);
}

/** Convenience: every digit in a whole 8 kHz buffer. */
export function detectDtmf(samples: Int16Array, config: Partial<DtmfDetectorConfig> = {}): DtmfDigitEvent[] {
  const events: DtmfDigitEvent[] = [];
  const detector = createDtmfDetector({ onDigit: (event) => events.push(event) }, config);
  dtmfRx(detector, samples);
  dtmfFlush(detector);
  return events;
}

function endSubBlock(det: DtmfDetector): void {
  const { s1, s2, curRe, curIm, prevRe, prevIm, winRe, winIm, prevWinRe, prevWinIm, mag, prevMag, prevPrevMag } = det;
  for (let k = 0; k < BINS; k++) {
    prevRe[k] = curRe[k];
    prevIm[k] = curIm[k];
    prevWinRe[k] = winRe[k];
    prevWinIm[k] = winIm[k];
    prevPrevMag[k] = prevMag[k];
    prevMag[k] = mag[k];
    const re = det.finARe[k] * s1[k] + det.finBRe[k] * s2[k];
    const im = det.finAIm[k] * s1[k] + det.finBIm[k] * s2[k];
    curRe[k] = re;
    curIm[k] = im;
    mag[k] = Math.sqrt(re * re + im * im);
    // The window over the last two sub-blocks: W = X_prev + e^{-jwS} X_cur.
    winRe[k] = prevRe[k] + det.rotRe[k] * re - det.rotIm[k] * im;
    winIm[k] = prevIm[k] + det.rotRe[k] * im + det.rotIm[k] * re;
    s1[k] = 0;
    s2[k] = 0;
  }
  det.prevEnergy = det.curEnergy;
  det.curEnergy = det.energy;
  det.energy = 0;
  det.subPos = 0;
  det.blocksSeen++;
  if (det.blocksSeen >= 2) {
    const digit = classifyWindow(det);
    trackWindow(det, digit);
    det.prevWindowDigit = digit;
  }
  det.blockStart += SUB_BLOCK;
}

/** Relative frequency deviation of tone k measured from the phase advance of z over one sub-block. */
function deviationFromPhase(k: number, re: number, im: number): number {
  const deltaRadPerSample = Math.atan2(im, re) / SUB_BLOCK;
  return (deltaRadPerSample * SAMPLE_RATE_HZ) / (2 * Math.PI * FREQUENCIES_HZ[k]);
}

/** Phase advance of tone k between the previous and the current sub-block, as deviation. */
function subBlockDeviation(det: DtmfDetector, k: number): number {
  // X_cur conj(X_prev) e^{-jwS} has the angle (w' - w) S for a tone at w'.
  const pr = det.curRe[k] * det.prevRe[k] + det.curIm[k] * det.prevIm[k];
  const pi = det.curIm[k] * det.prevRe[k] - det.curRe[k] * det.prevIm[k];
  return deviationFromPhase(k, pr * det.rotRe[k] - pi * det.rotIm[k], pr * det.rotIm[k] + pi * det.rotRe[k]);
}

/** The digit the current window holds (index into DTMF_KEYPAD), or -1. */
function classifyWindow(det: DtmfDetector): number {
  const { winRe, winIm } = det;
  let row = 0;
  let rowEnergy = -1;
  let col = 4;
  let colEnergy = -1;
  for (let k = 0; k < 4; k++) {
    const e = winRe[k] * winRe[k] + winIm[k] * winIm[k];
    if (e > rowEnergy) { rowEnergy = e; row = k; }
  }
  for (let k = 4; k < TONES; k++) {
    const e = winRe[k] * winRe[k] + winIm[k] * winIm[k];
    if (e > colEnergy) { colEnergy = e; col = k; }
  }
  if (rowEnergy < det.windowMinEnergy || colEnergy < det.windowMinEnergy) return -1;
  const twist = rowEnergy / colEnergy;
  if (twist > det.windowMaxTwistRatio || twist < det.windowMinTwistRatio) return -1;
  for (let k = 0; k < TONES; k++) {
    if (k === row || k === col) continue;
    const e = winRe[k] * winRe[k] + winIm[k] * winIm[k];
    if (e * det.relativePeakRatio > (k < 4 ? rowEnergy : colEnergy)) return -1;
  }
  // Both halves of the window must hold the same steady tone pair. The pair's summed
  // magnitude is used because over one 51-sample sub-block a strong tone leaks into the other
  // group's bins at up to -16 dB, which at 8 dB twist swings the weak tone alone by several dB.
  if (!isStationary(det.mag[row] + det.mag[col], det.prevMag[row] + det.prevMag[col], det.stationarityRatio)) return -1;
  if (Math.abs(subBlockDeviation(det, row)) > WINDOW_FREQUENCY_DEVIATION) return -1;
  if (Math.abs(subBlockDeviation(det, col)) > WINDOW_FREQUENCY_DEVIATION) return -1;
  return row * 4 + (col - 4);
}

function isStationary(a: number, b: number, powerRatio: number): boolean {
  return a * a <= b * b * powerRatio && b * b <= a * a * powerRatio;
}

function rowOf(digit: number): number {
  return digit >> 2;
}

function colOf(digit: number): number {
  return 4 + (digit & 3);
}

function trackWindow(det: DtmfDetector, digit: number): void {
  if (det.track >= 0 && digit >= 0 && digit !== det.track) endTrack(det);
  if (det.track < 0) {
    if (digit >= 0) beginTrack(det, digit);
    return;
  }
  const track = det.track;
  const row = rowOf(track);
  const col = colOf(track);
  updatePresence(det, row, col);
  if (det.track < 0) {
    // A gap long enough to split ended the tone; this window may start the next press.
    if (digit >= 0) beginTrack(det, digit);
    return;
  }
  if (digit === track) addValidWindow(det, row, col);
  if (!det.confirmed) tryConfirm(det);
}

function beginTrack(det: DtmfDetector, digit: number): void {
  const row = rowOf(digit);
  const col = colOf(digit);
  det.track = digit;
  det.confirmed = false;
  det.validWindows = 0;
  det.refSum = 0;
  det.refCount = 0;
  det.sumWinLow = 0;
  det.sumWinHigh = 0;
  det.sumPowerLow = 0;
  det.sumPowerHigh = 0;
  det.sumPowerGuard = 0;
  det.sumWindowEnergy = 0;
  det.phaseLowRe = det.phaseLowIm = det.phaseHighRe = det.phaseHighIm = 0;
  det.phasePairs = 0;
  det.phaseLowAbs = 0;
  det.phaseHighAbs = 0;
  det.absentSamples = 0;
  // The window's first sub-block may be cut by the onset, and the one before may hold its start.
  det.onsetMag0 = det.prevPrevMag[row] + det.prevPrevMag[col];
  det.onsetMag1 = det.prevMag[row] + det.prevMag[col];
  det.onsetBlockEnd = det.blockStart;
  det.lastEndSample = det.blockStart + SUB_BLOCK;
  addValidWindow(det, row, col);
}

function addValidWindow(det: DtmfDetector, row: number, col: number): void {
  det.validWindows++;
  det.refSum += det.mag[row] + det.mag[col];
  det.refCount++;
  const { winRe, winIm, prevWinRe, prevWinIm } = det;
  const powerLow = winRe[row] * winRe[row] + winIm[row] * winIm[row];
  const powerHigh = winRe[col] * winRe[col] + winIm[col] * winIm[col];
  det.sumWinLow += Math.sqrt(powerLow);
  det.sumWinHigh += Math.sqrt(powerHigh);
  det.sumPowerLow += powerLow;
  det.sumPowerHigh += powerHigh;
  det.sumPowerGuard += Math.max(winRe[8] * winRe[8] + winIm[8] * winIm[8], winRe[9] * winRe[9] + winIm[9] * winIm[9]);
  det.sumWindowEnergy += det.curEnergy + det.prevEnergy;
  if (det.prevWindowDigit === det.track) {
    // Phase advance between overlapping windows: W conj(W_prev) e^{-jwS}, summed over the tone.
    const lowRe = rotatedProductRe(det, row, winRe, winIm, prevWinRe, prevWinIm);
    const lowIm = rotatedProductIm(det, row, winRe, winIm, prevWinRe, prevWinIm);
    const highRe = rotatedProductRe(det, col, winRe, winIm, prevWinRe, prevWinIm);
    const highIm = rotatedProductIm(det, col, winRe, winIm, prevWinRe, prevWinIm);
    det.phaseLowRe += lowRe;
    det.phaseLowIm += lowIm;
    det.phaseHighRe += highRe;
    det.phaseHighIm += highIm;
    det.phaseLowAbs += Math.sqrt(lowRe * lowRe + lowIm * lowIm);
    det.phaseHighAbs += Math.sqrt(highRe * highRe + highIm * highIm);
    det.phasePairs++;
  }
}

function rotatedProductRe(det: DtmfDetector, k: number, aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array): number {
  const pr = aRe[k] * bRe[k] + aIm[k] * bIm[k];
  const pi = aIm[k] * bRe[k] - aRe[k] * bIm[k];
  return pr * det.rotRe[k] - pi * det.rotIm[k];
}

function rotatedProductIm(det: DtmfDetector, k: number, aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array): number {
  const pr = aRe[k] * bRe[k] + aIm[k] * bIm[k];
  const pi = aIm[k] * bRe[k] - aRe[k] * bIm[k];
  return pr * det.rotIm[k] + pi * det.rotRe[k];
}

/** Samples of the current sub-block covered by the tracked tone, from its magnitude. */
function presence(det: DtmfDetector, magnitude: number): number {
  const fraction = magnitude / (det.refSum / det.refCount);
  if (fraction < PRESENCE_FLOOR) return 0;
  return fraction >= 1 ? SUB_BLOCK : fraction * SUB_BLOCK;
}

function updatePresence(det: DtmfDetector, row: number, col: number): void {
  const covered = presence(det, det.mag[row] + det.mag[col]);
  const blockEnd = det.blockStart + SUB_BLOCK;
  if (covered >= SUB_BLOCK / 2) {
    // The tone is (back) on: the uncovered part of this block belongs to the gap before it.
    if (det.absentSamples + (SUB_BLOCK - covered) > det.maxDropoutSamples && det.absentSamples > 0) {
      endTrack(det);
      return;
    }
    det.absentSamples = 0;
    det.lastEndSample = blockEnd;
    return;
  }
  // Mostly gone: the tone ran `covered` samples into this block.
  if (det.absentSamples === 0) det.lastEndSample = det.blockStart + covered;
  det.absentSamples += SUB_BLOCK - covered;
  if (det.absentSamples > det.maxDropoutSamples) endTrack(det);
}

function startSampleOf(det: DtmfDetector): number {
  const ref = det.refSum / det.refCount;
  const covered1 = Math.min(SUB_BLOCK, det.onsetMag1 / ref < PRESENCE_FLOOR ? 0 : (det.onsetMag1 / ref) * SUB_BLOCK);
  const covered0 = Math.min(SUB_BLOCK, det.onsetMag0 / ref < PRESENCE_FLOOR ? 0 : (det.onsetMag0 / ref) * SUB_BLOCK);
  // The tone covers the tail of the onset sub-block, and reaches into the one before only if
  // it covers all of it.
  const reach = covered1 >= 0.9 * SUB_BLOCK ? SUB_BLOCK + covered0 : covered1;
  return Math.max(0, det.onsetBlockEnd - reach);
}

/** Loss of a 2S-sample Goertzel window for a tone off its bin by `deviation` of frequency k. */
function windowGain(k: number, deviation: number): number {
  const delta = (2 * Math.PI * FREQUENCIES_HZ[k] * deviation) / SAMPLE_RATE_HZ;
  if (Math.abs(delta) < 1e-9) return 1;
  return Math.abs(Math.sin(delta * SUB_BLOCK) / (WINDOW * Math.sin(delta / 2)));
}

interface ToneMeasurement {
  lowDbm0: number;
  highDbm0: number;
  lowDeviation: number;
  highDeviation: number;
  /** Share of the signal power held by the two tones. */
  toneShare: number;
  /** 1 for a tone of constant frequency; lower as it wanders (speech harmonics follow the pitch). */
  coherence: number;
  /** Power in the stronger guard bin over that of the weaker tone. */
  guardRatio: number;
}

function measure(det: DtmfDetector): ToneMeasurement {
  const row = rowOf(det.track);
  const col = colOf(det.track);
  const lowDeviation = deviationFromPhase(row, det.phaseLowRe, det.phaseLowIm);
  const highDeviation = deviationFromPhase(col, det.phaseHighRe, det.phaseHighIm);
  const lowAmplitude = det.sumWinLow / det.validWindows / SUB_BLOCK / windowGain(row, lowDeviation);
  const highAmplitude = det.sumWinHigh / det.validWindows / SUB_BLOCK / windowGain(col, highDeviation);
  // A tone of amplitude a holds |W|^2 = a^2 S^2 of a window whose energy is a^2 S.
  const lowGain = windowGain(row, lowDeviation);
  const highGain = windowGain(col, highDeviation);
  const tonePower = det.sumPowerLow / (lowGain * lowGain) + det.sumPowerHigh / (highGain * highGain);
  return {
    lowDbm0: amplitudeToDbm0(lowAmplitude),
    highDbm0: amplitudeToDbm0(highAmplitude),
    lowDeviation,
    highDeviation,
    toneShare: det.sumWindowEnergy > 0 ? tonePower / (SUB_BLOCK * det.sumWindowEnergy) : 0,
    guardRatio: det.sumPowerGuard / Math.min(det.sumPowerLow / (lowGain * lowGain), det.sumPowerHigh / (highGain * highGain)),
    // The better of the two: at 8 dB twist the strong tone leaks into the weak one's bin at
    // -13 dB and jitters its phase steps by about 0.2 rad, whereas speech harmonics drift together.
    coherence: Math.max(
      Math.hypot(det.phaseLowRe, det.phaseLowIm) / det.phaseLowAbs,
      Math.hypot(det.phaseHighRe, det.phaseHighIm) / det.phaseHighAbs,
    ),
  };
}

function isAcceptable(det: DtmfDetector, m: ToneMeasurement): boolean {
  const c = det.config;
  const twist = m.lowDbm0 - m.highDbm0;
  return (
    det.validWindows >= MIN_VALID_WINDOWS &&
    det.phasePairs > 0 &&
    det.lastEndSample - startSampleOf(det) >= det.minDurationSamples &&
    Math.abs(m.lowDeviation) <= c.maxFrequencyDeviation &&
    Math.abs(m.highDeviation) <= c.maxFrequencyDeviation &&
    m.toneShare >= c.minToneShare &&
    m.coherence >= c.minCoherence &&
    m.guardRatio <= det.maxGuardRatio &&
    m.lowDbm0 >= c.minToneLevelDbm0 &&
    m.highDbm0 >= c.minToneLevelDbm0 &&
    twist <= c.maxNormalTwistDb &&
    -twist <= c.maxReverseTwistDb
  );
}

function tryConfirm(det: DtmfDetector): void {
  if (det.validWindows < MIN_VALID_WINDOWS) return;
  if (!isAcceptable(det, measure(det))) return;
  det.confirmed = true;
  det.startSample = startSampleOf(det);
  det.listener.onDigitStart?.(DTMF_KEYPAD[det.track], samplesToMs(det.startSample));
}

function endTrack(det: DtmfDetector): void {
  if (!det.confirmed) tryConfirm(det);
  if (det.confirmed) {
    const m = measure(det);
    const row = rowOf(det.track);
    const col = colOf(det.track);
    det.listener.onDigit({
      digit: DTMF_KEYPAD[det.track],
      startMs: samplesToMs(det.startSample),
      endMs: samplesToMs(det.lastEndSample),
      lowDbm0: round2(m.lowDbm0),
      highDbm0: round2(m.highDbm0),
      twistDb: round2(m.lowDbm0 - m.highDbm0),
      lowHz: round2(FREQUENCIES_HZ[row] * (1 + m.lowDeviation)),
      highHz: round2(FREQUENCIES_HZ[col] * (1 + m.highDeviation)),
    });
  }
  det.track = -1;
  det.confirmed = false;
}

function samplesToMs(samples: number): number {
  return Math.round((samples * 1000 * 10) / SAMPLE_RATE_HZ) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
