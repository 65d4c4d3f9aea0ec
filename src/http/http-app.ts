// The HTTP side of the server (fastify): APIs, widget, dashboard, /metrics, health.
// Authentication is one hook for every route (http-auth.ts): the master token, a widget token
// scoped to one call, or (no token configured) loopback clients with a loopback Host header.
// Routes say who may call them with `config: { access }`; without it, only the master token.
// Optional TLS: the same app over HTTPS (`http.tls`).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { authorise } from './http-auth.js';
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

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Request bodies are small JSON commands; anything bigger is not ours.
    bodyLimit: 64 * 1024,
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
    await reply.code(decision.status).send({ error: decision.error, code: decision.code });
  });
  const onStateChange = options.onStateChange;
  if (onStateChange !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      if (!STATE_CHANGING.has(request.method)) return;
      const params = request.params as Record<string, unknown> | undefined;
      const id = params?.id ?? params?.callId;
      onStateChange({ actor: requestActor(request), method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0], call: typeof id === 'string' ? id : null, status: reply.statusCode });
    });
  }
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Messages of validation errors name fields, never values: safe to return.
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ code: error.code, message: error.message }, 'request failed');
    await reply.code(status).send({ error: status >= 500 ? 'internal-error' : error.message, code: error.code });
  });
  return app;
}
