// The payment dialog's configuration, validated at the edge (zod): every key has a default, so
// `parseDialogConfig({})` is a working configuration. Option names follow Twilio <Pay> where it
// has one (validCardTypes, maxAttempts, timeout, securityCode, currency, description).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CodedError } from '../errors.js';
import { parsePaymentInput, type PaymentInput } from './vocabulary.js';

/** The prompt set committed with the project (fixtures/prompts/make.mjs generates it). */
export const DEFAULT_PROMPT_DIR = packageRootPath('fixtures/prompts/en');

/**
 * A path inside the package, from this module run as source (src/dialog) or built (dist/src/dialog,
 * or any other --outDir such as a test's private build): the nearest directory up from here that
 * holds it, so the committed prompt set is found wherever the JavaScript was emitted.
 */
function packageRootPath(relative: string): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** The card types accepted by default; credit-card-type knows more (elo, mir, ...), off by default. */
export const DEFAULT_CARD_TYPES = ['visa', 'mastercard', 'american-express', 'discover', 'diners-club', 'jcb', 'unionpay', 'maestro'] as const;

/**
 * What happens after a failure that ends the payment:
 * `return` ends with the failure as the result (automated: back to the return URI; agent-assisted:
 * secure mode off, result to the agent); `agent` transfers to `agentUri` with the context
 * (automated only; agent-assisted behaves as `return`, the agent is already on the call).
 */
const failureRoute = z.enum(['return', 'agent']);
export type FailureRoute = z.infer<typeof failureRoute>;

const sipUri = z.string().regex(/^sips?:\S+$/, 'a sip: or sips: URI');

/** The expiry is always asked (the gateway request needs it); the security code per type. */
const fieldsForType = z.object({ securityCode: z.boolean().default(true) });

export const dialogConfigSchema = z
  .object({
    locale: z.enum(['en-GB', 'en-US']).default('en-GB'),
    /** ISO 4217, used when the call brings none. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as GBP')
      .default('GBP'),
    /** Decimal amounts in `currency` units; caller-entered amounts outside are refused. */
    minAmount: z.number().nonnegative().default(1),
    maxAmount: z.number().positive().default(10000),
    /**
     * `choice`: announce the balance, 1 pays it, 2 enters another amount (<= balance);
     * `fixed`: announce it and go on. A call without an amount always asks the caller for one.
     * Agent-assisted payments always treat the agent's amount as fixed (the agent may still ask
     * the caller for an amount with `capture`).
     */
    amountMode: z.enum(['choice', 'fixed']).default('choice'),
    /** credit-card-type names. */
    validCardTypes: z
      .array(z.string().min(1))
      .min(1)
      .default([...DEFAULT_CARD_TYPES]),
    /** Twilio's securityCode: ask for the CVV/CID at all. */
    securityCode: z.boolean().default(true),
    /** Per card type: which fields to ask for (e.g. `{ maestro: { securityCode: false } }`). */
    fieldsByType: z.record(z.string(), fieldsForType).default({}),
    /**
     * Accept the card number without `#`: at once at the longest length of its type, or after
     * `timeouts.completePauseMs` without a key once it is a whole valid card.
     */
    autoCompleteCardNumber: z.boolean().default(true),
    /** Expiry dates further ahead than this are refused as typing errors (years). */
    maxExpiryYearsAhead: z.number().int().positive().max(50).default(20),
    /**
     * `*` restarts the entry being keyed; with nothing keyed it leaves the payment
     * (`caller-interrupted-with-star`) when this is true, and replays the prompt when false.
     */
    starExits: z.boolean().default(true),
    /** Twilio's maxAttempts, per field: validation errors and timeouts before giving up. */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** Declined cards before giving up. */
    maxDeclines: z.number().int().min(1).max(10).default(3),
    timeouts: z
      .object({
        /** From the end of the prompt to the first key (ms). Twilio's `timeout`. */
        firstDigitMs: z.number().int().positive().default(10_000),
        /** Between keys (ms). */
        interDigitMs: z.number().int().positive().default(5_000),
        /**
         * After a key that may end an entry without `#` (a whole, Luhn-valid card number of a
         * length its type uses, that could still grow: Visa 16 or 19; a 3-digit security code
         * before the card type is known), the entry ends when no key follows within this (ms).
         */
        completePauseMs: z.number().int().positive().max(10_000).default(1_500),
        /** The dialog's own guard around the connector (ms); the connector has its own. */
        gatewayMs: z.number().int().positive().default(30_000),
      })
      .prefault({}),
    results: z
      .object({
        tooManyFailedAttempts: failureRoute.default('return'),
        tooManyDeclines: failureRoute.default('agent'),
        connectorError: failureRoute.default('agent'),
      })
      .prefault({}),
    /** Automated mode: where the call goes back to, and how. */
    returnUri: sipUri.nullable().default(null),
    returnBy: z.enum(['REFER', 'BYE']).default('REFER'),
    /** Transfer target for the `agent` failure route and for callers who cannot be identified. */
    agentUri: sipUri.nullable().default(null),
    /** ID&V destination for callers without a customer ID. */
    idvUri: sipUri.nullable().default(null),
    /** Directory of `<prompt id>.ul` (8 kHz mu-law raw) or `.wav` files: a user's own recorded set. */
    promptDir: z.string().min(1).default(DEFAULT_PROMPT_DIR),
    /**
     * Twilio's `input`: `dtmf` (keys), `speech` (spoken digits and menu words) or `dtmf speech`
     * (either, per field). A call may ask for its own with `X-Payment-Input`. Automated mode only.
     */
    input: z
      .string()
      .default('dtmf')
      .transform((v, ctx): PaymentInput => {
        const input = parsePaymentInput(v);
        if (input === null) {
          ctx.addIssue({ code: 'custom', message: 'dtmf, speech or "dtmf speech"' });
          return z.NEVER;
        }
        return input;
      }),
    /** The speech recogniser's word model file; null: models/speech-words.json of the package. */
    speechModel: z.string().min(1).nullable().default(null),
    /** Twilio's description, passed to the gateway. */
    description: z.string().max(255).nullable().default(null),
  })
  .refine((c) => c.minAmount <= c.maxAmount, { message: 'minAmount must not exceed maxAmount', path: ['minAmount'] });

export type DialogConfig = z.infer<typeof dialogConfigSchema>;

export class DialogConfigError extends CodedError<'ERR_DIALOG_CONFIG'> {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_DIALOG_CONFIG', message, options);
  }
}

/** Raw (YAML/JSON) value to a typed configuration; a bad key is a DialogConfigError naming it. */
export function parseDialogConfig(raw: unknown): DialogConfig {
  const parsed = dialogConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DialogConfigError(`invalid payment dialog configuration: ${detail}`, { cause: parsed.error });
  }
  return parsed.data;
}
