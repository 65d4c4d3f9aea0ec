// Twilio <Pay> / Payments API options, for integrators who already speak them (the agent's
// desktop `POST /calls/:id/payments` body may carry them): mapped onto this dialog's
// configuration overrides and request fields. Twilio names and units: `timeout` in seconds,
// `validCardTypes` space-separated with Twilio's card names (`amex`, `diners-club` ...).
import { z } from 'zod';
import { PaymentRequestError } from './payment-request.js';

/** Twilio card names to credit-card-type names (Twilio's `optima` and `enroute` have no equivalent). */
const TWILIO_CARD_NAMES: Readonly<Record<string, string>> = {
  visa: 'visa',
  mastercard: 'mastercard',
  amex: 'american-express',
  'american-express': 'american-express',
  discover: 'discover',
  'diners-club': 'diners-club',
  jcb: 'jcb',
  maestro: 'maestro',
  unionpay: 'unionpay',
};

const twilioPayOptions = z.object({
  validCardTypes: z.union([z.string(), z.array(z.string())]).optional(),
  maxAttempts: z.number().int().min(1).max(10).optional(),
  /** Seconds. */
  timeout: z.number().positive().max(600).optional(),
  securityCode: z.boolean().optional(),
  currency: z.string().optional(),
  chargeAmount: z.union([z.string(), z.number()]).optional(),
  description: z.string().max(255).optional(),
});

export interface MappedPayOptions {
  /** Overrides for parseDialogConfig (merge over the server's dialog config). */
  readonly config: Record<string, unknown>;
  /** Fields for paymentRequestFromApi (amount, currency, description). */
  readonly request: Record<string, unknown>;
}

export function mapTwilioPayOptions(raw: unknown): MappedPayOptions {
  const parsed = twilioPayOptions.safeParse(raw ?? {});
  if (!parsed.success) throw new PaymentRequestError(`pay options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const config: Record<string, unknown> = {};
  const request: Record<string, unknown> = {};
  if (o.validCardTypes !== undefined) {
    const names = (Array.isArray(o.validCardTypes) ? o.validCardTypes : o.validCardTypes.split(/\s+/)).filter((n) => n !== '');
    const mapped = names.map((n) => TWILIO_CARD_NAMES[n.toLowerCase()]);
    if (mapped.length === 0 || mapped.some((m) => m === undefined)) throw new PaymentRequestError('pay options: validCardTypes: unknown card type name');
    config.validCardTypes = [...new Set(mapped)];
  }
  if (o.maxAttempts !== undefined) config.maxAttempts = o.maxAttempts;
  if (o.timeout !== undefined) config.timeouts = { firstDigitMs: Math.round(o.timeout * 1000) };
  if (o.securityCode !== undefined) config.securityCode = o.securityCode;
  if (o.currency !== undefined) request.currency = o.currency.toUpperCase();
  if (o.chargeAmount !== undefined) request.amount = o.chargeAmount;
  if (o.description !== undefined) {
    config.description = o.description;
    request.description = o.description;
  }
  return { config, request };
}
