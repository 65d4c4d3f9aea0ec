// Which output samples of the in-band clamp are replaced, and by how much (the replacement's
// weight, 0: the input as it is, 1: fully replaced): the clamp's own spans (its candidates and
// digits: a queue in start order, the last one open while its tone goes on) and the windows given
// from outside (InbandClamp.mute(): RFC 4733 events widened by a gateway's leaked tone). Each has
// a raised-cosine crossfade inside it, so no original tone sample is mixed in. Sample indices are
// absolute (as the clamp counts them); fixed arrays, no allocation after creation.

/** Muted spans pending at once (within the lookahead); more merge into the last. */
const MAX_SPANS = 64;
/** Mute windows given from outside pending at once; more merge into the last. */
const MAX_EXTERNAL = 16;

export class MuteSchedule {
  /** Crossfade length, samples (at least 1). */
  private readonly fade: number;
  /** fadeTable[k]: weight of the replacement k samples into a span (raised cosine, 1 from `fade` on). */
  private readonly fadeTable: Float64Array;
  /** The clamp's spans [start, end) in output samples, a queue in start order (end Infinity while open). */
  private readonly spanStart = new Float64Array(MAX_SPANS);
  private readonly spanEnd = new Float64Array(MAX_SPANS);
  private spanHead = 0;
  private spanCount = 0;
  /** Windows from outside [start, end) in input samples, sorted, disjoint. */
  private readonly extStart = new Float64Array(MAX_EXTERNAL);
  private readonly extEnd = new Float64Array(MAX_EXTERNAL);
  private extCount = 0;

  /** `fade`: crossfade at each edge of a span or window, samples (at least 1). */
  constructor(fade: number) {
    this.fade = fade;
    this.fadeTable = new Float64Array(fade + 1);
    for (let k = 0; k <= fade; k++) this.fadeTable[k] = 0.5 - 0.5 * Math.cos((Math.PI * k) / fade);
  }

  /** Nothing is replaced in output samples [from, from + n) (no span or window reaches them yet). */
  clearOver(from: number, n: number): boolean {
    return (this.spanCount === 0 || this.spanStart[this.spanHead] >= from + n) && (this.extCount === 0 || this.extStart[0] >= from + n);
  }

  /** A new span from `start`, open; `outPos`: the next output sample (nothing before it can be muted). */
  openSpan(start: number, outPos: number): void {
    // The span cannot start before what is already out: with too small a lookahead the onset leaks.
    const from = Math.max(start, outPos);
    if (this.spanCount > 0) {
      const last = (this.spanHead + this.spanCount - 1) % MAX_SPANS;
      // Touching or overlapping the previous span (fast dialling, a drop-out): one span.
      if (from <= this.spanEnd[last] + this.fade) {
        this.spanEnd[last] = Infinity;
        return;
      }
      if (this.spanCount === MAX_SPANS) {
        this.spanEnd[last] = Infinity;
        return;
      }
    }
    const i = (this.spanHead + this.spanCount) % MAX_SPANS;
    this.spanStart[i] = from;
    this.spanEnd[i] = Infinity;
    this.spanCount++;
  }

  /** Nothing scheduled (a fresh line). */
  clear(): void {
    this.spanHead = 0;
    this.spanCount = 0;
    this.extCount = 0;
  }

  /** The last span stays open again (its candidate was confirmed). */
  reopenSpan(): void {
    if (this.spanCount === 0) return;
    this.spanEnd[(this.spanHead + this.spanCount - 1) % MAX_SPANS] = Infinity;
  }

  /** The last span ends at `end`, or later: never before a full fade-out from `outPos`, what is already out. */
  closeSpan(end: number, outPos: number): void {
    if (this.spanCount === 0) return;
    const last = (this.spanHead + this.spanCount - 1) % MAX_SPANS;
    // Never end before a full fade-out from what is already out (no step in the output).
    this.spanEnd[last] = Math.max(end, outPos + this.fade, this.spanStart[last] + 2 * this.fade);
  }

  /** Moves the end of the last span later (never earlier; an open span stays open). */
  extendSpan(end: number): void {
    if (this.spanCount === 0) return;
    const last = (this.spanHead + this.spanCount - 1) % MAX_SPANS;
    if (this.spanEnd[last] < end) this.spanEnd[last] = end;
  }

  /**
   * A window [start, end) from outside, start clipped to `outPos` (what is out cannot be muted).
   * Windows that overlap or touch merge.
   */
  addWindow(start: number, end: number, outPos: number): void {
    let from = Math.max(start, outPos);
    let to = end;
    if (!(to > from)) return;
    // Merge every window that overlaps or touches [from, to) (within a fade) into it.
    let i = 0;
    while (i < this.extCount) {
      if (this.extStart[i] <= to + this.fade && this.extEnd[i] + this.fade >= from) {
        from = Math.min(from, this.extStart[i]);
        to = Math.max(to, this.extEnd[i]);
        this.dropExternal(i);
      } else i++;
    }
    if (this.extCount === MAX_EXTERNAL) {
      // Too many at once (cannot happen within a lookahead of real events): widen the last.
      const last = MAX_EXTERNAL - 1;
      this.extStart[last] = Math.min(this.extStart[last], from);
      this.extEnd[last] = Math.max(this.extEnd[last], to);
      return;
    }
    let at = this.extCount;
    while (at > 0 && this.extStart[at - 1] > from) at--;
    this.extStart.copyWithin(at + 1, at, this.extCount);
    this.extEnd.copyWithin(at + 1, at, this.extCount);
    this.extStart[at] = from;
    this.extEnd[at] = to;
    this.extCount++;
  }

  /** Weight of the replacement at output sample n (0: the input as it is); n only grows from call to call. */
  weightAt(n: number): number {
    const external = this.extCount > 0 ? this.externalWeightAt(n) : 0;
    const own = this.spanWeightAt(n);
    return own > external ? own : external;
  }

  private externalWeightAt(n: number): number {
    while (this.extCount > 0 && this.extEnd[0] <= n) this.dropExternal(0);
    if (this.extCount === 0 || n < this.extStart[0]) return 0;
    return this.fadeTable[Math.min(n - this.extStart[0] + 1, this.extEnd[0] - n, this.fade)];
  }

  private dropExternal(i: number): void {
    this.extStart.copyWithin(i, i + 1, this.extCount);
    this.extEnd.copyWithin(i, i + 1, this.extCount);
    this.extCount--;
  }

  private spanWeightAt(n: number): number {
    while (this.spanCount > 0 && this.spanEnd[this.spanHead] <= n) {
      this.spanHead = (this.spanHead + 1) % MAX_SPANS;
      this.spanCount--;
    }
    if (this.spanCount === 0) return 0;
    const start = this.spanStart[this.spanHead];
    if (n < start) return 0;
    const k = Math.min(n - start + 1, this.spanEnd[this.spanHead] - n, this.fade);
    return this.fadeTable[k];
  }
}
