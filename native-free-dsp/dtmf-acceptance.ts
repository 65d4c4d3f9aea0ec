// Whether the tracked tone is a digit: its levels, twist and frequencies measured over all its
// valid windows (levels corrected for the Goertzel loss at the measured offset), held to the
// config's Q.24 limits and then to the talk-off limits, either the clean-tone set or the
// precise-tone set for a pair within a fraction of a per cent of nominal (talk-down).
import { SUB_BLOCK } from './goertzel-bank.js';
import { colOf, deviationFromPhase, rowOf } from './dtmf-bins.js';
import { startSampleOf } from './dtmf-edges.js';
import { spanTests } from './dtmf-span.js';
import { FREQUENCIES_HZ, SAMPLE_RATE_HZ, WINDOW, type DtmfDetector, type ToneMeasurement } from './dtmf-state.js';
import { amplitudeToDbm0 } from './levels.js';

/** Windows that must hold the digit before it can be confirmed. */
export const MIN_VALID_WINDOWS = 3;
/**
 * Phase steps a digit needs before it may be confirmed on the precise-tone limits: a synth
 * note pair can sit within 0.3 % of a digit for 20 ms and then drift away, a generator can't.
 */
const PRECISE_MIN_PHASE_STEPS = 3;

/** Gain of a 2S-sample Goertzel window for a tone off bin k by `deviation` (relative). */
function windowGain(k: number, deviation: number): number {
  const delta = (2 * Math.PI * FREQUENCIES_HZ[k] * deviation) / SAMPLE_RATE_HZ;
  if (Math.abs(delta) < 1e-9) return 1;
  return Math.abs(Math.sin(delta * SUB_BLOCK) / (WINDOW * Math.sin(delta / 2)));
}

export function measure(det: DtmfDetector): ToneMeasurement {
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

export function isAcceptable(det: DtmfDetector, m: ToneMeasurement): boolean {
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
