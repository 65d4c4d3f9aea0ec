// SIP INFO DTMF towards the agent (RFC 6086 INFO carrying one of the DTMF body types that
// sip-info-dtmf.ts reads): in secure mode it is not forwarded; the digit, when readable, goes to the
// caller of this filter (the digit listener) instead. Fail closed: an INFO whose body type says
// DTMF is dropped even when its body cannot be read, since a receiver might read it anyway.
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { sipInfoDigit } from './sip-info-dtmf.js';
import { mediaTypeOf, type SipMessage } from './message-types.js';

export type SipInfoVerdict =
  | { readonly action: 'forward' }
  /** Not forwarded; answer it locally (200 OK, RFC 6086 §4.2.2) so the sender does not retransmit. */
  | { readonly action: 'drop'; readonly digit: DtmfDigit | undefined };

const FORWARD: SipInfoVerdict = { action: 'forward' };
const DTMF_TYPES = new Set(['application/dtmf-relay', 'application/x-dtmf-relay', 'application/dtmf', 'application/x-dtmf', 'audio/telephone-event']);

/** Whether the message is an INFO carrying DTMF, by method and body type. */
export function isDtmfInfo(message: SipMessage): boolean {
  if (message.kind !== 'request' || message.method !== 'INFO') return false;
  const type = mediaTypeOf(message);
  if (DTMF_TYPES.has(type)) return true;
  // A DTMF part inside a multipart body (RFC 2046) is DTMF too.
  return type.startsWith('multipart/') && /content-type:\s*application\/dtmf/i.test(message.body.toString('latin1'));
}

export function filterSipInfoDtmf(message: SipMessage, secure: boolean): SipInfoVerdict {
  if (!secure || !isDtmfInfo(message)) return FORWARD;
  return { action: 'drop', digit: sipInfoDigit(message)?.digit };
}
