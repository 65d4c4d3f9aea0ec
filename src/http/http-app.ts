// The HTTP side of the server (fastify): APIs, widget, dashboard, /metrics, health.
// Authentication is one hook for every route: a bearer token when one is configured (constant-time
// compare); with no token, only loopback clients are served (the development default).
// Browsers cannot put headers on EventSource or on a page link, so `?token=` is accepted too.
import { timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

export interface HttpAppOptions {
  /** Empty: loopback clients only. */
  readonly token: string;
  readonly logger: Logger;
  /** Paths served without authentication (health checks from a load balancer). */
  readonly publicPaths?: readonly string[];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (m) return m[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === 'string' ? query.token : undefined;
}

export function isAuthorised(request: FastifyRequest, token: string): boolean {
  if (token === '') return LOOPBACK.has(request.socket.remoteAddress ?? '');
  const given = presentedToken(request);
  return given !== undefined && tokenMatches(given, token);
}

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Request bodies are small JSON commands; anything bigger is not ours.
    bodyLimit: 64 * 1024,
    // Request lines would carry `?token=` query strings: not logged.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const publicPaths = new Set(options.publicPaths ?? ['/health/live', '/health/ready']);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (publicPaths.has(path)) return;
    if (!isAuthorised(request, options.token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorised' });
    }
  });
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Messages of validation errors name fields, never values: safe to return.
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ code: error.code, message: error.message }, 'request failed');
    await reply.code(status).send({ error: status >= 500 ? 'internal-error' : error.message, code: error.code });
  });
  return app;
}
