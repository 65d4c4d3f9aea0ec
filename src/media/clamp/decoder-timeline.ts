// The timeline of a stateful decoder (ADPCM: G.722) that follows the caller's whole stream: which
// frames it may decode (never a late or duplicate one: its time is past, decoding it would put
// the decoder out of step), a new timeline when the sender restarts its timestamps, and after a
// gap in what was decoded (loss, or audio replaced by RFC 4733 events) the span from the frame
// after the gap that must be muted while the decoder regains step (resyncSamples), fail closed.
import type { CodecPort } from '../codecs/codec-port.js';

export class DecoderTimeline {
  /** Gaps after which the decoder's resynchronisation time was (to be) muted. */
  resyncs = 0;
  /** Extended RTP timestamp just past the audio decoded last, -1 before any. */
  private decodedEnd = -1;
  private from = 0;
  private to = 0;

  /**
   * `port`: the decoder, reset on a new timeline; `ratio`: RTP clock units per PCM sample;
   * `resyncSamples`: muted after a gap, PCM samples; `farBehind`: how far back (PCM samples) a
   * frame starts a new timeline.
   */
  constructor(
    private readonly port: CodecPort,
    private readonly ratio: number,
    private readonly resyncSamples: number,
    private readonly farBehind: number,
  ) {}

  /** PCM sample time [resyncFrom, resyncTo) still to mute after the latest gap (resyncTo <= resyncFrom: none). */
  get resyncFrom(): number {
    return this.from;
  }

  get resyncTo(): number {
    return this.to;
  }

  /** The resynchronisation span is muted (or no longer to be). */
  resyncMuted(): void {
    this.to = this.from = 0;
  }

  /** Whether the frame of n PCM samples at extTs may be decoded now; if so, it is the decoder's newest. */
  admit(extTs: number, n: number): boolean {
    const end = this.decodedEnd;
    if (end >= 0 && extTs + n * this.ratio <= end - this.farBehind * this.ratio) {
      // Far behind: a new timeline (the sender restarted its timestamps): a new stream.
      this.port.reset();
      this.decodedEnd = -1;
    } else if (end >= 0 && extTs < end) {
      return false;
    } else if (end >= 0 && extTs > end) {
      this.resyncs++;
      const t = Math.floor(extTs / this.ratio);
      this.from = t;
      this.to = t + this.resyncSamples;
    }
    this.decodedEnd = extTs + n * this.ratio;
    return true;
  }

  /** The caller's stream restarted (a new SSRC): nothing decoded yet, nothing to mute. */
  restart(): void {
    this.decodedEnd = -1;
    this.to = this.from = 0;
  }
}
