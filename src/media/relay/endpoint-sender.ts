// Endpoint mode's own outgoing RTP (toneguard is the far end): a frame every ptime, the leg's
// prompt audio or silence, paced by a timer against performance.now(). After a stalled event
// loop it sends at most MAX_CATCH_UP_FRAMES at once and skips the rest of the lost time (the
// timestamps jump with it, RFC 3550 §5.1). Whether it may send at all (no reflection) is the
// session's rule; this only asks. Closed with its session.
import { performance } from 'node:perf_hooks';
import type { LegMediaConfig } from '../media-session.js';
import { createPromptEncoder } from '../prompts/prompt-encoder.js';
import { OwnRtpStream } from './own-rtp-stream.js';

/** Frames sent at once to catch up after a stalled event loop; beyond, resync. */
const MAX_CATCH_UP_FRAMES = 3;

/** What the sender needs from its session (the caller leg's state and socket). */
export interface EndpointSenderHost {
  /** The leg's negotiated media, null before any. */
  config(): LegMediaConfig | null;
  /** Whether toneguard may originate RTP towards the leg now. */
  mayOriginate(config: LegMediaConfig): boolean;
  /**
   * The next `n` samples the leg hears (its prompts, or silence) into `pcm`; false when the
   * session closed meanwhile (a prompt's end may end the call).
   */
  read(pcm: Int16Array, n: number): boolean;
  /** One packet to the leg (a reused buffer: the host copies it if it keeps it). */
  send(packet: Uint8Array): void;
  /** Runs a timer's work; a throw becomes the session's failure. */
  contained(work: () => void): void;
}

export class EndpointSender {
  private own: OwnRtpStream | null = null;
  private ownKey = '';
  private timer: NodeJS.Timeout | null = null;
  private nextDueMs = 0;
  private closed = false;
  private readonly pcm: Int16Array;

  constructor(
    private readonly host: EndpointSenderHost,
    private readonly maxFrame: number,
  ) {
    this.pcm = new Int16Array(maxFrame);
  }

  /** The leg was (re)configured: a new stream for a new codec or PT, and the pacing runs. */
  start(config: LegMediaConfig): void {
    if (this.closed) return;
    const codec = config.codec === 'opus' ? 'PCMU' : config.codec; // opus never reaches here (leg-config-check)
    const key = `${codec}/${config.payloadType}`;
    if (this.own === null || key !== this.ownKey) {
      // A new codec or PT is a new stream for the receiver (new SSRC, marker).
      this.own = new OwnRtpStream(createPromptEncoder(codec, this.maxFrame), config.payloadType, this.maxFrame);
      this.ownKey = key;
    }
    if (this.timer !== null) return;
    this.nextDueMs = performance.now();
    this.tick();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pcm.fill(0);
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.closed) return;
    const config = this.host.config();
    const own = this.own;
    if (config === null || own === null) return;
    const frameMs = config.ptimeMs;
    const n = Math.min(this.maxFrame, Math.round(frameMs * 8));
    const now = performance.now();
    let frames = 0;
    while (this.nextDueMs <= now + 0.5 && frames < MAX_CATCH_UP_FRAMES) {
      if (this.host.mayOriginate(config)) {
        if (!this.host.read(this.pcm, n) || this.closed) return;
        this.host.send(own.frame(this.pcm, n));
      } else own.advance(n);
      this.nextDueMs += frameMs;
      frames++;
    }
    if (this.nextDueMs < now - frameMs * MAX_CATCH_UP_FRAMES) {
      // The event loop stalled: skip the lost time (timestamps jump with it, RFC 3550 §5.1).
      const skipped = Math.floor((now - this.nextDueMs) / frameMs);
      own.advance(skipped * n);
      this.nextDueMs += skipped * frameMs;
    }
    this.timer = setTimeout(() => this.host.contained(this.tick), Math.max(0, this.nextDueMs - performance.now()));
  };
}
