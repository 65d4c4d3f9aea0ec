// The outgoing side of the clamp stage, towards the agent leg's sink: sequence numbers rewritten
// so that drops and insertions leave no gap (SequenceRewriter), the sender-report adjustment
// (RFC 3550 §6.4.1), and the one reusable buffer replacement and re-encoded frames are written to.
// `send(packet, owned)`: owned when the packet is the received one (rewritten in place: the sink
// may keep it), not owned for a frame of this buffer (the sink copies it if it keeps it).
import type { RtpView } from '../../rtp/rtp-view.js';
import type { ClampStageStats, SentAdjustment } from './clamp-stage-stats.js';
import { SequenceRewriter } from './sequence-rewriter.js';

/** Where the stage's packets go (owned: the received packet itself). */
export type LegSend = (packet: Uint8Array, owned: boolean) => void;

export const HEADER_BYTES = 12;
/** Largest payload written to the frame buffer (a re-encoded or replacement frame), bytes. */
const MAX_BODY = 1500;

export class StageOutput {
  readonly adjustment: SentAdjustment = { packets: 0, octets: 0 };
  /** Where a frame's payload goes before sendFrame(). */
  readonly body: Uint8Array;
  private readonly rewriter = new SequenceRewriter();
  private readonly frame = new Uint8Array(HEADER_BYTES + MAX_BODY);
  /** The last view of the frame buffer (one frame length per leg: no allocation per packet). */
  private frameView: Uint8Array = this.frame;

  constructor(
    private readonly send: LegSend,
    private readonly counts: ClampStageStats,
    private readonly payloadType: number,
  ) {
    this.body = this.frame.subarray(HEADER_BYTES);
  }

  /** Numbering restarts (new source: 0; a sender restart: its extended sequence number). */
  restart(extSeq: number): void {
    this.rewriter.restart(extSeq);
  }

  /** Outgoing sequence number of `count` packets in input slot `slot`, -1 when the slot is lost. */
  place(slot: number, count: number): number {
    const seq = this.rewriter.place(slot, count);
    if (seq < 0) {
      // Dropped: nothing of it is sent.
      this.counts.unplaceable++;
      this.adjustment.packets--;
    } else this.adjustment.packets += count - 1;
    return seq;
  }

  /** Outside secure mode: the same buffer, its sequence number shifted only when an offset remains. */
  passThrough(view: RtpView, slot: number, duplicate: boolean): void {
    const seq = duplicate ? this.rewriter.place(slot, 1) : this.place(slot, 1);
    if (seq >= 0 && seq !== view.sequence) view.setSequence(seq);
    this.forward(view.bytes);
  }

  /** A received packet in slot `slot`, shifted to its outgoing sequence number. */
  forwardPlaced(view: RtpView, slot: number): void {
    const seq = this.place(slot, 1);
    if (seq < 0) return;
    if (seq !== view.sequence) view.setSequence(seq);
    this.forward(view.bytes);
  }

  /** The received packet as it is now. */
  forward(packet: Uint8Array): void {
    this.counts.packetsOut++;
    this.send(packet, true);
  }

  /** The frame buffer with `bodyBytes` of body: version 2, no CSRC/extension/padding, the audio PT. */
  sendFrame(seq: number, ts: number, marker: boolean, ssrc: number, bodyBytes: number): void {
    const out = this.frame;
    out[0] = 0x80;
    out[1] = (marker ? 0x80 : 0) | this.payloadType;
    out[2] = (seq >> 8) & 0xff;
    out[3] = seq & 0xff;
    out[4] = ts >>> 24;
    out[5] = (ts >>> 16) & 0xff;
    out[6] = (ts >>> 8) & 0xff;
    out[7] = ts & 0xff;
    out[8] = ssrc >>> 24;
    out[9] = (ssrc >>> 16) & 0xff;
    out[10] = (ssrc >>> 8) & 0xff;
    out[11] = ssrc & 0xff;
    const length = HEADER_BYTES + bodyBytes;
    if (this.frameView.length !== length) this.frameView = this.frame.subarray(0, length);
    this.counts.packetsOut++;
    this.send(this.frameView, false);
  }
}
