// The payment vocabulary shared by the dialog, the gateway, the KPIs, the APIs and the widget.
// Words follow Twilio <Pay> and its agent-assisted Payments API where they exist (integrators
// know them), plus toneguard's own results (`not-identified`, `transferred-to-agent`, and
// `cancelled`: the agent cancelled the payment or hung up).

/** How the payment runs: the IVR transferred the call (automated) or an agent stays on it. */
export type PaymentMode = 'automated' | 'agent-assisted';
export const PAYMENT_MODES: readonly PaymentMode[] = ['automated', 'agent-assisted'];

/** `X-Payment-Result` values and the KPI `result` label. */
export const PAYMENT_RESULTS = [
  'success',
  'too-many-failed-attempts',
  'payment-connector-error',
  'caller-interrupted-with-star',
  'caller-hung-up',
  'validation-error',
  'internal-error',
  'not-identified',
  'transferred-to-agent',
  'cancelled',
] as const;
export type PaymentResult = (typeof PAYMENT_RESULTS)[number];

/** Steps of the flow in order: the KPI funnel counts sessions that reached each one. */
export const PAYMENT_STEPS = ['amount', 'card-number', 'expiry', 'security-code', 'confirmation', 'processing', 'result'] as const;
export type PaymentStep = (typeof PAYMENT_STEPS)[number];

/** Twilio's `for` in status events: what is being collected. `charge-amount` is ours (caller-entered amount). */
export const CAPTURE_FIELDS = ['charge-amount', 'payment-card-number', 'expiration-date', 'security-code', 'payment-processing'] as const;
export type CaptureField = (typeof CAPTURE_FIELDS)[number];

/** Twilio's `errorType`, plus `invalid-amount` for caller-entered amounts out of range. */
export const ERROR_TYPES = ['input-timeout', 'invalid-card-number', 'invalid-card-type', 'invalid-date', 'invalid-security-code', 'invalid-amount'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/**
 * How the caller may give the payment's fields (Twilio <Pay>'s `input`): keys, speech, or both.
 * Agent-assisted payments are always keypad-only.
 */
export const PAYMENT_INPUTS = ['dtmf', 'speech', 'dtmf speech'] as const;
export type PaymentInput = (typeof PAYMENT_INPUTS)[number];

/** How one field was filled: keyed, spoken, or both within the field. Never its content. */
export type FieldInput = PaymentInput;

/**
 * `dtmf`, `speech`, `dtmf speech` (either order, any case, spaces or commas between): the
 * canonical value, or null for anything else (an unknown word, empty, repeated garbage).
 */
export function parsePaymentInput(text: string): PaymentInput | null {
  const words = text
    .trim()
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  if (words.length === 0 || words.length > 2 || words.some((w) => w !== 'dtmf' && w !== 'speech')) return null;
  const dtmf = words.includes('dtmf');
  const speech = words.includes('speech');
  return dtmf && speech ? 'dtmf speech' : dtmf ? 'dtmf' : 'speech';
}

/** Where a digit came from (the detector's in-band tones, RFC 4733 events, SIP INFO). */
export type DigitSource = 'rfc4733' | 'inband' | 'sip-info';

/** One key press as the dialog receives it (merged and deduplicated across sources). */
export interface DialogDigit {
  readonly digit: string; // one of 0-9 * # A-D
  readonly source: DigitSource;
  /** Wall-clock ms (Date.now() scale) of the key's start. */
  readonly atMs: number;
}

/**
 * One finished payment session, as the KPI store keeps it. Never card data: at most the card
 * type (credit-card-type name, e.g. `visa`), which is not cardholder data.
 */
export interface PaymentSessionRecord {
  readonly sessionId: string;
  readonly callId: string;
  readonly mode: PaymentMode;
  readonly merchantId: string | null;
  readonly cardType: string | null;
  readonly currency: string;
  /** Amount charged or asked for, minor units (e.g. pence); null when never known. */
  readonly amountMinor: number | null;
  readonly result: PaymentResult;
  /** Gateway decline/error reason or other short machine reason; never card data. */
  readonly reason: string | null;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Every step the session reached, in flow order, each once. */
  readonly stepsReached: readonly PaymentStep[];
  /** The step the caller hung up in, when result is `caller-hung-up`. */
  readonly hangupStep: PaymentStep | null;
  /** Cards submitted to the gateway (payment attempts). */
  readonly attempts: number;
  /** Validation and timeout errors, one entry per occurrence. */
  readonly fieldErrors: readonly { readonly for: CaptureField; readonly errorType: ErrorType }[];
  /** How each field captured was filled (the last capture of a field counts), in capture order. */
  readonly fieldInputs?: readonly { readonly for: CaptureField; readonly input: FieldInput }[];
}
