// The HTTP side of the server (fastify): APIs, widget, dashboard, /metrics, health.
// Authentication is one hook for every route (http-auth.ts): the master token, a widget token
// scoped to one call, or (no token configured) loopback clients with a loopback Host header.
// Routes say who may call them with `config: { access }`; without it, only the master token.
// Optional TLS: the same app over HTTPS (`http.tls`). Every route has a fastify schema (the
// OpenAPI document, openapi.ts) and every error is a problem (problem.ts, problem-handlers.ts).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { authorise, type AuthDecision } from './http-auth.js';
import { registerOpenApi } from './openapi.js';
import { frameworkProblem, installProblemHandlers } from './problem-handlers.js';
import { sendProblem, type ProblemSlug } from './problem.js';
import { WidgetTokens } from './widget-token.js';

/** A state-changing request (POST, PUT, PATCH, DELETE), answered: for the audit trail. */
export interface ApiAuditEntry {
  /** Who: `master`, `loopback` (no token configured), `widget:<call id>`, `unauthenticated`. */
  readonly actor: string;
  readonly method: string;
  /** The route pattern (`/calls/:id/secure`), never the raw URL. */
  readonly route: string;
  readonly call: string | null;
  readonly status: number;
}

/** Who made the request, as the audit trail names them. */
export function requestActor(request: FastifyRequest): string {
  const p = request.principal;
  if (p === null) return 'unauthenticated';
  return p.kind === 'widget' ? `widget:${p.callId}` : p.kind;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface HttpAppOptions {
  /** Empty: loopback clients only. A function is read per request (SIGHUP token rotation). */
  readonly token: string | (() => string);
  readonly logger: Logger;
  /** Checks widget tokens; default: a random key of this app's own (tokens minted elsewhere fail). */
  readonly widgetTokens?: WidgetTokens;
  /** Any id a route accepts for a call to the id widget tokens name; default: the id itself. */
  readonly resolveCallId?: (id: string) => string | undefined;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Paths served without authentication (health checks from a load balancer). */
  readonly publicPaths?: readonly string[];
  /** Told of every answered state-changing request. */
  readonly onStateChange?: (entry: ApiAuditEntry) => void;
}

const SLUG_BY_AUTH_CODE: Readonly<Record<string, ProblemSlug>> = {
  ERR_MASTER_TOKEN_IN_URL: 'master-token-in-url',
  ERR_FORBIDDEN: 'forbidden',
  ERR_HOST_NOT_LOOPBACK: 'host-not-loopback',
};

function authProblem(decision: Extract<AuthDecision, { ok: false }>): ProblemSlug {
  return SLUG_BY_AUTH_CODE[decision.code] ?? 'unauthorised';
}

/** The app with authentication, problem replies and the OpenAPI document; add routes after it resolves. */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Request bodies are small JSON commands; anything bigger is not ours.
    bodyLimit: 64 * 1024,
    // Bodies are checked against the JSON Schema derived from the handlers' zod schemas: ajv must
    // accept exactly what zod does, so no stripping of unknown keys and no type coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    // A call id is a SIP Call-ID of up to 256 characters (call-routes.ts; the router counts
    // decoded characters): its default of 100 answered 414 to genuine ids.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: frameworkProblem,
    // Request lines would carry `?token=` query strings: not logged.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } }),
  }) as unknown as FastifyInstance;
  const publicPaths = new Set(options.publicPaths ?? ['/health/live', '/health/ready']);
  const token = options.token;
  const auth = {
    widgetTokens: options.widgetTokens ?? new WidgetTokens(''),
    resolveCallId: options.resolveCallId ?? ((id: string) => id),
    tls: options.tls !== undefined,
  };
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const access = publicPaths.has(request.url.split('?')[0]) ? 'public' : (request.routeOptions.config.access ?? 'master');
    const decision = authorise(request, access, { ...auth, token: typeof token === 'function' ? token() : token });
    if (decision.ok) {
      request.principal = decision.principal;
      return;
    }
    if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
    await sendProblem(request, reply, authProblem(decision), decision.error, { code: decision.code });
  });
  const onStateChange = options.onStateChange;
  if (onStateChange !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      if (!STATE_CHANGING.has(request.method)) return;
      const params = request.params as Record<string, unknown> | undefined;
      const id = params?.id ?? params?.callId;
      onStateChange({
        actor: requestActor(request),
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0],
        call: typeof id === 'string' ? id : null,
        status: reply.statusCode,
      });
    });
  }
  // Every body is JSON: anything else (text/plain included) is 415, not a string for a handler.
  app.removeContentTypeParser('text/plain');
  // Response schemas document the replies; the routes build them, serialized as they are.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installProblemHandlers(app);
  await registerOpenApi(app, publicPaths);
  return app;
}
