// Errors of the capture reader. A capture that goes bad part-way is not thrown away: the reader
// stops at the first unreadable block and returns what it read with one of these as `error`.

import { CodedError } from '../errors.js';

export type CaptureErrorCode =
  /** Neither a pcap nor a pcapng magic number at the start. */
  | 'ENOTCAPTURE'
  /** A record or block extends past the end of the file. */
  | 'ETRUNCATED'
  /** A pcapng block or pcap record with impossible fields (length, interface, version). */
  | 'EBADBLOCK'
  /** No bytes at all. */
  | 'EEMPTY'
  /** The file system refused (missing, directory, permissions). */
  | 'EREAD';

export class CaptureError extends CodedError<CaptureErrorCode> {
  override readonly name = 'CaptureError';
  readonly file: string;
  /** Byte offset of the unreadable record or block, when known. */
  readonly offset: number | undefined;
  readonly problem: string;

  constructor(code: CaptureErrorCode, file: string, problem: string, offset?: number, options?: { cause?: unknown }) {
    super(code, `${file}: ${problem}${offset === undefined ? '' : ` (at byte ${offset})`}`, options);
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }
}
