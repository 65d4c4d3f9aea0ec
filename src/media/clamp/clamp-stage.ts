// THE clamp stage: the caller -> agent direction of a call, one per leg, any codec. It owns the
// RFC 4733 / event policy and reaches audio only through its AudioClamp (which reaches samples
// only through the leg's codec port). Packets come in parsed (RtpView, once at entry); what goes
// out goes to the leg's sink: `send(packet, owned)`, owned when the packet is the received one
// (rewritten in place: the sink may keep it), not owned when it sits in a buffer the stage
// reuses (the sink copies it if it keeps it).
//
// In secure mode:
// - RFC 4733 telephone-event packets (the leg's event payload type) never reach the agent. Each
//   is replaced by audio frames of the leg's codec covering exactly the part of the event's
//   timestamp span not yet covered: frames of the leg's packetisation, sent as the event's
//   duration grows; the last one, at the end bit, is cut to the real end. So the three end
//   packets (§2.5.1.4), duplicates, late updates and long-event segments (§2.5.1.3, timestamp =
//   start + 0xFFFF...) add nothing beyond the real duration.
// - The outgoing stream stays valid (RFC 3550 §5.1, RFC 3551 §4.1): sequence numbers are
//   rewritten so our drops and insertions leave no gap (SequenceRewriter; 16-bit wrap);
//   timestamps are the sender's own (the replacement fills the event's span, so they stay
//   continuous, 32-bit wrap included); the SSRC is the audio's; replacement frames carry the
//   audio payload type and no marker (they continue the talkspurt, RFC 3551 §4.1).
// - Audio goes through the AudioClamp (if given): a lookahead delay line; each event packet
//   widens a clamp window to [start - leadSamples, end + hangoverSamples), muting the tone a
//   gateway leaks before its first event packet and after its end. A re-encoded packet (a codec
//   that is not sample-aligned, Opus) goes out with a bare 12-byte header: a header extension
//   (RFC 6464 audio level) would describe the caller's audio, not the clamped one.
// - Packets that cannot be read, and payload types that are neither the audio, the events nor
//   comfort noise (RFC 3389, PT 13), are dropped: nothing unexamined reaches the agent.
// Outside secure mode packets pass through untouched (the same buffer, byte for byte) and at
// once. One exception keeps the stream continuous: after secure mode has replaced events the
// sequence numbers carry an offset, and only those two header bytes are rewritten. (Kept on
// purpose: dropping the offset would make the agent's receiver see a jump, i.e. loss or a
// restart, RFC 3550 §A.1; the offset is constant, the payload and every other byte unchanged.)
// Secure mode switches at any packet. Turning it off during an event waits for the event's end
// (the rest of a digit pressed in secure mode is still a digit). Turning it on resets the audio
// clamp, whose line then starts from silence (`lookahead` samples of silence, the price of the
// lookahead; turning it off drops the audio held in the line, the same length).
//
// Digits (secure mode or not) go to `onDigit` as KeyPress: RFC 4733 events through the receiver
// of src/rtp (one report per digit), in-band ones from the AudioClamp (reportInband). RTP time
// becomes arrival-clock ms here, once, through the arrival of the stream's newest packet, so one
// key seen both ways gets nearly the same start (the digit merger folds them).
import { createRfc4733Decoder, rfc4733Flush, rfc4733Rx, rfc4733Tick, type Rfc4733Decoder, type Rfc4733Digit } from '../../rtp/rfc4733.js';
import { RtpView } from '../../rtp/rtp-view.js';
import { createSequenceTracker, trackPacket, type SequenceTracker } from '../../rtp/sequence-tracker.js';
import type { DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import type { KeyPress } from '../digits/key-press.js';
import type { AudioCodecName } from '../media-session.js';
import { MediaError } from '../media-error.js';
import { MAX_FRAME_SAMPLES, type AudioClamp } from './audio-clamp.js';
import { G711Filler, type FillMode } from './g711-fill.js';
import { SequenceRewriter } from './sequence-rewriter.js';
import type { ClampStageStats, SentAdjustment } from './clamp-stage-stats.js';

export type { ClampStageStats, SentAdjustment } from './clamp-stage-stats.js';

/** RFC 3551 static payload types. */
const STATIC_PT: Readonly<Record<string, number>> = { PCMU: 0, PCMA: 8 };
/** RFC 3389 comfort noise: no tone can be carried in it, so it may pass. */
const CN_PT = 13;
const HEADER_BYTES = 12;
const SEQ_MOD = 0x10000;
const TS_MOD = 0x100000000;
/** Largest payload the stage writes (a re-encoded or replacement frame), bytes. */
const MAX_BODY = 1500;

/** Where the stage's packets go: see the header (owned: the received packet itself). */
export type LegSend = (packet: Uint8Array, owned: boolean) => void;

export interface ClampStageOptions {
  readonly codec: AudioCodecName;
  /** Audio payload type (default: the static one, 0 or 8; Opus has none: required). */
  readonly audioPayloadType?: number;
  /** telephone-event payload type (default 101, or 100 if the audio uses 101). */
  readonly eventPayloadType?: number | null;
  /**
   * Telephone-event durations count at 1/this of the RTP clock (6: events/8000 on a 48 kHz Opus
   * leg). Default 1 (RFC 4733 §2.1: the audio's clock; baresip counts at 48 kHz too).
   */
  readonly eventDurationScale?: number;
  /** Packetisation of replacement frames, RTP clock units (default 20 ms). */
  readonly frameSamples?: number;
  /** What replacement frames hold before the audio clamp (G.711 without an audio clamp: what the agent hears). */
  readonly fill?: FillMode;
  /** In-band clamp the audio goes through in secure mode; none (G.711 only): audio passes unchanged. */
  readonly audioClamp?: AudioClamp;
  /** Clamped before an event's start, RTP clock units (default: the clamp's lookahead). */
  readonly leadSamples?: number;
  /** Clamped after an event's end, RTP clock units (default 40 ms). */
  readonly hangoverSamples?: number;
  /** Secure mode at start (default false). */
  readonly secure?: boolean;
  /** Every outgoing packet (the leg's sink). */
  readonly send: LegSend;
  /** Every digit the caller pressed, each source once (never sent to the agent in secure mode). */
  readonly onDigit?: (press: KeyPress) => void;
}

function newStats(): ClampStageStats {
  return { packetsIn: 0, packetsOut: 0, eventsRemoved: 0, framesInserted: 0, audioCovered: 0, duplicates: 0, malformed: 0, unknownPayload: 0, foreignSsrc: 0, unplaceable: 0, decoded: 0, decodeErrors: 0, encodeErrors: 0 };
}

export class ClampStage {
  private readonly counts: ClampStageStats = newStats();
  readonly adjustment: SentAdjustment = { packets: 0, octets: 0 };
  readonly codec: AudioCodecName;
  readonly clockRate: number;
  readonly audioPayloadType: number;
  readonly eventPayloadType: number;
  readonly frameSamples: number;

  private readonly send: LegSend;
  private readonly onDigit: ((press: KeyPress) => void) | undefined;
  private readonly clamp: AudioClamp | undefined;
  private readonly leadSamples: number;
  private readonly hangoverSamples: number;
  private readonly eventScale: number;
  /** Most audio one event packet may add at once, RTP units (1 s): a bogus duration cannot flood the leg. */
  private readonly maxFill: number;
  private readonly filler: G711Filler | undefined;
  private readonly events: Rfc4733Decoder;
  private tracker: SequenceTracker = createSequenceTracker();
  private readonly rewriter = new SequenceRewriter();
  /** The view of push(bytes) (the session parses into its own and calls pushView). */
  private readonly ownView = new RtpView();
  /** Outgoing packet buffer (replacement and re-encoded frames), its body, and the last view of it. */
  private readonly frame = new Uint8Array(HEADER_BYTES + MAX_BODY);
  private readonly body = this.frame.subarray(HEADER_BYTES);
  private frameView: Uint8Array = this.frame;
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
    const codec = options.codec;
    if (codec !== 'PCMU' && codec !== 'PCMA' && codec !== 'opus') throw new MediaError('EOPTIONS', `codec must be PCMU, PCMA or opus, got ${String(codec)}`);
    this.codec = codec;
    this.clockRate = codec === 'opus' ? 48_000 : 8000;
    this.clamp = options.audioClamp;
    if (codec === 'opus' && this.clamp === undefined) throw new MediaError('EOPTIONS', 'an Opus leg needs its audio clamp (replacement frames are encoded by it)');
    const audioPt = options.audioPayloadType ?? STATIC_PT[codec];
    if (audioPt === undefined) throw new MediaError('EOPTIONS', `${codec} has no static payload type: audioPayloadType is required`);
    this.audioPayloadType = checkPt('audioPayloadType', audioPt);
    this.eventPayloadType = checkPt('eventPayloadType', options.eventPayloadType ?? (this.audioPayloadType === 101 ? 100 : 101));
    if (this.audioPayloadType === this.eventPayloadType) throw new MediaError('EOPTIONS', 'audio and event payload types must differ');
    const perMs = this.clockRate / 1000;
    const ratio = this.clockRate / 8000;
    this.frameSamples = options.frameSamples ?? 20 * perMs;
    if (!Number.isInteger(this.frameSamples) || this.frameSamples < 8 * ratio || this.frameSamples > MAX_FRAME_SAMPLES * ratio) {
      throw new MediaError('EOPTIONS', `frameSamples must be an integer ${8 * ratio}-${MAX_FRAME_SAMPLES * ratio} (RTP clock units), got ${this.frameSamples}`);
    }
    this.eventScale = options.eventDurationScale ?? 1;
    if (this.eventScale !== 1 && this.eventScale !== 6) throw new MediaError('EOPTIONS', `eventDurationScale must be 1 or 6, got ${String(this.eventScale)}`);
    this.maxFill = this.clockRate;
    this.leadSamples = checkSamples('leadSamples', options.leadSamples ?? this.clamp?.lookaheadSamples ?? 0, this.clockRate);
    this.hangoverSamples = checkSamples('hangoverSamples', options.hangoverSamples ?? 40 * perMs, this.clockRate);
    this.filler = codec === 'opus' ? undefined : new G711Filler(codec, options.fill ?? 'silence');
    this.send = options.send;
    this.onDigit = options.onDigit;
    this.events = createRfc4733Decoder((d) => this.rfc4733Digit(d), { clockRate: this.clockRate });
    this.requestedSecure = this.secureNow = options.secure ?? false;
  }

  get secure(): boolean {
    return this.requestedSecure;
  }

  /** Packet counts (in, out, events removed, replacement frames, drops, decoding). */
  get stats(): ClampStageStats {
    const s = this.counts;
    s.decoded = this.clamp?.decoded ?? 0;
    s.decodeErrors = this.clamp?.decodeErrors ?? 0;
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
      if (this.secureNow) this.adjustment.octets -= Math.max(0, view.bytes.length - HEADER_BYTES);
      else this.forward(view.bytes);
      return;
    }
    const pt = view.payloadType;
    if (view.ssrc !== this.ssrc) {
      if (pt === this.eventPayloadType && this.ssrc !== -1) {
        // Events under another SSRC: their timestamps are not the audio's, they cannot be placed.
        rfc4733Tick(this.events, view.arrivalMs);
        this.counts.foreignSsrc++;
        if (!this.secureNow) this.forward(view.bytes);
        return;
      }
      this.newSource(view.ssrc);
    }
    const order = trackPacket(this.tracker, view.sequence, view.timestamp);
    if (order === 'restart') this.rewriter.restart(this.tracker.lastExtSeq);
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
      const payload = this.eventBytes(view);
      rfc4733Rx(this.events, extTs, view.marker, payload, view.arrivalMs);
      if (!this.secureNow && extTs >= this.secureFloorTs) {
        this.passThrough(view, slot, duplicate);
        return;
      }
      if (duplicate) {
        this.counts.duplicates++;
        return;
      }
      this.counts.eventsRemoved++;
      this.adjustment.octets -= view.payloadLength;
      this.replaceEvent(slot, extTs, payload, order === 'late');
      return;
    }
    if (!this.secureNow) {
      if (pt === this.audioPayloadType) {
        const n = this.samplesOf(view);
        if (n > 0) this.outEndTs = Math.max(this.outEndTs, extTs + n);
      }
      this.passThrough(view, slot, duplicate);
      return;
    }
    if (duplicate) {
      this.counts.duplicates++;
      return;
    }
    if (pt === this.audioPayloadType) this.secureAudio(view, slot, extTs, order === 'late');
    else if (pt === CN_PT) this.forwardPlaced(view, slot);
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

  /** RTP clock units an audio packet covers, -1 when unreadable. */
  private samplesOf(view: RtpView): number {
    if (this.clamp === undefined) return view.payloadLength;
    return this.clamp.payloadSamples(view.bytes.subarray(view.payloadStart, view.payloadEnd));
  }

  /** The event payload, durations scaled to the RTP clock when the peer counts them slower. */
  private eventBytes(view: RtpView): Uint8Array {
    const payload = view.bytes.subarray(view.payloadStart, view.payloadEnd);
    if (this.eventScale === 1 || payload.length < 4) return payload;
    const p = this.eventPayload;
    p[0] = payload[0];
    p[1] = payload[1];
    // Rounded up (the clamp window never falls short); a 16-bit field: a long event saturates.
    const d = Math.min(0xffff, ((payload[2] << 8) | payload[3]) * this.eventScale);
    p[2] = d >> 8;
    p[3] = d & 0xff;
    return p;
  }

  private newSource(ssrc: number): void {
    this.ssrc = ssrc;
    this.tracker = createSequenceTracker();
    this.rewriter.restart(0);
    this.clockTs = -1;
    this.outEndTs = -1;
    this.fillTo = -1;
    this.eventStartTs = -1;
    this.replFrom = this.replTo = -1;
    this.secureFloorTs = -1;
    this.eventOpen = false;
    this.clamp?.newSource();
  }

  private place(slot: number, count: number): number {
    const seq = this.rewriter.place(slot, count);
    if (seq < 0) {
      // Dropped: nothing of it is sent.
      this.counts.unplaceable++;
      this.adjustment.packets--;
    } else this.adjustment.packets += count - 1;
    return seq;
  }

  /** Outside secure mode: the same buffer, its sequence number shifted only when an offset remains. */
  private passThrough(view: RtpView, slot: number, duplicate: boolean): void {
    const seq = duplicate ? this.rewriter.place(slot, 1) : this.place(slot, 1);
    if (seq >= 0 && seq !== view.sequence) view.setSequence(seq);
    this.forward(view.bytes);
  }

  private forward(packet: Uint8Array): void {
    this.counts.packetsOut++;
    this.send(packet, true);
  }

  private sendOwn(length: number): void {
    if (this.frameView.length !== length) this.frameView = this.frame.subarray(0, length);
    this.counts.packetsOut++;
    this.send(this.frameView, false);
  }

  /** A packet in slot `slot`, shifted to its outgoing sequence number. */
  private forwardPlaced(view: RtpView, slot: number): void {
    const seq = this.place(slot, 1);
    if (seq < 0) return;
    if (seq !== view.sequence) view.setSequence(seq);
    this.forward(view.bytes);
  }

  private drop(view: RtpView, slot: number): void {
    this.counts.unknownPayload++;
    this.adjustment.octets -= view.payloadLength;
    this.place(slot, 0);
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
      this.counts.audioCovered++;
      this.adjustment.octets -= view.payloadLength;
      this.place(slot, 0);
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
    const seq = this.place(slot, frames + 1);
    if (seq < 0) return;
    if (frames > 0) this.sendFill(seq, this.outEndTs, fill);
    const own = (seq + frames) % SEQ_MOD;
    const clamp = this.clamp;
    if (clamp === undefined || clamp.inPlace) {
      const payload = view.bytes.subarray(view.payloadStart, view.payloadEnd);
      clamp?.process(payload, extTs, n, payload);
      if (own !== view.sequence) view.setSequence(own);
      this.forward(view.bytes);
    } else {
      const m = clamp.process(view.bytes.subarray(view.payloadStart, view.payloadEnd), extTs, n, this.body);
      if (m < 0) {
        this.counts.encodeErrors++;
        this.adjustment.octets -= view.payloadLength;
        this.adjustment.packets--;
      } else {
        this.writeHeader(own, view.timestamp, view.marker);
        this.adjustment.octets += m - view.payloadLength;
        this.sendOwn(HEADER_BYTES + m);
      }
    }
    if (extTs + n > this.outEndTs) this.outEndTs = extTs + n;
  }

  private replaceEvent(slot: number, extTs: number, payload: Uint8Array, late: boolean): void {
    if (payload.length < 4 || payload[0] > 15) {
      // Not a keypad event (or unreadable): removed, nothing to replace it with.
      this.place(slot, 0);
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
      this.place(slot, 0);
      return;
    }
    const frames = Math.ceil(samples / this.frameSamples);
    const seq = this.place(slot, frames);
    if (seq < 0) return;
    this.sendFill(seq, from, samples);
  }

  /** Replacement frames from `fromTs`, `samples` long (RTP units), sequence numbers from `seq`. */
  private sendFill(seq: number, fromTs: number, samples: number): void {
    let ts = fromTs;
    let left = samples;
    let s = seq;
    const clamp = this.clamp;
    while (left > 0) {
      const n = left < this.frameSamples ? left : this.frameSamples;
      let bytes: number;
      if (this.filler !== undefined) {
        // G.711: one byte per sample; the codec's silence (or noise) through the line.
        const body = this.body.subarray(0, n);
        this.filler.fill(body);
        clamp?.process(body, ts, n, body);
        bytes = n;
      } else bytes = (clamp as AudioClamp).fill(ts, n, this.body);
      if (bytes >= 0) {
        this.writeHeader(s, ts % TS_MOD, false);
        this.counts.framesInserted++;
        this.adjustment.octets += bytes;
        this.sendOwn(HEADER_BYTES + bytes);
      } else this.adjustment.packets--;
      ts += n;
      left -= n;
      s = (s + 1) % SEQ_MOD;
    }
    if (fromTs === this.replTo) this.replTo = ts;
    else {
      this.replFrom = fromTs;
      this.replTo = ts;
    }
    if (ts > this.outEndTs) this.outEndTs = ts;
  }

  /** The outgoing frame's header: version 2, no CSRC/extension/padding, the audio PT, the caller's SSRC. */
  private writeHeader(seq: number, ts: number, marker: boolean): void {
    const out = this.frame;
    out[0] = 0x80;
    out[1] = (marker ? 0x80 : 0) | this.audioPayloadType;
    out[2] = (seq >> 8) & 0xff;
    out[3] = seq & 0xff;
    out[4] = ts >>> 24;
    out[5] = (ts >>> 16) & 0xff;
    out[6] = (ts >>> 8) & 0xff;
    out[7] = ts & 0xff;
    out[8] = this.ssrc >>> 24;
    out[9] = (this.ssrc >>> 16) & 0xff;
    out[10] = (this.ssrc >>> 8) & 0xff;
    out[11] = this.ssrc & 0xff;
  }
}

function checkPt(name: string, pt: number): number {
  if (!Number.isInteger(pt) || pt < 0 || pt > 127 || (pt >= 64 && pt <= 95)) {
    throw new MediaError('EOPTIONS', `${name} must be 0-127 outside 64-95 (RFC 5761 §4), got ${pt}`);
  }
  return pt;
}

function checkSamples(name: string, n: number, clockRate: number): number {
  if (!Number.isInteger(n) || n < 0 || n > clockRate) throw new MediaError('EOPTIONS', `${name} must be an integer 0-${clockRate} (1 s of RTP clock), got ${n}`);
  return n;
}
