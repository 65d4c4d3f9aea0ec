// Generated leak-test signals shared by the in-band clamp and agent stage leak tests: ITU-T Q.24
// corners (-25 dBm0, 8 dB normal / 4 dB reverse twist, +-1.5 %, 20-100 ms), fast dialling
// (40 ms on / 40 ms off) and 15 dB SNR, each with the same audio without digits (dtmf2num's baseline).
import { DTMF_DIGITS } from '../../native-free-dsp/dtmf-tones.js';
import { layTones, onTheLine, type ToneSpec } from './dtmf-cases.js';
import { addWhiteNoise, pick, randomInt, streamRng, type Rng } from './signals.js';

export interface Span {
  readonly startSample: number;
  readonly endSample: number;
}

/** One signal with digits, and the same signal without them (for dtmf2num's baseline). */
export interface LeakCase {
  readonly pcm: Int16Array;
  readonly spans: readonly Span[];
  readonly withoutDigits?: Int16Array;
  /** The background is quiet enough for the absolute -45 dBm0 residual limit. */
  readonly quietBackground: boolean;
}

export interface LeakSet {
  readonly name: string;
  readonly cases: readonly LeakCase[];
}

function q24Tones(rng: Rng, count: number): ToneSpec[] {
  // Q.24's acceptance corners: -25 dBm0 per tone, 8 dB normal and 4 dB reverse twist, +-1.5 %,
  // and tones as short as 20 ms (multimon-ng takes them; our detector rejects under 30 ms).
  const tones: ToneSpec[] = [];
  for (let i = 0; i < count; i++) {
    const twist = pick(rng, [-4, 0, 8]);
    const strong = pick(rng, [-25, -15, -3]);
    const weak = pick(rng, [true, false]);
    tones.push({
      digit: DTMF_DIGITS[i % 16],
      durationMs: pick(rng, [20, 25, 40, 60, 100]),
      gapBeforeMs: pick(rng, [40, 60, 120]),
      lowDbm0: twist >= 0 ? (weak ? -25 + twist : strong) : weak ? -25 : strong + twist,
      twistDb: twist,
      lowOffset: pick(rng, [-0.015, 0, 0.015]),
      highOffset: pick(rng, [-0.015, 0, 0.015]),
    });
  }
  return tones;
}

export function generatedSets(): LeakSet[] {
  const rng = streamRng('clamp-leak/sets');
  const q24 = layTones(rng, q24Tones(rng, 96));
  const fast = layTones(
    rng,
    Array.from({ length: 64 }, (_, i): ToneSpec => ({ digit: DTMF_DIGITS[i % 16], durationMs: 40, gapBeforeMs: 40, lowDbm0: pick(rng, [-25, -10]), twistDb: pick(rng, [0, 8]) })),
  );
  // 15 dB SNR: white noise 15 dB under the pair's power (-20 dBm0 per tone: pair -17 dBm0).
  const snrTones = Array.from({ length: 64 }, (_, i): ToneSpec => ({
    digit: DTMF_DIGITS[i % 16],
    durationMs: randomInt(rng, 25, 100),
    gapBeforeMs: randomInt(rng, 40, 120),
    lowDbm0: -20,
    twistDb: pick(rng, [-4, 0, 8]),
  }));
  const snr = layTones(rng, snrTones);
  const noiseOnly = new Float64Array(snr.mix.length);
  const noiseRng = streamRng('clamp-leak/noise');
  addWhiteNoise(snr.mix, noiseRng, -32);
  addWhiteNoise(noiseOnly, streamRng('clamp-leak/noise'), -32);
  const line = (mix: Float64Array): Int16Array => onTheLine(mix, 'ulaw');
  return [
    { name: 'Q.24 corners', cases: [{ pcm: line(q24.mix), spans: q24.truth, withoutDigits: line(new Float64Array(q24.mix.length)), quietBackground: true }] },
    { name: 'fast dialling 40/40 ms', cases: [{ pcm: line(fast.mix), spans: fast.truth, withoutDigits: line(new Float64Array(fast.mix.length)), quietBackground: true }] },
    { name: '15 dB SNR', cases: [{ pcm: line(snr.mix), spans: snr.truth, withoutDigits: line(noiseOnly), quietBackground: false }] },
  ];
}
