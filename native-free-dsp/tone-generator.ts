// DTMF and pure-tone synthesis into 16-bit PCM, for tests, clamping replacement and prompts.
import { type DtmfDigit, dtmfFrequencies } from './dtmf-tones.js';
import { dbm0ToAmplitude } from './levels.js';

export interface DtmfToneSpec {
  readonly digit: DtmfDigit;
  readonly durationMs: number;
  /** Level of the low-group tone, dBm0. Default -10. */
  readonly lowDbm0?: number;
  /** Level of the high-group tone, dBm0. Default: lowDbm0 - twistDb. */
  readonly highDbm0?: number;
  /**
   * Twist in dB as spandsp and Asterisk define it: low-group level minus high-group level.
   * Positive is normal twist (low stronger), negative is reverse twist. Used only when
   * highDbm0 is not given. Default 0.
   */
  readonly twistDb?: number;
  /** Relative frequency offset of the low tone (0.015 = +1.5 %). Default 0. */
  readonly lowOffset?: number;
  /** Relative frequency offset of the high tone. Default 0. */
  readonly highOffset?: number;
  /** Starting phases in radians. Default 0. */
  readonly lowPhase?: number;
  readonly highPhase?: number;
  /** Default 8000 Hz. */
  readonly sampleRate?: number;
}

export const DEFAULT_DTMF_LEVEL_DBM0 = -10;

function clampToInt16(value: number): number {
  const rounded = Math.round(value);
  return rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
}

/** Number of samples for `ms` at `sampleRate`, rounded to the nearest sample. */
export function msToSamples(ms: number, sampleRate = 8000): number {
  return Math.round((ms * sampleRate) / 1000);
}

/**
 * Adds (mixes) one DTMF tone into `out` starting at sample `offset`; returns the sample after it.
 * Mixing rather than overwriting lets tests lay digits over speech or noise.
 */
export function mixDtmf(out: Float64Array, offset: number, spec: DtmfToneSpec): number {
  const rate = spec.sampleRate ?? 8000;
  const { lowHz, highHz } = dtmfFrequencies(spec.digit);
  const lowDbm0 = spec.lowDbm0 ?? DEFAULT_DTMF_LEVEL_DBM0;
  const highDbm0 = spec.highDbm0 ?? lowDbm0 - (spec.twistDb ?? 0);
  const lowAmp = dbm0ToAmplitude(lowDbm0);
  const highAmp = dbm0ToAmplitude(highDbm0);
  const lowStep = (2 * Math.PI * lowHz * (1 + (spec.lowOffset ?? 0))) / rate;
  const highStep = (2 * Math.PI * highHz * (1 + (spec.highOffset ?? 0))) / rate;
  const lowPhase = spec.lowPhase ?? 0;
  const highPhase = spec.highPhase ?? 0;
  const length = msToSamples(spec.durationMs, rate);
  const end = Math.min(out.length, offset + length);
  for (let i = offset; i < end; i++) {
    const n = i - offset;
    out[i] += lowAmp * Math.sin(lowPhase + lowStep * n) + highAmp * Math.sin(highPhase + highStep * n);
  }
  return offset + length;
}

/** Adds a pure sine of `hz` at `dbm0` for `length` samples starting at `offset`. */
export function mixSine(out: Float64Array, offset: number, length: number, hz: number, dbm0: number, phase = 0, sampleRate = 8000): number {
  const amp = dbm0ToAmplitude(dbm0);
  const step = (2 * Math.PI * hz) / sampleRate;
  const end = Math.min(out.length, offset + length);
  for (let i = offset; i < end; i++) out[i] += amp * Math.sin(phase + step * (i - offset));
  return offset + length;
}

/** Rounds and saturates a mix buffer to 16-bit PCM. */
export function toInt16(mix: Float64Array): Int16Array {
  const pcm = new Int16Array(mix.length);
  for (let i = 0; i < mix.length; i++) pcm[i] = clampToInt16(mix[i]);
  return pcm;
}

/** One DTMF tone as 16-bit PCM. */
export function generateDtmf(spec: DtmfToneSpec): Int16Array {
  const mix = new Float64Array(msToSamples(spec.durationMs, spec.sampleRate ?? 8000));
  mixDtmf(mix, 0, spec);
  return toInt16(mix);
}

export interface DtmfSequenceItem extends DtmfToneSpec {
  /** Silence before this tone, ms. */
  readonly gapBeforeMs?: number;
}

/** Tones laid end to end with the given gaps, plus `trailingMs` of silence; 16-bit PCM. */
export function generateDtmfSequence(items: readonly DtmfSequenceItem[], trailingMs = 0, sampleRate = 8000): Int16Array {
  let total = 0;
  for (const item of items) total += msToSamples(item.gapBeforeMs ?? 0, sampleRate) + msToSamples(item.durationMs, sampleRate);
  total += msToSamples(trailingMs, sampleRate);
  const mix = new Float64Array(total);
  let offset = 0;
  for (const item of items) {
    offset += msToSamples(item.gapBeforeMs ?? 0, sampleRate);
    offset = mixDtmf(mix, offset, { ...item, sampleRate });
  }
  return toInt16(mix);
}
