// toneguard's own outgoing RTP stream (endpoint mode: we are the far end): RFC 3550 §5.1 random
// initial SSRC, sequence number and timestamp; the marker on the first packet (start of a
// talkspurt, RFC 3551 §4.1); frames encoded from 8 kHz PCM by the leg's prompt encoder (G.711,
// or G.722: one byte per RTP tick as well). One reusable packet buffer; `frame` returns a view
// valid until the next call.
import { randomBytes } from 'node:crypto';
import type { PromptEncoder } from '../prompts/prompt-encoder.js';

const HEADER_BYTES = 12;

export class OwnRtpStream {
  readonly ssrc: number;
  private seq: number;
  private ts: number;
  private first = true;
  private readonly buffer: Uint8Array;
  private readonly encoder: PromptEncoder;
  private readonly payloadType: number;
  /** Packets and payload octets produced (RTCP SR sender info). */
  packets = 0;
  octets = 0;

  constructor(encoder: PromptEncoder, payloadType: number, maxFrameSamples = 960) {
    const r = randomBytes(10);
    this.ssrc = r.readUInt32BE(0);
    this.seq = r.readUInt16BE(4);
    this.ts = r.readUInt32BE(6);
    this.buffer = new Uint8Array(HEADER_BYTES + maxFrameSamples);
    this.encoder = encoder;
    this.payloadType = payloadType;
  }

  /** One packet of `n` samples of `pcm` (8 kHz; n RTP ticks); the view is valid until the next call. */
  frame(pcm: Int16Array, n: number): Uint8Array {
    const b = this.buffer;
    b[0] = 0x80;
    b[1] = (this.first ? 0x80 : 0) | this.payloadType;
    b[2] = this.seq >> 8;
    b[3] = this.seq & 0xff;
    b[4] = this.ts >>> 24;
    b[5] = (this.ts >>> 16) & 0xff;
    b[6] = (this.ts >>> 8) & 0xff;
    b[7] = this.ts & 0xff;
    b[8] = this.ssrc >>> 24;
    b[9] = (this.ssrc >>> 16) & 0xff;
    b[10] = (this.ssrc >>> 8) & 0xff;
    b[11] = this.ssrc & 0xff;
    this.encoder.encode(pcm, b.subarray(HEADER_BYTES), n);
    this.first = false;
    this.seq = (this.seq + 1) & 0xffff;
    this.packets++;
    this.octets += n;
    this.advance(n);
    return b.subarray(0, HEADER_BYTES + n);
  }

  /** Time passes without a packet (nothing sendable): the timestamp keeps wall-clock pace. */
  advance(samples: number): void {
    this.ts = (this.ts + samples) >>> 0;
  }
}
