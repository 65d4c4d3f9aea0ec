// PCMU and PCMA (ITU-T G.711, RTP RFC 3551 §4.5.14) on the codec port: one byte per sample at
// 8000 Hz, no state between packets, so payload length = samples = RTP clock units.
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../../native-free-dsp/g711.js';
import type { CodecPort } from './codec-port.js';

export type G711Name = 'PCMU' | 'PCMA';

export class G711Port implements CodecPort {
  readonly rtpClockRate = 8000;
  readonly sampleRate = 8000;
  readonly sampleAligned = true;
  private readonly dec: (src: Uint8Array, dst: Int16Array, length?: number, from?: number) => void;
  private readonly enc: (src: Int16Array, dst: Uint8Array, length?: number) => void;

  constructor(readonly name: G711Name) {
    this.dec = name === 'PCMU' ? decodeUlaw : decodeAlaw;
    this.enc = name === 'PCMU' ? encodeUlaw : encodeAlaw;
  }

  samplesPerFrame(ptimeMs: number): number {
    return Math.round(ptimeMs * 8);
  }

  payloadRtpSamples(payload: Uint8Array): number {
    return payload.length;
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    if (payload.length > out.length) return -1;
    this.dec(payload, out, payload.length);
    return payload.length;
  }

  decodeAt(packet: Uint8Array, start: number, samples: number, out: Int16Array): number {
    if (samples > out.length || start < 0 || start + samples > packet.length) return -1;
    this.dec(packet, out, samples, start);
    return samples;
  }

  encode(pcm: Int16Array, out: Uint8Array): number {
    if (pcm.length > out.length) return -1;
    this.enc(pcm, out, pcm.length);
    return pcm.length;
  }

  reset(): void {
    // No state between packets.
  }
}
