// The HTTP side of the server (fastify): APIs, widget, dashboard, /metrics, health.
// Authentication is one hook for every route: a bearer token when one is configured (constant-time
// compare); with no token, only loopback clients are served (the development default of DESIGN.md).
// Browsers cannot put headers on EventSource or on a page link, so `?token=` is accepted too.
import { timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** A state-changing request (POST, PUT, PATCH, DELETE), answered: for the audit trail. */
export interface ApiAuditEntry {
  /** Who: `master` (the bearer token), `loopback` (no token configured), `unauthenticated`. */
  readonly actor: string;
  readonly method: string;
  /** The route pattern (`/calls/:id/secure`), never the raw URL (it may carry `?token=`). */
  readonly route: string;
  readonly call: string | null;
  readonly status: number;
}

export interface HttpAppOptions {
  /** Empty: loopback clients only. A function is read per request (SIGHUP token rotation). */
  readonly token: string | (() => string);
  readonly logger: Logger;
  /** Paths served without authentication (health checks from a load balancer). */
  readonly publicPaths?: readonly string[];
  /** Told of every answered state-changing request. */
  readonly onStateChange?: (entry: ApiAuditEntry) => void;
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

/** The identity the auth hook gave each request. */
const actors = new WeakMap<FastifyRequest, string>();

/** Who made the request, as the audit trail names them. */
export function requestActor(request: FastifyRequest): string {
  return actors.get(request) ?? 'unauthenticated';
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

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
    const token = typeof options.token === 'function' ? options.token() : options.token;
    if (!isAuthorised(request, token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorised' });
      return;
    }
    actors.set(request, token === '' ? 'loopback' : 'master');
  });
  const onStateChange = options.onStateChange;
  if (onStateChange !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      if (!STATE_CHANGING.has(request.method)) return;
      const params = request.params as Record<string, unknown> | undefined;
      const call = typeof params?.id === 'string' ? params.id : null;
      onStateChange({ actor: requestActor(request), method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0], call, status: reply.statusCode });
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
