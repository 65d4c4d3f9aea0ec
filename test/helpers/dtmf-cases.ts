// Generated DTMF test signals with their ground truth, and helpers to compare detector output.
import { createDtmfDetector, dtmfFlush, dtmfRx, resetDtmfDetector, type DtmfDetector, type DtmfDigitEvent } from '../../native-free-dsp/dtmf-detector.js';
import type { GoertzelKernel } from '../../native-free-dsp/goertzel-bank.js';
import { dtmfFrequencies, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { dbm0ToAmplitude } from '../../native-free-dsp/levels.js';
import { mixDtmf, msToSamples, toInt16, type DtmfSequenceItem, type DtmfToneSpec } from '../../native-free-dsp/tone-generator.js';
import { codecRoundTrip, randomInt, randomPhase, SAMPLES_PER_MS, type Codec, type Rng } from './signals.js';

/** One tone to lay into a signal (levels default to -10 dBm0); phases are drawn at random. */
export type ToneSpec = Omit<DtmfSequenceItem, 'lowPhase' | 'highPhase' | 'sampleRate'>;

/** What was generated, in the units of DtmfDigitEvent. */
export interface ToneTruth {
  readonly digit: DtmfDigit;
  readonly startSample: number;
  readonly endSample: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly lowDbm0: number;
  readonly highDbm0: number;
  readonly twistDb: number;
  readonly lowHz: number;
  readonly highHz: number;
  /** The peak of the pair exceeds the G.711 range (mu-law 32124): levels are not measurable. */
  readonly clipped: boolean;
}

export interface Layout {
  readonly mix: Float64Array;
  readonly truth: ToneTruth[];
}

/** Largest sample G.711 can carry (mu-law top code; A-law is 32256, linear 32767). */
export const G711_PEAK = 32124;

export interface LayoutOptions {
  /** Silence before the first tone, ms; a random 0-20 ms is added so block alignment varies. */
  readonly leadMs?: number;
  /** Silence after the last tone, ms. */
  readonly trailMs?: number;
  /** Lay the tones into this background (e.g. speech) instead of silence; it is not modified. */
  readonly background?: Float64Array;
}

/** Lays tones end to end (with their gaps) at random phases and returns the mix and truth. */
export function layTones(rng: Rng, tones: readonly ToneSpec[], options: LayoutOptions = {}): Layout {
  const lead = msToSamples(options.leadMs ?? 60) + randomInt(rng, 0, 20 * SAMPLES_PER_MS);
  const trail = msToSamples(options.trailMs ?? 150);
  let total = lead + trail;
  for (const tone of tones) total += msToSamples(tone.gapBeforeMs ?? 0) + msToSamples(tone.durationMs);
  const mix = new Float64Array(options.background !== undefined ? Math.max(total, options.background.length) : total);
  if (options.background !== undefined) mix.set(options.background);
  const truth: ToneTruth[] = [];
  let offset = lead;
  for (const tone of tones) {
    offset += msToSamples(tone.gapBeforeMs ?? 0);
    truth.push(mixTone(rng, mix, offset, tone));
    offset += msToSamples(tone.durationMs);
  }
  return { mix, truth };
}

/** Mixes one tone at `startSample` at random phases; returns its truth. */
export function mixTone(rng: Rng, mix: Float64Array, startSample: number, tone: ToneSpec): ToneTruth {
  const lowDbm0 = tone.lowDbm0 ?? -10;
  const highDbm0 = tone.highDbm0 ?? lowDbm0 - (tone.twistDb ?? 0);
  const spec: DtmfToneSpec = {
    digit: tone.digit,
    durationMs: tone.durationMs,
    lowDbm0,
    highDbm0,
    lowOffset: tone.lowOffset ?? 0,
    highOffset: tone.highOffset ?? 0,
    lowPhase: randomPhase(rng),
    highPhase: randomPhase(rng),
  };
  const end = mixDtmf(mix, startSample, spec);
  const { lowHz, highHz } = dtmfFrequencies(tone.digit);
  return {
    digit: tone.digit,
    startSample,
    endSample: end,
    startMs: startSample / SAMPLES_PER_MS,
    endMs: end / SAMPLES_PER_MS,
    lowDbm0,
    highDbm0,
    twistDb: lowDbm0 - highDbm0,
    lowHz: lowHz * (1 + (tone.lowOffset ?? 0)),
    highHz: highHz * (1 + (tone.highOffset ?? 0)),
    clipped: dbm0ToAmplitude(lowDbm0) + dbm0ToAmplitude(highDbm0) > G711_PEAK,
  };
}

/** Mix -> 16-bit PCM -> codec round trip, as the detector would receive it from the line. */
export function onTheLine(mix: Float64Array, codec: Codec): Int16Array {
  return codecRoundTrip(toInt16(mix), codec);
}

export function digitsOf(events: readonly { digit: DtmfDigit }[]): string {
  return events.map((e) => e.digit).join('');
}

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : String(x));

