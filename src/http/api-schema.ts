// Pieces of the routes' fastify schemas (JSON Schema, OpenAPI 3.0 dialect) shared by every route
// file: the problem object, the error responses, call id parameters, and request bodies derived
// from the zod schemas the handlers parse with (one definition: what is documented is what is
// checked). Response schemas document replies only: createHttpApp serializes with JSON.stringify,
// so a schema can never silently drop or reshape a field of a real reply (a test compares them).
import { z } from 'zod';
import { PROBLEM_TYPES, type ProblemSlug } from './problem.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** A JSON Schema object as fastify and @fastify/swagger take it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** The JSON Schema of a zod schema's input (OpenAPI 3.0 dialect); what zod cannot express (transforms, refinements) is left open rather than refused. */
export function zodJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

const SLUGS_BY_STATUS = new Map<number, ProblemSlug[]>();
for (const [slug, kind] of Object.entries(PROBLEM_TYPES) as [ProblemSlug, (typeof PROBLEM_TYPES)[ProblemSlug]][]) {
  SLUGS_BY_STATUS.set(kind.status, [...(SLUGS_BY_STATUS.get(kind.status) ?? []), slug]);
}

export const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details. Switch on `type` (or `code`); `detail` is for people. Other members may follow the type (e.g. `reasons`, `missing`).',
  required: ['type', 'title', 'status', 'detail', 'code', 'error'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'The problem type (docs/http-api.md lists them).' },
    title: { type: 'string', description: 'Fixed per type.' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'This occurrence, for people. Never card data.' },
    instance: { type: 'string', description: 'The request path, when it names something of ours.' },
    code: { type: 'string', description: 'The finer machine code (e.g. `ERR_NO_CALL`, `kpi.invalid-range`).' },
    error: { type: 'string', description: 'Kept for older clients: `detail` (the KPI routes: the code).' },
  },
  additionalProperties: true,
};

/** Error responses of a route: a status (every problem type of that status) or a problem type (just that one). */
export function problemResponses(...items: (number | ProblemSlug)[]): Record<number, JsonSchema> {
  const slugsOf = new Map<number, ProblemSlug[]>();
  for (const item of items) {
    const slugs = typeof item === 'number' ? SLUGS_BY_STATUS.get(item) : [item];
    if (slugs === undefined) throw new Error(`no problem type has status ${item}`);
    const status = PROBLEM_TYPES[slugs[0]].status;
    slugsOf.set(status, [...new Set([...(slugsOf.get(status) ?? []), ...slugs])]);
  }
  const out: Record<number, JsonSchema> = {};
  for (const [status, slugs] of slugsOf) {
    out[status] = { description: `Problem: ${slugs.join(', ')}`, content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } } };
  }
  return out;
}

/** What every master-token route may answer: 401 (no or wrong token), 421 (no token configured and a non-loopback Host), 500. */
export const MASTER_ERRORS = [401, 421, 500] as const;
/** Routes a widget token may call also answer 403 (another call, or a scope the token lacks). */
export const WIDGET_ERRORS = [401, 403, 421, 500] as const;
/** Routes without authentication. */
export const PUBLIC_ERRORS = [500] as const;
/** Routes that take a JSON body: 400 (not valid, not JSON), 413 (over 64 KiB), 415 (not JSON). */
export const BODY_ERRORS = [400, 413, 415] as const;

export function json(schema: JsonSchema, description: string): JsonSchema {
  return { description, content: { 'application/json': { schema } } };
}

export function callIdParams(name: 'id' | 'callId'): JsonSchema {
  return {
    type: 'object',
    required: [name],
    properties: {
      [name]: {
        type: 'string',
        description: "toneguard's call id (X-Toneguard-Call-Id) or either leg's SIP Call-ID, URL-encoded; printable ASCII, at most 256 characters",
      },
    },
  };
}

export const nullableString: JsonSchema = { type: 'string', nullable: true };
