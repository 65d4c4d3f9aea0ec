// Message framing on stream transports (RFC 3261 §18.3): the header section ends at the first
// blank line and the body is exactly Content-Length bytes (mandatory on streams). CRLF
// keep-alives between messages (RFC 5626 §3.5.1) are skipped. Bounded: a header section or a
// declared body over the message limit is an error after which the connection must be closed.
import { findHeadEnd, skipLeadingCrlf } from './message.js';

export type FrameResult =
  | { readonly kind: 'message'; readonly bytes: Buffer }
  /** Unrecoverable framing error (the stream cannot be resynchronised): answer if possible, close. */
  | { readonly kind: 'error'; readonly status: 400 | 413 | 513; readonly reason: string; readonly head: Buffer };

const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): FrameResult[] {
    if (this.failed) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: FrameResult[] = [];
    for (;;) {
      const start = skipLeadingCrlf(this.buffer);
      if (start > 0) this.buffer = this.buffer.subarray(start);
      if (this.buffer.length === 0) break;
      const end = findHeadEnd(this.buffer);
      if (end === undefined) {
        if (this.buffer.length > this.maxMessageBytes) out.push(this.fail(513, 'header section over the message limit'));
        break;
      }
      const head = this.buffer.toString('latin1', 0, end.headEnd);
      const m = CONTENT_LENGTH.exec(head);
      if (m === null || !/^\d{1,10}$/.test(m[1])) {
        out.push(this.fail(400, m === null ? 'no Content-Length on a stream transport' : 'bad Content-Length'));
        break;
      }
      const total = end.bodyStart + Number(m[1]);
      if (total > this.maxMessageBytes) {
        out.push(this.fail(413, 'declared body over the message limit'));
        break;
      }
      if (this.buffer.length < total) break;
      out.push({ kind: 'message', bytes: Buffer.from(this.buffer.subarray(0, total)) });
      this.buffer = this.buffer.subarray(total);
    }
    if (this.buffer.length > 0 && this.buffer.byteOffset > 0 && this.buffer.length < 4096) this.buffer = Buffer.from(this.buffer);
    return out;
  }

  private fail(status: 400 | 413 | 513, reason: string): FrameResult {
    this.failed = true;
    const end = findHeadEnd(this.buffer);
    const head = Buffer.from(this.buffer.subarray(0, end === undefined ? Math.min(this.buffer.length, this.maxMessageBytes) : end.bodyStart));
    this.buffer = Buffer.alloc(0);
    return { kind: 'error', status, reason, head };
  }
}
