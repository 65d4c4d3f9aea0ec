// HTTP errors as problem details (RFC 9457): `application/problem+json` with a stable `type` URI
// per kind of problem, `title` (fixed per type), `status`, `detail` (this occurrence, for
// people) and `instance` (the request path, when it names something of ours). Every error reply
// goes through `sendProblem`; clients switch on `type` (or the older `code`), never on `detail`.
// `detail` is written by us or by a validator that names fields, never values: no card data, no
// stack, no internal message. `error` and `code` stay beside them for clients written before.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Where the problem types live; `type` is this plus the slug (RFC 9457 §3.1.1: an identifier, not fetched by clients). */
export const PROBLEM_TYPE_BASE = 'https://toneguard.dev/problems/';

export const PROBLEM_TYPES = {
  'bad-request': { status: 400, title: 'The request is not valid', code: 'ERR_BAD_REQUEST' },
  'malformed-json': { status: 400, title: 'The body is not valid JSON', code: 'FST_ERR_CTP_INVALID_JSON_BODY' },
  unauthorised: { status: 401, title: 'A valid token is required', code: 'ERR_UNAUTHORISED' },
  'master-token-in-url': { status: 401, title: 'The master token is not accepted in a URL', code: 'ERR_MASTER_TOKEN_IN_URL' },
  forbidden: { status: 403, title: 'This token does not allow this request', code: 'ERR_FORBIDDEN' },
  'not-found': { status: 404, title: 'No such route', code: 'ERR_NOT_FOUND' },
  'no-such-call': { status: 404, title: 'No such call', code: 'ERR_NO_CALL' },
  'no-such-payment': { status: 404, title: 'No such payment', code: 'ERR_NO_PAYMENT' },
  'method-not-allowed': { status: 405, title: 'The route does not take this method', code: 'ERR_METHOD_NOT_ALLOWED' },
  conflict: { status: 409, title: 'Not possible in the current state', code: 'ERR_CONFLICT' },
  'payment-active': { status: 409, title: 'A payment already runs on this call', code: 'ERR_PAYMENT_ACTIVE' },
  'payload-too-large': { status: 413, title: 'The body is too large', code: 'FST_ERR_CTP_BODY_TOO_LARGE' },
  'unsupported-media-type': { status: 415, title: 'The body is not JSON', code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
  'uri-too-long': { status: 414, title: 'A path segment is too long', code: 'FST_ERR_MAX_PARAM_LENGTH' },
  'host-not-loopback': { status: 421, title: 'Without a token only loopback hosts are served', code: 'ERR_HOST_NOT_LOOPBACK' },
  'callback-refused': { status: 422, title: 'The status callback URL is refused', code: 'ERR_CALLBACK_REFUSED' },
  'too-many-streams': { status: 429, title: 'Too many widget streams for this call', code: 'ERR_TOO_MANY_STREAMS' },
  'internal-error': { status: 500, title: 'Internal error', code: 'ERR_INTERNAL' },
  'kpi-unavailable': { status: 503, title: 'The KPI store is not available', code: 'kpi.db-failure' },
  'not-ready': { status: 503, title: 'Not taking new calls', code: 'ERR_NOT_READY' },
} as const satisfies Record<string, { readonly status: number; readonly title: string; readonly code: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export function problemType(slug: ProblemSlug): string {
  return PROBLEM_TYPE_BASE + slug;
}

/** The members of a problem; `extensions` may add members (RFC 9457 §3.2) but not replace these. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: string;
  readonly error: string;
  readonly [extension: string]: unknown;
}

export interface ProblemOptions {
  /** The finer code of this occurrence (e.g. `ERR_WEBHOOKS_DISABLED`); default: the type's. */
  readonly code?: string;
  /** Extra members (RFC 9457 §3.2), e.g. `reasons`, `missing`; may replace `error` and `code`, never the RFC's members. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

// A path is echoed as `instance` unless it may hold a card number (a run of 12 or more digits):
// a client that put one in a URL gets no copy of it back.
const POSSIBLE_PAN = /\d{12,}/;

/** The path a problem names: the request's, without its query (it may hold `?token=`). */
export function problemInstance(request: FastifyRequest): string | undefined {
  if (request.routeOptions.url === undefined) return undefined;
  const path = request.url.split('?')[0];
  return POSSIBLE_PAN.test(path) || path.length > 512 ? undefined : path;
}

// A run of 12 to 19 digits, spaces or dashes between them allowed: what a card number looks like.
const DIGIT_RUN = /\d(?:[ -]?\d){11,18}/g;

/** Defence in depth: a message that quotes input (a KPI date, a gateway reason) loses any card-number-like run. */
function scrub(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(DIGIT_RUN, '[digits removed]') : value;
}

export function problemBody(slug: ProblemSlug, detail: string, instance: string | undefined, options: ProblemOptions = {}): ProblemDetails {
  const kind = PROBLEM_TYPES[slug];
  const extensions = Object.fromEntries(Object.entries(options.extensions ?? {}).map(([k, v]) => [k, scrub(v)]));
  const safeDetail = scrub(detail) as string;
  return {
    error: safeDetail,
    code: options.code ?? kind.code,
    ...extensions,
    type: problemType(slug),
    title: kind.title,
    status: kind.status,
    detail: safeDetail,
    ...(instance === undefined ? {} : { instance }),
  };
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** The one way a route or hook answers an error. `request` null: before routing (no path to name). */
export function sendProblem(request: FastifyRequest | null, reply: FastifyReply, slug: ProblemSlug, detail: string, options: ProblemOptions = {}): FastifyReply {
  const body = problemBody(slug, detail, request === null ? undefined : problemInstance(request), options);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}
