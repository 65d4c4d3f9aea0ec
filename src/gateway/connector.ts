// The boundary between the payment dialog and a payment gateway. The dialog builds one
// ChargeRequest per attempt (a fresh idempotency key each time the caller submits a card; the
// same key for every retry of that submission) and gets exactly one ChargeOutcome back.

/** Card data as ASCII digit bytes, so the owner can zero it when the payment ends (strings cannot be wiped). */
export type SecretDigits = Uint8Array;

export interface ChargeRequest {
  /** One per payment attempt; a gateway seeing it again must answer the first answer, never charge again. */
  readonly idempotencyKey: string;
  /** Minor units (pence, cents): integer. */
  readonly amountMinor: number;
  /** ISO 4217, e.g. GBP; decides the decimal places of the decimal amount. */
  readonly currency: string;
  readonly pan: SecretDigits;
  readonly expiryMonth: number; // 1-12
  readonly expiryYear: number; // four digits
  /** null when the card type asks for none. */
  readonly securityCode: SecretDigits | null;
  readonly merchantId: string | null;
  readonly reference: string | null;
  readonly customerId: string;
  readonly description: string | null;
}

export type ChargeOutcome =
  | { readonly kind: 'approved'; readonly transactionId: string; readonly authCode: string | null }
  /** reason: short machine reason such as `do-not-honour`, `insufficient-funds`. */
  | { readonly kind: 'declined'; readonly reason: string; readonly code: string | null }
  /**
   * reason: e.g. `timeout`, `connection-refused`, `tls`, `http-503`, `bad-response`.
   * outcomeUnknown: the request may have reached the gateway (timeout after sending): the
   * payment may have been taken, so it is never retried as a new charge.
   */
  | { readonly kind: 'error'; readonly reason: string; readonly outcomeUnknown: boolean };

export interface PaymentConnector {
  /** Never throws for gateway faults: every fault is an `error` outcome. */
  charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeOutcome>;
  close(): Promise<void>;
}
