// The fastify schemas (and so the OpenAPI description) of the agent-assisted payment routes
// (payment-routes.ts). Request bodies come from the zod schemas the handlers and the dialog parse
// with; replies carry masked values only (PaymentStatus in src/dialog/session-events.ts).
import { z } from 'zod';
import { apiBody } from '../dialog/payment-request.js';
import { BODY_ERRORS, callIdParams, json, nullableString, problemResponses, WIDGET_ERRORS, zodJsonSchema, type JsonSchema } from './api-schema.js';

const tags = ['payments'];

const paymentParams: JsonSchema = {
  type: 'object',
  required: ['id', 'pid'],
  properties: { ...(callIdParams('id').properties as object), pid: { type: 'string', description: 'the paymentId of POST /calls/:id/payments' } },
};

const masked = (what: string): JsonSchema => ({ ...nullableString, description: what });

/** The masked progress of a payment: what the status callback and the widget show too. */
export const paymentStatusSchema: JsonSchema = {
  type: 'object',
  required: ['sessionId', 'for', 'attempt', 'errorType', 'paymentCardNumber', 'paymentCardType', 'expirationDate', 'securityCode', 'chargeAmount', 'required'],
  properties: {
    sessionId: { type: 'string' },
    for: { type: 'string', description: 'the field being captured (charge-amount, payment-card-number, expiration-date, security-code, payment-processing)' },
    attempt: { type: 'integer', minimum: 0 },
    errorType: nullableString,
    paymentCardNumber: masked('xxxxxxxxxxxx1111: the last four digits only'),
    paymentCardType: nullableString,
    expirationDate: masked('xxxx once captured, never the expiry'),
    securityCode: masked('xxx or xxxx once captured'),
    chargeAmount: masked('decimal, e.g. 125.50'),
    required: { type: 'array', items: { type: 'string' }, description: 'fields still to capture' },
  },
};

const resultSchema: JsonSchema = {
  type: 'object',
  nullable: true,
  required: ['result', 'reason', 'transactionId', 'headers'],
  properties: {
    result: { type: 'string', description: 'the X-Payment-Result vocabulary (success, too-many-failed-attempts, ...)' },
    reason: nullableString,
    transactionId: nullableString,
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'the result headers (X-Payment-Result, X-Payment-Card-Last4, ...)' },
  },
};

export function paymentRouteSchemas(startBody: z.ZodType, commandBody: z.ZodType): Record<'start' | 'command' | 'status', JsonSchema> {
  return {
    start: {
      summary: 'Start a payment on the call (agent-assisted)',
      description: 'The same idempotencyKey on the same call answers the same payment (200 instead of 201). statusCallback: master token only, and only a URL the callback rules accept.',
      tags,
      params: callIdParams('id'),
      body: zodJsonSchema(z.intersection(startBody, apiBody)),
      response: {
        201: json({ type: 'object', required: ['paymentId', 'callId'], properties: { paymentId: { type: 'string' }, callId: { type: 'string' } } }, 'Started'),
        200: json({ type: 'object', required: ['paymentId', 'callId'], properties: { paymentId: { type: 'string' }, callId: { type: 'string' } } }, 'Already started with this idempotencyKey'),
        ...problemResponses('no-such-call', 'payment-active', 'callback-refused', ...BODY_ERRORS, ...WIDGET_ERRORS),
      },
    },
    command: {
      summary: 'Steer the payment: capture a field (again), complete or cancel',
      description: 'A command the payment cannot take now is 409 (problem `conflict`) with `accepted: false` and `reason` (e.g. fields-missing, payment-ended).',
      tags,
      params: paymentParams,
      body: zodJsonSchema(commandBody),
      response: {
        200: json({ type: 'object', required: ['accepted'], properties: { accepted: { type: 'boolean', enum: [true] } } }, 'Accepted'),
        ...problemResponses('no-such-call', 'no-such-payment', 'conflict', ...BODY_ERRORS, ...WIDGET_ERRORS),
      },
    },
    status: {
      summary: "The payment's masked progress and result",
      description: 'Kept ten minutes after the payment ends.',
      tags,
      params: paymentParams,
      response: {
        200: json(
          {
            type: 'object',
            required: ['paymentId', 'callId', 'mode', 'state', 'status', 'result'],
            properties: {
              paymentId: { type: 'string' },
              callId: { type: 'string' },
              mode: { type: 'string', enum: ['agent-assisted', 'automated'] },
              state: { type: 'string' },
              status: { ...paymentStatusSchema, nullable: true },
              result: resultSchema,
            },
          },
          'The payment',
        ),
        ...problemResponses('no-such-call', 'no-such-payment', ...WIDGET_ERRORS),
      },
    },
  };
}
