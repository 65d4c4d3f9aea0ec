// Errors of the media stages: bad options at construction, use after close. Packets never throw
// (a bad packet is counted and dropped or passed, see each stage).

import { CodedError } from '../errors.js';

export type MediaErrorCode =
  /** An option is out of range or inconsistent (payload types, frame size, lookahead...). */
  | 'EOPTIONS'
  /** The stage was used after close(). */
  | 'ECLOSED'
  /** Native media I/O was required (rtp.io: native) and the addon is not built or does not load. */
  | 'ENATIVEIO';

export class MediaError extends CodedError<MediaErrorCode> {
  override readonly name = 'MediaError';
}
