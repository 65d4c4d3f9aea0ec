// The in-band audio clamp's memory of the stream, keyed by 8 kHz sample time: the caller's input
// (its codes, for a sample-aligned codec passed through byte for byte; its upper band, for a
// sub-band codec) and the clamped output by the input time it replaces, with whether each sample
// was replaced. A frame (a late one too) reads what the agent hears at its time from here.
//
// Fixed rings (RING samples, 1.024 s: lookahead + largest frame + reordering history), no
// allocation after creation. The line writes each side contiguously (the input as it is pushed,
// holes included; the output as it comes out), so the times a side holds are one range,
// [from, to), of which the ring keeps the newest RING. A write that does not continue its side's
// range starts a new one (nothing written before stays readable) and clear() empties both: a
// time outside its side's range reads as missing, and missing reads as silence (fail closed).
// Per slot, one byte says what of the input was kept and one whether the output was replaced:
// a quarter of the memory a 4-byte time tag per slot and side costs, so a packet touches fewer
// cache lines of rings that hundreds of calls share a thread's caches with.

/** Ring size, samples (1.024 s at 8 kHz). */
export const RING = 8192;
const MASK = RING - 1;

/** What a slot keeps of its time's input. */
const NO_INPUT = 0;
const CODES = 1;
const UPPER = 2;

/** The times one side holds: [from, to), the newest RING of them. */
class TimeRange {
  from = 0;
  to = 0;

  /** Times [a, b) are written: they continue the range, or start a new one. */
  write(a: number, b: number): void {
    if (a !== this.to) this.from = a;
    this.to = b;
  }

  /** The earliest time held (to - RING once the ring has wrapped). */
  get low(): number {
    return this.from > this.to - RING ? this.from : this.to - RING;
  }

  clear(): void {
    this.from = this.to;
  }
}

export class SampleHistory {
  /** Input by sample time: codes (sample-aligned codecs) or upper band (sub-band codecs), and which of them was kept. */
  private readonly inCodes = new Uint8Array(RING);
  private readonly inUpper: Int16Array;
  private readonly inKept = new Uint8Array(RING);
  private readonly input = new TimeRange();
  /** Clamped PCM by the input time it replaces (output at T is input T - lookahead), and whether it was replaced (1). */
  private readonly outPcm = new Int16Array(RING);
  private readonly outReplaced = new Uint8Array(RING);
  private readonly output = new TimeRange();

  /**
   * Sample-aligned codecs (G.711): the PCM of an unreplaced output sample is never stored. Where
   * the caller's codes were kept they go out instead (copyUnreplaced, mergeCodes); where they
   * were not, the input was silence (a hole, an undecodable frame) and so is the output, which
   * is the input there, sample for sample. readOutput() gives 0 for it. So a packet writes 160
   * bytes of output flags instead of 480 bytes of flags and PCM.
   */
  private readonly unreplacedIsCodesOrSilence: boolean;

  /** `banded`: keeps an upper band (sub-band codecs). `sampleAligned`: the caller's codes are kept (keepCodes) and pass through. */
  constructor(banded: boolean, sampleAligned = false) {
    this.inUpper = new Int16Array(banded ? RING : 0);
    this.unreplacedIsCodesOrSilence = sampleAligned;
  }

  /** Forgets everything (a new line). */
  clear(): void {
    this.input.clear();
    this.output.clear();
  }

  /** Keeps the input codes of times [t + from, t + n): codes[codesStart + i] is time t + i's. */
  keepCodes(t: number, from: number, n: number, codes: Uint8Array, codesStart: number): void {
    this.input.write(t + from, t + n);
    const { inCodes, inKept } = this;
    for (let i = from; i < n; i++) {
      const j = (t + i) & MASK;
      inCodes[j] = codes[codesStart + i];
      inKept[j] = CODES;
    }
  }

  /** Keeps the upper band of times [t + from, t + n): upper[i] is time t + i's. */
  keepUpper(t: number, from: number, n: number, upper: Int16Array): void {
    this.input.write(t + from, t + n);
    const { inUpper, inKept } = this;
    for (let i = from; i < n; i++) {
      const j = (t + i) & MASK;
      inUpper[j] = upper[i];
      inKept[j] = UPPER;
    }
  }

  /** No input of its own kept for times [at, at + m) (silence for a hole, or audio re-encoded). */
  forgetInput(at: number, m: number): void {
    this.input.write(at, at + m);
    const inKept = this.inKept;
    for (let i = 0; i < m; i++) inKept[(at + i) & MASK] = NO_INPUT;
  }

