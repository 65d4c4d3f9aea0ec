// Who may open a dialog through toneguard. The PBX trusts toneguard's address, so a call that
// toneguard relays carries toneguard's authority (toll fraud, forged payment input): only
// sources in `sip.trustedSources`, or peers that answer a digest challenge (`sip.auth`), may
// create dialogs. Everyone else gets 403 and nothing is sent anywhere on their behalf.
import type { SipRequest } from '../sip/sip-stack.js';
import { challenges, verifyDigest, type DigestOptions } from '../sip/digest-auth.js';

/** Requests that create a dialog or act outside one (RFC 3261 §12, RFC 3265, RFC 3428, RFC 3515). */
export const DIALOG_CREATING: ReadonlySet<string> = new Set(['INVITE', 'MESSAGE', 'SUBSCRIBE', 'REFER', 'PUBLISH']);

export interface AdmissionPolicy {
  /** `sip.trustedSources`: the address may open dialogs without credentials. */
  readonly trusted: (address: string) => boolean;
  /** `sip.auth`: digest users; undefined when none are configured. */
  readonly digest?: DigestOptions;
}

export type Admission =
  { readonly admitted: true; readonly by: 'source' | `digest:${string}` } | { readonly admitted: false; readonly status: 401 | 403; readonly headers?: Readonly<Record<string, string[]>> };

export function admit(policy: AdmissionPolicy, req: SipRequest, address: string, nowMs: number): Admission {
  if (policy.trusted(address)) return { admitted: true, by: 'source' };
  const digest = policy.digest;
  if (digest === undefined || digest.users.length === 0) return { admitted: false, status: 403 };
  const verdict = verifyDigest(digest, req.headers.get('authorization'), req.method, address, nowMs);
  if (verdict.ok) return { admitted: true, by: `digest:${verdict.user}` };
  return { admitted: false, status: 401, headers: { 'www-authenticate': challenges(digest, address, nowMs, verdict.stale) } };
}
