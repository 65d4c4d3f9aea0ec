// Opus (RFC 6716, RTP RFC 7587) on the codec port: the RTP clock is always 48 kHz (§4.1), the
// PCM side 8 kHz mono, the detector's rate (libopus band-limits and resamples internally, cheaper
// than 48 kHz plus a resampler). A payload's duration comes from its TOC (RFC 6716 §3.1).
// encode() takes any length up to 120 ms: a length that is not an Opus frame size (an event's end
// off the 2.5 ms grid) is padded with silence to the next one; 80-120 ms become equal frames
// joined by hand (code 3, §3.2.5), or the first frame alone if the encoder switched mode between.
import type { CodecPort } from './codec-port.js';
import { createOpusCodec, opusDecode, opusEncode, type OpusCodec } from './opus-codec.js';
import { joinOpusPackets, opusPacketSamples48 } from './opus-toc.js';

/** Opus frame sizes at 8 kHz (2.5, 5, 10, 20, 40, 60 ms). */
const FRAMES_8K = [20, 40, 80, 160, 320, 480] as const;
/** Largest Opus packet, 8 kHz samples (120 ms). */
export const OPUS_MAX_SAMPLES_8K = 960;

export class OpusPort implements CodecPort {
  readonly name = 'opus' as const;
  readonly rtpClockRate = 48_000;
  readonly sampleRate = 8000;
  readonly sampleAligned = false;
  /** Payloads libopus could not decode. */
  decodeErrors = 0;
  private decoder: OpusCodec | undefined;
  private encoder: OpusCodec | undefined;
  private readonly padded = new Int16Array(OPUS_MAX_SAMPLES_8K);

  samplesPerFrame(ptimeMs: number): number {
    return Math.round(ptimeMs * 8);
  }

  payloadRtpSamples(payload: Uint8Array): number {
    return opusPacketSamples48(payload) ?? -1;
  }

  decode(payload: Uint8Array, out: Int16Array): number {
    this.decoder ??= createOpusCodec(1, 8000);
    const pcm = opusDecode(this.decoder, payload);
    if (pcm === undefined || pcm.length > out.length) {
      this.decodeErrors++;
      return -1;
    }
    out.set(pcm);
    return pcm.length;
  }

  encode(pcm: Int16Array, out: Uint8Array): number {
    const n = pcm.length;
    if (n === 0 || n > OPUS_MAX_SAMPLES_8K) return -1;
    this.encoder ??= createOpusCodec(1, 8000);
    let body: Uint8Array;
    if (n > 480) body = this.encodeLong(pcm);
    else {
      const size = FRAMES_8K.find((f) => f >= n) ?? 480;
      let frame = pcm;
      if (size !== n) {
        frame = this.padded.subarray(0, size);
        frame.set(pcm);
        frame.fill(0, n);
      }
      body = opusEncode(this.encoder, frame);
    }
    if (body.length > out.length) return -1;
    out.set(body);
    return body.length;
  }

  reset(): void {
    this.decoder = undefined;
    this.encoder = undefined;
  }

  private encodeLong(pcm: Int16Array): Uint8Array {
    const n = pcm.length;
    const frame = n <= 640 ? 320 : n <= 800 ? 160 : 480;
    const total = Math.ceil(n / frame) * frame;
    const all = this.padded.subarray(0, total);
    all.set(pcm);
    all.fill(0, n);
    const encoder = this.encoder ?? createOpusCodec(1, 8000);
    const parts: Uint8Array[] = [];
    for (let k = 0; k * frame < total; k++) parts.push(opusEncode(encoder, all.subarray(k * frame, (k + 1) * frame)));
    return joinOpusPackets(parts) ?? parts[0];
  }
}
