// Card data while it is being keyed in: ASCII digits in a fixed Uint8Array that is zeroed when
// the field restarts and when the payment ends (strings cannot be wiped; PCI DSS 3.2/3.5 keep
// sensitive authentication data out of anything that outlives the payment). A spoken digit may
// carry the recogniser's next-best digit and its odds, kept beside it and zeroed with it.

const ZERO = 0x30;

/** The recogniser's next-best reading of a spoken digit: its posterior over the chosen digit's. */
export interface DigitAlternative {
  readonly digit: string;
  readonly odds: number;
}

export class SecretDigits {
  readonly #bytes: Uint8Array;
  /** Per digit: the next-best digit (ASCII) of a spoken one, 0 for none. */
  readonly #alternatives: Uint8Array;
  readonly #odds: Float32Array;
  #length = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity);
    this.#alternatives = new Uint8Array(capacity);
    this.#odds = new Float32Array(capacity);
  }

  get length(): number {
    return this.#length;
  }

  get capacity(): number {
    return this.#bytes.length;
  }

  /** Appends one decimal digit (with a spoken digit's alternative); false when full (the digit is not kept). */
  push(digit: string, alternative?: DigitAlternative): boolean {
    const code = digitCode(digit);
    const alt = alternative === undefined ? 0 : digitCode(alternative.digit);
    if (alternative !== undefined && !(alternative.odds >= 0 && alternative.odds <= 1)) throw new RangeError('odds must be within 0..1');
    if (this.#length >= this.#bytes.length) return false;
    this.#alternatives[this.#length] = alt;
    this.#odds[this.#length] = alternative?.odds ?? 0;
    this.#bytes[this.#length++] = code;
    return true;
  }

  /** The next-best digit value (0-9) at index and its odds, or null (keyed, or none given). */
  alternativeAt(index: number): { readonly digit: number; readonly odds: number } | null {
    if (index < 0 || index >= this.#length) throw new RangeError('index outside the digits');
    const alt = this.#alternatives[index];
    return alt === 0 ? null : { digit: alt - ZERO, odds: this.#odds[index] };
  }

  /** Swaps the digit at index with its alternative (a second swap undoes the first); false when it has none. */
  swapAlternative(index: number): boolean {
    if (index < 0 || index >= this.#length) throw new RangeError('index outside the digits');
    const alt = this.#alternatives[index];
    if (alt === 0) return false;
    this.#alternatives[index] = this.#bytes[index];
    this.#bytes[index] = alt;
    return true;
  }

  /** The digit value (0-9) at index. */
  at(index: number): number {
    if (index < 0 || index >= this.#length) throw new RangeError('index outside the digits');
    return this.#bytes[index] - ZERO;
  }

  /** A view (not a copy) of the digits, for the gateway request; zeroed with the buffer. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** The value of digits [start, end) as a number (for short fields: expiry month and year). */
  numberAt(start: number, end: number): number {
    let value = 0;
    for (let i = start; i < end; i++) value = value * 10 + this.at(i);
    return value;
  }

  /** The last four digits, the only part that may be shown (PCI DSS 3.4). '' when shorter. */
  lastFour(): string {
    if (this.#length < 4) return '';
    return String.fromCharCode(...this.#bytes.subarray(this.#length - 4, this.#length));
  }

  /**
   * Whether the first `prefix` digits (all of them when shorter) occur in a row among the digits
   * of `text`, whatever separates them there ("4111 1111-1111..."): a gateway value echoing the
   * card. Compares in place, so no copy of the digits is made; false when empty.
   */
  prefixFoundIn(text: string, prefix: number): boolean {
    const n = Math.min(prefix, this.#length);
    if (n === 0) return false;
    const hay: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= ZERO && c <= ZERO + 9) hay.push(c);
    }
    for (let start = 0; start + n <= hay.length; start++) {
      let i = 0;
      while (i < n && hay[start + i] === this.#bytes[i]) i++;
      if (i === n) return true;
    }
    return false;
  }

  /** Zeroes every byte, not only the used ones, alternatives too. */
  clear(): void {
    this.#bytes.fill(0);
    this.#alternatives.fill(0);
    this.#odds.fill(0);
    this.#length = 0;
  }

  /** Copies another buffer's digits in, not their alternatives (zeroing this one first). */
  copyFrom(other: SecretDigits): void {
    this.clear();
    this.#bytes.set(other.view());
    this.#length = other.length;
  }

  /** Never the digits, whatever prints this object. */
  toString(): string {
    return `[SecretDigits length=${this.#length}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function digitCode(digit: string): number {
  const code = digit.charCodeAt(0);
  if (digit.length !== 1 || code < ZERO || code > ZERO + 9) throw new RangeError('not a decimal digit');
  return code;
}
