// ITU-T G.722 (09/2012) sub-band ADPCM at 64 kbit/s (mode 1): 16 kHz 16-bit linear PCM <-> one
// 8-bit code per pair of samples (6 bits low band, 2 bits high band), fixed-point and bit-exact
// with the ITU-T reference algorithm as spandsp's g722.c implements it.
//
// Structure (G.722 §3, block numbers of Figures 4-9 in the comments):
// - a 24-tap QMF splits the 16 kHz input into a low band (0-4 kHz) and a high band (4-8 kHz),
//   each at 8 kHz; the decoder's QMF joins them again. The filters are stored as two 12-tap
//   halves (even and odd coefficients) over a ring of the last 12 sample pairs;
// - each band is ADPCM: an adaptive quantizer (6-bit low, 2-bit high) of the difference between
//   the band signal and a pole-zero predictor (2 poles, 6 zeros) updated by sign-sign LMS.
// The arithmetic is the reference's 16-bit fixed point: products shifted by 15, sums saturated
// to [-32768, 32767], reconstructed band signals limited to 15 bits (the input's top bit is
// dropped: the algorithm works on 15-bit samples). The decoder's output saturates at 16 bits as
// the reference does (spandsp 0.0.6 casts there instead, wrapping a sample that overshoots full
// scale to the other sign; everything else is identical).
//
// A decoder must see every code of its stream in order, and an encoder's output is decodable only
// from the first code it wrote: one state object per stream and direction, reset() on a new one.
// No allocation after construction.

/** QMF coefficients (G.722 Table 11), the even/odd halves as the ring is read, oldest first. */
const QMF_FWD = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);
const QMF_REV = Int32Array.of(-11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3);

/** High band inverse quantizer output, 2-bit code (Table 9, x 8). */
const QM2 = Int32Array.of(-7408, -1616, 7408, 1616);
/** Low band inverse quantizer for the 4-bit truncated code that drives adaptation (Table 7). */
const QM4 = Int32Array.of(0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0);
/** Low band inverse quantizer for the full 6-bit code (Table 6, mode 1). */
const QM6 = Int32Array.of(
  -136,
  -136,
  -136,
  -136,
  -24808,
  -21904,
  -19008,
  -16704,
  -14984,
  -13512,
  -12280,
  -11192,
  -10232,
  -9360,
  -8576,
  -7856,
  -7192,
  -6576,
  -6000,
  -5456,
  -4944,
  -4464,
  -4008,
  -3576,
  -3168,
  -2776,
  -2400,
  -2032,
  -1688,
  -1360,
  -1040,
  -728,
  24808,
  21904,
  19008,
  16704,
  14984,
  13512,
  12280,
  11192,
  10232,
  9360,
  8576,
  7856,
  7192,
  6576,
  6000,
  5456,
  4944,
  4464,
  4008,
  3576,
  3168,
  2776,
  2400,
  2032,
  1688,
  1360,
  1040,
  728,
  432,
  136,
  -432,
  -136,
);
/** Low band quantizer decision levels (Table 5), scaled by the step size (det) / 4096. */
const Q6 = Int32Array.of(0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0);
/** Low band codes for a negative / positive difference by decision interval (Table 5). */
const ILN = Int32Array.of(0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0);
const ILP = Int32Array.of(0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0);
/** Log-to-linear table of the scale factor (Table 12, block SCALEL/SCALEH). */
const ILB = Int32Array.of(
  2048,
  2093,
  2139,
  2186,
  2233,
  2282,
  2332,
  2383,
  2435,
  2489,
  2543,
  2599,
  2656,
  2714,
  2774,
  2834,
  2896,
  2960,
  3025,
  3091,
  3158,
  3228,
  3298,
  3371,
  3444,
  3520,
  3597,
  3676,
  3756,
  3838,
  3922,
  4008,
);
/** Low band log scale factor multipliers (Table 8) by magnitude index, and that index by 4-bit code. */
const WL = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);
const RL42 = Int32Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);
/** High band: log scale factor multipliers (Table 10), magnitude index by code, code by sign. */
const WH = Int32Array.of(0, -214, 798);
const RH2 = Int32Array.of(2, 1, 2, 1);
const IHN = Int32Array.of(0, 1, 0);
const IHP = Int32Array.of(0, 3, 2);

