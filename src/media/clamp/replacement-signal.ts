// The replacement signal the in-band clamp puts where a tone was (modes named for what the
// listener hears, as rtpengine's DTMF-security): silence, comfort noise, a masking tone, one fixed digit.
import { dtmfFrequencies } from '../../../native-free-dsp/dtmf-tones.js';
import { dbm0ToAmplitude } from '../../../native-free-dsp/levels.js';
import type { ClampMode, InbandClampOptions } from './inband-clamp-options.js';

const SAMPLE_RATE_HZ = 8000;
/** Starting background estimate, dBm0 (a quiet line), until the first frame is measured. */
export const NOISE_INITIAL_DBM0 = -60;

/**
 * The replacement signal, generated continuously at `sampleRate` (the offline CLI runs it at a
 * file's own rate). Two sines (tone: one of them silent) and a xorshift32 noise source.
 */
export interface ReplacementGenerator {
  readonly mode: ClampMode;
  readonly step1: number;
  readonly step2: number;
  readonly amp1: number;
  readonly amp2: number;
  phase1: number;
  phase2: number;
  seed: number;
  /** Comfort noise peak (uniform noise in [-a, a] has mean square a^2 / 3). */
  noisePeak: number;
}

export function createReplacementGenerator(options: InbandClampOptions, sampleRate: number = SAMPLE_RATE_HZ): ReplacementGenerator {
  let hz1 = 0,
    hz2 = 0,
    amp1 = 0,
    amp2 = 0;
  if (options.mode === 'tone') {
    hz1 = options.maskToneHz;
    amp1 = dbm0ToAmplitude(options.maskToneDbm0);
  } else if (options.mode === 'digit') {
    const { lowHz, highHz } = dtmfFrequencies(options.replacementDigit);
    hz1 = lowHz;
    hz2 = highHz;
    amp1 = amp2 = dbm0ToAmplitude(options.replacementDigitDbm0);
  }
  return {
    mode: options.mode,
    step1: (2 * Math.PI * hz1) / sampleRate,
    step2: (2 * Math.PI * hz2) / sampleRate,
    amp1,
    amp2,
    phase1: 0,
    phase2: 0,
    seed: 0x9e3779b9,
    noisePeak: noisePeakFor(NOISE_INITIAL_DBM0, options.maxNoiseDbm0),
  };
}

function noisePeakFor(meanSquareDbm0: number, maxDbm0: number): number {
  // dBm0 of a mean square m: that of a sine with peak sqrt(2 m); uniform noise: m = a^2 / 3.
  const rms = dbm0ToAmplitude(Math.min(meanSquareDbm0, maxDbm0)) / Math.SQRT2;
  return rms * Math.sqrt(3);
}

/** The next replacement sample. */
export function nextReplacement(gen: ReplacementGenerator): number {
  switch (gen.mode) {
    case 'silence':
      return 0;
    case 'noise': {
      let x = gen.seed;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      gen.seed = x >>> 0;
      return (gen.seed / 2147483648 - 1) * gen.noisePeak;
    }
    default: {
      const value = gen.amp1 * Math.sin(gen.phase1) + gen.amp2 * Math.sin(gen.phase2);
      gen.phase1 += gen.step1;
      gen.phase2 += gen.step2;
      if (gen.phase1 > 2 * Math.PI) gen.phase1 -= 2 * Math.PI;
      if (gen.phase2 > 2 * Math.PI) gen.phase2 -= 2 * Math.PI;
      return value;
    }
  }
}
