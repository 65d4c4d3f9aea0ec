// Why an SDP cannot be negotiated, and what the 488 says about it: a Warning header (RFC 3261
// §20.43, codes 3xx name the part of the session description at fault) so the peer's logs show
// the reason without our SIP trace.
import { CodedError } from '../errors.js';

export type SdpErrorCode =
  | 'sdp-malformed'
  | 'sdp-no-audio'
  | 'sdp-no-common-codec'
  | 'sdp-srtp-unsupported'
  | 'sdp-answer-invalid'
  /** c= we cannot send to: not an IP literal, another address family than our RTP socket. */
  | 'sdp-address-unsupported'
  /** c= multicast (we only do unicast RTP). */
  | 'sdp-multicast'
  /** A codec/ptime/port combination the media plane cannot carry on that leg. */
  | 'sdp-media-unsupported';

/** An SDP we cannot negotiate: an offer is refused with 488 Not Acceptable Here (RFC 3261 §21.4.26). */
export class SdpError extends CodedError<SdpErrorCode> {}

/** Warn-agent of our Warning headers (a pseudonym, RFC 3261 §20.43). */
const WARN_AGENT = 'toneguard';

const WARNINGS: Readonly<Record<SdpErrorCode, readonly [number, string]>> = {
  'sdp-malformed': [399, 'Session description not understood'],
  'sdp-no-audio': [304, 'Media type not available'],
  'sdp-no-common-codec': [305, 'Incompatible media format'],
  'sdp-srtp-unsupported': [302, 'Incompatible transport protocol'],
  'sdp-answer-invalid': [399, 'The called party answered with an unusable session description'],
  'sdp-address-unsupported': [301, 'Incompatible network address formats'],
  'sdp-multicast': [330, 'Multicast not available'],
  'sdp-media-unsupported': [305, 'Incompatible media format'],
};

/** The Warning header value for a 488 caused by `code`, e.g. `305 toneguard "Incompatible media format"`. */
export function sdpWarning(code: SdpErrorCode): string {
  const [warnCode, text] = WARNINGS[code];
  return `${warnCode} ${WARN_AGENT} "${text}"`;
}

/** Response options for a 488 caused by `code`. */
export function notAcceptable(code: SdpErrorCode): { readonly headers: Record<string, string> } {
  return { headers: { warning: sdpWarning(code) } };
}
