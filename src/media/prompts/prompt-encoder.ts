// Prompt audio (8 kHz 16-bit PCM, what the prompt library and PromptQueue hold) to one leg's RTP
// payload, `n` samples at a time = `n` RTP timestamp ticks = one frame:
// - PCMU/PCMA: one G.711 byte per sample;
// - G722: upsampled to 16 kHz (native-free-dsp/resample.ts, Kaiser sinc, primed with its
//   lookahead of zeros so every frame of n samples gives exactly 2n; the price is its latency,
//   a few ms) and encoded through a G.722 codec port: n bytes (RFC 3551 §4.5.2: 8000 Hz clock).
// One encoder per leg: G.722 and the resampler carry state from frame to frame.
import { encodeAlaw, encodeUlaw } from '../../../native-free-dsp/g711.js';
import { createResampler, resamplerPush, type Resampler } from '../../../native-free-dsp/resample.js';
import { G722Port } from '../codecs/g722-port.js';
import { MediaError } from '../media-error.js';
import type { AudioCodecName } from '../media-session.js';

export type PromptCodec = Exclude<AudioCodecName, 'opus'>;

export interface PromptEncoder {
  readonly codec: PromptCodec;
  /** The first `n` samples of `pcm8k` (8 kHz) into `out` (at least n bytes): one frame of n RTP ticks. */
  encode(pcm8k: Int16Array, out: Uint8Array, n: number): void;
}

class G711PromptEncoder implements PromptEncoder {
  constructor(readonly codec: 'PCMU' | 'PCMA') {}

  encode(pcm8k: Int16Array, out: Uint8Array, n: number): void {
    (this.codec === 'PCMU' ? encodeUlaw : encodeAlaw)(pcm8k, out, n);
  }
}

class G722PromptEncoder implements PromptEncoder {
  readonly codec = 'G722' as const;
  private readonly port = new G722Port();
  private readonly resampler: Resampler = createResampler(8000, 16_000);
  private pcm16k: Int16Array;

  constructor(maxFrameSamples: number) {
    this.pcm16k = new Int16Array(2 * maxFrameSamples);
    // The resampler's lookahead as leading silence: from here on n samples in give 2n out.
    resamplerPush(this.resampler, new Int16Array(this.resampler.halfLength), this.pcm16k);
  }

  encode(pcm8k: Int16Array, out: Uint8Array, n: number): void {
    if (2 * n > this.pcm16k.length) this.pcm16k = new Int16Array(2 * n);
    const made = resamplerPush(this.resampler, pcm8k, this.pcm16k, n);
    if (made !== 2 * n) throw new MediaError('EOPTIONS', `G.722 prompt frame: ${made} samples at 16 kHz for ${n} at 8 kHz`);
    if (this.port.encode(this.pcm16k.subarray(0, made), out) !== n) throw new MediaError('EOPTIONS', `G.722 prompt frame of ${n} bytes does not fit`);
  }
}

/** A prompt encoder for a leg negotiated with `codec`; `maxFrameSamples` is the largest n (8 kHz). */
export function createPromptEncoder(codec: PromptCodec, maxFrameSamples: number): PromptEncoder {
  return codec === 'G722' ? new G722PromptEncoder(maxFrameSamples) : new G711PromptEncoder(codec);
}
