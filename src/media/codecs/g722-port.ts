// The G.722 codec port (RFC 3551 §4.5.2): 16 kHz audio, yet the RTP clock and SDP rtpmap say 8000
// (G722/8000) for historical reasons, so one payload byte is one RTP timestamp tick and one
// byte carries two 16 kHz samples. One port per leg and direction: the ADPCM state runs from
// packet to packet, so a decoding port must see its stream's packets in order.
//
// Beyond CodecPort, the band domain (native-free-dsp/g722.ts decodeBands/encodeBands): the low
// band is the 0-4 kHz signal at 8 kHz on the RTP timeline itself (sample i of a payload is
// timestamp ts + i), which is what the clamp needs for the detector, without a resampler.
import { G722Decoder, G722Encoder } from '../../../native-free-dsp/g722.js';
import type { CodecPort } from './codec-port.js';

/** G.722's static payload type (RFC 3551 Table 4). */
export const G722_PAYLOAD_TYPE = 9;
/** Audio samples per RTP timestamp tick (16 kHz audio on an 8 kHz clock). */
const SAMPLES_PER_TICK = 2;

export class G722Port implements CodecPort {
  readonly name = 'G722' as const;
  readonly rtpClockRate = 8000;
  readonly sampleRate = 16_000;
  private readonly decoder = new G722Decoder();
  private readonly encoder = new G722Encoder();

  samplesPerFrame(ptimeMs: number): number {
    return Math.round(ptimeMs * 16);
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
   * The payload's two sub-bands at 8 kHz, one sample of each per byte (15-bit; low x 2 is 16-bit
   * scale); -1 if they do not fit. Keeps the decoder's stream state as decode() does.
   */
  decodeBands(payload: Uint8Array, low: Int16Array, high: Int16Array): number {
    if (payload.length > low.length || payload.length > high.length) return -1;
    return this.decoder.decodeBands(payload, low, high);
  }

  /** `length` sample pairs of sub-band signals (as decodeBands gives them) to one payload; -1 if it does not fit. */
  encodeBands(low: Int16Array, high: Int16Array, length: number, out: Uint8Array): number {
    if (length < 0 || length > low.length || length > high.length || length > out.length) return -1;
    return this.encoder.encodeBands(low, high, out, length);
  }

  reset(): void {
    this.decoder.reset();
    this.encoder.reset();
  }
}

export function createG722Port(): G722Port {
  return new G722Port();
}
