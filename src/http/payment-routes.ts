// The agent-assisted payment API (Twilio's Payments API words): the agent's desktop
// starts a payment on a live call, then asks for fields in any order and completes or cancels.
//   POST /calls/:id/payments        { idempotencyKey, statusCallback?, customerId, amount, currency?, merchantId?, reference?, description? }
//   POST /calls/:id/payments/:pid   { capture: <field> } | { status: "complete" | "cancel" }
//   GET  /calls/:id/payments/:pid   masked status
// Bodies are validated here; the payment parameters themselves by the dialog (one parser for
// headers and API). Replies never carry card data: the payment layer gives masked values only.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CodedError } from '../errors.js';

export type PaymentApiErrorCode = 'ERR_NO_CALL' | 'ERR_NO_PAYMENT' | 'ERR_PAYMENT_ACTIVE' | 'ERR_BAD_REQUEST' | 'ERR_CONFLICT';

/** Thrown by a PaymentApi; `message` is for the client and must hold no card data. */
export class PaymentApiError extends CodedError<PaymentApiErrorCode> {}

const STATUS_BY_CODE: Readonly<Record<PaymentApiErrorCode, number>> = {
  ERR_NO_CALL: 404,
  ERR_NO_PAYMENT: 404,
  ERR_PAYMENT_ACTIVE: 409,
  ERR_CONFLICT: 409,
  ERR_BAD_REQUEST: 400,
};

export const CAPTURABLE = ['charge-amount', 'payment-card-number', 'expiration-date', 'security-code'] as const;

const startBody = z
  .object({
    idempotencyKey: z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
    statusCallback: z.url({ protocol: /^https?$/ }).optional(),
  })
  .passthrough();

const updateBody = z.union([
  z.object({ capture: z.enum(CAPTURABLE) }).strict(),
  z.object({ status: z.enum(['complete', 'cancel']) }).strict(),
]);

export type PaymentCommand = z.infer<typeof updateBody>;

export interface StartPaymentInput {
  readonly idempotencyKey: string;
  readonly statusCallback: string | undefined;
  /** The payment parameters (customerId, amount, ...), validated by the payment layer. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface PaymentApi {
  /** Same idempotency key on the same call: the existing payment, `created: false`. */
  start(callId: string, input: StartPaymentInput): Promise<{ readonly paymentId: string; readonly created: boolean }>;
  command(callId: string, paymentId: string, command: PaymentCommand): { readonly accepted: boolean; readonly reason?: string };
  status(callId: string, paymentId: string): Readonly<Record<string, unknown>>;
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

export function registerPaymentRoutes(app: FastifyInstance, payments: PaymentApi): void {
  const fail = (error: unknown, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    if (error instanceof PaymentApiError) return reply.code(STATUS_BY_CODE[error.code]).send({ error: error.message, code: error.code });
    throw error;
  };

  app.post<{ Params: { id: string } }>('/calls/:id/payments', async (request, reply) => {
    const parsed = startBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: issues(parsed.error), code: 'ERR_BAD_REQUEST' });
    const { idempotencyKey, statusCallback, ...parameters } = parsed.data;
    try {
      const started = await payments.start(request.params.id, { idempotencyKey, statusCallback, parameters });
      return reply.code(started.created ? 201 : 200).send({ paymentId: started.paymentId, callId: request.params.id });
    } catch (error) {
      return fail(error, reply);
    }
  });

  app.post<{ Params: { id: string; pid: string } }>('/calls/:id/payments/:pid', async (request, reply) => {
    const parsed = updateBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'body must be {"capture": field} or {"status": "complete"|"cancel"}', code: 'ERR_BAD_REQUEST' });
    try {
      const done = payments.command(request.params.id, request.params.pid, parsed.data);
      return reply.code(done.accepted ? 200 : 409).send(done);
    } catch (error) {
      return fail(error, reply);
    }
  });

  app.get<{ Params: { id: string; pid: string } }>('/calls/:id/payments/:pid', async (request, reply) => {
    try {
      return payments.status(request.params.id, request.params.pid);
    } catch (error) {
      return fail(error, reply);
    }
  });
}
