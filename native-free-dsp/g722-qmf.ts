// The G.722 quadrature mirror filters (24 taps, G.722 Table 11): the encoder's splits 16 kHz PCM
// into two 8 kHz bands, the decoder's joins them again. Stored as two 12-tap halves (even and odd
// coefficients) over a ring of the last 12 sample pairs; the first samples of the pairs always go
// through one half, the second through the other.

/** QMF coefficients (G.722 Table 11), the even/odd halves as the ring is read, oldest first. */
const QMF_FWD = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);
const QMF_REV = Int32Array.of(-11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3);

/** Ring of the last 12 QMF inputs per phase, stored twice so a window never wraps. */
export class QmfRing {
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

  /** The first samples' window (oldest first) through the odd-coefficient half. */
  sumFirst(): number {
    const ring = this.first;
    const o = this.ptr;
    let acc = 0;
    for (let k = 0; k < 12; k++) acc += ring[o + k] * QMF_FWD[k];
    return acc;
  }

  /** The second samples' window (oldest first) through the even-coefficient half. */
  sumSecond(): number {
    const ring = this.second;
    const o = this.ptr;
    let acc = 0;
    for (let k = 0; k < 12; k++) acc += ring[o + k] * QMF_REV[k];
    return acc;
  }

  reset(): void {
    this.first.fill(0);
    this.second.fill(0);
    this.ptr = 0;
  }
}
