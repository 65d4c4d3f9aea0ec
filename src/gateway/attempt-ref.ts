// The idempotency key in at most 20 characters, for gateways with a short reference field
// (Authorize.Net's refId is a string of at most 20). Short plain keys pass unchanged; longer
// ones become the first 20 characters of their SHA-256 in base64url (120 bits: unique enough
// per merchant, and the same key always gives the same reference, so retries match).
import { createHash } from 'node:crypto';

export const ATTEMPT_REF_MAX = 20;

export function attemptRef(idempotencyKey: string): string {
  if (/^[A-Za-z0-9_-]{1,20}$/.test(idempotencyKey)) return idempotencyKey;
  return createHash('sha256').update(idempotencyKey, 'utf8').digest('base64url').slice(0, ATTEMPT_REF_MAX);
}