/** Step size (det) at reset: G.722 §6.2.1.4 (low band) and §6.2.2.4 (high band). */
const DET_LOW_INIT = 32;
const DET_HIGH_INIT = 8;
/** Upper limit of the log scale factor nb: low band 9 (x 2048), high band 11 (x 2048). */
const NB_LOW_MAX = 18432;
const NB_HIGH_MAX = 22528;

function sat16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

function sat15(x: number): number {
  return x > 16383 ? 16383 : x < -16384 ? -16384 : x;
}

/** True when two 16-bit values differ in sign (bit 15; zero counts as positive). */
function signsDiffer(x: number, y: number): boolean {
  return ((x ^ y) & 0x8000) !== 0;
}

/** The ADPCM state of one sub-band (encoder and decoder keep the same, G.722 §3.4-3.6). */
class Band {
  /** Log scale factor (nb) and step size (det). */
  nb = 0;
  det = 0;
  /** Signal estimate (s), its zero-section part (sz), last reconstructed signal (r). */
  s = 0;
  sz = 0;
  r = 0;
  /** Partially reconstructed signal, last two values (p[0] newest). */
  readonly p = new Int32Array(2);
  /** Pole coefficients a1, a2. */
  readonly a = new Int32Array(2);
  /** Zero coefficients b1..b6. */
  readonly b = new Int32Array(6);
  /** Quantized differences, d[0] newest; 7 so the update can read the one leaving. */
  readonly d = new Int32Array(7);

  constructor(private readonly detInit: number) {
    this.reset();
  }

  reset(): void {
    this.nb = 0;
    this.det = this.detInit;
    this.s = this.sz = this.r = 0;
    this.p.fill(0);
    this.a.fill(0);
    this.b.fill(0);
    this.d.fill(0);
  }

  /** Blocks 3L/3H LOGSCL + SCALEL: adapts the step size from the code's log multiplier. */
  adaptScale(multiplier: number, nbMax: number, shift: number): void {
    let nb = ((this.nb * 127) >> 7) + multiplier;
    if (nb < 0) nb = 0;
    else if (nb > nbMax) nb = nbMax;
    this.nb = nb;
    const frac = (nb >> 6) & 31;
    const e = shift - (nb >> 11);
    const det = e < 0 ? ILB[frac] << -e : ILB[frac] >> e;
    this.det = ((det << 2) << 16) >> 16;
  }

  /** Block 4: reconstruct, adapt the predictor (UPPOL2, UPPOL1, UPZERO) and predict the next sample. */
  predict(dx: number): void {
    const p0 = this.p[0];
    const p1 = this.p[1];
    const a0 = this.a[0];
    const a1 = this.a[1];
    const r = sat16(this.s + dx); // RECONS
    const p = sat16(this.sz + dx); // PARREC

    // UPPOL2: a2 <- a2 (1 - 2^-7) + 2^-7 sgn(p p2) - 2^-7 f(a1) sgn(p p1), |a2| <= 0.75.
    const fa1 = sat16(a0 << 2);
    let wd = signsDiffer(p, p0) ? fa1 : -fa1;
    if (wd > 32767) wd = 32767;
    let ap1 = (signsDiffer(p, p1) ? -128 : 128) + (wd >> 7) + ((a1 * 32512) >> 15);
    if (ap1 > 12288) ap1 = 12288;
    else if (ap1 < -12288) ap1 = -12288;

    // UPPOL1: a1 <- a1 (1 - 2^-8) + 3 2^-8 sgn(p p1), |a1| <= 1 - 2^-4 - a2.
    let ap0 = sat16((signsDiffer(p, p0) ? -192 : 192) + ((a0 * 32640) >> 15));
    const limit = sat16(15360 - ap1);
    if (ap0 > limit) ap0 = limit;
    else if (ap0 < -limit) ap0 = -limit;

    // FILTEP: pole section from the last two reconstructed values, with the new coefficients.
    const sp = sat16(((ap0 * sat16(r + r)) >> 15) + ((ap1 * sat16(this.r + this.r)) >> 15));
    this.r = r;
    this.a[0] = ap0;
    this.a[1] = ap1;
    this.p[1] = p0;
    this.p[0] = p;

    // UPZERO + DELAYA + FILTEZ: b_i <- b_i (1 - 2^-8) + 2^-7 sgn(d d_i), then the zero section.
    const d = this.d;
    const b = this.b;
    const step = dx === 0 ? 0 : 128;
    d[0] = dx;
    let sz = 0;
    for (let i = 5; i >= 0; i--) {
      const bi = sat16((signsDiffer(d[i + 1], dx) ? -step : step) + ((b[i] * 32640) >> 15));
      b[i] = bi;
      sz += (bi * sat16(d[i] + d[i])) >> 15;
      d[i + 1] = d[i];
    }
    this.sz = sat16(sz);
    this.s = sat16(sp + this.sz); // PREDIC
  }
}

