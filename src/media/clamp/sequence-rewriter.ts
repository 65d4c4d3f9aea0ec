// Outgoing sequence numbers for a stream whose packets are dropped and inserted (RFC 3550 §5.1:
// the receiver counts loss from sequence gaps, so our own drops and insertions must leave none).
//
// Each incoming packet owns one "slot", its extended sequence number. A slot is replaced by k
// outgoing packets (k = 0 for a dropped packet, 1 for a forwarded one, more when one event
// packet becomes several audio frames); outgoing number = incoming + delta, where delta sums
// (k - 1) over the slots processed so far. Loss in the input stays visible as a gap (it is
// real), our edits never do. A late (reordered) packet takes the delta in force at its slot,
// looked up in a short history of changes, so it lands in the hole it left and never on a
// number already sent; one older than that history cannot be placed and is refused.
// Plain numbers and preallocated typed arrays: no allocation per packet.

/** Delta changes remembered for late packets (a power of two). */
const HISTORY = 64;
const SEQ_MOD = 0x10000;

export class SequenceRewriter {
  /** Net (outgoing - incoming) for slots after the last change. */
  private delta = 0;
  /** Ring of changes: delta in force for slots > changeSlot[i]. */
  private readonly changeSlot = new Float64Array(HISTORY).fill(-1);
  private readonly changeDelta = new Float64Array(HISTORY);
  private changes = 0;
  /** Highest slot processed. */
  private maxSlot = -1;

  /** Net offset now; 0 means outgoing numbers equal incoming ones. */
  get offset(): number {
    return this.delta;
  }

  /** The delta that applies to `slot`; undefined when the slot is older than the history. */
  private deltaAt(slot: number): number | undefined {
    if (slot > this.maxSlot) return this.delta;
    let d = this.delta;
    for (let n = 0; n < Math.min(this.changes, HISTORY); n++) {
      const i = (this.changes - 1 - n) % HISTORY;
      if (this.changeSlot[i] < slot) return d;
      d = this.changeDelta[i];
    }
    // Every remembered change is at or after this slot: fine only when none was forgotten.
    return this.changes <= HISTORY ? d : undefined;
  }

  /**
   * Outgoing (16-bit) sequence number of the first of `count` packets that replace slot
   * `slot` (count 0: the packet is dropped; the result is then the number it would have had).
   * Returns -1 when a late slot cannot be placed (older than the history), or when a late
   * slot asks for anything but exactly one packet (its hole holds one number).
   */
  place(slot: number, count: number): number {
    if (slot <= this.maxSlot) {
      if (count !== 1) return count === 0 ? 0 : -1;
      const d = this.deltaAt(slot);
      return d === undefined ? -1 : (slot + d) % SEQ_MOD;
    }
    // Slots are contiguous in the input, or the input lost some: either way, in order.
    const first = slot + this.delta;
    this.maxSlot = slot;
    if (count !== 1) {
      const i = this.changes % HISTORY;
      this.changeSlot[i] = slot;
      this.changeDelta[i] = this.delta; // the delta before this slot
      this.changes++;
      this.delta += count - 1;
    }
    return ((first % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;
  }

  /** A new sequence space (SSRC change, sender restart): forget the history, keep the offset. */
  restart(slot: number): void {
    this.maxSlot = slot - 1;
    this.changes = 0;
    this.changeSlot.fill(-1);
  }
}
