// The call API (docs/integration.md): list live calls, switch secure mode.
// Routes depend on a narrow CallControl view so they can be tested without SIP or sockets.
import type { FastifyInstance } from 'fastify';

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
  /** false when the call is gone or cannot switch (ended, endpoint mode is always secure). */
  setSecure(id: string, on: boolean): boolean;
}

// Call ids are SIP Call-IDs (RFC 3261 §25.1: word ["@" word]), so "@" and most punctuation occur;
// the check only bounds the input (printable ASCII, no spaces): lookups are exact.
const CALL_ID = /^[\x21-\x7e]{1,256}$/;

/** Routes whose `:id` names a call: the PBX side may use its own leg's Call-ID there. */
const CALL_ROUTE = /^\/(calls|widget)\/:id(\/|$)/;

export function registerCallRoutes(app: FastifyInstance, calls: CallControl): void {
  // Every /calls/:id... and /widget/:id... route sees toneguard's id, whichever id the client had
  // (toneguard's, the caller leg's or the PBX leg's SIP Call-ID, URL-decoded by the router).
  app.addHook('preValidation', async (request) => {
    const params = request.params as { id?: unknown } | undefined;
    if (params === undefined || typeof params.id !== 'string' || !CALL_ROUTE.test(request.routeOptions.url ?? '')) return;
    if (!CALL_ID.test(params.id)) return;
    const id = calls.resolve(params.id);
    if (id !== undefined) params.id = id;
  });
  app.get('/calls', async () => ({ calls: calls.list() }));

  app.get<{ Params: { id: string } }>('/calls/:id', async (request, reply) => {
    const call = CALL_ID.test(request.params.id) ? calls.get(request.params.id) : undefined;
    if (!call) return reply.code(404).send({ error: 'no such call' });
    return call;
  });

  const secure = (on: boolean) => async (request: { params: { id: string } }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    const id = request.params.id;
    if (!CALL_ID.test(id) || !calls.get(id)) return reply.code(404).send({ error: 'no such call' });
    if (!calls.setSecure(id, on)) return reply.code(409).send({ error: 'secure mode cannot be changed on this call now' });
    return reply.code(200).send({ id, secure: on });
  };
  app.post<{ Params: { id: string } }>('/calls/:id/secure', secure(true));
  app.delete<{ Params: { id: string } }>('/calls/:id/secure', secure(false));
}
