// The in-band DTMF clamp behind the clamp stage (caller -> agent), for any codec: the AudioClamp
// the stage calls with each outgoing frame, built on the streaming InbandClamp (8 kHz PCM).
//
// payload -> codec port decode -> InbandClamp (detects in-band tones itself, mutes them inside its
// lookahead, and mutes the stage's clampWindow()s too: RFC 4733 events widened by a gateway's
// leaked tone) -> what the agent hears. Sample-aligned codecs (G.711): where nothing was replaced
// the caller's own bytes go out (delayed by the lookahead), and the port encodes only frames that
// hold a replaced sample; byte-identical audio outside muted spans (G.711 decode/encode is not an
// identity: mu-law's two zero codes). Other codecs (Opus): the decoded samples, delayed and
// clamped, are encoded again (a replaced sample keeps the replacement, the others are the
// decoded input's own 16-bit samples). Sub-band codecs (G.722, the port's `bands`): the clamp
// runs on the lower band (0-4 kHz at 8 kHz, the codec's own split: no resampler, no delay) and
// the upper band is kept by time beside it; each frame is encoded again from both bands, the
// caller's upper band where nothing was replaced, an empty one where anything was (no band of a
// muted span reaches the agent).
//
// A port with a statefulDecoder (ADPCM) has its decoder follow the whole stream: follow() decodes
// the audio the stage passes outside secure mode (or drops as covered by an event's replacement);
// which frames it decodes and what is muted after a gap is its DecoderTimeline's.
//
// Time: RTP timestamps (extended, the leg's clock) map onto the 8 kHz sample stream by the
// clock ratio (1 for G.711 and G.722's lower band, 6 for Opus: its frames are multiples of 2.5 ms, so exact). The clamp
// runs on a contiguous sample stream; RTP time maps onto it by a base. A hole (lost packets) is
// pushed as silence, so the detector sees time pass and a tone cut by a loss is still timed
// right; a hole longer than HOLE_CAP pushes HOLE_CAP of silence (enough to empty the line and end
// any tone) and moves the base. A late frame's own samples have already gone through as silence
// (their time is past): it gets the clamped output for its timestamps from the SampleHistory,
// like any frame. Nothing the detector has not examined reaches the agent; a payload the codec
// cannot decode is silence.
//
// In-band digits go to onDigit (RTP time), except tone inside a clamp window (an RFC 4733 event's
// own tone, leaked by a gateway: the event receiver reports that digit).
//
// No allocation per packet on the G.711 path: fixed rings keyed by sample time (SampleHistory).
// reset() (secure mode turned on again) starts a fresh clamp, whose line refills from silence.
import type { CodecPort, SubBandCoding } from '../codecs/codec-port.js';
import { MediaError } from '../media-error.js';
import { ClampWindowRing, MAX_FRAME_SAMPLES, type AudioClamp } from './audio-clamp.js';
import { DecoderTimeline } from './decoder-timeline.js';
import { FrameBuffers, releaseThreadBuffers, takeThreadBuffers, threadBuffers, ZEROS } from './frame-buffers.js';
import { clampPort, type InbandAudioClampOptions, type InbandAudioDigit } from './inband-audio-clamp-options.js';
import { InbandClamp, type ClampMode, type InbandClampOptions } from './inband-clamp.js';
import { RING, SampleHistory } from './sample-history.js';

export type { InbandAudioClampOptions, InbandAudioDigit } from './inband-audio-clamp-options.js';

/** Windows remembered to tell an event's own leaked tone from an in-band digit. */
const WINDOW_HISTORY = 8;
/** Most silence pushed for one hole, samples (200 ms): longer than lookahead + hangover. */
const HOLE_CAP = 1600;

