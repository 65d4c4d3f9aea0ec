// The HTTP side of the server (fastify): APIs, widget, dashboard, /metrics, health.
// Authentication is one hook for every route (http-auth.ts): the master token, a widget token
// scoped to one call, or (no token configured) loopback clients with a loopback Host header.
// Routes say who may call them with `config: { access }`; without it, only the master token.
// Optional TLS: the same app over HTTPS (`http.tls`).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { authorise } from './http-auth.js';
import { WidgetTokens } from './widget-token.js';

export interface HttpAppOptions {
  /** Empty: loopback clients only. */
  readonly token: string;
  readonly logger: Logger;
  /** Checks widget tokens; default: a random key of this app's own (tokens minted elsewhere fail). */
  readonly widgetTokens?: WidgetTokens;
  /** Any id a route accepts for a call to the id widget tokens name; default: the id itself. */
  readonly resolveCallId?: (id: string) => string | undefined;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Paths served without authentication (health checks from a load balancer). */
  readonly publicPaths?: readonly string[];
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
  const auth = {
    token: options.token,
    widgetTokens: options.widgetTokens ?? new WidgetTokens(''),
    resolveCallId: options.resolveCallId ?? ((id: string) => id),
    tls: options.tls !== undefined,
  };
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const access = publicPaths.has(request.url.split('?')[0]) ? 'public' : (request.routeOptions.config.access ?? 'master');
    const decision = authorise(request, access, auth);
    if (decision.ok) {
      request.principal = decision.principal;
      return;
    }
    if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
    await reply.code(decision.status).send({ error: decision.error, code: decision.code });
  });
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Messages of validation errors name fields, never values: safe to return.
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ code: error.code, message: error.message }, 'request failed');
    await reply.code(status).send({ error: status >= 500 ? 'internal-error' : error.message, code: error.code });
  });
  return app;
}
