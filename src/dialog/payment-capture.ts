// What one payment has captured: the amount, and the card in zeroable SecretDigits buffers (its
// number, the expiry as keyed, the security code) beside the digits of the field being keyed.
// These buffers are the only place card data lives in the dialog. The PaymentSession that owns
// this object forgets a declined card and wipes the buffers when the payment ends; what leaves
// here is masked (card type and last four digits at most), except the views the charge request
// borrows and the expiry the readback says to the caller alone.
import { MAX_PAN_LENGTH, type CardType, type Expiry } from './card-checks.js';
import type { DialogConfig } from './dialog-config.js';
import type { FieldValue } from './field-checks.js';
import { formatMinor } from './money.js';
import { SecretDigits } from './secret-digits.js';
import type { MaskedCapture } from './session-events.js';
import type { CaptureField, FieldInput } from './vocabulary.js';

export class PaymentCapture {
  readonly #config: DialogConfig;
  /** The card digits of the field being keyed; cleared whenever a field or menu is entered. */
  readonly entry = new SecretDigits(MAX_PAN_LENGTH);
  /** The captured card number; the charge request borrows a view, the gateway screen reads it in place. */
  readonly pan = new SecretDigits(MAX_PAN_LENGTH);
  readonly #expiryDigits = new SecretDigits(4);
  /** The captured security code; the charge request borrows a view. */
  readonly securityCode = new SecretDigits(4);
  /** Minor units (e.g. pence). */
  amountMinor: number | null = null;
  #card: CardType | null = null;
  #last4: string | null = null;
  #panLength = 0;
  /** The type of the last card captured, kept for the record after a declined card is forgotten. */
  #lastCardType: string | null = null;
  #expiry: Expiry | null = null;
  readonly #fieldInputs: { for: CaptureField; input: FieldInput }[] = [];

  constructor(config: DialogConfig) {
    this.#config = config;
  }

  get card(): CardType | null {
    return this.#card;
  }

  get last4(): string | null {
    return this.#last4;
  }

  get lastCardType(): string | null {
    return this.#lastCardType;
  }

  get expiry(): Expiry | null {
    return this.#expiry;
  }

  /** How each captured field was filled, in capture order (a copy). */
  get fieldInputs(): { for: CaptureField; input: FieldInput }[] {
    return this.#fieldInputs.map((f) => ({ ...f }));
  }

  /** Whether the card needs a security code (config, per card type); asked for before the card number is known. */
  needsSecurityCode(): boolean {
    if (!this.#config.securityCode) return false;
    if (this.#card === null) return true;
    return this.#config.fieldsByType[this.#card.type]?.securityCode ?? true;
  }

  /** The fields still to capture, in flow order. */
  missing(): CaptureField[] {
    const out: CaptureField[] = [];
    if (this.amountMinor === null) out.push('charge-amount');
    if (this.#card === null) out.push('payment-card-number');
    if (this.#expiry === null) out.push('expiration-date');
    if (this.needsSecurityCode() && this.securityCode.length === 0) out.push('security-code');
    return out;
  }

  /** Keeps a checked field; card fields copy their digits from `entry`. */
  accept(value: FieldValue): void {
    switch (value.field) {
      case 'charge-amount':
        this.amountMinor = value.minor;
        return;
      case 'payment-card-number':
        this.pan.copyFrom(this.entry);
        this.#card = value.card;
        this.#last4 = this.pan.lastFour();
        this.#panLength = this.pan.length;
        this.#lastCardType = value.card.type;
        // A security code keyed for another card type (3 digits, now an Amex) is asked again.
        if (!this.needsSecurityCode() || this.securityCode.length !== value.card.securityCodeSize) this.securityCode.clear();
        return;
      case 'expiration-date':
        this.#expiryDigits.copyFrom(this.entry);
        this.#expiry = value.expiry;
        return;
      case 'security-code':
        this.securityCode.copyFrom(this.entry);
        return;
    }
  }

  /** How `field` was filled (its latest capture replaces an earlier one). */
  noteInput(field: CaptureField, input: FieldInput): void {
    const at = this.#fieldInputs.findIndex((f) => f.for === field);
    if (at >= 0) this.#fieldInputs.splice(at, 1);
    this.#fieldInputs.push({ for: field, input });
  }

  /** What has been captured so far, masked as in the status events. */
  masked(currency: string): MaskedCapture {
    const amount = this.amountMinor;
    return {
      paymentCardNumber: this.#last4 === null ? null : 'x'.repeat(Math.max(0, this.#panLength - 4)) + this.#last4,
      paymentCardType: this.#card?.type ?? null,
      expirationDate: this.#expiry === null ? null : 'xxxx',
      securityCode: this.securityCode.length === 0 ? null : 'x'.repeat(this.securityCode.length),
      chargeAmount: amount === null ? null : formatMinor(amount, currency),
      required: this.missing(),
      fieldInputs: this.fieldInputs,
    };
  }

  /** A declined card: its number, expiry and code are forgotten before the caller keys another. */
  forgetCard(): void {
    this.wipe();
    this.#card = null;
    this.#last4 = null;
    this.#panLength = 0;
  }

  /** Zeroes every card buffer (the payment has ended); the card type and last four stay for the result. */
  wipe(): void {
    this.pan.clear();
    this.#expiryDigits.clear();
    this.securityCode.clear();
    this.entry.clear();
    this.#expiry = null;
  }
}
