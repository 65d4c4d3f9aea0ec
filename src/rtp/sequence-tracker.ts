// Per-stream sequence and timestamp tracking (RFC 3550 §A.1 and §A.3): 16-bit sequence numbers
// and 32-bit timestamps extended across wraps, and every packet classified as in order, a
// duplicate, late (reordered) or after a gap (loss). One plain state object per stream, no
// allocation per packet.

/** RFC 3550 §A.1: a jump larger than this is a restart (or a misdirected packet), not loss. */
const MAX_DROPOUT = 3000;
/** RFC 3550 §A.1: packets this far behind are late duplicates/reorders, not a restart. */
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;
const TS_MOD = 0x100000000;
/** Sequence numbers remembered for duplicate detection (a power of two). */
const HISTORY = 1024;

export type PacketOrder =
  /** The next expected sequence number. */
  | 'in-order'
  /** Ahead of the expected one: the packets between are missing (so far). */
  | 'gap'
  /** Behind the highest one seen, not seen before: reordered. */
  | 'late'
  /** Seen before. */
  | 'duplicate'
  /** A large jump: the sender restarted its sequence (RFC 3550 §A.1 "bad_seq" confirmed). */
  | 'restart';

export interface SequenceTracker {
  started: boolean;
  /** Highest extended sequence number seen. */
  maxExtSeq: number;
  /** Extended sequence of the last packet classified. */
  lastExtSeq: number;
  /** Extended timestamp of the highest-sequence packet, and of the last packet classified. */
  maxExtTs: number;
  lastExtTs: number;
  firstExtSeq: number;
  received: number;
  duplicates: number;
  late: number;
  restarts: number;
  /** Which extended sequence numbers were seen recently (slot = extSeq % HISTORY). */
  readonly seen: Float64Array;
}

export function createSequenceTracker(): SequenceTracker {
  return {
    started: false,
    maxExtSeq: 0,
    lastExtSeq: 0,
    maxExtTs: 0,
    lastExtTs: 0,
    firstExtSeq: 0,
    received: 0,
    duplicates: 0,
    late: 0,
    restarts: 0,
    seen: new Float64Array(HISTORY).fill(-1),
  };
}

/** Extends a value modulo `mod` to the extended value nearest `reference`. */
function extendNear(value: number, reference: number, mod: number): number {
  const base = reference - (reference % mod);
  let candidate = base + value;
  if (candidate - reference > mod / 2) candidate -= mod;
  else if (reference - candidate > mod / 2) candidate += mod;
  return candidate;
}

/**
 * Classifies one packet and records it. `lastExtSeq`/`lastExtTs` then hold its extended
 * sequence number and timestamp (valid for every result, duplicates included).
 */
export function trackPacket(t: SequenceTracker, sequence: number, timestamp: number): PacketOrder {
  if (!t.started) {
    t.started = true;
    t.maxExtSeq = t.firstExtSeq = t.lastExtSeq = SEQ_MOD + sequence; // one cycle of headroom for early late packets
    t.maxExtTs = t.lastExtTs = TS_MOD + timestamp;
    t.received = 1;
    t.seen[t.lastExtSeq % HISTORY] = t.lastExtSeq;
    return 'in-order';
  }
  const ext = extendNear(sequence, t.maxExtSeq, SEQ_MOD);
  const delta = ext - t.maxExtSeq;
  t.lastExtSeq = ext;
  t.lastExtTs = extendNear(timestamp, t.maxExtTs, TS_MOD);
  let order: PacketOrder;
  if (delta > 0 && delta < MAX_DROPOUT) {
    order = delta === 1 ? 'in-order' : 'gap';
    t.maxExtSeq = ext;
    t.maxExtTs = t.lastExtTs;
  } else if (delta <= 0 && -delta <= MAX_MISORDER) {
    if (t.seen[ext % HISTORY] === ext) {
      t.duplicates++;
      return 'duplicate';
    }
    order = 'late';
    t.late++;
  } else {
    // A jump in either direction beyond the limits: the sender restarted. Keep extending from here.
    order = 'restart';
    t.restarts++;
    t.maxExtSeq = ext;
    t.maxExtTs = t.lastExtTs;
  }
  t.seen[ext % HISTORY] = ext;
  t.received++;
  return order;
}

/** Packets expected from the first to the highest sequence number (RFC 3550 §A.3), ignoring restarts. */
export function expectedPackets(t: SequenceTracker): number {
  return t.started ? t.maxExtSeq - t.firstExtSeq + 1 : 0;
}

/** Lost = expected - received (duplicates not counted as received); negative never. */
export function lostPackets(t: SequenceTracker): number {
  return t.restarts > 0 ? 0 : Math.max(0, expectedPackets(t) - t.received);
}
