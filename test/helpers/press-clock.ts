// Maps a KeyPress (arrival-clock ms) back to the RTP time of the stream it came from, by the
// stage's own rule: through the newest packet pushed when the press was reported. For tests that
// compare digit spans with the samples of a stream.
import type { KeyPress } from '../../src/media/digits/key-press.js';

export interface RtpPress extends KeyPress {
  /** Wire RTP timestamps (32-bit) of the press's start and end. */
  readonly startTs: number;
  readonly endTs: number;
}

export class PressClock {
  private newestTs = -1;
  private newestMs = 0;
  private unwrapped = -1;

  constructor(private readonly clockRate = 8000) {}

  /** Call with each packet just before it is pushed (wire bytes, arrival ms). */
  saw(packet: Uint8Array, arrivalMs: number): void {
    if (packet.length < 12) return;
    const ts = ((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]) >>> 0;
    const ext = this.unwrapped < 0 ? 2 ** 32 + ts : this.unwrapped + ((ts - (this.unwrapped % 2 ** 32)) | 0);
    if (this.unwrapped < 0 || ext >= this.unwrapped) {
      this.unwrapped = ext;
      this.newestTs = ext;
      this.newestMs = arrivalMs;
    }
  }

  /** The press with its RTP span. */
  rtp(press: KeyPress): RtpPress {
    const start = Math.round(this.newestTs + ((press.atMs - this.newestMs) * this.clockRate) / 1000);
    const end = start + Math.round(((press.durationMs ?? 0) * this.clockRate) / 1000);
    return { ...press, startTs: start % 2 ** 32, endTs: end % 2 ** 32 };
  }
}
