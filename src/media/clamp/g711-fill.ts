// Replacement audio for G.711 (ITU-T G.711, RTP PCMU/PCMA, RFC 3551 §4.5.14): one byte per
// sample at 8000 Hz, so a frame of n samples is n bytes. Named for what the listener hears
// (rtpengine's DTMF-security modes): `silence` is the code of a zero sample; `noise` is a fixed,
// precomputed low-level white noise (comfort noise at about -70 dBm0, below any DTMF detector's
// acceptance level and above digital silence so the line does not sound dead).
import { ALAW_SILENCE, ULAW_SILENCE, linearToAlaw, linearToUlaw } from '../../../native-free-dsp/g711.js';

export type G711Codec = 'PCMU' | 'PCMA';
export type FillMode = 'silence' | 'noise';

/** Comfort-noise amplitude, linear 16-bit peak (uniform; RMS = peak / sqrt(3) ~ -73 dBm0). */
const NOISE_PEAK = 6;
/** Length of the noise pattern, samples (1 s, a multiple of every frame size). */
const NOISE_SAMPLES = 8000;

export function silenceCode(codec: G711Codec): number {
  return codec === 'PCMU' ? ULAW_SILENCE : ALAW_SILENCE;
}

/** Precomputed fill pattern: copy from it, no work per packet. */
export class G711Filler {
  readonly codec: G711Codec;
  readonly mode: FillMode;
  private readonly pattern: Uint8Array;
  private at = 0;

  constructor(codec: G711Codec, mode: FillMode) {
    this.codec = codec;
    this.mode = mode;
    this.pattern = new Uint8Array(NOISE_SAMPLES);
    if (mode === 'silence') {
      this.pattern.fill(silenceCode(codec));
    } else {
      // A fixed LCG (Numerical Recipes constants): the same noise every run, so tests are stable.
      let seed = 0x1234567;
      const encode = codec === 'PCMU' ? linearToUlaw : linearToAlaw;
      for (let i = 0; i < NOISE_SAMPLES; i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        this.pattern[i] = encode(Math.round(((seed / 0x100000000) * 2 - 1) * NOISE_PEAK));
      }
    }
  }

  /** Fills `dst` (G.711 codes), continuing the pattern where the last fill ended. */
  fill(dst: Uint8Array): void {
    let done = 0;
    while (done < dst.length) {
      const n = Math.min(dst.length - done, NOISE_SAMPLES - this.at);
      dst.set(this.pattern.subarray(this.at, this.at + n), done);
      done += n;
      this.at = (this.at + n) % NOISE_SAMPLES;
    }
  }
}
