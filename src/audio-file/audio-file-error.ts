// The one error type of the audio-file layer, and the wording its messages share. Every problem
// with an input names the file, so that `scan` over a directory and `detect` on one file report
// it the same way; the code is what callers branch on, the message is for people.
import { CodedError } from '../errors.js';

export type AudioFileErrorCode =
  /** Not RIFF/WAVE (and no raw format given). */
  | 'ENOTWAV'
  /** A chunk, or the header, extends past the end of the file. */
  | 'ETRUNCATED'
  /** No samples: 0-byte file or 0-byte data chunk. */
  | 'EEMPTY'
  /** Well-formed, but a codec, sample size or byte order toneguard does not read. */
  | 'EUNSUPPORTED'
  /** No `fmt ` chunk. */
  | 'ENOFMT'
  /** No `data` chunk. */
  | 'ENODATA'
  /** A `fmt ` chunk with impossible values (0 channels, 0 Hz, too short). */
  | 'EBADFMT'
  /** Raw input options out of range. */
  | 'EINVAL'
  /** The file system refused (missing, directory, permissions). */
  | 'EREAD';

/** Every problem with an input file; the message starts with the file name. */
export class AudioFileError extends CodedError<AudioFileErrorCode> {
  override readonly name = 'AudioFileError';
  readonly file: string;
  /** The problem without the file name, e.g. "truncated: data chunk declares ...". */
  readonly problem: string;

  constructor(code: AudioFileErrorCode, file: string, problem: string, options?: { cause?: unknown }) {
    super(code, `${file}: ${problem}`, options);
    this.file = file;
    this.problem = problem;
  }
}

/** The file name errors carry when the caller parses bytes that have none. */
export const DEFAULT_NAME = '<input>';

/** "1 byte", "2 bytes". */
export function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