export class InbandAudioClamp implements AudioClamp {
  /** RTP clock units. */
  readonly lookaheadSamples: number;
  readonly inPlace: boolean;
  readonly mode: ClampMode;
  readonly port: CodecPort;
  /** The decoder follows the whole stream (the port's statefulDecoder): the stage calls follow(). */
  readonly followsStream: boolean;
  /** RTP clock units per PCM sample. */
  private readonly ratio: number;
  /** Lookahead, PCM samples. */
  private readonly delay: number;
  private readonly options: Partial<InbandClampOptions>;
  private readonly onDigit: ((digit: InbandAudioDigit) => void) | undefined;
  /** The port's bands (sub-band codec), or undefined: the clamp works on the port's PCM. */
  private readonly bands: SubBandCoding | undefined;
  /** The stateful decoder's timeline (followsStream), else null. */
  private readonly timeline: DecoderTimeline | null;
  private readonly clamp: InbandClamp;
  /** PCM sample time (RTP time / ratio) of the clamp's input sample 0, once started. */
  private baseT = 0;
  /**
   * The line has a time base (a first frame or window came): not a sentinel value of baseT,
   * since a window widened before a stream's first timestamps starts at a negative time.
   */
  private started = false;
  /** RTP time modulo the ratio (constant within a stream), added back when reporting. */
  private phase = 0;
  /** The input kept and the clamped output, by sample time. */
  private readonly history: SampleHistory;
  /** The frame buffers in use: the thread's (FrameBuffers) while a frame is put through. */
  private buf: FrameBuffers = threadBuffers();
  /** This clamp's own, made only if a frame comes in while another clamp of the thread holds the thread's. */
  private ownBuffers: FrameBuffers | undefined;
  /** The latest clampWindow()s, PCM sample time [from, to). */
  private readonly windows = new ClampWindowRing(WINDOW_HISTORY);
  private closed = false;
  decoded = 0;
  decodeErrors = 0;
  /** Audio frames not decoded: too long for the buffers, or late or duplicate for a stateful decoder (their time is silence). */
  notDecoded = 0;

  constructor(options: InbandAudioClampOptions) {
    const mode = options.mode;
    const { port, ratio, resyncSamples } = clampPort(options);
    this.port = port;
    this.bands = port.bands;
    this.ratio = ratio;
    this.history = new SampleHistory(this.bands !== undefined, port.sampleAligned === true);
    this.followsStream = port.statefulDecoder !== undefined;
    // A frame half the history behind the newest decoded is from a new timeline.
    this.timeline = this.followsStream ? new DecoderTimeline(port, ratio, resyncSamples, RING / 2) : null;
    this.inPlace = this.port.sampleAligned === true;
    this.mode = mode;
    this.options = { ...options.clamp, mode };
    this.onDigit = options.onDigit;
    this.clamp = this.newClamp(); // validates the options (InbandClampError)
    this.delay = this.clamp.delaySamples;
    if (this.delay > RING - 2 * MAX_FRAME_SAMPLES) throw new MediaError('EOPTIONS', `lookahead too long: ${this.delay} samples`);
    this.lookaheadSamples = this.delay * ratio;
  }

  /** The comfort-noise level the clamp follows now (noise mode), dBm0. */
  get backgroundDbm0(): number {
    return this.clamp.backgroundDbm0;
  }

  /** Samples replaced so far (since the last reset), at 8 kHz. */
  get mutedSamples(): number {
    return this.clamp.mutedSamples;
  }

  /** Gaps after which the decoder's resynchronisation time was (to be) muted. */
  get resyncs(): number {
    return this.timeline?.resyncs ?? 0;
  }

  payloadSamples(payload: Uint8Array): number {
    return this.port.payloadRtpSamples(payload);
  }

  process(payload: Uint8Array, extTs: number, samples: number = this.port.payloadRtpSamples(payload), out: Uint8Array = payload): number {
    return this.run(payload, 0, payload.length, extTs, samples, out, 0);
  }

  processInPlace(packet: Uint8Array, start: number, extTs: number, samples: number): void {
    if (!this.inPlace) throw new MediaError('EOPTIONS', `processInPlace needs a sample-aligned codec, not ${this.port.name}`);
    this.run(packet, start, start + samples, extTs, samples, packet, start);
  }