/** A pcm/code array pair too short for the request. */
export class G722LengthError extends RangeError {
  readonly code = 'ERR_G722_LENGTH';
  constructor(message: string) {
    super(`G.722: ${message}`);
    this.name = 'G722LengthError';
  }
}

/** Ring of the last 12 QMF inputs per phase, stored twice so a window never wraps. */
class QmfRing {
  /** First and second sample of each pair (encoder: input order; decoder: rlow + rhigh, rlow - rhigh). */
  readonly first = new Int32Array(24);
  readonly second = new Int32Array(24);
  /** Index of the oldest pair once the newest is written. */
  ptr = 0;

  push(first: number, second: number): void {
    const i = this.ptr;
    this.first[i] = this.first[i + 12] = first;
    this.second[i] = this.second[i + 12] = second;
    this.ptr = i === 11 ? 0 : i + 1;
  }

  /** Sum over the window (oldest first) of `ring` x `coeffs`. */
  dot(ring: Int32Array, coeffs: Int32Array): number {
    const o = this.ptr;
    let acc = 0;
    for (let k = 0; k < 12; k++) acc += ring[o + k] * coeffs[k];
    return acc;
  }

  reset(): void {
    this.first.fill(0);
    this.second.fill(0);
    this.ptr = 0;
  }
}

/** One G.722 encoder stream (64 kbit/s): 16 kHz PCM in, one code byte per two samples out. */
export class G722Encoder {
  private readonly low = new Band(DET_LOW_INIT);
  private readonly high = new Band(DET_HIGH_INIT);
  private readonly qmf = new QmfRing();

  /**
   * Encodes the first `length` samples of `pcm` (even; default all) into `out`; returns the
   * bytes written (length / 2).
   */
  encode(pcm: Int16Array, out: Uint8Array, length = pcm.length): number {
    if (length % 2 !== 0 || length < 0 || length > pcm.length) throw new G722LengthError(`sample count ${length} must be even and at most ${pcm.length}`);
    const bytes = length >> 1;
    if (bytes > out.length) throw new G722LengthError(`${bytes} codes do not fit in ${out.length} bytes`);
    const qmf = this.qmf;
    for (let j = 0; j < bytes; j++) {
      // Transmit QMF: sums over 24 taps; >> 14 = the filters' DC gain (4096) x 2 (two halves)
      // x 2 (15-bit samples).
      qmf.push(pcm[2 * j], pcm[2 * j + 1]);
      const sumOdd = qmf.dot(qmf.first, QMF_FWD);
      const sumEven = qmf.dot(qmf.second, QMF_REV);
      out[j] = this.encodeBandSample((((sumEven + sumOdd) >> 14) << 16) >> 16, (((sumEven - sumOdd) >> 14) << 16) >> 16);
    }
    return bytes;
  }

  /**
   * Encodes sub-band signals directly, bypassing the transmit QMF: `low[i]`, `high[i]` are the
   * 8 kHz band samples (15-bit, as decodeBands writes them) of code i; returns `length` codes.
   * For transcoding in the band domain (a decoder's bands, clamped, re-encoded) without the two
   * QMFs' delay. The QMF history is left as it is.
   */
  encodeBands(low: Int16Array, high: Int16Array, out: Uint8Array, length = low.length): number {
    if (length < 0 || length > low.length || length > high.length || length > out.length) throw new G722LengthError(`${length} band samples need low, high and out of that length`);
    for (let j = 0; j < length; j++) out[j] = this.encodeBandSample(low[j], high[j]);
    return length;
  }

