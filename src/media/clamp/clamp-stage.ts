// THE clamp stage: the caller -> agent direction of a call, one per leg, any codec. It owns the
// RFC 4733 / event policy and reaches audio only through its AudioClamp (which reaches samples
// only through the leg's codec port). Packets come in parsed (RtpView, once at entry); what goes
// out goes through StageOutput to the leg's sink. The whole path: docs/architecture.md, "Packet path".
//
// Secure mode: RFC 4733 packets never reach the agent; each is replaced by frames of the leg's
// codec (ReplacementFrames) covering exactly the part of the event's span not yet covered (frames of the leg's
// packetisation as the duration grows, the last cut to the real end at the E bit), so end
// retransmits (§2.5.1.4), duplicates, late updates and long-event segments (§2.5.1.3) add nothing.
// Each event widens a clamp window on the audio clamp to [start - lead, end + hangover) (a
// gateway's leaked tone). The stream stays valid (RFC 3550 §5.1, RFC 3551 §4.1): no sequence gap
// from our drops and insertions, the sender's timestamps and SSRC, no marker on replacement
// frames. Unreadable packets and payload types other than audio, events and comfort noise (RFC
// 3389, PT 13) are dropped: nothing unexamined reaches the agent.
// Outside secure mode packets pass through untouched and at once (after a secure period that
// replaced events only the two sequence bytes carry an offset, so the agent sees no jump, §A.1).
// Secure mode switches at any packet; turning it off during an event waits for the event's end;
// turning it on restarts the audio line from silence (the lookahead's length).
//
// Digits (secure mode or not) go to `onDigit` as KeyPress: RFC 4733 events through the receiver
// of src/rtp, in-band ones from the AudioClamp (reportInband). RTP time becomes arrival-clock ms
// here, once, through the arrival of the stream's newest packet, so one key seen both ways gets
// nearly the same start (the digit merger folds them).
import { createRfc4733Decoder, rfc4733Flush, rfc4733Rx, rfc4733Tick, type Rfc4733Decoder, type Rfc4733Digit } from '../../rtp/rfc4733.js';
import { RtpView } from '../../rtp/rtp-view.js';
import { createSequenceTracker, trackPacket, type SequenceTracker } from '../../rtp/sequence-tracker.js';
import type { DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import type { KeyPress } from '../digits/key-press.js';
import type { AudioCodecName } from '../media-session.js';
import { MediaError } from '../media-error.js';
import type { AudioClamp } from './audio-clamp.js';
import { newStageStats, type ClampStageStats, type SentAdjustment } from './clamp-stage-stats.js';
import { resolveStageOptions, type ClampStageOptions } from './clamp-stage-options.js';
import { scaleEventPayload } from './event-payload-scale.js';
import { ReplacementFrames } from './replacement-frames.js';
import { HEADER_BYTES, StageOutput } from './stage-output.js';

export type { ClampStageStats, SentAdjustment } from './clamp-stage-stats.js';
export type { LegSend } from './stage-output.js';
export type { ClampStageOptions } from './clamp-stage-options.js';

/** RFC 3389 comfort noise: no tone can be carried in it, so it may pass. */
const CN_PT = 13;
const SEQ_MOD = 0x10000;

export class ClampStage {
  private readonly counts: ClampStageStats = newStageStats();
  readonly codec: AudioCodecName;
  readonly clockRate: number;
  readonly audioPayloadType: number;
  readonly eventPayloadType: number;
  readonly frameSamples: number;

  private readonly out: StageOutput;
  private readonly onDigit: ((press: KeyPress) => void) | undefined;
  private readonly clamp: AudioClamp | undefined;
  private readonly leadSamples: number;
  private readonly hangoverSamples: number;
  private readonly eventScale: number;
  /** Most audio one event packet may add at once, RTP units (1 s): a bogus duration cannot flood the leg. */
  private readonly maxFill: number;
  private readonly replacement: ReplacementFrames;
  /** The audio clamp's decoder follows the whole stream (AudioClamp.followsStream). */
  private readonly follows: boolean;
  private readonly events: Rfc4733Decoder;
  private tracker: SequenceTracker = createSequenceTracker();
  /** The view of push(bytes) (the session parses into its own and calls pushView). */
  private readonly ownView = new RtpView();
  /** A scaled copy of an event payload (eventDurationScale). */
  private readonly eventPayload = new Uint8Array(4);

  private requestedSecure: boolean;
  private secureNow: boolean;
  private ssrc = -1;
  /** Arrival clock: the newest packet's extended timestamp and arrival (ms). */
  private clockTs = -1;
  private clockMs = 0;
  /** Extended timestamp just past the newest audio sent (or covered by replacement). */
  private outEndTs = -1;
  /** Extended timestamp the current event reaches (segment ts + duration); -1 when none. */
  private fillTo = -1;
  /** Start of the current event's span (first segment), for its clamp window. */
  private eventStartTs = -1;
  /** Time filled by replacement for the latest event, [replFrom, replTo). */
  private replFrom = -1;
  private replTo = -1;
  /** Event packets before this timestamp belong to time clamped in secure mode. */
  private secureFloorTs = -1;
  /** The latest event has had no end packet yet. */
  private eventOpen = false;
  private closed = false;

  constructor(options: ClampStageOptions) {
    const setup = resolveStageOptions(options);
    this.codec = setup.codec;
    this.clockRate = setup.clockRate;
    this.clamp = options.audioClamp;
    this.follows = this.clamp?.followsStream === true;
    this.audioPayloadType = setup.audioPayloadType;
    this.eventPayloadType = setup.eventPayloadType;
    this.frameSamples = setup.frameSamples;
    this.eventScale = setup.eventScale;
    this.maxFill = this.clockRate;
    this.leadSamples = setup.leadSamples;
    this.hangoverSamples = setup.hangoverSamples;
    this.out = new StageOutput(options.send, this.counts, this.audioPayloadType);
    this.replacement = new ReplacementFrames(this.codec, options.fill ?? 'silence', this.clamp, this.out, this.counts, this.frameSamples);
    this.onDigit = options.onDigit;
    this.events = createRfc4733Decoder((d) => this.rfc4733Digit(d), { clockRate: this.clockRate });
    this.requestedSecure = this.secureNow = options.secure ?? false;
  }

  get secure(): boolean {
    return this.requestedSecure;
  }

  /** What was sent against what the sender sent (RTCP SR adjustment). */
  get adjustment(): SentAdjustment {
    return this.out.adjustment;
  }

  /** Packet counts (in, out, events removed, replacement frames, drops, decoding). */
  get stats(): ClampStageStats {
    const s = this.counts;
    s.decoded = this.clamp?.decoded ?? 0;
    s.decodeErrors = this.clamp?.decodeErrors ?? 0;
    s.notDecoded = this.clamp?.notDecoded ?? 0;
    s.resyncs = this.clamp?.resyncs ?? 0;
    return s;
  }

  /** Delay secure mode adds, RTP clock units. */
  get lookaheadSamples(): number {
    return this.clamp?.lookaheadSamples ?? 0;
  }

  /** Audio replaced by the in-band clamp since secure mode last started, ms (0 on clean speech). */
  get mutedMs(): number {
    return (this.clamp?.mutedSamples ?? 0) / 8;
  }

  /** Whether packets are being clamped now (stays on past a switch-off until the current event ends). */
  get clamping(): boolean {
    return this.secureNow;
  }

  /** SSRC of the caller's audio (RTCP SR adjustment), -1 before any. */
  get sourceSsrc(): number {
    return this.ssrc;
  }

  /** Switches secure mode; takes effect at the next packet (see the header for switch-off). */
  setSecure(on: boolean): void {
    this.assertOpen();
    if (on && !this.secureNow) this.clamp?.reset();
    this.requestedSecure = on;
    if (on) this.secureNow = true;
  }

  /** One packet from the caller, as bytes (parsed here): `arrivalMs` on the arrival clock. */
  push(packet: Uint8Array, arrivalMs: number): void {
    this.ownView.parse(packet, arrivalMs);
    this.pushView(this.ownView);
  }

  /** One packet from the caller, parsed at entry; the stage fills in its extended sequence and timestamp. */
  pushView(view: RtpView): void {
    this.assertOpen();
    this.counts.packetsIn++;
    if (view.error !== undefined) {
      rfc4733Tick(this.events, view.arrivalMs);
      this.counts.malformed++;
      if (this.secureNow) this.out.adjustment.octets -= Math.max(0, view.bytes.length - HEADER_BYTES);
      else this.out.forward(view.bytes);
      return;
    }
    const pt = view.payloadType;
    if (view.ssrc !== this.ssrc) {
      if (pt === this.eventPayloadType && this.ssrc !== -1) {
        // Events under another SSRC: their timestamps are not the audio's, they cannot be placed.
        rfc4733Tick(this.events, view.arrivalMs);
        this.counts.foreignSsrc++;
        if (!this.secureNow) this.out.forward(view.bytes);
        return;
      }
      this.newSource(view.ssrc);
    }
    const order = trackPacket(this.tracker, view.sequence, view.timestamp);
    if (order === 'restart') this.out.restart(this.tracker.lastExtSeq);
    const slot = (view.extSeq = this.tracker.lastExtSeq);
    const extTs = (view.extTs = this.tracker.lastExtTs);
    view.order = order;
    if (extTs >= this.clockTs) {
      this.clockTs = extTs;
      this.clockMs = view.arrivalMs;
    }
    // After the clock took this packet: a digit the time-out ends now is timed through it.
    rfc4733Tick(this.events, view.arrivalMs);
    if (this.secureNow && !this.requestedSecure && pt !== this.eventPayloadType && !this.events.active) {
      // Secure mode ends at the first non-event packet after the last event; event packets of
      // time clamped so far (late end packets) stay removed.
      this.secureNow = false;
      this.secureFloorTs = this.fillTo;
    }
    const duplicate = order === 'duplicate';

    if (pt === this.eventPayloadType) {
      const payload = scaleEventPayload(view.bytes.subarray(view.payloadStart, view.payloadEnd), this.eventScale, this.eventPayload);
      rfc4733Rx(this.events, extTs, view.marker, payload, view.arrivalMs);
      if (!this.secureNow && extTs >= this.secureFloorTs) {
        this.out.passThrough(view, slot, duplicate);
        return;
      }
      if (duplicate) {
        this.counts.duplicates++;
        return;
      }
      this.counts.eventsRemoved++;
      this.out.adjustment.octets -= view.payloadLength;
      this.replaceEvent(slot, extTs, payload, order === 'late');
      return;
    }
    if (!this.secureNow) {
      if (pt === this.audioPayloadType) {
        const n = this.samplesOf(view);
        if (n > 0) {
          this.outEndTs = Math.max(this.outEndTs, extTs + n);
          if (this.follows && !duplicate) this.followAudio(view, extTs, n);
        }
      }
      this.out.passThrough(view, slot, duplicate);
      return;
    }
    if (duplicate) {
      this.counts.duplicates++;
      return;
    }
    if (pt === this.audioPayloadType) this.secureAudio(view, slot, extTs, order === 'late');
    else if (pt === CN_PT) this.out.forwardPlaced(view, slot);
    else this.drop(view, slot);
  }

  /** Time passes without packets: ends a digit whose end packets were lost (for onDigit). */
  tick(nowMs: number): void {
    this.assertOpen();
    rfc4733Tick(this.events, nowMs);
  }

  /** An in-band digit the audio clamp found, in extended RTP time: reported as a KeyPress. */
  reportInband(digit: DtmfDigit, startTs: number, endTs: number): void {
    this.onDigit?.({ digit, source: 'inband', atMs: this.msAt(startTs), durationMs: ((endTs - startTs) * 1000) / this.clockRate });
  }

  /** End of the leg: reports a digit still open, closes the audio clamp. Idempotent. */
  close(): void {
    if (this.closed) return;
    rfc4733Flush(this.events);
    this.clamp?.close();
    this.closed = true;
  }

  /** Arrival-clock ms of an extended RTP timestamp of the current stream. */
  private msAt(extTs: number): number {
    return this.clockMs + ((extTs - this.clockTs) * 1000) / this.clockRate;
  }

  private rfc4733Digit(d: Rfc4733Digit): void {
    this.onDigit?.({ digit: d.digit, source: 'rfc4733', atMs: this.msAt(d.startTimestamp), durationMs: (d.duration * 1000) / this.clockRate });
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('ECLOSED', 'clamp stage used after close()');
  }

  /** An audio packet that is not clamped, to a decoder that must see the whole stream. */
  private followAudio(view: RtpView, extTs: number, n: number): void {
    (this.clamp as AudioClamp).follow?.(view.bytes.subarray(view.payloadStart, view.payloadEnd), extTs, n);
  }

  /** RTP clock units an audio packet covers, -1 when unreadable (G.711: its length, no view made). */
  private samplesOf(view: RtpView): number {
    if (this.clamp === undefined || this.clamp.inPlace) return view.payloadLength;
    return this.clamp.payloadSamples(view.bytes.subarray(view.payloadStart, view.payloadEnd));
  }

  private newSource(ssrc: number): void {
    this.ssrc = ssrc;
    this.tracker = createSequenceTracker();
    this.out.restart(0);
    this.clockTs = -1;
    this.outEndTs = -1;
    this.fillTo = -1;
    this.eventStartTs = -1;
    this.replFrom = this.replTo = -1;
    this.secureFloorTs = -1;
    this.eventOpen = false;
    this.clamp?.newSource();
  }

  private drop(view: RtpView, slot: number): void {
    this.counts.unknownPayload++;
    this.out.adjustment.octets -= view.payloadLength;
    this.out.place(slot, 0);
  }

  private secureAudio(view: RtpView, slot: number, extTs: number, late: boolean): void {
    const n = this.samplesOf(view);
    if (n <= 0) {
      // Unreadable audio (an Opus TOC that makes no sense): nothing unexamined passes.
      this.drop(view, slot);
      return;
    }
    if (extTs >= this.replFrom && extTs + n <= this.replTo) {
      // Audio sent alongside the event, for time the replacement already filled.
      if (this.follows) this.followAudio(view, extTs, n);
      this.counts.audioCovered++;
      this.out.adjustment.octets -= view.payloadLength;
      this.out.place(slot, 0);
      return;
    }
    // An event whose end packets were lost: fill the rest of its span before this audio.
    // While an event is open (no end packet yet), the sender sends no audio: the time up to this
    // packet is the event's tail, whose last updates were lost.
    let fill = 0;
    if (!late && this.outEndTs >= 0 && extTs > this.outEndTs && (this.eventOpen || this.fillTo > this.outEndTs)) {
      fill = (this.eventOpen ? extTs : Math.min(this.fillTo, extTs)) - this.outEndTs;
      if (fill > this.maxFill) fill = 0;
    }
    if (!late) this.eventOpen = false;
    const frames = fill > 0 ? Math.ceil(fill / this.frameSamples) : 0;
    const seq = this.out.place(slot, frames + 1);
    if (seq < 0) return;
    if (frames > 0) this.sendFill(seq, this.outEndTs, fill);
    const own = (seq + frames) % SEQ_MOD;
    const clamp = this.clamp;
    if (clamp === undefined || clamp.inPlace) {
      clamp?.processInPlace(view.bytes, view.payloadStart, extTs, n);
      if (own !== view.sequence) view.setSequence(own);
      this.out.forward(view.bytes);
    } else {
      const m = clamp.process(view.bytes.subarray(view.payloadStart, view.payloadEnd), extTs, n, this.out.body);
      if (m < 0) {
        this.counts.encodeErrors++;
        this.out.adjustment.octets -= view.payloadLength;
        this.out.adjustment.packets--;
      } else {
        this.out.adjustment.octets += m - view.payloadLength;
        this.out.sendFrame(own, view.timestamp, view.marker, this.ssrc, m);
      }
    }
    if (extTs + n > this.outEndTs) this.outEndTs = extTs + n;
  }

  private replaceEvent(slot: number, extTs: number, payload: Uint8Array, late: boolean): void {
    if (payload.length < 4 || payload[0] > 15) {
      // Not a keypad event (or unreadable): removed, nothing to replace it with.
      this.out.place(slot, 0);
      return;
    }
    const ended = (payload[1] & 0x80) !== 0;
    const reach = extTs + ((payload[2] << 8) | payload[3]);
    // The span of this event, for the clamp window: a new event starts at its own timestamp;
    // a further segment of the current one keeps the first segment's start.
    const sameEvent = this.eventStartTs >= 0 && extTs >= this.eventStartTs && extTs <= this.fillTo;
    if (!sameEvent && !late) this.eventStartTs = extTs;
    if (reach > this.fillTo) this.fillTo = reach;
    if (!late) this.eventOpen = !ended;
    this.clamp?.clampWindow((sameEvent ? this.eventStartTs : extTs) - this.leadSamples, reach + this.hangoverSamples);
    // A further segment (or update) of the event being replaced continues where the last frame
    // ended (a segment starts at start + 0xFFFF, not on a frame boundary); a new event starts at
    // its own timestamp unless audio already covered it.
    const from = this.outEndTs >= 0 && (sameEvent || this.outEndTs > extTs) ? this.outEndTs : extTs;
    let samples = reach - from;
    if (!ended) samples -= samples % this.frameSamples;
    if (samples > this.maxFill) samples = this.maxFill - (this.maxFill % this.frameSamples);
    if (late || samples <= 0) {
      this.out.place(slot, 0);
      return;
    }
    const frames = Math.ceil(samples / this.frameSamples);
    const seq = this.out.place(slot, frames);
    if (seq < 0) return;
    this.sendFill(seq, from, samples);
  }

  /** Replacement frames from `fromTs`, `samples` long (RTP units), sequence numbers from `seq`. */
  private sendFill(seq: number, fromTs: number, samples: number): void {
    const ts = this.replacement.send(seq, fromTs, samples, this.ssrc);
    if (fromTs === this.replTo) this.replTo = ts;
    else {
      this.replFrom = fromTs;
      this.replTo = ts;
    }
    if (ts > this.outEndTs) this.outEndTs = ts;
  }
}
