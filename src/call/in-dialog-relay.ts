// An in-dialog request that crosses from one leg into the other (B2BUA mode: REFER for a blind
// transfer by the PBX reaches the caller side with the same Refer-To, its NOTIFYs come back the
// same way; INFO and MESSAGE likewise), and its final response back. Secure mode is decided by
// in-dialog-policy.ts before anything is sent: what it absorbs is answered here and never
// reaches the other leg. A caller's Refer-To loses the URI headers only toneguard may set.
import type { LegName } from '../media/media-session.js';
import type { ServerTransaction, SipRequest } from '../sip/sip-stack.js';
import { relayedHeaders } from './call-messages.js';
import { referToWithoutReservedHeaders } from './header-hygiene.js';
import { loggableContentType, relayVerdict } from './in-dialog-policy.js';
import type { Leg } from './leg.js';

export interface RelayRoute {
  /** The leg the request came in on. */
  readonly from: LegName;
  /** The other leg, where it goes. */
  readonly to: Leg;
  /** Secure mode as it is now (digits clamped on the way to the agent). */
  readonly secure: boolean;
  /** A log line (no SIP content: the body may be card digits). */
  warn(message: string): void;
}

/** Relays `req` (answered on `tx`): 408 when the other leg never answers, its final response otherwise. */
export async function relayInDialog(req: SipRequest, tx: ServerTransaction, route: RelayRoute): Promise<void> {
  const { from, to } = route;
  const verdict = relayVerdict(from, req.method, route.secure);
  if (verdict.action === 'absorb') {
    // The content type only: the body may be card digits.
    route.warn(`secure mode: caller ${req.method} (${loggableContentType(req.headers.get('content-type'))}) answered ${verdict.status} here, not relayed`);
    tx.respond(verdict.status);
    return;
  }
  const headers = relayedHeaders(req);
  if (from === 'caller' && headers['refer-to'] !== undefined) {
    // The transferee's INVITE would carry these URI headers with toneguard's authority.
    const checked = referToWithoutReservedHeaders(headers['refer-to']);
    if (!checked.ok) {
      route.warn(`caller REFER refused: ${checked.reason}`);
      tx.respond(403);
      return;
    }
    if (checked.stripped > 0) route.warn(`caller REFER: ${checked.stripped} reserved URI header(s) removed from Refer-To`);
    headers['refer-to'] = checked.value;
  }
  const contentType = req.headers.get('content-type');
  const res = await to.request(req.method, { headers, body: req.body.length > 0 ? req.body : undefined, contentType: req.body.length > 0 ? contentType : undefined });
  if (res === undefined) {
    tx.respond(408);
    return;
  }
  const resType = res.headers.get('content-type');
  tx.respond(res.status, res.reason, res.body.length > 0 && resType !== undefined ? { body: res.body, contentType: resType } : undefined);
}
