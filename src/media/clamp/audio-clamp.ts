// How the RTP clamp stage plugs in the in-band audio clamp (caller -> agent, G.711).
//
// The audio clamp is a delay line over the outgoing audio: every frame the stage sends (real
// audio or replacement) goes through `process`, in place, and comes out `lookaheadSamples`
// later in RTP time, with whatever must not be heard replaced. Timestamps of the packets do not
// change (RTP ts T carries the input audio of T - lookahead), so the packet stream stays
// continuous and the lookahead costs exactly its length in latency, no packet is held back.
// While audio sits in the line, the stage tells the clamp what must not pass:
// `clampWindow(from, to)` with input timestamps, e.g. an RFC 4733 event widened by the
// gateway's leading tone (before the first event packet) and its tail (hangover after the end).
//
// The clamp the media plane uses is `InbandAudioClamp` (inband-audio-clamp.ts, wired by
// createAgentClampStage in agent-clamp-stage.ts): it detects in-band tones itself.
// `SilenceDelayClamp` below mutes only the windows the stage gives it and detects nothing: kept
// as the minimal, exact AudioClamp the stage's own tests use (their expectations are sample-exact
// and do not depend on the detector).
import { MediaError } from '../media-error.js';
import { silenceCode, type G711Codec } from './g711-fill.js';

export interface AudioClamp {
  /** Delay the clamp adds, samples of the audio clock (8000 Hz for G.711). */
  readonly lookaheadSamples: number;
  /**
   * One outgoing frame, in place. On entry `payload` holds the G.711 codes of input timestamps
   * [extTs, extTs + payload.length) (extended, never wrapping); on return, what the agent hears
   * at those timestamps: the input of [extTs - lookahead, ...), clamped. Frames may come out of
   * order or with holes (loss): the clamp must not assume contiguity.
   */
  process(payload: Uint8Array, extTs: number): void;
  /** Input samples with extended timestamps in [fromExtTs, toExtTs) must not reach the agent. */
  clampWindow(fromExtTs: number, toExtTs: number): void;
  /** Drops all audio held (secure mode ends or restarts); the line refills from silence. */
  reset(): void;
  close(): void;
}

/** Ring size, samples (1.024 s at 8 kHz): lookahead + largest frame + reordering slack. */
const RING = 8192;
const MASK = RING - 1;
/** Largest frame accepted, samples (RFC 3551 G.711 frames are 10-30 ms; 120 ms is generous). */
export const MAX_FRAME_SAMPLES = 960;
/** Windows remembered (a digit each, plus merges); older ones have left the line anyway. */
const WINDOWS = 16;

/**
 * The last few clamp windows, [from, to) in extended timestamps, no allocation after creation.
 * An RFC 4733 event's window grows with each of its packets: a window that touches the latest
 * one widens it instead of taking a new slot; older windows are overwritten in turn (they have
 * left the delay line by then).
 */
export class ClampWindowRing {
  private readonly from: Float64Array;
  private readonly to: Float64Array;
  private count = 0;

  constructor(private readonly size: number) {
    this.from = new Float64Array(size);
    this.to = new Float64Array(size);
  }

  add(fromExtTs: number, toExtTs: number): void {
    if (this.count > 0) {
      const last = (this.count - 1) % this.size;
      if (fromExtTs <= this.to[last] && toExtTs >= this.from[last]) {
        this.from[last] = Math.min(this.from[last], fromExtTs);
        this.to[last] = Math.max(this.to[last], toExtTs);
        return;
      }
    }
    const i = this.count % this.size;
    this.from[i] = fromExtTs;
    this.to[i] = toExtTs;
    this.count++;
  }

  /** Some window overlaps [from, to). */
  overlaps(from: number, to: number): boolean {
    const n = Math.min(this.count, this.size);
    for (let i = 0; i < n; i++) if (this.from[i] < to && this.to[i] > from) return true;
    return false;
  }

  contains(ts: number): boolean {
    const n = Math.min(this.count, this.size);
    for (let i = 0; i < n; i++) if (ts >= this.from[i] && ts < this.to[i]) return true;
    return false;
  }

  clear(): void {
    this.count = 0;
  }
}

/**
 * Minimal audio clamp (windows only, no detection): a fixed lookahead delay over G.711 codes, replacing with the codec's
 * silence every sample inside a window, and every sample that never arrived (loss, or the
 * line just after reset). Works on codes, not decoded PCM: silence replacement needs no decoding.
 */
export class SilenceDelayClamp implements AudioClamp {
  readonly lookaheadSamples: number;
  private readonly silence: number;
  private readonly codes = new Uint8Array(RING);
  /** Extended timestamp each ring slot holds, -1 when empty. */
  private readonly slotTs = new Float64Array(RING).fill(-1);
  private readonly windows = new ClampWindowRing(WINDOWS);
  private closed = false;

  constructor(codec: G711Codec, lookaheadSamples: number) {
    if (!Number.isInteger(lookaheadSamples) || lookaheadSamples < 0 || lookaheadSamples > RING - MAX_FRAME_SAMPLES) {
      throw new MediaError('EOPTIONS', `lookahead must be an integer 0-${RING - MAX_FRAME_SAMPLES} samples, got ${lookaheadSamples}`);
    }
    this.lookaheadSamples = lookaheadSamples;
    this.silence = silenceCode(codec);
  }

  process(payload: Uint8Array, extTs: number): void {
    if (this.closed) throw new MediaError('ECLOSED', 'audio clamp used after close()');
    const n = payload.length;
    if (n > MAX_FRAME_SAMPLES) {
      // Cannot be delayed without overrunning the ring: nothing of it may pass.
      payload.fill(this.silence);
      return;
    }
    for (let i = 0; i < n; i++) {
      const j = (extTs + i) & MASK;
      this.codes[j] = payload[i];
      this.slotTs[j] = extTs + i;
    }
    const from = extTs - this.lookaheadSamples;
    const masked = this.windows.overlaps(from, from + n);
    for (let i = 0; i < n; i++) {
      const ts = from + i;
      const j = ts & MASK;
      payload[i] = this.slotTs[j] === ts && !(masked && this.windows.contains(ts)) ? this.codes[j] : this.silence;
    }
  }

  clampWindow(fromExtTs: number, toExtTs: number): void {
    if (this.closed) throw new MediaError('ECLOSED', 'audio clamp used after close()');
    if (!(toExtTs > fromExtTs)) return;
    this.windows.add(fromExtTs, toExtTs);
  }

  reset(): void {
    this.slotTs.fill(-1);
    this.windows.clear();
  }

  close(): void {
    this.closed = true;
  }
}