  /** process() of src[srcStart, srcEnd) into out from outStart. */
  private run(src: Uint8Array, srcStart: number, srcEnd: number, extTs: number, samples: number, out: Uint8Array, outStart: number): number {
    this.assertOpen();
    const held = this.holdBuffers();
    try {
      return this.runHeld(src, srcStart, srcEnd, extTs, samples, out, outStart);
    } finally {
      this.releaseBuffers(held);
    }
  }

  /**
   * Takes the thread's frame buffers for one frame (or this clamp's own, if a listener called
   * back into a clamp while they are held); returns the buffers to restore.
   */
  private holdBuffers(): FrameBuffers {
    const previous = this.buf;
    this.buf = takeThreadBuffers() ?? (this.ownBuffers ??= new FrameBuffers());
    return previous;
  }

  private releaseBuffers(previous: FrameBuffers): void {
    releaseThreadBuffers(this.buf);
    this.buf = previous;
  }

  private runHeld(src: Uint8Array, srcStart: number, srcEnd: number, extTs: number, samples: number, out: Uint8Array, outStart: number): number {
    const n = Math.round(samples / this.ratio);
    if (!(n > 0)) return -1;
    const t = Math.floor(extTs / this.ratio);
    if (n > MAX_FRAME_SAMPLES) {
      // Not decoded: a stateful decoder is out of step from here (the next frame follows a gap).
      this.notDecoded++;
      return this.unexamined(n, out, outStart);
    }
    const ok = this.decodeFrame(src, srcStart, srcEnd, extTs, n);
    if (!ok) this.buf.pcmIn.fill(0, 0, n); // unreadable or not decodable: its time is silence
    this.advance(t, n, ok && this.inPlace ? src : undefined, srcStart, ok && this.bands !== undefined, extTs);
    return this.output(t, n, out, outStart);
  }

  /**
   * Audio the stage lets pass or drops without clamping (outside secure mode, or covered by an
   * event's replacement): a stateful decoder decodes it to stay in step with the sender.
   */
  follow(payload: Uint8Array, extTs: number, samples: number = this.port.payloadRtpSamples(payload)): void {
    this.assertOpen();
    if (!this.followsStream) return;
    const n = Math.round(samples / this.ratio);
    if (!(n > 0 && n <= MAX_FRAME_SAMPLES)) return;
    const held = this.holdBuffers();
    try {
      this.decodeFrame(payload, 0, payload.length, extTs, n);
    } finally {
      this.releaseBuffers(held);
    }
  }

  /**
   * Decodes one frame into pcmIn (and upperIn); false if it is unreadable or, for a stateful
   * decoder, late or duplicate (already past: decoding it would put the decoder out of step).
   */
  private decodeFrame(src: Uint8Array, srcStart: number, srcEnd: number, extTs: number, n: number): boolean {
    if (this.timeline !== null && !this.timeline.admit(extTs, n)) {
      this.notDecoded++;
      return false;
    }
    this.decoded++;
    let got: number;
    if (this.bands === undefined && this.port.decodeAt !== undefined) got = this.port.decodeAt(src, srcStart, srcEnd - srcStart, this.buf.pcmIn);
    else {
      // A port without decodeAt is not sample-aligned: it gets here only through process() and follow(), with the whole payload.
      const payload = srcStart === 0 && srcEnd === src.length ? src : src.subarray(srcStart, srcEnd);
      got = this.bands !== undefined ? this.bands.decodeBands(payload, this.buf.pcmIn, this.buf.upperIn) : this.port.decode(payload, this.buf.pcmIn);
    }
    if (got === n) return true;
    this.decodeErrors++;
    return false;
  }

