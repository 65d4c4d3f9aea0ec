// The G.722 codec port (RFC 3551 §4.5.2): 16 kHz audio, yet the RTP clock and SDP rtpmap say 8000
// (G722/8000) for historical reasons, so one payload byte is one RTP timestamp tick and one
// byte carries two 16 kHz samples. One port per leg and direction: the ADPCM state runs from
// packet to packet, so a decoding port must see its stream's packets in order (statefulDecoder).
//
// Beyond the 16 kHz decode/encode, the band domain (SubBandCoding over native-free-dsp/g722.ts
// decodeBands/encodeBands, no QMF): the low band is the 0-4 kHz signal at 8 kHz on the RTP
// timeline itself (sample i of a payload is timestamp ts + i), which is what the clamp needs for
// the detector, without a resampler and its delay; the high band (4-8 kHz) rides along.
import { G722Decoder, G722Encoder } from '../../../native-free-dsp/g722.js';
import type { CodecPort, SubBandCoding } from './codec-port.js';

/** G.722's static payload type (RFC 3551 Table 4). */
export const G722_PAYLOAD_TYPE = 9;
/** Audio samples per RTP timestamp tick (16 kHz audio on an 8 kHz clock). */
const SAMPLES_PER_TICK = 2;
/**
 * Muted after a gap while the decoder regains step, ms: with a code lost the ADPCM predictor and
 * step size differ from the encoder's, a tone decodes distorted (the detector may miss it) and
 * its end rings on for about 100 ms; 60 ms muted keeps the leaked tail under -45 dBm0.
 */
const RESYNC_MS = 60;
/** Largest payload the band buffers take, bytes (120 ms). */
const MAX_BAND_SAMPLES = 960;

export class G722Port implements CodecPort, SubBandCoding {
  readonly name = 'G722' as const;
  readonly rtpClockRate = 8000;
  readonly sampleRate = 16_000;
  readonly bandRate = 8000;
  readonly statefulDecoder = { resyncMs: RESYNC_MS } as const;
  readonly bands: SubBandCoding = this;
  private readonly decoder = new G722Decoder();
  private readonly encoder = new G722Encoder();
  /** The low band at the codec's 15-bit scale, for encodeBands. */
  private readonly low15 = new Int16Array(MAX_BAND_SAMPLES);

  samplesPerFrame(ptimeMs: number): number {
    return Math.round(ptimeMs * 16);
  }

  payloadRtpSamples(payload: Uint8Array): number {
    return payload.length;
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    if (payload.length * SAMPLES_PER_TICK > out.length) return -1;
    return this.decoder.decode(payload, out);
  }

  encode(pcm: Int16Array, out: Uint8Array): number {
    if (pcm.length % SAMPLES_PER_TICK !== 0 || pcm.length / SAMPLES_PER_TICK > out.length) return -1;
    return this.encoder.encode(pcm, out);
  }

  /**
   * The payload's two sub-bands at 8 kHz, one sample of each per byte: the low band x 2 (the
   * codec's 15-bit samples at the 16-bit scale the detector and G.711 use), the high band at the
   * codec's scale (spectrum inverted); -1 if they do not fit. Keeps the decoder's stream state as
   * decode() does.
   */
  decodeBands(payload: Uint8Array, lower: Int16Array, upper: Int16Array): number {
    const n = payload.length;
    if (n > lower.length || n > upper.length) return -1;
    this.decoder.decodeBands(payload, lower, upper);
    for (let i = 0; i < n; i++) lower[i] *= 2;
    return n;
  }

  /** `length` sample pairs of band signals (as decodeBands gives them) to one payload; -1 if it does not fit. */
  encodeBands(lower: Int16Array, upper: Int16Array, length: number, out: Uint8Array): number {
    if (length < 0 || length > lower.length || length > upper.length || length > out.length || length > MAX_BAND_SAMPLES) return -1;
    const low = this.low15;
    for (let i = 0; i < length; i++) low[i] = lower[i] >> 1;
    return this.encoder.encodeBands(low, upper, out, length);
  }

  reset(): void {
    this.decoder.reset();
    this.encoder.reset();
  }
}

export function createG722Port(): G722Port {
  return new G722Port();
}
