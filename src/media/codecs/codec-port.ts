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
  /** PCM (one whole frame at sampleRate) to a payload in `out`; returns bytes written, -1 if it does not fit. */
  encode(pcm: Int16Array, out: Uint8Array): number;
  /** Forget inter-packet state (stream restart: new SSRC, re-INVITE). */
  reset(): void;
}