  fill(extTs: number, samples: number, out: Uint8Array): number {
    this.assertOpen();
    const n = Math.round(samples / this.ratio);
    if (!(n > 0)) return -1;
    const held = this.holdBuffers();
    try {
      if (n > MAX_FRAME_SAMPLES) return this.unexamined(n, out, 0);
      const t = Math.floor(extTs / this.ratio);
      this.buf.pcmIn.fill(0, 0, n);
      this.advance(t, n, undefined, 0, false, extTs);
      return this.output(t, n, out, 0);
    } finally {
      this.releaseBuffers(held);
    }
  }

  clampWindow(fromExtTs: number, toExtTs: number): void {
    this.assertOpen();
    if (!(toExtTs > fromExtTs)) return;
    const from = Math.floor(fromExtTs / this.ratio);
    const to = Math.ceil(toExtTs / this.ratio);
    if (!this.started) this.start(from, fromExtTs); // a window before any audio: time starts there
    this.clamp.mute(from - this.baseT, to - this.baseT);
    this.windows.add(from, to);
  }

  reset(): void {
    if (this.closed) return;
    this.restart(undefined, 0);
    // A decoder that follows the stream stays in step (the stage kept it decoding meanwhile).
    if (!this.followsStream) this.port.reset();
  }

  newSource(): void {
    this.port.reset();
    this.timeline?.restart();
  }

  close(): void {
    if (this.closed) return;
    this.clamp.close();
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('ECLOSED', 'audio clamp used after close()');
  }

  /** Larger than the buffers: nothing of it may pass, the agent gets silence. */
  private unexamined(n: number, out: Uint8Array, outStart: number): number {
    // A sub-band codec's silence cannot cover that much time in one payload: dropped.
    if (this.bands !== undefined) return -1;
    if (!this.inPlace) return this.port.encode(this.pcmView(MAX_FRAME_SAMPLES, true), out);
    if (this.port.encode(this.pcmView(1, true), this.buf.codes) !== 1) return -1;
    const m = Math.max(0, Math.min(n, out.length - outStart));
    out.fill(this.buf.codes[0], outStart, outStart + m);
    return m;
  }

  private newClamp(): InbandClamp {
    // G.711 sends the caller's own bytes wherever nothing was replaced (SampleHistory): the
    // clamp's copy of the delayed input would never be read.
    return new InbandClamp(
      { ...this.options, replacedOnly: this.inPlace },
      {
        onDigit: (event) => {
          if (this.onDigit === undefined || !this.started) return;
          const start = this.baseT + Math.round(event.startMs * 8);
          const end = this.baseT + Math.round(event.endMs * 8);
          // Tone inside a clamp window is the event's own (a gateway leaking it around its RFC 4733
          // packets): the event receiver reports that digit, once.
          if (this.windows.overlaps(start, end)) return;
          this.onDigit({ digit: event.digit, startTs: start * this.ratio + this.phase, endTs: end * this.ratio + this.phase });
        },
      },
    );
  }

  private start(t: number, extTs: number): void {
    this.baseT = t;
    this.phase = extTs - t * this.ratio;
    this.started = true;
  }

  /** A fresh line; time starts at baseT (extTs) if given, else at the next frame or window. */
  private restart(baseT: number | undefined, extTs: number): void {
    this.clamp.reset();
    this.started = false;
    if (baseT !== undefined) this.start(baseT, extTs);
    this.history.clear();
    this.windows.clear();
  }

