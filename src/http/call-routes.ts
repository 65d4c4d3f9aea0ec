// The call API (docs/integration.md): list live calls, switch secure mode, and mint the agent
// widget's token for a call. Every route here is for the master token only (the default access
// of http-app.ts).
// Routes depend on a narrow CallControl view so they can be tested without SIP or sockets.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BODY_ERRORS, callIdParams, json, MASTER_ERRORS, nullableString, problemResponses, zodJsonSchema, type JsonSchema } from './api-schema.js';
import { requestActor } from './http-app.js';
import { BODY_OPTIONAL } from './openapi.js';
import { sendProblem } from './problem.js';
import { WIDGET_SCOPES, type WidgetTokens } from './widget-token.js';

export interface CallSummary {
  readonly id: string;
  readonly mode: 'b2bua' | 'endpoint';
  readonly state: string;
  readonly from: string;
  readonly to: string;
  readonly secure: boolean;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly paymentId: string | null;
  /** The running payment's state (e.g. `card-number`), or null. */
  readonly paymentState: string | null;
  /** Each leg's SIP Call-ID, From and To as that side sees them (agent: null in endpoint mode or before the INVITE). */
  readonly legs: {
    readonly caller: { readonly callId: string; readonly from: string; readonly to: string };
    readonly agent: { readonly callId: string; readonly from: string; readonly to: string } | null;
  };
}

export interface CallControl {
  /** toneguard's id of the call named by its id or either leg's SIP Call-ID. */
  resolve(id: string): string | undefined;
  list(): readonly CallSummary[];
  get(id: string): CallSummary | undefined;
  /** false when the call is gone or cannot switch (ended, endpoint mode is always secure). `actor`: who asked (audit trail). */
  setSecure(id: string, on: boolean, actor: string): boolean;
}

// Call ids are SIP Call-IDs (RFC 3261 §25.1: word ["@" word]), so "@" and most punctuation occur;
// the check only bounds the input (printable ASCII, no spaces): lookups are exact.
const CALL_ID = /^[\x21-\x7e]{1,256}$/;

export interface CallRoutesOptions {
  readonly widgetTokens: WidgetTokens;
  /** Lifetime of a widget token, and the most a request may ask for (s). */
  readonly widgetTokenTtlSeconds: number;
}

const widgetTokenBody = z.object({ ttlSeconds: z.number().int().min(1).optional() }).strict();

const legSchema: JsonSchema = { type: 'object', required: ['callId', 'from', 'to'], properties: { callId: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } };

/** CallSummary as JSON. */
export const callSummarySchema: JsonSchema = {
  type: 'object',
  required: ['id', 'mode', 'state', 'from', 'to', 'secure', 'startedAt', 'paymentId', 'paymentState', 'legs'],
  properties: {
    id: { type: 'string', description: "toneguard's id of the call (X-Toneguard-Call-Id)" },
    mode: { type: 'string', enum: ['b2bua', 'endpoint'] },
    state: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    secure: { type: 'boolean' },
    startedAt: { type: 'string', format: 'date-time' },
    paymentId: nullableString,
    paymentState: { ...nullableString, description: "the running payment's state (e.g. card-number)" },
    legs: {
      type: 'object',
      required: ['caller', 'agent'],
      properties: { caller: legSchema, agent: { ...legSchema, nullable: true, description: 'null in endpoint mode or before the INVITE to the PBX' } },
    },
  },
};

const tags = ['calls'];
const params = callIdParams('id');
const secureReply = json({ type: 'object', required: ['id', 'secure'], properties: { id: { type: 'string' }, secure: { type: 'boolean' } } }, 'Secure mode as it now is');
const secureSchema = (on: boolean) => ({
  summary: on ? 'Secure mode on: every digit stripped from the agent leg' : 'Secure mode off',
  tags,
  params,
  response: { 200: secureReply, ...problemResponses('no-such-call', 'conflict', ...MASTER_ERRORS) },
});

