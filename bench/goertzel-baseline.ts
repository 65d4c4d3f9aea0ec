// Baseline DTMF detector built the way the `goertzel` npm package's README suggests: one
// boolean `goertzel({ targetFrequency, sampleRate, samplesPerFrame })` detector per DTMF
// frequency, all eight called on every frame (a Float32Array), and a digit when exactly one
// row and one column say "present".
//
// The package compares the frame's bin power with that of a unit-amplitude sine, so frames are
// first scaled to unit power (a lone sine would read 1.0, each tone of an equal-level pair
// 0.5); its threshold is then the share of the frame's power a tone must hold. Frames quieter
// than FRAME_MIN_DBM0 are not scaled up and decide "no digit".
import goertzel from 'goertzel';
import { DTMF_HIGH_HZ, DTMF_KEYPAD, DTMF_LOW_HZ, type DtmfDigit } from '../native-free-dsp/dtmf-tones.js';
import { dbm0ToAmplitude } from '../native-free-dsp/levels.js';

const SAMPLE_RATE = 8000; // Hz
/** 205 samples (25.6 ms): the classic Goertzel DTMF frame, its bins within 1.2 % of the tones. */
export const FRAME_SAMPLES = 205;
/** Share of the frame's power each tone must hold, after unit-power scaling (0.5 = all of it). */
export const TONE_POWER_SHARE = 0.2;
/** Frames whose power is below this (dBm0, sine-equivalent) decide "no digit". */
export const FRAME_MIN_DBM0 = -32;
/** Identical consecutive frame decisions needed to report a digit. */
export const CONFIRM_FRAMES = 1;

const FRAME_MIN_MEAN_SQUARE = dbm0ToAmplitude(FRAME_MIN_DBM0) ** 2 / 2;

export interface BaselineDigit {
  readonly digit: DtmfDigit;
  readonly startMs: number;
  readonly endMs: number;
}

export class GoertzelPackageDtmf {
  private readonly low: goertzel.Detector[];
  private readonly high: goertzel.Detector[];
  private readonly frame = new Float32Array(FRAME_SAMPLES);
  private fill = 0;
  private frameIndex = 0;
  /** Decision run: digit (or null) and the frame where the run started. */
  private runDigit: DtmfDigit | null = null;
  private runStart = 0;
  private runLength = 0;
  private reported = false;

  constructor(private readonly onDigit: (digit: BaselineDigit) => void) {
    const make = (hz: number): goertzel.Detector => goertzel({ targetFrequency: hz, sampleRate: SAMPLE_RATE, samplesPerFrame: FRAME_SAMPLES, threshold: TONE_POWER_SHARE });
    this.low = DTMF_LOW_HZ.map(make);
    this.high = DTMF_HIGH_HZ.map(make);
  }

  /** Feeds 8 kHz 16-bit samples in any chunking. */
  push(samples: Int16Array, length: number = samples.length): void {
    const frame = this.frame;
    for (let i = 0; i < length; i++) {
      frame[this.fill++] = samples[i];
      if (this.fill === FRAME_SAMPLES) {
        this.fill = 0;
        this.decide(this.classify());
        this.frameIndex++;
      }
    }
  }

  /** End of stream: reports a digit still on. */
  flush(): void {
    this.decide(null);
  }

  private classify(): DtmfDigit | null {
    const frame = this.frame;
    let sum = 0;
    for (let i = 0; i < FRAME_SAMPLES; i++) sum += frame[i] * frame[i];
    const meanSquare = sum / FRAME_SAMPLES;
    // Still run the bank on quiet frames: the package gives no cheaper way to say "no".
    const scale = meanSquare >= FRAME_MIN_MEAN_SQUARE ? 1 / Math.sqrt(2 * meanSquare) : 0;
    for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] *= scale;
    let row = -1;
    let column = -1;
    for (let k = 0; k < 4; k++) {
      if (this.low[k](frame)) row = row === -1 ? k : -2;
      if (this.high[k](frame)) column = column === -1 ? k : -2;
    }
    return row >= 0 && column >= 0 ? DTMF_KEYPAD[row * 4 + column] : null;
  }

  private decide(digit: DtmfDigit | null): void {
    if (digit === this.runDigit) {
      this.runLength++;
    } else {
      this.endRun();
      this.runDigit = digit;
      this.runStart = this.frameIndex;
      this.runLength = 1;
      this.reported = false;
    }
    if (this.runDigit !== null && !this.reported && this.runLength >= CONFIRM_FRAMES) this.reported = true;
  }

  private endRun(): void {
    if (this.runDigit !== null && this.reported) {
      const frameMs = (FRAME_SAMPLES * 1000) / SAMPLE_RATE;
      this.onDigit({ digit: this.runDigit, startMs: this.runStart * frameMs, endMs: (this.runStart + this.runLength) * frameMs });
    }
  }
}

/** Every digit in a whole 8 kHz buffer, fed in `chunk`-sample pieces. */
export function detectWithGoertzelPackage(samples: Int16Array, chunk: number): BaselineDigit[] {
  const digits: BaselineDigit[] = [];
  const detector = new GoertzelPackageDtmf((d) => digits.push(d));
  for (let i = 0; i < samples.length; i += chunk) detector.push(samples.subarray(i, Math.min(i + chunk, samples.length)));
  detector.flush();
  return digits;
}
