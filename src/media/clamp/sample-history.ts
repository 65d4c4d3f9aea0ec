// The in-band audio clamp's memory of the stream, keyed by 8 kHz sample time: the caller's input
// (its codes, for a sample-aligned codec passed through byte for byte; its upper band, for a
// sub-band codec) and the clamped output by the input time it replaces, with whether each sample
// was replaced. A frame (a late one too) reads what the agent hears at its time from here.
//
// Fixed rings (RING samples, 1.024 s: lookahead + largest frame + reordering history), no
// allocation after creation. Each slot keeps the tag (tagOf) of the time it was written for: a
// slot of another time, or never written, reads as missing, and missing reads as silence (fail
// closed).

/** Ring size, samples (1.024 s at 8 kHz). */
export const RING = 8192;
const MASK = RING - 1;
/** The tag of an empty ring slot (a new ring is all NONE). */
const NONE = 0;

/** Tags count sample time modulo this (2^30 samples, 37 hours). */
const TAG_MASK = 0x3fffffff;

/**
 * The tag a ring slot keeps for sample time t: t modulo 2^30, plus 1 (Int32: 4 bytes a slot, a
 * new ring zeroed = empty). Never NONE, for any t (negative times included: the output before a
 * stream's first lookahead), so an empty slot never passes for a written one. Times 2^30 samples
 * apart share a tag; the ring rewrites every slot each RING samples.
 */
function tagOf(t: number): number {
  return (t & TAG_MASK) + 1;
}

/**
 * The tag an output slot keeps for sample time t, with whether that sample was replaced in its
 * lowest bit (one array instead of a tag and a flag). Never NONE either.
 */
function outTagOf(t: number, replaced: 0 | 1): number {
  return (tagOf(t) << 1) | replaced;
}

export class SampleHistory {
  /** Input codes (sample-aligned codecs) by sample time, and the tag of the time each slot holds. */
  private readonly inCodes = new Uint8Array(RING);
  private readonly inT = new Int32Array(RING);
  /** Clamped PCM by the input time it replaces (output at T is input T - lookahead), and its outTagOf (whether replaced). */
  private readonly outPcm = new Int16Array(RING);
  private readonly outT = new Int32Array(RING);
  /** Upper band (sub-band codecs) by input time. */
  private readonly inUpper: Int16Array;

  /** `banded`: keeps an upper band (sub-band codecs). */
  constructor(banded: boolean) {
    this.inUpper = new Int16Array(banded ? RING : 0);
  }

  /** Forgets everything (a new line). */
  clear(): void {
    this.inT.fill(NONE);
    this.outT.fill(NONE);
  }

  /** Keeps the input codes of times [t + from, t + n): codes[codesStart + i] is time t + i's. */
  keepCodes(t: number, from: number, n: number, codes: Uint8Array, codesStart: number): void {
    const { inCodes, inT } = this;
    for (let i = from; i < n; i++) {
      const j = (t + i) & MASK;
      inCodes[j] = codes[codesStart + i];
      inT[j] = tagOf(t + i);
    }
  }

  /** Keeps the upper band of times [t + from, t + n): upper[i] is time t + i's. */
  keepUpper(t: number, from: number, n: number, upper: Int16Array): void {
    const { inUpper, inT } = this;
    for (let i = from; i < n; i++) {
      const j = (t + i) & MASK;
      inUpper[j] = upper[i];
      inT[j] = tagOf(t + i);
    }
  }

  /** No input of its own kept for times [at, at + m) (silence for a hole, or audio re-encoded). */
  forgetInput(at: number, m: number): void {
    const inT = this.inT;
    for (let i = 0; i < m; i++) inT[(at + i) & MASK] = NONE;
  }

  /** Keeps the clamped pcm[0, m) for input times [t, t + m), none of it replaced. */
  keepOutput(t: number, pcm: Int16Array, m: number): void {
    const { outPcm, outT } = this;
    for (let k = 0; k < m; k++) {
      const j = (t + k) & MASK;
      outPcm[j] = pcm[k];
      outT[j] = outTagOf(t + k, 0);
    }
  }

  /** keepOutput() of a piece with replaced samples: those where `weights` (the clamp's) is not 0. */
  keepOutputWeighted(t: number, pcm: Int16Array, weights: Float32Array, m: number): void {
    const { outPcm, outT } = this;
    for (let k = 0; k < m; k++) {
      const j = (t + k) & MASK;
      outPcm[j] = pcm[k];
      outT[j] = outTagOf(t + k, weights[k] === 0 ? 0 : 1);
    }
  }

  /**
   * The caller's own codes of times [from, from + n) into out[outStart, ...), up to the first
   * time that is missing, replaced or has no codes kept; returns how many were written.
   */
  copyUnreplaced(from: number, n: number, out: Uint8Array, outStart: number): number {
    const { outT, inT, inCodes } = this;
    let i = 0;
    for (; i < n; i++) {
      const ts = from + i;
      const j = ts & MASK;
      if (outT[j] !== outTagOf(ts, 0) || inT[j] !== tagOf(ts)) break;
      out[outStart + i] = inCodes[j];
    }
    return i;
  }

  /** The clamped PCM of times [from, from + n) into pcm[0, n), silence where missing. */
  readOutput(from: number, n: number, pcm: Int16Array): void {
    const { outT, outPcm } = this;
    for (let k = 0; k < n; k++) {
      const ts = from + k;
      const j = ts & MASK;
      // Either tag of time ts (replaced or not): they differ only in the lowest bit.
      pcm[k] = (outT[j] | 1) === outTagOf(ts, 1) ? outPcm[j] : 0;
    }
  }

  /**
   * out[outStart + k] for k in [i, n) (time from + k): the caller's own code where it is kept and
   * the sample was not replaced, else `codes[k]` (the clamped PCM encoded).
   */
  mergeCodes(from: number, i: number, n: number, codes: Uint8Array, out: Uint8Array, outStart: number): void {
    const { outT, inT, inCodes } = this;
    for (let k = i; k < n; k++) {
      const ts = from + k;
      const j = ts & MASK;
      out[outStart + k] = outT[j] === outTagOf(ts, 0) && inT[j] === tagOf(ts) ? inCodes[j] : codes[k];
    }
  }

  /** The caller's upper band of times [from, from + n) into upper[0, n), only beside a lower band sample left as it was; else 0. */
  readUpper(from: number, n: number, upper: Int16Array): void {
    const { outT, inT, inUpper } = this;
    for (let k = 0; k < n; k++) {
      const ts = from + k;
      const j = ts & MASK;
      upper[k] = outT[j] === outTagOf(ts, 0) && inT[j] === tagOf(ts) ? inUpper[j] : 0;
    }
  }
}
