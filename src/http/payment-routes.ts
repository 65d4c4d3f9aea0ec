// The agent-assisted payment API (Twilio's Payments API words): the agent's desktop
// starts a payment on a live call, then asks for fields in any order and completes or cancels.
//   POST /calls/:id/payments        { idempotencyKey, statusCallback?, customerId, amount, currency?, merchantId?, reference?, description? }
//   POST /calls/:id/payments/:pid   { capture: <field> } | { status: "complete" | "cancel" }
//   GET  /calls/:id/payments/:pid   masked status
// Bodies are validated here; the payment parameters themselves by the dialog (one parser for
// headers and API). Replies never carry card data: the payment layer gives masked values only.
// Access: the master token, or a widget token of the call (watch: status; pay: start and
// commands). Only the master token may set a statusCallback, and only one the callback rules
// (callback-policy.ts) accept.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CodedError } from '../errors.js';
import { paymentRouteSchemas } from './payment-schemas.js';
import { checkCallbackUrl, type CallbackPolicy } from './callback-policy.js';
import { requestActor } from './http-app.js';
import { sendProblem, type ProblemSlug } from './problem.js';

export type PaymentApiErrorCode = 'ERR_NO_CALL' | 'ERR_NO_PAYMENT' | 'ERR_PAYMENT_ACTIVE' | 'ERR_BAD_REQUEST' | 'ERR_CONFLICT';

/** Thrown by a PaymentApi; `message` is for the client and must hold no card data. */
export class PaymentApiError extends CodedError<PaymentApiErrorCode> {
  /** Machine-readable members added to the reply (e.g. `reason`, `missing`); never card data. */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: PaymentApiErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message);
    this.details = details;
  }
}

const PROBLEM_BY_CODE: Readonly<Record<PaymentApiErrorCode, ProblemSlug>> = {
  ERR_NO_CALL: 'no-such-call',
  ERR_NO_PAYMENT: 'no-such-payment',
  ERR_PAYMENT_ACTIVE: 'payment-active',
  ERR_CONFLICT: 'conflict',
  ERR_BAD_REQUEST: 'bad-request',
};

export const CAPTURABLE = ['charge-amount', 'payment-card-number', 'expiration-date', 'security-code'] as const;

const startBody = z
  .object({
    idempotencyKey: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
    statusCallback: z.string().max(2048).optional(),
  })
  .passthrough();

const updateBody = z.union([z.object({ capture: z.enum(CAPTURABLE) }).strict(), z.object({ status: z.enum(['complete', 'cancel']) }).strict()]);

export type PaymentCommand = z.infer<typeof updateBody>;

/** What a command did; a refused one says why (a short code) and, for `complete`, which fields are missing or invalid. */
export type PaymentCommandResult = { readonly accepted: true } | { readonly accepted: false; readonly reason: string; readonly missing?: readonly string[] };

/** The 409 problem of a refused command: readable, and the reason and fields as members. */
export function refusedCommand(command: PaymentCommand, done: Extract<PaymentCommandResult, { accepted: false }>): PaymentApiError {
  const what = 'capture' in command ? `capture ${command.capture}` : command.status;
  const message = done.missing !== undefined && done.missing.length > 0 ? `cannot ${what}: missing or invalid: ${done.missing.join(', ')}` : `cannot ${what} now: ${done.reason}`;
  return new PaymentApiError('ERR_CONFLICT', message, { accepted: false, reason: done.reason, ...(done.missing === undefined ? {} : { missing: done.missing }) });
}

export interface StartPaymentInput {
  readonly idempotencyKey: string;
  readonly statusCallback: string | undefined;
  /** The payment parameters (customerId, amount, ...), validated by the payment layer. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Who asked (audit trail): `master`, `loopback`, `widget:<callId>`. */
  readonly actor: string;
}

export interface PaymentApi {
  /** Same idempotency key on the same call: the existing payment, `created: false`. */
  start(callId: string, input: StartPaymentInput): Promise<{ readonly paymentId: string; readonly created: boolean }>;
  command(callId: string, paymentId: string, command: PaymentCommand, actor: string): PaymentCommandResult;
  status(callId: string, paymentId: string): Readonly<Record<string, unknown>>;
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

export interface PaymentRoutesOptions {
  /** Default: callbacks refused (no signing secret). */
  readonly callbacks?: CallbackPolicy;
}

const NO_CALLBACKS: CallbackPolicy = { secretSet: false, allowPlainHttp: false, hosts: [] };

export function registerPaymentRoutes(app: FastifyInstance, payments: PaymentApi, options: PaymentRoutesOptions = {}): void {
  const callbacks = options.callbacks ?? NO_CALLBACKS;
  const schemas = paymentRouteSchemas(startBody, updateBody);
  const fail = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof PaymentApiError) return sendProblem(request, reply, PROBLEM_BY_CODE[error.code], error.message, { code: error.code, extensions: error.details });
    throw error;
  };

  app.post<{ Params: { id: string } }>('/calls/:id/payments', { config: { access: 'pay' }, schema: schemas.start }, async (request, reply) => {
    const parsed = startBody.safeParse(request.body ?? {});
    if (!parsed.success) return sendProblem(request, reply, 'bad-request', issues(parsed.error));
    const { idempotencyKey, statusCallback: requested, ...parameters } = parsed.data;
    let statusCallback: string | undefined;
    if (requested !== undefined) {
      if (request.principal?.kind === 'widget') return sendProblem(request, reply, 'forbidden', 'statusCallback is for the master token, not a widget token');
      const checked = checkCallbackUrl(requested, callbacks);
      if (!checked.ok) return sendProblem(request, reply, 'callback-refused', checked.error, { code: checked.code });
      statusCallback = checked.url;
    }
    try {
      const started = await payments.start(request.params.id, { idempotencyKey, statusCallback, parameters, actor: requestActor(request) });
      return reply.code(started.created ? 201 : 200).send({ paymentId: started.paymentId, callId: request.params.id });
    } catch (error) {
      return fail(error, request, reply);
    }
  });

  app.post<{ Params: { id: string; pid: string } }>('/calls/:id/payments/:pid', { config: { access: 'pay' }, schema: schemas.command }, async (request, reply) => {
    const parsed = updateBody.safeParse(request.body ?? {});
    if (!parsed.success) return sendProblem(request, reply, 'bad-request', 'body must be {"capture": field} or {"status": "complete"|"cancel"}');
    try {
      const done = payments.command(request.params.id, request.params.pid, parsed.data, requestActor(request));
      if (!done.accepted) throw refusedCommand(parsed.data, done);
      return reply.code(200).send(done);
    } catch (error) {
      return fail(error, request, reply);
    }
  });

  app.get<{ Params: { id: string; pid: string } }>('/calls/:id/payments/:pid', { config: { access: 'watch' }, schema: schemas.status }, async (request, reply) => {
    try {
      return payments.status(request.params.id, request.params.pid);
    } catch (error) {
      return fail(error, request, reply);
    }
  });
}