/** Compact text of events, for failure messages: 5@100.0-200.0ms L-10.0/H-10.1dBm0 770.0/1336.0Hz */
export function describeEvents(events: readonly DtmfDigitEvent[]): string {
  if (events.length === 0) return '(none)';
  return events.map((e) => `${e.digit}@${f1(e.startMs)}-${f1(e.endMs)}ms L${f1(e.lowDbm0)}/H${f1(e.highDbm0)}dBm0 tw${f1(e.twistDb)} ${f1(e.lowHz)}/${f1(e.highHz)}Hz`).join(', ');
}

export function describeTruth(truth: readonly ToneTruth[]): string {
  if (truth.length === 0) return '(none)';
  return truth.map((e) => `${e.digit}@${f1(e.startMs)}-${f1(e.endMs)}ms L${f1(e.lowDbm0)}/H${f1(e.highDbm0)}dBm0 ${f1(e.lowHz)}/${f1(e.highHz)}Hz`).join(', ');
}

/** Where the shared detectors report: the events of the signal being run. */
let sink: DtmfDigitEvent[] = [];
/** One default-config detector per kernel, reset for every signal (a new wasm one costs an instance). */
const shared = new Map<GoertzelKernel, DtmfDetector>();

/** detectDtmf(pcm, {}, { kernel }) on a reset shared detector: the events a new one would report. */
function detectWith(kernel: GoertzelKernel, pcm: Int16Array): DtmfDigitEvent[] {
  let det = shared.get(kernel);
  if (det === undefined) {
    det = createDtmfDetector({ onDigit: (event) => sink.push(event) }, {}, { kernel });
    shared.set(kernel, det);
  }
  // Reset before (not after) each signal: a signal that threw left the detector mid-stream.
  resetDtmfDetector(det);
  const events: DtmfDigitEvent[] = [];
  sink = events;
  dtmfRx(det, pcm);
  dtmfFlush(det);
  return events;
}

/**
 * Runs the detector with each Goertzel kernel (WebAssembly SIMD and TypeScript), which must
 * agree exactly; an exception or a disagreement becomes a result so one bad case does not hide
 * the rest.
 */
export function detect(pcm: Int16Array): DtmfDigitEvent[] | Error {
  try {
    const events = detectWith('wasm', pcm);
    const reference = detectWith('typescript', pcm);
    if (JSON.stringify(events) !== JSON.stringify(reference)) {
      return new Error(`the wasm kernel gave ${describeEvents(events)} where the TypeScript kernel gave ${describeEvents(reference)}`);
    }
    return events;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Tolerances of the acceptance rules on measurements. */
export const TIME_TOLERANCE_MS = 5;
export const LEVEL_TOLERANCE_DB = 1;
export const TWIST_TOLERANCE_DB = 1;

/**
 * Every way `event` misses `truth` on the measurement rules (start/end within 5 ms, each level
 * and the twist within 1 dB); levels are skipped for clipped pairs or when `levels` is false.
 * Empty when all hold.
 */
export function measurementErrors(event: DtmfDigitEvent, truth: ToneTruth, levels = true): string[] {
  const errors: string[] = [];
  if (event.digit !== truth.digit) errors.push(`digit ${event.digit} != ${truth.digit}`);
  const dStart = event.startMs - truth.startMs;
  const dEnd = event.endMs - truth.endMs;
  if (!(Math.abs(dStart) <= TIME_TOLERANCE_MS)) errors.push(`startMs ${f1(event.startMs)} vs ${f1(truth.startMs)} (${dStart >= 0 ? '+' : ''}${f1(dStart)} ms)`);
  if (!(Math.abs(dEnd) <= TIME_TOLERANCE_MS)) errors.push(`endMs ${f1(event.endMs)} vs ${f1(truth.endMs)} (${dEnd >= 0 ? '+' : ''}${f1(dEnd)} ms)`);
  if (levels && !truth.clipped) {
    const dLow = event.lowDbm0 - truth.lowDbm0;
    const dHigh = event.highDbm0 - truth.highDbm0;
    const dTwist = event.twistDb - truth.twistDb;
    if (!(Math.abs(dLow) <= LEVEL_TOLERANCE_DB)) errors.push(`lowDbm0 ${f1(event.lowDbm0)} vs ${f1(truth.lowDbm0)} (${f1(dLow)} dB)`);
    if (!(Math.abs(dHigh) <= LEVEL_TOLERANCE_DB)) errors.push(`highDbm0 ${f1(event.highDbm0)} vs ${f1(truth.highDbm0)} (${f1(dHigh)} dB)`);
    if (!(Math.abs(dTwist) <= TWIST_TOLERANCE_DB)) errors.push(`twistDb ${f1(event.twistDb)} vs ${f1(truth.twistDb)} (${f1(dTwist)} dB)`);
  }
  return errors;
}

/** Keeps the first `max` failure lines and says how many more there were. */
export function summarize(lines: readonly string[], max = 25): string {
  if (lines.length <= max) return lines.join('\n');
  return `${lines.slice(0, max).join('\n')}\n... and ${lines.length - max} more`;
}
