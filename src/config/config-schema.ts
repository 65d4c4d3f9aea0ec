// toneguard's configuration (every key annotated in examples/config.yaml): YAML in, typed and defaulted out.
// Every key has a default, so `npm start` runs with none; unknown keys are errors (a typo in
// a security setting must not be silently ignored).
import { z } from 'zod';
import { dialogConfigSchema } from '../dialog/dialog-config.js';
import { gatewayConfigSchema } from '../gateway/gateway-config.js';
import { CLAMP_MODES, type ClampMode } from '../media/clamp/inband-clamp.js';
import { MEDIA_IO_CHOICES } from '../media/udp/media-io.js';
import { parseCidr } from '../sip/cidr.js';

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

const cidr = z.string().refine((text) => parseCidr(text) !== undefined, { message: 'must be an address range such as 10.0.0.0/8, 2001:db8::/32 or 192.0.2.7' });

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
        /** Of maxCalls, slots only trustedSources may take (digest-authenticated peers cannot fill them). */
        reservedCalls: z.number().int().min(0).default(100),
        maxTransactionsPerSource: z.number().int().min(1).default(500),
        /**
         * Sources that may create dialogs (INVITE, out-of-dialog MESSAGE/SUBSCRIBE/REFER; anyone
         * else gets 403 unless it answers a digest challenge of `auth`) and that get the reserved
         * TCP/TLS connection slots (CIDR list; IPv4, IPv6, and IPv4-mapped IPv6 match IPv4
         * ranges): the carrier's SBC, the PBX and the proxies in front of toneguard.
         */
        trustedSources: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
        /** RFC 3325 trust domain: P-Asserted-Identity, P-Preferred-Identity and Remote-Party-ID from these sources reach the PBX. */
        trustedIdentitySources: z.array(cidr).default([]),
        /**
         * SIP digest authentication (RFC 8760 SHA-256; MD5 only with allowMd5) for peers that
         * cannot be pinned by address: a dialog-creating request from outside trustedSources is
         * challenged (401) instead of refused when users are listed.
         */
        auth: z
          .object({
            realm: z
              .string()
              .min(1)
              .max(128)
              .regex(/^[^"\\\x00-\x1f]+$/, 'printable, without quotes or backslashes')
              .default('toneguard'),
            users: z
              .array(
                z
                  .object({
                    name: z
                      .string()
                      .min(1)
                      .max(128)
                      .regex(/^[^"\\\x00-\x1f]+$/, 'printable, without quotes or backslashes'),
                    password: z.string().min(12, 'at least 12 characters'),
                  })
                  .strict(),
              )
              .default([]),
            allowMd5: z.boolean().default(false),
            nonceTtlSeconds: z.number().int().min(10).max(3600).default(300),
          })
          .strict()
          .prefault({}),
        /** Incoming TCP/TLS connections at once, and from one source address (more: refused). */
        maxConnections: z.number().int().min(1).max(100_000).default(1000),
        maxConnectionsPerSource: z.number().int().min(1).default(32),
        /** Of maxConnections, slots only trustedSources may take (a flood cannot lock out the PBX). */
        reservedConnections: z.number().int().min(0).default(100),
        /** A TCP/TLS connection must deliver a complete SIP message (or finish its TLS handshake) within this, s. */
        firstMessageTimeoutSeconds: z.number().min(0.1).max(300).default(5),
        /** A TCP/TLS connection with no complete message, transaction or call for this long is closed, s. */
        connectionIdleSeconds: z.number().min(1).max(86_400).default(30),
        /** A call ends (BYE on both legs) this long after its INVITE, s (0: never). */
        maxCallSeconds: z.number().min(0).max(604_800).default(14_400),
        /** RFC 4028 session timer: the interval we ask for and accept at most (Session-Expires), s. */
        sessionExpiresSeconds: z.number().int().min(90).max(86_400).default(1800),
        /** RFC 4028 Min-SE: a shorter Session-Expires gets 422, s (at least 90). */
        minSessionExpiresSeconds: z.number().int().min(90).max(86_400).default(90),
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
      .prefault({})
      .refine((sip) => sip.reservedCalls < sip.maxCalls, { message: 'sip.reservedCalls must be less than sip.maxCalls', path: ['reservedCalls'] })
      .refine((sip) => sip.reservedConnections < sip.maxConnections, { message: 'sip.reservedConnections must be less than sip.maxConnections', path: ['reservedConnections'] })
      .refine((sip) => sip.minSessionExpiresSeconds <= sip.sessionExpiresSeconds, {
        message: 'sip.minSessionExpiresSeconds must not exceed sip.sessionExpiresSeconds',
        path: ['minSessionExpiresSeconds'],
      }),
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
            match: z
              .string()
              .min(1)
              .refine((re) => {
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
        /** A leg on hold (c=0.0.0.0, sendonly, inactive) for this long ends the call, s (0: never). */
        holdTimeoutSeconds: z.number().min(0).max(86_400).default(900),
        /**
         * Media worker threads that own the calls' sockets and clamps (SIP, HTTP and the payment
         * dialog stay on the main thread). Unset: one per core (os.availableParallelism()); 0: the
         * media runs on the main thread.
         */
        workers: z.number().int().min(0).max(256).optional(),
        /**
         * Socket I/O of the media legs: native (the batched addon built by scripts/build-native.sh),
         * dgram (node:dgram), or auto: native when it is built, else dgram.
         */
        io: z.enum(MEDIA_IO_CHOICES).default('auto'),
      })
      .strict()
      .prefault({}),
    secureMode: z.enum(['api', 'always']).default('api'),
    clamp: z
      .object({ mode: clampMode.default('silence') })
      .strict()
      .prefault({}),
    http: z
      .object({
        listen: hostPort('http.listen').prefault('127.0.0.1:8080'),
        /** HTTPS instead of HTTP; off unless a certificate is configured. */
        tls: z
          .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
          .strict()
          .optional(),
        /** Master bearer token (CTI/admin side, Authorization header only); empty: only loopback clients, Host checked. */
        token: z.string().default(''),
        /** HMAC key of widget tokens; empty: a random key per process. Instances behind one balancer share it. */
        widgetTokenKey: z.string().default(''),
        /** Lifetime of a widget token minted by POST /calls/:id/widget-token (s); default 4 h. */
        widgetTokenTtlSeconds: z
          .number()
          .int()
          .min(60)
          .max(7 * 86400)
          .default(14400),
        /** HMAC key of payment status callbacks; empty: statusCallback is refused. */
        webhookSecret: z.string().default(''),
        /** Accept http:// status callbacks (default: https only). */
        allowPlainHttpCallbacks: z.boolean().default(false),
        /** Hosts status callbacks may go to (`*.example.com` for subdomains); empty: any public host. */
        callbackHosts: z.array(z.string().min(1).max(253)).default([]),
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
