// The codec port: how the media plane reaches audio inside an RTP payload without knowing the
// codec. The clamp stage and detector talk only to this; each codec (PCMU, PCMA, G.722, Opus)
// is one implementation. One instance per leg and direction: ADPCM (G.722) and Opus carry state
// from packet to packet, so a decoder must see every packet of its stream in order and an
// encoder's output must be the only thing the receiver hears from it.
import type { AudioCodecName } from '../media-session.js';

export interface CodecPort {
  readonly name: AudioCodecName;
  /** RTP timestamp clock (RFC 3551): 8000 for G.711 and for G.722 (§4.5.2 quirk), 48000 for Opus. */
  readonly rtpClockRate: number;
  /** Rate of the PCM that decode() writes and encode() reads: 8000 G.711, 16000 G.722, 8000 Opus (decoded narrowband). */
  readonly sampleRate: number;
  /**
   * Byte i of a payload is PCM sample i and no state links packets (G.711): the clamp can pass
   * the caller's own bytes through where nothing is replaced, and re-encode only replaced samples.
   */
  readonly sampleAligned?: boolean;
  /** PCM samples (at sampleRate) in one frame of `ptimeMs`. */
  samplesPerFrame(ptimeMs: number): number;
  /**
   * How much time one payload covers, in RTP clock units (what the next packet's timestamp
   * advances by), read from its bytes without decoding; -1 if the payload is unreadable.
   */
  payloadRtpSamples(payload: Uint8Array): number;
  /**
   * One RTP payload to PCM in `out` (at sampleRate); returns the sample count written, or -1 if
   * the payload is corrupt or would not fit (the caller conceals or mutes: never throws).
   */
  decode(payload: Uint8Array, out: Int16Array): number;
  /**
   * Sample-aligned ports: `samples` bytes of `packet` from `start` to PCM in `out`, as decode()
   * of that range would (the per-packet path reads the payload where it lies: no view made).
   */
  decodeAt?(packet: Uint8Array, start: number, samples: number, out: Int16Array): number;
  /** PCM (one whole frame at sampleRate) to a payload in `out`; returns bytes written, -1 if it does not fit. */
  encode(pcm: Int16Array, out: Uint8Array): number;
  /**
   * Present when the decoder's state runs from packet to packet and a missing packet puts it out
   * of step with the sender's encoder (ADPCM: G.722). The clamp then decodes every audio packet
   * of the stream in order, secure mode or not (a decoder started at the secure switch would
   * mis-track a tone for tens of ms), never a late or duplicate one, and mutes `resyncMs` after a
   * gap (loss, or audio the sender replaced by RFC 4733 events) while the decoder regains step.
   * Absent: decoding may start at any packet (G.711 has no state; Opus recovers within a frame).
   */
  readonly statefulDecoder?: { readonly resyncMs: number };
  /**
   * Present for a sub-band codec (G.722): its audio as two bands at 8000 Hz on the RTP timeline,
   * the lower one (0-4 kHz) being the detector's input. The clamp detects and replaces in the
   * lower band alone, with no resampler and no delay, and keeps the caller's upper band wherever
   * it replaced nothing (wideband audio reaches the agent).
   */
  readonly bands?: SubBandCoding;
  /** Forget inter-packet state (stream restart: new SSRC, re-INVITE). */
  reset(): void;
}

/** A codec port's audio as a lower and an upper band, one sample of each per RTP clock unit. */
export interface SubBandCoding {
  /** Rate of each band, Hz (= the RTP clock: one sample per tick). */
  readonly bandRate: number;
  /**
   * One payload to its bands: `lower` at the 16-bit scale of 8 kHz PCM (what G.711 decodes to,
   * the detector's levels), `upper` at the codec's own scale; the sample count, -1 if corrupt or
   * too big. Keeps the decoder's stream state as decode() does.
   */
  decodeBands(payload: Uint8Array, lower: Int16Array, upper: Int16Array): number;
  /** `length` samples of each band (as decodeBands gives them) to one payload in `out`; bytes, -1 if it does not fit. */
  encodeBands(lower: Int16Array, upper: Int16Array, length: number, out: Uint8Array): number;
}
