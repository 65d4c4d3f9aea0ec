// The app's one error handler and one not-found handler: whatever fails (schema validation, a
// body fastify cannot parse, a handler that throws, a path or method no route takes) is answered
// as a problem (problem.ts). Fastify's own messages for validation and body parsing name fields
// and limits, never values; anything else gets a fixed detail, and a 5xx is logged by code only.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_TYPES, sendProblem, type ProblemSlug } from './problem.js';

interface Mapped {
  readonly slug: ProblemSlug;
  readonly detail: string;
}

// Fixed details: a JSON.parse message quotes the body, which may hold card data.
const BY_FASTIFY_CODE: Readonly<Record<string, Mapped>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { slug: 'malformed-json', detail: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { slug: 'malformed-json', detail: 'the body is empty but Content-Type says application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { slug: 'payload-too-large', detail: 'the body is over the limit of 64 KiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { slug: 'unsupported-media-type', detail: 'send the body as application/json' },
  // Router errors (fastify's frameworkErrors): their messages quote the path.
  FST_ERR_BAD_URL: { slug: 'bad-request', detail: 'the path is not valid percent-encoding' },
  FST_ERR_MAX_PARAM_LENGTH: { slug: 'uri-too-long', detail: 'a path segment is over 256 characters: longer than any id toneguard issues or accepts' },
};

const SLUG_BY_STATUS: ReadonlyMap<number, ProblemSlug> = new Map(
  (Object.entries(PROBLEM_TYPES) as [ProblemSlug, (typeof PROBLEM_TYPES)[ProblemSlug]][]).reverse().map(([slug, kind]) => [kind.status, slug]),
);

/** The problem an error thrown inside a request stands for. */
export function problemOfError(error: FastifyError): Mapped {
  if (error.validation !== undefined) return { slug: 'bad-request', detail: error.message };
  const known = BY_FASTIFY_CODE[error.code];
  if (known !== undefined) return known;
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const slug = SLUG_BY_STATUS.get(status) ?? 'bad-request';
    return { slug, detail: error.code?.startsWith('FST_ERR_') ? error.message : PROBLEM_TYPES[slug].title };
  }
  return { slug: 'internal-error', detail: 'the request failed; the server log has the details' };
}

interface KnownRoute {
  readonly method: string;
  readonly pattern: RegExp;
}

/** A route path (`/calls/:id/payments/:pid`) as a pattern for raw request paths. */
function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** Fastify's `frameworkErrors` option: errors of the router, before any route or hook runs. */
export function frameworkProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const { slug, detail } = problemOfError(error);
  void sendProblem(null, reply, slug, detail, { code: error.code });
}

export function installProblemHandlers(app: FastifyInstance): void {
  const routes: KnownRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, pattern: routePattern(route.url) });
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const { slug, detail } = problemOfError(error);
    if (PROBLEM_TYPES[slug].status >= 500) request.log.error({ code: error.code, message: error.message }, 'request failed');
    // Fastify's codes (FST_ERR_CTP_…) stay in `code` as before; a validation failure has the code of every bad request.
    const own = error.validation === undefined && error.code?.startsWith('FST_ERR_') === true;
    return sendProblem(request, reply, slug, detail, own ? { code: error.code } : {});
  });

  // A path some route takes with another method is a 405 with Allow (RFC 9110 §15.5.6); the
  // authentication hook has run first, so only a client with access learns which routes exist.
  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(request, reply, 'method-not-allowed', `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`);
    }
    return sendProblem(request, reply, 'not-found', 'no route has this path');
  });
}