  /** Keeps the clamped pcm[0, m) for input times [t, t + m), none of it replaced. */
  keepOutput(t: number, pcm: Int16Array, m: number): void {
    this.output.write(t, t + m);
    const { outPcm, outReplaced } = this;
    if (this.unreplacedIsCodesOrSilence) {
      for (let k = 0; k < m; k++) outReplaced[(t + k) & MASK] = 0;
      return;
    }
    for (let k = 0; k < m; k++) {
      const j = (t + k) & MASK;
      outPcm[j] = pcm[k];
      outReplaced[j] = 0;
    }
  }

  /**
   * keepOutput() of a piece with replaced samples: those where `weights` (the clamp's) is not 0.
   * For a sample-aligned codec only the replaced samples of `pcm` are read (the clamp writes no
   * others: InbandClampOptions.replacedOnly).
   */
  keepOutputWeighted(t: number, pcm: Int16Array, weights: Float32Array, m: number): void {
    this.output.write(t, t + m);
    const { outPcm, outReplaced } = this;
    const all = !this.unreplacedIsCodesOrSilence;
    for (let k = 0; k < m; k++) {
      const j = (t + k) & MASK;
      const replaced = weights[k] !== 0;
      if (replaced || all) outPcm[j] = pcm[k];
      outReplaced[j] = replaced ? 1 : 0;
    }
  }

  /** The earliest time both sides hold (a time can pass as the caller's own only if both do). */
  private bothLow(): number {
    return Math.max(this.input.low, this.output.low);
  }

  /** Just past the latest time both sides hold. */
  private bothTo(): number {
    return Math.min(this.input.to, this.output.to);
  }

  /**
   * The caller's own codes of times [from, from + n) into out[outStart, ...), up to the first
   * time that is missing, replaced or has no codes kept; returns how many were written.
   */
  copyUnreplaced(from: number, n: number, out: Uint8Array, outStart: number): number {
    const { outReplaced, inKept, inCodes } = this;
    if (from < this.bothLow()) return 0;
    const held = Math.min(n, this.bothTo() - from);
    let i = 0;
    for (; i < held; i++) {
      const j = (from + i) & MASK;
      if (outReplaced[j] !== 0 || inKept[j] !== CODES) break;
      out[outStart + i] = inCodes[j];
    }
    return i;
  }

  /**
   * The clamped PCM of times [from, from + n) into pcm[0, n), silence where missing (and, for a
   * sample-aligned codec, where not replaced: see unreplacedIsCodesOrSilence).
   */
  readOutput(from: number, n: number, pcm: Int16Array): void {
    const { outPcm, outReplaced } = this;
    const low = this.output.low;
    const to = this.output.to;
    const onlyReplaced = this.unreplacedIsCodesOrSilence;
    for (let k = 0; k < n; k++) {
      const ts = from + k;
      const j = ts & MASK;
      pcm[k] = ts >= low && ts < to && (!onlyReplaced || outReplaced[j] !== 0) ? outPcm[j] : 0;
    }
  }

  /**
   * out[outStart + k] for k in [i, n) (time from + k): the caller's own code where it is kept and
   * the sample was not replaced, else `codes[k]` (the clamped PCM encoded).
   */
  mergeCodes(from: number, i: number, n: number, codes: Uint8Array, out: Uint8Array, outStart: number): void {
    const { outReplaced, inKept, inCodes } = this;
    const low = this.bothLow();
    const to = this.bothTo();
    for (let k = i; k < n; k++) {
      const ts = from + k;
      const j = ts & MASK;
      out[outStart + k] = ts >= low && ts < to && outReplaced[j] === 0 && inKept[j] === CODES ? inCodes[j] : codes[k];
    }
  }

  /** The caller's upper band of times [from, from + n) into upper[0, n), only beside a lower band sample left as it was; else 0. */
  readUpper(from: number, n: number, upper: Int16Array): void {
    const { outReplaced, inKept, inUpper } = this;
    const low = this.bothLow();
    const to = this.bothTo();
    for (let k = 0; k < n; k++) {
      const ts = from + k;
      const j = ts & MASK;
      upper[k] = ts >= low && ts < to && outReplaced[j] === 0 && inKept[j] === UPPER ? inUpper[j] : 0;
    }
  }
}
