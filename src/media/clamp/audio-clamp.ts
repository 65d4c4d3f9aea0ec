// How the clamp stage reaches the audio: the AudioClamp, a delay line over the caller's audio in
// RTP time, whatever the codec (it reaches the samples through the leg's codec port).
//
// Every audio frame the stage sends (the caller's, or a replacement for an event's span) goes
// through the clamp and comes out `lookaheadSamples` later in RTP time, with whatever must not be
// heard replaced. Timestamps of the packets do not change (RTP ts T carries the input audio of
// T - lookahead), so the packet stream stays continuous and the lookahead costs exactly its
// length in latency, no packet is held back. While audio sits in the line, the stage tells the
// clamp what must not pass: `clampWindow(from, to)` with input timestamps, e.g. an RFC 4733 event
// widened by the gateway's leading tone (before the first event packet) and its tail.
//
// The clamp the media plane uses is `InbandAudioClamp` (inband-audio-clamp.ts): it decodes through
// the codec port, detects in-band tones itself, and encodes only what it replaced.
// `SilenceDelayClamp` below mutes only the windows the stage gives it and detects nothing (G.711
// only): the minimal, exact AudioClamp the stage's own tests use (their expectations are
// sample-exact and do not depend on the detector).
import { MediaError } from '../media-error.js';
import { silenceCode, type G711Codec } from './g711-fill.js';

export interface AudioClamp {
  /** Delay the clamp adds, RTP clock units. */
  readonly lookaheadSamples: number;
  /** Payloads decoded, of them undecodable, and samples replaced (8 kHz) since the last reset. */
  readonly decoded: number;
  readonly decodeErrors: number;
  readonly mutedSamples: number;
  /** A stateful decoder's skipped frames and gaps (ClampStageStats); absent: 0. */
  readonly notDecoded?: number;
  readonly resyncs?: number;
  /**
   * One byte per sample per RTP clock unit (G.711): what the agent hears has the input's length
   * and can overwrite it (process() may be given `out` = `payload`), a payload covers its length
   * in RTP time, and replacement frames are the codec's silence put through process().
   */
  readonly inPlace: boolean;
  /** RTP clock units one payload covers, -1 if unreadable (the stage drops it in secure mode). */
  payloadSamples(payload: Uint8Array): number;
  /**
   * One outgoing frame: `payload` holds the caller's audio of input timestamps [extTs, extTs +
   * samples) (extended, never wrapping, RTP clock); writes to `out` what the agent hears at those
   * timestamps: the input of [extTs - lookahead, ...), clamped. Returns the bytes written, -1 if
   * nothing can be sent. Frames may come out of order or with holes (loss): no contiguity assumed.
   */
  process(payload: Uint8Array, extTs: number, samples?: number, out?: Uint8Array): number;
  /**
   * inPlace clamps only: process() of `packet`'s payload at [start, start + samples), written back
   * over it (the stage's per-packet path: no view made per packet).
   */
  processInPlace(packet: Uint8Array, start: number, extTs: number, samples: number): void;
  /**
   * The codec's decoder must see every packet of the stream (ADPCM): the stage calls follow() with
   * each audio packet it does not give to process() (outside secure mode, or covered by an
   * event's replacement). Absent or false: audio outside process() is never decoded.
   */
  readonly followsStream?: boolean;
  /** An audio payload of input timestamps [extTs, extTs + samples) that passes or is dropped unclamped (followsStream). */
  follow?(payload: Uint8Array, extTs: number, samples?: number): void;
  /** A replacement frame for [extTs, extTs + samples) (no audio of the caller's there), written to `out`; bytes or -1. */
  fill(extTs: number, samples: number, out: Uint8Array): number;
  /** Input samples with extended timestamps in [fromExtTs, toExtTs) must not reach the agent. */
  clampWindow(fromExtTs: number, toExtTs: number): void;
  /** Drops all audio held (secure mode ends or restarts); the line refills from silence. */
  reset(): void;
  /** The caller's stream restarted (a new SSRC): the codec's state between packets is forgotten. */
  newSource(): void;
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
  readonly inPlace = true;
  /** Nothing is decoded: codes are delayed as they are. */
  readonly decoded = 0;
  readonly decodeErrors = 0;
  readonly mutedSamples = 0;
  private readonly silence: number;
  private readonly codes = new Uint8Array(RING);
  /** Extended timestamp each ring slot holds; NaN when empty (equal to no time, negative ones included). */
  private readonly slotTs = new Float64Array(RING).fill(NaN);
  private readonly windows = new ClampWindowRing(WINDOWS);
  private closed = false;

  constructor(codec: G711Codec, lookaheadSamples: number) {
    if (!Number.isInteger(lookaheadSamples) || lookaheadSamples < 0 || lookaheadSamples > RING - MAX_FRAME_SAMPLES) {
      throw new MediaError('EOPTIONS', `lookahead must be an integer 0-${RING - MAX_FRAME_SAMPLES} samples, got ${lookaheadSamples}`);
    }
    this.lookaheadSamples = lookaheadSamples;
    this.silence = silenceCode(codec);
  }

  payloadSamples(payload: Uint8Array): number {
    return payload.length;
  }

  process(payload: Uint8Array, extTs: number, samples: number = payload.length, out: Uint8Array = payload): number {
    if (this.closed) throw new MediaError('ECLOSED', 'audio clamp used after close()');
    const n = samples;
    if (n > MAX_FRAME_SAMPLES || n > payload.length || n > out.length) {
      // Cannot be delayed without overrunning the ring: nothing of it may pass.
      out.fill(this.silence, 0, Math.min(n, out.length));
      return Math.min(n, out.length);
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
      out[i] = this.slotTs[j] === ts && !(masked && this.windows.contains(ts)) ? this.codes[j] : this.silence;
    }
    return n;
  }

  processInPlace(packet: Uint8Array, start: number, extTs: number, samples: number): void {
    this.process(packet.subarray(start, start + samples), extTs, samples);
  }

  fill(extTs: number, samples: number, out: Uint8Array): number {
    const n = Math.min(samples, out.length);
    out.fill(this.silence, 0, n);
    return this.process(out, extTs, n, out);
  }

  newSource(): void {
    // G.711: no state between packets.
  }

  clampWindow(fromExtTs: number, toExtTs: number): void {
    if (this.closed) throw new MediaError('ECLOSED', 'audio clamp used after close()');
    if (!(toExtTs > fromExtTs)) return;
    this.windows.add(fromExtTs, toExtTs);
  }

  reset(): void {
    this.slotTs.fill(NaN);
    this.windows.clear();
  }

  close(): void {
    this.closed = true;
  }
}
