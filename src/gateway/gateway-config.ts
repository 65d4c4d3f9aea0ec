// The `gateway:` block of the configuration (examples/config.yaml), validated with zod at the edge. The
// documented keys (kind, template, url, credentials, caFile, timeoutMs) come first; the rest are
// this layer's own tuning, each with a default so that an empty block is a working simulator.
import { z } from 'zod';

const MS_MAX = 600_000;

export const gatewayAuthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  /** HTTP Basic (RFC 7617). */
  z.strictObject({ kind: z.literal('basic'), username: z.string(), password: z.string() }),
  /** Bearer token (RFC 6750). */
  z.strictObject({ kind: z.literal('bearer'), token: z.string().min(1) }),
  /** TLS client certificate (PEM files); passphrase for an encrypted key. */
  z.strictObject({ kind: z.literal('client-certificate'), certFile: z.string().min(1), keyFile: z.string().min(1), passphrase: z.string().optional() }),
]);
export type GatewayAuth = z.infer<typeof gatewayAuthSchema>;

export const gatewayConfigSchema = z.strictObject({
  /** simulator: the built-in HTTPS simulator, started on `url`'s host and port; xml: a real gateway. */
  kind: z.enum(['simulator', 'xml']).default('simulator'),
  /** A built-in template name (authorize-net | generic) or the path of a template file (YAML or JSON). */
  template: z.string().min(1).default('authorize-net'),
  url: z.url({ protocol: /^https$/, error: 'must be an https:// URL (card data travels only over TLS)' }).default('https://127.0.0.1:8443/xml/v1/request.api'),
  /** Template values {{credentialName}} and {{credentialKey}} (Authorize.Net's name and transactionKey). */
  credentials: z.strictObject({ name: z.string().default(''), transactionKey: z.string().default('') }).prefault({}),
  /** Extra CA (PEM file) to trust besides the system store; TLS is always verified. */
  caFile: z.string().default(''),
  /** Longest wait for the answer once the request is sent, ms. */
  timeoutMs: z.number().int().min(1).max(MS_MAX).default(8000),
  /** Longest wait for the TCP and TLS handshake, ms. */
  connectTimeoutMs: z.number().int().min(1).max(MS_MAX).default(3000),
  /** Extra tries after a fault that is safe to retry (nothing sent, or HTTP 5xx with the same idempotency key). */
  retries: z.number().int().min(0).max(5).default(2),
  /** Pause before retry n (1-based): retryDelayMs * n. */
  retryDelayMs: z.number().int().min(0).max(MS_MAX).default(200),
  /** Extra HTTP headers on every request (the template's own headers come first). */
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name'), z.string()).default({}),
  auth: gatewayAuthSchema.default({ kind: 'none' }),
});

/** The parsed `gateway:` block: every key present. */
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
/** What a configuration file may write: every key optional. */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

/** One line per bad field: `gateway.timeoutMs: Too small: expected number to be >=1`. */
export function describeZodIssues(prefix: string, error: z.ZodError): string {
  return error.issues.map((issue) => `${[prefix, ...issue.path.map(String)].join('.')}: ${issue.message}`).join('; ');
}
