// What a PaymentSession tells the integrator: its events (prompts to play, masked progress, the
// flow's moves, the action on the call, the result) and its answers to commands. Types only: call
// control, the HTTP API and the widget depend on these, not on the session's workings. Every
// value is masked (card type and last four digits at most).
import type { Transition } from './flow.js';
import type { PromptPlan } from './prompts/compose.js';
import type { CaptureField, ErrorType, FieldInput, PaymentResult, PaymentSessionRecord } from './vocabulary.js';

/** Twilio-like status event: what is being collected, which attempt, what went wrong; masked values only. */
export interface PaymentStatus {
  readonly sessionId: string;
  readonly for: CaptureField;
  /** 1-based: the attempt at this field (payment-processing: the card submission). */
  readonly attempt: number;
  readonly errorType: ErrorType | null;
  /** `xxxxxxxxxxxx1111` once a card number is captured (last four only). */
  readonly paymentCardNumber: string | null;
  readonly paymentCardType: string | null;
  /** `xxxx` once captured: the expiry itself is never shown. */
  readonly expirationDate: string | null;
  /** `xxx` / `xxxx` once captured. */
  readonly securityCode: string | null;
  /** Decimal, e.g. `125.50`, once known. */
  readonly chargeAmount: string | null;
  /** Fields still to capture. */
  readonly required: readonly CaptureField[];
  /** How each field captured so far was filled (`dtmf`, `speech`, `dtmf speech`); never its content. */
  readonly fieldInputs: readonly { readonly for: CaptureField; readonly input: FieldInput }[];
}

/** The masked captured values of a status event. */
export type MaskedCapture = Pick<PaymentStatus, 'paymentCardNumber' | 'paymentCardType' | 'expirationDate' | 'securityCode' | 'chargeAmount' | 'required' | 'fieldInputs'>;

export type DialogAction =
  /** REFER the caller: back to the IVR (`return`), to an agent with the context (`agent`), or to ID&V. */
  | { readonly kind: 'refer'; readonly purpose: 'return' | 'agent' | 'idv'; readonly uri: string; readonly headers: Readonly<Record<string, string>>; readonly fallback: DialogAction | null }
  /** End the call with the result headers on the BYE. */
  | { readonly kind: 'bye'; readonly headers: Readonly<Record<string, string>> }
  /** Agent-assisted: leave secure mode; the headers are the result for the agent. */
  | { readonly kind: 'secure-off'; readonly headers: Readonly<Record<string, string>> }
  /** The caller has gone: nothing to do on the call. */
  | { readonly kind: 'none' };

export interface PaymentSessionResult {
  readonly result: PaymentResult;
  readonly reason: string | null;
  readonly transactionId: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly action: DialogAction;
  readonly record: PaymentSessionRecord;
}

export type PaymentSessionEvents = {
  prompt: [PromptPlan];
  status: [PaymentStatus];
  transition: [Transition];
  action: [DialogAction];
  result: [PaymentSessionResult];
  /** A gateway value held the card number (or its first 12 digits) and was dropped; the value is never given. */
  'gateway-value-dropped': [{ readonly field: 'transaction-id' | 'reason' }];
};

/** What an agent command did: refused commands say why (a short code, never card data). */
export type CommandResult = { readonly accepted: true } | { readonly accepted: false; readonly reason: string; readonly missing?: readonly CaptureField[] };
