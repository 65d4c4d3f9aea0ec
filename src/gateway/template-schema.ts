// The shape of a gateway template (built-in or a YAML/JSON file): the request body with
// {{placeholders}}, the HTTP details, and the rules that turn the gateway's XML answer into a
// ChargeOutcome. Validated with zod; docs/gateway.md ("Templates") documents every key.
import { z } from 'zod';

/** A dotted path into the parsed XML answer, root element first: `a.b[0].c`, `a.@attr`. */
const pathSchema = z.string().regex(/^[A-Za-z_][\w.:@[\]-]*$/, 'must be a dotted element path such as "root.child.leaf"');
/** One path or several: the first that is present wins. */
const pathsSchema = z.union([pathSchema, z.array(pathSchema).min(1)]).transform((value) => (typeof value === 'string' ? [value] : value));

const conditionSchema = z
  .strictObject({
    path: pathSchema,
    equals: z.string().optional(),
    in: z.array(z.string()).min(1).optional(),
    /** true: the path must be present (non-empty); false: absent. */
    exists: z.boolean().optional(),
  })
  .refine((c) => [c.equals, c.in, c.exists].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of equals, in, exists' });
export type Condition = z.infer<typeof conditionSchema>;

const ruleSchema = z.strictObject({
  /** Every condition must hold. */
  when: z.union([conditionSchema, z.array(conditionSchema).min(1)]).transform((value) => (Array.isArray(value) ? value : [value])),
  outcome: z.enum(['approved', 'declined', 'error']),
  /** A fixed reason for this rule (otherwise from `reasons`, then `reasonPath`, then the default). */
  reason: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'must be a short token such as do-not-honour')
    .optional(),
});
export type ResponseRule = z.infer<typeof ruleSchema>;

export const responseMappingSchema = z.strictObject({
  /** Checked in order; the first whose conditions all hold decides. None: `bad-response` (outcome unknown). */
  rules: z.array(ruleSchema).min(1),
  transactionId: pathsSchema,
  authCode: pathsSchema.optional(),
  /** The gateway's reason or error code (also looked up in `reasons`). */
  code: pathsSchema.optional(),
  /** A machine reason the gateway sends itself (normalised to lower-case-dashes). */
  reasonPath: pathsSchema.optional(),
  /** Gateway code -> our reason token (e.g. "2": do-not-honour). */
  reasons: z.record(z.string(), z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a short token')).default({}),
});
export type ResponseMapping = z.infer<typeof responseMappingSchema>;

export const templateSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  contentType: z.string().default('text/xml; charset=utf-8'),
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name'), z.string()).default({}),
  /** The XML request with {{field}}, {{field:N}} (at most N characters) and {{#field}}...{{/field}} (only when the field has a value). */
  body: z.string().min(1),
  response: responseMappingSchema,
});
export type TemplateSource = z.input<typeof templateSchema>;
export type TemplateDefinition = z.infer<typeof templateSchema>;
