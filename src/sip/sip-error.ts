// Errors of the SIP stack. A parse error carries the status a server answers with (RFC 3261
// §21.4: 400 for syntax, 505 for another version, 513 for a message over the size limit) and,
// when the start line and a top Via could be read, the partial request so that the answer can
// be addressed (§18.2.2); otherwise the message is dropped.
import { CodedError } from '../errors.js';
import type { SipRequest } from './message-types.js';

export type SipErrorCode = 'SIP_PARSE' | 'SIP_TRANSPORT' | 'SIP_STATE' | 'SIP_CONFIG';

export class SipParseError extends CodedError<'SIP_PARSE'> {
  /** Status to answer with when a response can be addressed: 400, 413, 416, 505 or 513. */
  readonly status: number;
  /** Set when enough of a request was read to address a response (start line, Via, Call-ID, CSeq). */
  readonly partial: SipRequest | undefined;
  constructor(status: number, message: string, partial?: SipRequest) {
    super('SIP_PARSE', message);
    this.status = status;
    this.partial = partial;
  }
}

export class SipTransportError extends CodedError<'SIP_TRANSPORT'> {}
export class SipStateError extends CodedError<'SIP_STATE'> {}
export class SipConfigError extends CodedError<'SIP_CONFIG'> {}
