// toneguard's configuration (every key annotated in examples/config.yaml): YAML in, typed and defaulted out.
// Every key has a default, so `npm start` runs with none; unknown keys are errors (a typo in
// a security setting must not be silently ignored).
import { z } from 'zod';
import { dialogConfigSchema } from '../dialog/dialog-config.js';
import { gatewayConfigSchema } from '../gateway/gateway-config.js';
import { CLAMP_MODES, type ClampMode } from '../media/inband-clamp.js';

/** "host:port" with an IPv4/IPv6/name host; IPv6 in brackets ("[::1]:5060"). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

const hostPort = (what: string) =>
  z.string().transform((text, ctx) => {
    const hp = parseHostPort(text);
    if (!hp) {
      ctx.addIssue({ code: 'custom', message: `${what} must be HOST:PORT (e.g. 127.0.0.1:5060), got "${text}"` });
      return z.NEVER;
    }
    return hp;
  });

const sipUri = z.string().regex(/^sips?:[^\s]+$/i, 'must be a SIP URI such as sip:127.0.0.1:5070');

const portRange = z.string().transform((text, ctx) => {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first < 1024 || last > 65535 || last - first < 3) {
    ctx.addIssue({ code: 'custom', message: `must be FIRST-LAST with 1024 <= FIRST < LAST <= 65535 and room for two port pairs, got "${text}"` });
    return z.NEVER;
  }
  return { first, last };
});

const clampMode = z.enum(CLAMP_MODES as unknown as [ClampMode, ...ClampMode[]]);

export const configSchema = z
  .object({
    sip: z
      .object({
        listen: hostPort('sip.listen').prefault('127.0.0.1:5060'),
        /** TLS (SIPS) listener; off unless a certificate is configured. */
        tls: z
          .object({ listen: hostPort('sip.tls.listen'), certFile: z.string().min(1), keyFile: z.string().min(1) })
          .strict()
          .optional(),
        /** RFC 3261 §18.1.1 only needs 1300 for UDP; 64 KiB bounds a TCP message. */
        maxMessageBytes: z.number().int().min(1500).max(1048576).default(65535),
        maxCalls: z.number().int().min(1).default(2000),
        maxCallsPerSource: z.number().int().min(1).default(200),
        maxTransactionsPerSource: z.number().int().min(1).default(500),
        /** An upstream that sends no response at all to an INVITE within this long is given up for the next, ms. */
        inviteTimeoutMs: z.number().int().min(100).max(32000).default(5000),
        /** OPTIONS keep-alives to each upstream; down after failureThreshold failures in a row. */
        keepalive: z
          .object({
            intervalSeconds: z.number().min(0).max(3600).default(10),
            timeoutSeconds: z.number().min(0.1).max(32).default(2),
            failureThreshold: z.number().int().min(1).max(100).default(3),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * The PBX: one SIP URI, or a list with priorities (lower first) and weights (share among
     * equals); calls fail over from one to the next.
     */
    upstream: z
      .union([
        sipUri,
        z
          .array(
            z
              .object({
                uri: sipUri,
                priority: z.number().int().min(0).max(65535).default(0),
                weight: z.number().int().min(0).max(65535).default(1),
              })
              .strict(),
          )
          .min(1, 'needs at least one upstream'),
      ])
      .default('sip:127.0.0.1:5070')
      .transform((u) => (typeof u === 'string' ? [{ uri: u, priority: 0, weight: 1 }] : u)),
    /** Request-URI rules tried in order before `upstream`: the user part matches the regex. */
    routes: z
      .array(
        z
          .object({
            match: z.string().min(1).refine((re) => {
              try {
                new RegExp(re);
                return true;
              } catch {
                return false;
              }
            }, 'must be a valid regular expression'),
            upstream: sipUri,
          })
          .strict(),
      )
      .default([]),
    rtp: z
      .object({
        address: z.string().min(1).default('127.0.0.1'),
        ports: portRange.prefault('20000-29999'),
        /** No RTP for this long on a leg (not on hold) ends the call. */
        timeoutSeconds: z.number().min(1).max(3600).default(30),
      })
      .strict()
      .prefault({}),
    secureMode: z.enum(['api', 'always']).default('api'),
    clamp: z.object({ mode: clampMode.default('silence') }).strict().prefault({}),
    http: z
      .object({
        listen: hostPort('http.listen').prefault('127.0.0.1:8080'),
        /** Bearer token for the APIs and pages; empty: only loopback clients are served. */
        token: z.string().default(''),
        /** HMAC key of payment status callbacks; empty: the token signs them. */
        webhookSecret: z.string().default(''),
      })
      .strict()
      .prefault({}),
    /**
     * `uri`: calls to it run the payment dialog (automated mode); every other key is the dialog's
     * (src/dialog/dialog-config.ts: amounts, card types, timeouts, results, returnUri, prompts).
     */
    payment: z
      .looseObject({ uri: sipUri.default('sip:pay@127.0.0.1') })
      .prefault({})
      .transform((value, ctx) => {
        const { uri, ...rest } = value;
        const dialog = dialogConfigSchema.safeParse(rest);
        if (!dialog.success) {
          for (const issue of dialog.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
          return z.NEVER;
        }
        return { uri, ...dialog.data };
      }),
    gateway: gatewayConfigSchema.prefault({}),
    kpi: z
      .object({
        /** SQLite history file (default); ignored when `postgres` is set. */
        sqlite: z.string().min(1).default('./data/kpi.sqlite'),
        /** postgres://user@host/db: the shared store for several instances. */
        postgres: z.string().default(''),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
    /** Seconds calls get to finish after SIGTERM before they are ended. */
    shutdownGraceSeconds: z.number().min(0).max(3600).default(30),
  })
  .strict();

export type ToneguardConfig = z.output<typeof configSchema>;
export type ToneguardConfigInput = z.input<typeof configSchema>;
