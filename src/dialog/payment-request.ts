// The payment's inputs (docs/integration.md): from the SIP headers of the transferred
// call (automated) or the HTTP API body (agent-assisted), parsed once at the edge into a typed
// PaymentRequest.
import { z } from 'zod';
import { CodedError } from '../errors.js';
import type { DialogConfig } from './dialog-config.js';
import { minorDigits, parseDecimalAmount } from './money.js';
import { parsePaymentInput, type PaymentInput, type PaymentMode } from './vocabulary.js';

export interface PaymentRequest {
  readonly sessionId: string;
  readonly callId: string;
  readonly mode: PaymentMode;
  /** null: the caller is not identified (ID&V route). */
  readonly customerId: string | null;
  /** The amount or outstanding balance, minor units; null: the caller enters one. */
  readonly amountMinor: number | null;
  readonly currency: string;
  readonly merchantId: string | null;
  readonly reference: string | null;
  readonly description: string | null;
  /** How the caller may give the fields; agent-assisted is always `dtmf`. */
  readonly input: PaymentInput;
}

/**
 * Messages name the field, never its value: a misconfigured IVR could put card data in any header.
 */
export class PaymentRequestError extends CodedError<'ERR_PAYMENT_REQUEST'> {
  constructor(message: string) {
    super('ERR_PAYMENT_REQUEST', message);
  }
}

/** Header values and API fields: printable, short (they end up in headers, logs and KPI rows). */
const text = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[\x20-\x7e]+$/, 'printable ASCII');

/** The payment parameters of `POST /calls/:id/payments` (also its OpenAPI description). */
export const apiBody = z.object({
  customerId: text.optional(),
  amount: z.union([z.string(), z.number()]).optional(),
  currency: z.string().optional(),
  merchantId: text.optional(),
  reference: text.optional(),
  description: z.string().max(255).optional(),
  callType: z.enum(['conference', 'automated']).optional(),
  /** Twilio's `input`: `dtmf`, `speech` or `dtmf speech`. */
  input: z.string().max(32).optional(),
});

export interface RequestIds {
  readonly sessionId: string;
  readonly callId: string;
}

function build(ids: RequestIds, fields: z.infer<typeof apiBody>, defaultMode: PaymentMode, config: DialogConfig): PaymentRequest {
  const currency = (fields.currency ?? config.currency).trim().toUpperCase();
  if (minorDigits(currency) === null) throw new PaymentRequestError('currency: not an ISO 4217 code');
  let amountMinor: number | null = null;
  if (fields.amount !== undefined && String(fields.amount).trim() !== '') {
    amountMinor = parseDecimalAmount(String(fields.amount), currency);
    if (amountMinor === null) throw new PaymentRequestError(`amount: not a decimal amount in ${currency}`);
  }
  const mode: PaymentMode = fields.callType === 'conference' ? 'agent-assisted' : fields.callType === 'automated' ? 'automated' : defaultMode;
  let input: PaymentInput = mode === 'automated' ? config.input : 'dtmf';
  if (fields.input !== undefined) {
    const asked = parsePaymentInput(fields.input);
    if (asked === null) throw new PaymentRequestError('input: not dtmf, speech or "dtmf speech"');
    // The agent hears the caller: a spoken card number would reach the agent leg (keypad only).
    if (mode === 'agent-assisted' && asked !== 'dtmf') throw new PaymentRequestError('input: agent-assisted payments are keypad-only');
    input = asked;
  }
  return {
    ...ids,
    mode,
    customerId: fields.customerId ?? null,
    amountMinor,
    currency,
    merchantId: fields.merchantId ?? null,
    reference: fields.reference ?? null,
    description: fields.description ?? config.description,
    input,
  };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

/**
 * From the INVITE's `X-Payment-*` headers (names case-insensitive). Automated unless
 * `X-Payment-Call-Type: conference`.
 */
export function paymentRequestFromHeaders(headers: Readonly<Record<string, string>>, ids: RequestIds, config: DialogConfig): PaymentRequest {
  const get = (name: string): string | undefined => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : headers[key]?.trim();
    return value === '' ? undefined : value;
  };
  const fields = {
    customerId: get('X-Payment-Customer-Id'),
    amount: get('X-Payment-Amount'),
    currency: get('X-Payment-Currency'),
    merchantId: get('X-Payment-Merchant-Id'),
    reference: get('X-Payment-Reference'),
    callType: get('X-Payment-Call-Type')?.toLowerCase(),
    input: get('X-Payment-Input'),
  };
  const parsed = apiBody.safeParse(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
  if (!parsed.success) throw new PaymentRequestError(`X-Payment headers: ${issues(parsed.error)}`);
  return build(ids, parsed.data, 'automated', config);
}

/** From the HTTP API body (`POST /calls/:id/payments`). Agent-assisted unless `callType: automated`. */
export function paymentRequestFromApi(body: unknown, ids: RequestIds, config: DialogConfig): PaymentRequest {
  const parsed = apiBody.safeParse(body ?? {});
  if (!parsed.success) throw new PaymentRequestError(`payment request: ${issues(parsed.error)}`);
  return build(ids, parsed.data, 'agent-assisted', config);
}
