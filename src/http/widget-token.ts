// Widget tokens: what an agent's browser holds instead of the master token. One token names one
// call and the actions allowed on it, and expires; it is signed with HMAC-SHA256 (RFC 2104) under
// a server key, so any instance sharing the key can check it without shared state.
//   tgw1.<base64url(JSON {c: callId, s: scopes, x: expiry in Unix seconds})>.<base64url(HMAC(key, "tgw1." + payload))>
// A token cannot be widened: the scopes and the call are inside what is signed.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** watch: the widget's event stream and the payment status; pay: start, capture, complete or cancel its payment. */
export const WIDGET_SCOPES = ['watch', 'pay'] as const;
export type WidgetScope = (typeof WIDGET_SCOPES)[number];

export interface WidgetGrant {
  readonly callId: string;
  readonly scopes: readonly WidgetScope[];
  /** Unix seconds. */
  readonly expiresAt: number;
}

const PREFIX = 'tgw1';
// A call id is at most 256 characters (call-routes.ts), so a genuine token is well under this.
const MAX_TOKEN_LENGTH = 1024;

const payloadSchema = z
  .object({
    c: z.string().min(1).max(256),
    s: z.array(z.enum(WIDGET_SCOPES)).min(1).max(WIDGET_SCOPES.length),
    x: z.number().int().positive(),
  })
  .strict();

export class WidgetTokens {
  readonly #key: Buffer;

  /** `key` empty: a random key for this process only (tokens die with it). */
  constructor(key: string) {
    this.#key = key === '' ? randomBytes(32) : Buffer.from(key, 'utf8');
  }

  mint(grant: WidgetGrant): string {
    const payload = Buffer.from(JSON.stringify({ c: grant.callId, s: grant.scopes, x: grant.expiresAt })).toString('base64url');
    return `${PREFIX}.${payload}.${this.#sign(payload)}`;
  }

  /** The grant of a genuine, unexpired token; undefined for anything else (never throws). */
  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): WidgetGrant | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const given = Buffer.from(parts[2], 'base64url');
    const expected = Buffer.from(this.#sign(parts[1]), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = payloadSchema.safeParse(json);
    if (!parsed.success || parsed.data.x <= nowSeconds) return undefined;
    return { callId: parsed.data.c, scopes: parsed.data.s, expiresAt: parsed.data.x };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(`${PREFIX}.${payload}`).digest('base64url');
  }
}
