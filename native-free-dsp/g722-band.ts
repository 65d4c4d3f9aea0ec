// The ADPCM state of one G.722 sub-band (G.722 §3.4-3.6; encoder and decoder keep the same): the
// scale factor adaptation (blocks LOGSCL, SCALEL/SCALEH) and the pole-zero predictor updated by
// sign-sign LMS (UPPOL1, UPPOL2, UPZERO, FILTEP, FILTEZ), in the reference's 16-bit fixed point.
// No allocation after construction.

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

/** Saturated to 16 bits, as the reference's arithmetic is. */
export function sat16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/** True when two 16-bit values differ in sign (bit 15; zero counts as positive). */
function signsDiffer(x: number, y: number): boolean {
  return ((x ^ y) & 0x8000) !== 0;
}

/** The ADPCM state of one sub-band (encoder and decoder keep the same, G.722 §3.4-3.6). */
export class Band {
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
