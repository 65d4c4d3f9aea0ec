// The record `toneguard replay` gives for each stream of a capture: its identity, codec, RTP
// counters, the digits the server would have reported and (on request) its decoded audio.
import type { KeyPress } from '../media/digits/key-press.js';

export interface StreamId {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** 32-bit; undefined for the pseudo-stream of SIP INFO digits no RTP stream could take. */
  readonly ssrc: number | undefined;
}

/** A digit as the server reports it (KeyPress), `atMs` from the first frame of the capture. */
export type ReplayDigit = KeyPress;

export interface ReplayStream {
  readonly id: StreamId;
  /** Encoding name of the main payload type (PCMU, PCMA, opus, ...), `PT<n>` if unknown. */
  readonly codec: string;
  readonly payloadType: number | undefined;
  readonly eventPayloadType: number;
  readonly packets: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly late: number;
  /** Packets RTP-shaped but unreadable (bad padding, extension past the end...). */
  readonly malformed: number;
  /** ms from the first frame of the capture. */
  readonly firstMs: number;
  readonly digits: readonly ReplayDigit[];
  /** Decoded audio (mono, `audioRate` Hz: 8 kHz, Opus included) when the codec is decoded. */
  readonly audio: Int16Array | undefined;
  readonly audioRate: number;
}
