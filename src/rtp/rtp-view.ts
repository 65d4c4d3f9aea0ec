// One RTP packet parsed once, where it enters (RFC 3550 §5.1): the header fields and payload
// bounds every later stage reads instead of decoding the header again, and the extended
// sequence number and timestamp the stream's tracker gives it. One reusable instance per
// receiving leg: parse() overwrites it, nothing is allocated per packet.
import type { PacketOrder } from './sequence-tracker.js';
import { rtpPayloadBoundsInto, type RtpParseErrorCode } from './rtp-packet.js';

const EMPTY = new Uint8Array(0);

export class RtpView {
  /** The packet's bytes (the datagram, or its SRTP-decrypted copy). Stages may rewrite header bytes in place. */
  bytes: Uint8Array = EMPTY;
  /** Arrival, ms on the receiver's clock (Date.now() live, capture time in replay). */
  arrivalMs = 0;
  /** Why the payload bounds could not be read, or undefined. The fixed-header fields below are valid unless ESHORT/EVERSION. */
  error: RtpParseErrorCode | undefined = undefined;
  marker = false;
  payloadType = 0;
  /** 16-bit. */
  sequence = 0;
  /** 32-bit, in the RTP clock of the payload format. */
  timestamp = 0;
  ssrc = 0;
  /** Payload [payloadStart, payloadEnd) of `bytes` (CSRCs, extension and padding excluded). */
  payloadStart = 0;
  payloadEnd = 0;
  /** Set by the stream's tracker (the clamp stage): extended, never-wrapping values; -1 when not placed. */
  extSeq = -1;
  extTs = -1;
  order: PacketOrder | undefined = undefined;
  private readonly bounds = new Int32Array(3);

  /** Reads `bytes` into this view; returns the parse error (also in `error`), undefined for a readable packet. */
  parse(bytes: Uint8Array, arrivalMs: number): RtpParseErrorCode | undefined {
    this.bytes = bytes;
    this.arrivalMs = arrivalMs;
    this.extSeq = this.extTs = -1;
    this.order = undefined;
    const code = rtpPayloadBoundsInto(bytes, this.bounds);
    this.error = code;
    if (bytes.length >= 12) {
      this.marker = (bytes[1] & 0x80) !== 0;
      this.payloadType = bytes[1] & 0x7f;
      this.sequence = (bytes[2] << 8) | bytes[3];
      this.timestamp = ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0;
      this.ssrc = ((bytes[8] << 24) | (bytes[9] << 16) | (bytes[10] << 8) | bytes[11]) >>> 0;
    }
    if (code === undefined) {
      this.payloadStart = this.bounds[0];
      this.payloadEnd = this.bounds[1];
    } else this.payloadStart = this.payloadEnd = Math.min(12, bytes.length);
    return code;
  }

  /** The fixed header is readable (12 bytes, version 2): the fields above hold. */
  get headerValid(): boolean {
    return this.error !== 'ESHORT' && this.error !== 'EVERSION' && this.bytes.length >= 12;
  }

  get payloadLength(): number {
    return this.payloadEnd - this.payloadStart;
  }

  /** The payload as a view of `bytes` (allocates the view object). */
  payload(): Uint8Array {
    return this.bytes.subarray(this.payloadStart, this.payloadEnd);
  }

  /** Rewrites the sequence number in the packet and the view. */
  setSequence(seq: number): void {
    this.bytes[2] = (seq >> 8) & 0xff;
    this.bytes[3] = seq & 0xff;
    this.sequence = seq;
  }

  /** Rewrites the payload type (marker kept) in the packet and the view. */
  setPayloadType(pt: number): void {
    this.bytes[1] = (this.bytes[1] & 0x80) | pt;
    this.payloadType = pt;
  }
}
