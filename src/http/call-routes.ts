// The call API (docs/integration.md): list live calls, switch secure mode, and mint the agent
// widget's token for a call. Every route here is for the master token only (the default access
// of http-app.ts).
// Routes depend on a narrow CallControl view so they can be tested without SIP or sockets.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requestActor } from './http-app.js';
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
  app.get('/calls', async () => ({ calls: calls.list() }));

  app.get<{ Params: { id: string } }>('/calls/:id', async (request, reply) => {
    const call = CALL_ID.test(request.params.id) ? calls.get(request.params.id) : undefined;
    if (!call) return reply.code(404).send({ error: 'no such call' });
    return call;
  });

  const secure = (on: boolean) => async (request: FastifyRequest<{ Params: { id: string } }>, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    const id = request.params.id;
    if (!CALL_ID.test(id) || !calls.get(id)) return reply.code(404).send({ error: 'no such call' });
    if (!calls.setSecure(id, on, requestActor(request))) return reply.code(409).send({ error: 'secure mode cannot be changed on this call now' });
    return reply.code(200).send({ id, secure: on });
  };
  app.post<{ Params: { id: string } }>('/calls/:id/secure', secure(true));
  app.delete<{ Params: { id: string } }>('/calls/:id/secure', secure(false));

  // The widget URL carries the token in its fragment, which browsers never send to a server
  // (RFC 3986 §3.5): it stays out of access logs and Referer headers.
  app.post<{ Params: { id: string } }>('/calls/:id/widget-token', async (request, reply) => {
    const call = CALL_ID.test(request.params.id) ? calls.get(request.params.id) : undefined;
    if (!call) return reply.code(404).send({ error: 'no such call' });
    const body = widgetTokenBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: 'body must be {} or {"ttlSeconds": N}', code: 'ERR_BAD_REQUEST' });
    const ttl = Math.min(body.data.ttlSeconds ?? options.widgetTokenTtlSeconds, options.widgetTokenTtlSeconds);
    const expiresAt = Math.floor(Date.now() / 1000) + ttl;
    const token = options.widgetTokens.mint({ callId: call.id, scopes: WIDGET_SCOPES, expiresAt });
    const path = `/widget/${encodeURIComponent(call.id)}#token=${encodeURIComponent(token)}`;
    return reply.code(201).header('cache-control', 'no-store').send({
      callId: call.id,
      token,
      scopes: WIDGET_SCOPES,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      path,
      url: `${request.protocol}://${request.host}${path}`,
    });
  });
}
