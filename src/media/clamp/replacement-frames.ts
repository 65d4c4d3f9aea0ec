// The frames the clamp stage sends in place of removed RFC 4733 events (and of an event's tail
// whose packets were lost): frames of the leg's codec and packetisation over the span, put through
// the audio clamp's line like the caller's audio (so the line's time stays continuous). G.711: the
// codec's silence or noise (G711Filler) run through the clamp in place; other codecs: the clamp's
// own fill(). No marker, the sender's SSRC (RFC 3550 §5.1); a frame the codec cannot encode is not
// sent and counted against the sender report's packet count.
import type { AudioCodecName } from '../media-session.js';
import type { AudioClamp } from './audio-clamp.js';
import type { ClampStageStats } from './clamp-stage-stats.js';
import { G711Filler, type FillMode } from './g711-fill.js';
import type { StageOutput } from './stage-output.js';

const SEQ_MOD = 0x10000;
const TS_MOD = 0x100000000;

export class ReplacementFrames {
  /** G.711: what a frame holds before the clamp; undefined for a codec whose clamp fills. */
  private readonly filler: G711Filler | undefined;

  /** `clamp`: required unless `codec` is G.711; `frameSamples`: RTP clock units per frame. */
  constructor(
    codec: AudioCodecName,
    fill: FillMode,
    private readonly clamp: AudioClamp | undefined,
    private readonly out: StageOutput,
    private readonly counts: ClampStageStats,
    private readonly frameSamples: number,
  ) {
    this.filler = codec === 'PCMU' || codec === 'PCMA' ? new G711Filler(codec, fill) : undefined;
  }

  /**
   * Frames from extended timestamp `fromTs`, `samples` long (RTP units), sequence numbers from
   * `seq`, under `ssrc`; returns the extended timestamp just past the last.
   */
  send(seq: number, fromTs: number, samples: number, ssrc: number): number {
    let ts = fromTs;
    let left = samples;
    let s = seq;
    const clamp = this.clamp;
    while (left > 0) {
      const n = left < this.frameSamples ? left : this.frameSamples;
      let bytes: number;
      if (this.filler !== undefined) {
        // G.711: one byte per sample; the codec's silence (or noise) through the line.
        const body = this.out.body.subarray(0, n);
        this.filler.fill(body);
        clamp?.process(body, ts, n, body);
        bytes = n;
      } else bytes = (clamp as AudioClamp).fill(ts, n, this.out.body);
      if (bytes >= 0) {
        this.counts.framesInserted++;
        this.out.adjustment.octets += bytes;
        this.out.sendFrame(s, ts % TS_MOD, false, ssrc, bytes);
      } else this.out.adjustment.packets--;
      ts += n;
      left -= n;
      s = (s + 1) % SEQ_MOD;
    }
    return ts;
  }
}
