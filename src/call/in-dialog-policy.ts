// Which in-dialog requests from one leg may be relayed into the other. Secure mode fails closed
// structurally: from the caller leg only the methods that keep the session itself alive (RFC
// 3261 §13-15, RFC 3311 UPDATE, RFC 3262 PRACK) may pass; everything else (INFO, MESSAGE,
// NOTIFY, REFER, and any method relayed in the future) is answered here, whatever its content
// type, so no caller payload (DTMF in INFO bodies of any vendor's format, SMS-like MESSAGE
// text) reaches the agent while a payment is taken.
import type { LegName } from '../media/media-session.js';

/** Methods that are the session's own signalling: never payload carriers by themselves. */
export const SESSION_METHODS: ReadonlySet<string> = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'UPDATE', 'PRACK', 'OPTIONS']);

export type RelayVerdict =
  | { readonly action: 'relay' }
  /** Answer here with `status` and relay nothing. */
  | { readonly action: 'absorb'; readonly status: number };

const RELAY: RelayVerdict = { action: 'relay' };

/**
 * The rule for a request `from` a leg while `secure` is on or off. INFO, MESSAGE and NOTIFY
 * are acknowledged (200: the sender stops retransmitting, RFC 6086 §4.2.2); a REFER or an
 * unknown method is refused (403) since accepting it would promise work we do not do.
 */
export function relayVerdict(from: LegName, method: string, secure: boolean): RelayVerdict {
  if (from !== 'caller' || !secure || SESSION_METHODS.has(method)) return RELAY;
  return { action: 'absorb', status: method === 'INFO' || method === 'MESSAGE' || method === 'NOTIFY' ? 200 : 403 };
}

/** A Content-Type value reduced to something safe to log (type/subtype only, bounded). */
export function loggableContentType(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return '(none)';
  const type = value.split(';')[0].trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]{1,40}\/[a-z0-9!#$&^_.+-]{1,60}$/.test(type) ? type : '(malformed)';
}