const widgetTokenSchema = {
  summary: "Mint a widget token for the call (the agent's browser)",
  tags,
  params,
  [BODY_OPTIONAL]: true,
  body: { content: { 'application/json': { schema: zodJsonSchema(widgetTokenBody) } } },
  response: {
    201: json(
      {
        type: 'object',
        required: ['callId', 'token', 'scopes', 'expiresAt', 'path', 'url'],
        properties: {
          callId: { type: 'string' },
          token: { type: 'string', description: 'tgw1.<payload>.<signature>, scoped to this call' },
          scopes: { type: 'array', items: { type: 'string', enum: [...WIDGET_SCOPES] } },
          expiresAt: { type: 'string', format: 'date-time' },
          path: { type: 'string', description: 'the widget page, the token in the URL fragment' },
          url: { type: 'string' },
        },
      },
      'The token and the widget URL',
    ),
    ...problemResponses('no-such-call', ...BODY_ERRORS, ...MASTER_ERRORS),
  },
};

/** Routes whose `:id` names a call: the PBX side may use its own leg's Call-ID there. */
const CALL_ROUTE = /^\/(calls|widget)\/:(id|callId)(\/|$)/;

export function registerCallRoutes(app: FastifyInstance, calls: CallControl, options: CallRoutesOptions): void {
  // Every /calls/:id... and /widget/:callId... route sees toneguard's id, whichever id the client
  // had (toneguard's, the caller leg's or the PBX leg's SIP Call-ID, URL-decoded by the router).
  app.addHook('preValidation', async (request) => {
    const params = request.params as Record<string, unknown> | undefined;
    const m = CALL_ROUTE.exec(request.routeOptions.url ?? '');
    if (params === undefined || m === null) return;
    const key = m[2];
    const given = params[key];
    if (typeof given !== 'string' || !CALL_ID.test(given)) return;
    const id = calls.resolve(given);
    if (id !== undefined) params[key] = id;
  });
  app.get(
    '/calls',
    {
      schema: {
        summary: 'Live calls',
        tags,
        response: { 200: json({ type: 'object', required: ['calls'], properties: { calls: { type: 'array', items: callSummarySchema } } }, 'Every live call'), ...problemResponses(...MASTER_ERRORS) },
      },
    },
    async () => ({ calls: calls.list() }),
  );

  app.get<{ Params: { id: string } }>(
    '/calls/:id',
    { schema: { summary: 'One call', tags, params, response: { 200: json(callSummarySchema, 'The call'), ...problemResponses('no-such-call', ...MASTER_ERRORS) } } },
    async (request, reply) => {
      const call = CALL_ID.test(request.params.id) ? calls.get(request.params.id) : undefined;
      if (!call) return sendProblem(request, reply, 'no-such-call', 'no live call has this id');
      return call;
    },
  );

  const secure = (on: boolean) => async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const id = request.params.id;
    if (!CALL_ID.test(id) || !calls.get(id)) return sendProblem(request, reply, 'no-such-call', 'no live call has this id');
    if (!calls.setSecure(id, on, requestActor(request))) return sendProblem(request, reply, 'conflict', 'secure mode cannot be changed on this call now');
    return reply.code(200).send({ id, secure: on });
  };
  app.post<{ Params: { id: string } }>('/calls/:id/secure', { schema: secureSchema(true) }, secure(true));
  app.delete<{ Params: { id: string } }>('/calls/:id/secure', { schema: secureSchema(false) }, secure(false));

  // The widget URL carries the token in its fragment, which browsers never send to a server
  // (RFC 3986 §3.5): it stays out of access logs and Referer headers.
  app.post<{ Params: { id: string } }>('/calls/:id/widget-token', { schema: widgetTokenSchema }, async (request, reply) => {
    const call = CALL_ID.test(request.params.id) ? calls.get(request.params.id) : undefined;
    if (!call) return sendProblem(request, reply, 'no-such-call', 'no live call has this id');
    const body = widgetTokenBody.safeParse(request.body ?? {});
    if (!body.success) return sendProblem(request, reply, 'bad-request', 'body must be {} or {"ttlSeconds": N}');
    const ttl = Math.min(body.data.ttlSeconds ?? options.widgetTokenTtlSeconds, options.widgetTokenTtlSeconds);
    const expiresAt = Math.floor(Date.now() / 1000) + ttl;
    const token = options.widgetTokens.mint({ callId: call.id, scopes: WIDGET_SCOPES, expiresAt });
    const path = `/widget/${encodeURIComponent(call.id)}#token=${encodeURIComponent(token)}`;
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({
        callId: call.id,
        token,
        scopes: WIDGET_SCOPES,
        expiresAt: new Date(expiresAt * 1000).toISOString(),
        path,
        url: `${request.protocol}://${request.host}${path}`,
      });
  });
}
