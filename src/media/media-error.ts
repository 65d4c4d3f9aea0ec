// Errors of the media stages: bad options at construction, use after close. Packets never throw
// (a bad packet is counted and dropped or passed, see each stage).

export type MediaErrorCode =
  /** An option is out of range or inconsistent (payload types, frame size, lookahead...). */
  | 'EOPTIONS'
  /** The stage was used after close(). */
  | 'ECLOSED';

export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
