// ITU-T G.722 (09/2012) sub-band ADPCM at 64 kbit/s (mode 1): 16 kHz 16-bit linear PCM <-> one
// 8-bit code per pair of samples (6 bits low band, 2 bits high band), fixed-point and bit-exact
// with the ITU-T reference algorithm as spandsp's g722.c implements it.
//
// Structure (G.722 §3, block numbers of Figures 4-9 in the comments):
// - a 24-tap QMF splits the 16 kHz input into a low band (0-4 kHz) and a high band (4-8 kHz),
//   each at 8 kHz; the decoder's QMF joins them again (g722-qmf.ts);
// - each band is ADPCM: an adaptive quantizer (6-bit low, 2-bit high, here) of the difference
//   between the band signal and a pole-zero predictor (2 poles, 6 zeros) updated by sign-sign
//   LMS (the band's state: g722-band.ts).
// The arithmetic is the reference's 16-bit fixed point: products shifted by 15, sums saturated
// to [-32768, 32767], reconstructed band signals limited to 15 bits (the input's top bit is
// dropped: the algorithm works on 15-bit samples). The decoder's output saturates at 16 bits as
// the reference does (spandsp 0.0.6 casts there instead, wrapping a sample that overshoots full
// scale to the other sign; everything else is identical).
//
// A decoder must see every code of its stream in order, and an encoder's output is decodable only
// from the first code it wrote: one state object per stream and direction, reset() on a new one.
// No allocation after construction.
import { Band, sat16 } from './g722-band.js';
import { QmfRing } from './g722-qmf.js';

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

function sat15(x: number): number {
  return x > 16383 ? 16383 : x < -16384 ? -16384 : x;
}

/** A pcm/code array pair too short for the request. */
export class G722LengthError extends RangeError {
  readonly code = 'ERR_G722_LENGTH';
  constructor(message: string) {
    super(`G.722: ${message}`);
    this.name = 'G722LengthError';
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
      const sumOdd = qmf.sumFirst();
      const sumEven = qmf.sumSecond();
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
      out[2 * j] = sat16(qmf.sumSecond() >> 11);
      out[2 * j + 1] = sat16(qmf.sumFirst() >> 11);
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