  /** One code from one low and one high band sample (blocks 1L-4L, 1H-4H). */
  private encodeBandSample(xlow: number, xhigh: number): number {
    const low = this.low;
    const high = this.high;
    // Low band: SUBTRA, QUANTL (magnitude as one's complement for negatives), INVQAL.
    const el = sat16(xlow - low.s);
    const mag = el >= 0 ? el : ~el;
    let i = 1;
    while (i < 30 && mag >= (Q6[i] * low.det) >> 12) i++;
    const ilow = el < 0 ? ILN[i] : ILP[i];
    const ril = ilow >> 2;
    const dlow = (((low.det * QM4[ril]) >> 15) << 16) >> 16;
    low.adaptScale(WL[RL42[ril]], NB_LOW_MAX, 8);
    low.predict(dlow);

    // High band: SUBTRA, QUANTH (one decision level), INVQAH.
    const eh = sat16(xhigh - high.s);
    const hmag = eh >= 0 ? eh : ~eh;
    const mih = hmag >= (564 * high.det) >> 12 ? 2 : 1;
    const ihigh = eh < 0 ? IHN[mih] : IHP[mih];
    const dhigh = (((high.det * QM2[ihigh]) >> 15) << 16) >> 16;
    high.adaptScale(WH[RH2[ihigh]], NB_HIGH_MAX, 10);
    high.predict(dhigh);

    return (ihigh << 6) | ilow;
  }

  reset(): void {
    this.low.reset();
    this.high.reset();
    this.qmf.reset();
  }
}

/** One G.722 decoder stream (64 kbit/s): code bytes in, two 16 kHz samples per byte out. */
export class G722Decoder {
  private readonly low = new Band(DET_LOW_INIT);
  private readonly high = new Band(DET_HIGH_INIT);
  private readonly qmf = new QmfRing();

  /** Reconstructed band samples of the last code decoded (15-bit). */
  private rlow = 0;
  private rhigh = 0;

  /** Decodes the first `length` codes (default all) into `out`; returns the samples written (2 x length). */
  decode(codes: Uint8Array, out: Int16Array, length = codes.length): number {
    if (length < 0 || length > codes.length) throw new G722LengthError(`code count ${length} exceeds ${codes.length}`);
    if (2 * length > out.length) throw new G722LengthError(`${2 * length} samples do not fit in ${out.length}`);
    const qmf = this.qmf;
    for (let j = 0; j < length; j++) {
      this.decodeCode(codes[j]);
      // Receive QMF: >> 11 = the filters' DC gain (4096) / 2 (15-bit samples back to 16).
      qmf.push(sat16(this.rlow + this.rhigh), sat16(this.rlow - this.rhigh));
      out[2 * j] = sat16(qmf.dot(qmf.second, QMF_REV) >> 11);
      out[2 * j + 1] = sat16(qmf.dot(qmf.first, QMF_FWD) >> 11);
    }
    return 2 * length;
  }

  /**
   * Decodes into the two sub-band signals at 8 kHz, one sample of each per code: the
   * reconstructed low band (0-4 kHz) and high band (4-8 kHz, spectrum inverted), 15-bit (x 2 for
   * 16-bit scale). The low band is the signal at 8 kHz the way the codec itself splits it: what
   * a narrowband consumer (the DTMF detector) reads without a resampler and its delay. The QMF
   * history is kept up to date, so decode() may follow on the same stream.
   */
  decodeBands(codes: Uint8Array, low: Int16Array, high: Int16Array, length = codes.length): number {
    if (length < 0 || length > codes.length || length > low.length || length > high.length) throw new G722LengthError(`${length} codes need low and high of that length`);
    const qmf = this.qmf;
    for (let j = 0; j < length; j++) {
      this.decodeCode(codes[j]);
      low[j] = this.rlow;
      high[j] = this.rhigh;
      qmf.push(sat16(this.rlow + this.rhigh), sat16(this.rlow - this.rhigh));
    }
    return length;
  }

  /** Blocks 5L/6L, 2L-4L (low band) and 2H-6H (high band) for one code: sets rlow and rhigh. */
  private decodeCode(code: number): void {
    const low = this.low;
    const high = this.high;
    const ilow = code & 0x3f;
    const ihigh = (code >> 6) & 0x03;

    // Low band: INVQBL with the full 6 bits gives the output; adaptation uses the top 4 bits.
    this.rlow = sat15(low.s + ((low.det * QM6[ilow]) >> 15));
    const ril = ilow >> 2;
    const dlow = (((low.det * QM4[ril]) >> 15) << 16) >> 16;
    low.adaptScale(WL[RL42[ril]], NB_LOW_MAX, 8);
    low.predict(dlow);

    // High band: INVQAH, RECONS, LIMIT.
    const dhigh = (((high.det * QM2[ihigh]) >> 15) << 16) >> 16;
    this.rhigh = sat15(dhigh + high.s);
    high.adaptScale(WH[RH2[ihigh]], NB_HIGH_MAX, 10);
    high.predict(dhigh);
  }

  reset(): void {
    this.low.reset();
    this.high.reset();
    this.qmf.reset();
    this.rlow = this.rhigh = 0;
  }
}