  /**
   * Puts pcmIn[0, n) (input time t; `codes` its bytes from `codesStart` when kept for
   * pass-through, `upper` whether upperIn holds its upper band) through the line.
   */
  private advance(t: number, n: number, codes: Uint8Array | undefined, codesStart: number, upper: boolean, extTs: number): void {
    if (!this.started) this.start(t, extTs);
    let next = this.baseT + this.clamp.position;
    if (t + n <= next - RING / 2) {
      // Far behind everything: a new timeline (the sender restarted): start over.
      this.restart(t, extTs);
      next = t;
    }
    if (t > next) {
      // A hole: the detector sees it pass as silence.
      const gap = t - next;
      this.pushSilence(Math.min(gap, HOLE_CAP));
      if (gap > HOLE_CAP) {
        // Beyond the cap the line holds only silence and every tone has ended: skip the rest.
        this.baseT += gap - HOLE_CAP;
        // The history's slots were written for times before the skip: none may pass for a time
        // after it (a skip of the tags' period would replay the caller's old input, muted tone
        // included). Late frames from before the hole get silence.
        this.history.clear();
      }
      next = this.baseT + this.clamp.position;
    }
    if (t + n <= next) return; // time already pushed (a late frame): its output comes from the history
    const timeline = this.timeline;
    if (timeline !== null && timeline.resyncTo > next) {
      // After a gap the decoder is out of step: its resynchronisation time must not be heard.
      this.clamp.mute(Math.max(timeline.resyncFrom, next) - this.baseT, timeline.resyncTo - this.baseT);
      timeline.resyncMuted();
    }
    const skip = next - t; // > 0 only when the frame overlaps time already pushed
    if (codes !== undefined) this.history.keepCodes(t, skip, n, codes, codesStart);
    else if (upper) this.history.keepUpper(t, skip, n, this.buf.upperIn);
    else this.history.forgetInput(t + skip, n - skip);
    const pcmIn = this.buf.pcmIn;
    if (skip > 0) pcmIn.copyWithin(0, skip, n);
    this.pushPcm(pcmIn, n - skip);
  }

  private pushSilence(samples: number): void {
    let left = samples;
    while (left > 0) {
      const m = left < MAX_FRAME_SAMPLES ? left : MAX_FRAME_SAMPLES;
      this.history.forgetInput(this.baseT + this.clamp.position, m); // nothing arrived there
      this.pushPcm(ZEROS, m);
      left -= m;
    }
  }

  /** Pushes input[0, m) and keeps the m clamped samples that come out, by the input time they replace. */
  private pushPcm(input: Int16Array, m: number): void {
    const src0 = this.baseT + this.clamp.position - this.delay;
    const muted = this.clamp.mutedSamples;
    const { pcmOut, weights } = this.buf;
    this.clamp.push(input, pcmOut, m, weights);
    // Nothing replaced in this piece (the usual case): no weight to read.
    if (this.clamp.mutedSamples === muted) this.history.keepOutput(src0, pcmOut, m);
    else this.history.keepOutputWeighted(src0, pcmOut, weights, m);
  }

  /** What the agent hears at input time [t, t + n) (the input of t - delay), into `out` from `outStart` (inPlace) or 0. */
  private output(t: number, n: number, out: Uint8Array, outStart: number): number {
    const from = t - this.delay;
    const history = this.history;
    if (this.inPlace) {
      // The caller's own bytes where nothing was replaced; the port encodes a frame only if it must.
      const i = history.copyUnreplaced(from, n, out, outStart);
      if (i === n) return n;
      const pcm = this.pcmView(n, false);
      history.readOutput(from, n, pcm);
      const codes = this.buf.codes;
      if (this.port.encode(pcm, codes) !== n) return -1;
      history.mergeCodes(from, i, n, codes, out, outStart);
      return n;
    }
    const pcm = this.pcmView(n, false);
    history.readOutput(from, n, pcm);
    if (this.bands === undefined) return this.port.encode(pcm, out);
    // The caller's upper band only beside a lower band sample left exactly as it was.
    const upper = this.buf.upperOut;
    history.readUpper(from, n, upper);
    return this.bands.encodeBands(pcm, upper, n, out);
  }

  /** The frame buffer as n samples (a view kept while n stays the same); zeroed if asked. */
  private pcmView(n: number, zero: boolean): Int16Array {
    const b = this.buf;
    if (b.frameView.length !== n) b.frameView = b.frame.subarray(0, n);
    if (zero) b.frameView.fill(0);
    return b.frameView;
  }
}
