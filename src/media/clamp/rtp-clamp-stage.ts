// The RTP side of the DTMF clamp, caller -> agent, one per outgoing leg (G.711).
//
// In secure mode:
// - RFC 4733 telephone-event packets (the leg's event payload type) never reach the agent. Each
//   is replaced by audio frames of the leg's codec (silence or comfort noise) covering exactly
//   the part of the event's timestamp span not yet covered: frames of the leg's packetisation,
//   sent as the event's duration grows; the last one, at the end bit, is cut to the real end.
//   So the three end packets (§2.5.1.4), duplicates, late updates and long-event segments
//   (§2.5.1.3, timestamp = start + 0xFFFF...) add nothing beyond the real duration.
// - The digits go to `onDigit` (the RFC 4733 receiver of src/rtp, one report per digit).
// - The outgoing stream stays valid (RFC 3550 §5.1, RFC 3551 §4.1): sequence numbers are
//   rewritten so our drops and insertions leave no gap (SequenceRewriter; 16-bit wrap);
//   timestamps are the sender's own (the replacement fills the event's span, so they stay
//   continuous, 32-bit wrap included); the SSRC is the audio's; replacement frames carry the
//   audio payload type and no marker (they continue the talkspurt, RFC 3551 §4.1).
// - Audio goes through the AudioClamp (if given): a lookahead delay line; each event packet
//   widens a clamp window to [start - leadSamples, end + hangoverSamples), muting the tone a
//   gateway leaks before its first event packet and after its end.
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
// Packets given to `send` are views valid only during the call: the stage reuses its buffers,
// and rewrites header bytes and clamped payloads of the input buffers in place.
import { createRfc4733Decoder, rfc4733Flush, rfc4733Rx, rfc4733Tick, type Rfc4733Decoder, type Rfc4733Digit } from '../../rtp/rfc4733.js';
import { rtpPayloadBoundsInto } from '../../rtp/rtp-packet.js';
import { createSequenceTracker, trackPacket, type SequenceTracker } from '../../rtp/sequence-tracker.js';
import { MAX_FRAME_SAMPLES, type AudioClamp } from './audio-clamp.js';
import { G711Filler, type FillMode, type G711Codec } from './g711-fill.js';
import { MediaError } from '../media-error.js';
import { SequenceRewriter } from './sequence-rewriter.js';

/** RFC 3551 static payload types. */
const STATIC_PT: Readonly<Record<G711Codec, number>> = { PCMU: 0, PCMA: 8 };
/** RFC 3389 comfort noise: no tone can be carried in it, so it may pass. */
const CN_PT = 13;
const HEADER_BYTES = 12;
const SEQ_MOD = 0x10000;
/** Most audio one event packet may add at once, samples (1 s): a bogus duration cannot flood the leg. */
const MAX_FILL_PER_PACKET = 8000;

export interface RtpClampStageOptions {
  readonly codec: G711Codec;
  /** Audio payload type (default: the static one, 0 or 8). */
  readonly audioPayloadType?: number;
  /** telephone-event payload type (default 101). */
  readonly eventPayloadType?: number;
  /** Packetisation of replacement frames, samples (SDP ptime x 8; default 160 = 20 ms). */
  readonly frameSamples?: number;
  /** What the agent hears in place of an event (default silence). */
  readonly fill?: FillMode;
  /** In-band clamp the audio goes through in secure mode; none: audio passes unchanged. */
  readonly audioClamp?: AudioClamp;
  /** Clamped before an event's start, samples (default: the clamp's lookahead). */
  readonly leadSamples?: number;
  /** Clamped after an event's end, samples (default 320 = 40 ms). */
  readonly hangoverSamples?: number;
  /** Secure mode at start (default false). */
  readonly secure?: boolean;
  /** Every outgoing packet; the view is valid during the call only. */
  readonly send: (packet: Uint8Array) => void;
  /** Digits from RFC 4733 events (secure mode or not); never sent to the agent in secure mode. */
  readonly onDigit?: (digit: Rfc4733Digit) => void;
}

export interface RtpClampStageStats {
  packetsIn: number;
  packetsOut: number;
  /** Telephone-event packets removed. */
  eventsRemoved: number;
  /** Replacement frames sent. */
  framesInserted: number;
  /** Audio packets dropped because replacement already covered their time. */
  audioCovered: number;
  duplicates: number;
  /** Unreadable packets (secure mode: dropped; otherwise passed). */
  malformed: number;
  /** Other payload types dropped in secure mode. */
  unknownPayload: number;
  /** Event packets from an SSRC other than the audio's (dropped in secure mode). */
  foreignSsrc: number;
  /** Late packets whose place in the sequence was lost (older than the rewriter's history). */
  unplaceable: number;
}

/** Adjustments of what was sent against what the sender sent (RTCP SR, RFC 3550 §6.4.1). */
export interface SentAdjustment {
  /** Packets sent minus packets received (duplicates excluded). */
  packets: number;
  /** Payload octets sent minus received. */
  octets: number;
}

export class RtpClampStage {
  readonly stats: RtpClampStageStats = {
    packetsIn: 0,
    packetsOut: 0,
    eventsRemoved: 0,
    framesInserted: 0,
    audioCovered: 0,
    duplicates: 0,
    malformed: 0,
    unknownPayload: 0,
    foreignSsrc: 0,
    unplaceable: 0,
  };
  readonly adjustment: SentAdjustment = { packets: 0, octets: 0 };
  readonly codec: G711Codec;
  readonly audioPayloadType: number;
  readonly eventPayloadType: number;
  readonly frameSamples: number;

  private readonly send: (packet: Uint8Array) => void;
  private readonly clamp: AudioClamp | undefined;
  private readonly leadSamples: number;
  private readonly hangoverSamples: number;
  private readonly filler: G711Filler;
  private readonly events: Rfc4733Decoder;
  private tracker: SequenceTracker = createSequenceTracker();
  private readonly rewriter = new SequenceRewriter();
  private readonly bounds = new Int32Array(3);
  /** Replacement packet buffer, and a view of a full frame (the common case, no allocation). */
  private readonly frame: Uint8Array;
  private readonly fullFrame: Uint8Array;

  private requestedSecure: boolean;
  private secureNow: boolean;
  private ssrc = -1;
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

  constructor(options: RtpClampStageOptions) {
    const codec = options.codec;
    if (codec !== 'PCMU' && codec !== 'PCMA') throw new MediaError('EOPTIONS', `codec must be PCMU or PCMA, got ${String(codec)}`);
    this.codec = codec;
    this.audioPayloadType = checkPt('audioPayloadType', options.audioPayloadType ?? STATIC_PT[codec]);
    this.eventPayloadType = checkPt('eventPayloadType', options.eventPayloadType ?? 101);
    if (this.audioPayloadType === this.eventPayloadType) throw new MediaError('EOPTIONS', 'audio and event payload types must differ');
    this.frameSamples = options.frameSamples ?? 160;
    if (!Number.isInteger(this.frameSamples) || this.frameSamples < 8 || this.frameSamples > MAX_FRAME_SAMPLES) {
      throw new MediaError('EOPTIONS', `frameSamples must be an integer 8-${MAX_FRAME_SAMPLES}, got ${this.frameSamples}`);
    }
    this.clamp = options.audioClamp;
    this.leadSamples = checkSamples('leadSamples', options.leadSamples ?? this.clamp?.lookaheadSamples ?? 0);
    this.hangoverSamples = checkSamples('hangoverSamples', options.hangoverSamples ?? 320);
    this.filler = new G711Filler(codec, options.fill ?? 'silence');
    this.send = options.send;
    const onDigit = options.onDigit;
    this.events = createRfc4733Decoder((d) => onDigit?.(d));
    this.requestedSecure = this.secureNow = options.secure ?? false;
    this.frame = new Uint8Array(HEADER_BYTES + this.frameSamples);
    this.fullFrame = this.frame;
  }

  get secure(): boolean {
    return this.requestedSecure;
  }

  /** Whether packets are being clamped now (stays on past a switch-off until the current event ends). */
  get clamping(): boolean {
    return this.secureNow;
  }

  /** Switches secure mode; takes effect at the next packet (see the header for switch-off). */
  setSecure(on: boolean): void {
    this.assertOpen();
    if (on && !this.secureNow) this.clamp?.reset();
    this.requestedSecure = on;
    if (on) this.secureNow = true;
  }

  /** One packet from the caller, `arrivalMs` its arrival time (ms, any epoch). */
  push(packet: Uint8Array, arrivalMs: number): void {
    this.assertOpen();
    this.stats.packetsIn++;
    rfc4733Tick(this.events, arrivalMs);
    const code = rtpPayloadBoundsInto(packet, this.bounds);
    if (code !== undefined) {
      this.stats.malformed++;
      if (this.secureNow) this.adjustment.octets -= Math.max(0, packet.length - HEADER_BYTES);
      else this.forward(packet);
      return;
    }
    const pt = packet[1] & 0x7f;
    if (this.secureNow && !this.requestedSecure && pt !== this.eventPayloadType && !this.events.active) {
      // Secure mode ends at the first non-event packet after the last event; event packets of
      // time clamped so far (late end packets) stay removed.
      this.secureNow = false;
      this.secureFloorTs = this.fillTo;
    }
    const ssrc = ((packet[8] << 24) | (packet[9] << 16) | (packet[10] << 8) | packet[11]) >>> 0;
    if (ssrc !== this.ssrc) {
      if (pt === this.eventPayloadType && this.ssrc !== -1) {
        // Events under another SSRC: their timestamps are not the audio's, they cannot be placed.
        this.stats.foreignSsrc++;
        if (!this.secureNow) this.forward(packet);
        return;
      }
      this.newSource(ssrc);
    }
    const order = trackPacket(this.tracker, (packet[2] << 8) | packet[3], ((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]) >>> 0);
    if (order === 'restart') this.rewriter.restart(this.tracker.lastExtSeq);
    const slot = this.tracker.lastExtSeq;
    const extTs = this.tracker.lastExtTs;
    const start = this.bounds[0];
    const end = this.bounds[1];

    if (pt === this.eventPayloadType) {
      const payload = packet.subarray(start, end);
      rfc4733Rx(this.events, extTs, (packet[1] & 0x80) !== 0, payload, arrivalMs);
      if (!this.secureNow && extTs >= this.secureFloorTs) {
        this.passThrough(packet, slot, order === 'duplicate');
        return;
      }
      if (order === 'duplicate') {
        this.stats.duplicates++;
        return;
      }
      this.stats.eventsRemoved++;
      this.adjustment.octets -= end - start;
      this.replaceEvent(slot, extTs, payload, order === 'late');
      return;
    }
    if (!this.secureNow) {
      if (pt === this.audioPayloadType) this.outEndTs = Math.max(this.outEndTs, extTs + (end - start));
      this.passThrough(packet, slot, order === 'duplicate');
      return;
    }
    if (order === 'duplicate') {
      this.stats.duplicates++;
      return;
    }
    if (pt === this.audioPayloadType) this.secureAudio(packet, slot, extTs, start, end, order === 'late');
    else if (pt === CN_PT) this.forwardPlaced(packet, slot);
    else {
      this.stats.unknownPayload++;
      this.adjustment.octets -= end - start;
      this.place(slot, 0);
    }
  }

  /** Time passes without packets: ends a digit whose end packets were lost (for onDigit). */
  tick(nowMs: number): void {
    this.assertOpen();
    rfc4733Tick(this.events, nowMs);
  }

  /** End of the leg: reports a digit still open, closes the audio clamp. Idempotent. */
  close(): void {
    if (this.closed) return;
    rfc4733Flush(this.events);
    this.clamp?.close();
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('ECLOSED', 'RtpClampStage used after close()');
  }

  private newSource(ssrc: number): void {
    this.ssrc = ssrc;
    this.tracker = createSequenceTracker();
    this.rewriter.restart(0);
    this.outEndTs = -1;
    this.fillTo = -1;
    this.eventStartTs = -1;
    this.replFrom = this.replTo = -1;
    this.secureFloorTs = -1;
    this.eventOpen = false;
  }

  private place(slot: number, count: number): number {
    const seq = this.rewriter.place(slot, count);
    if (seq < 0) {
      // Dropped: nothing of it is sent.
      this.stats.unplaceable++;
      this.adjustment.packets--;
    } else this.adjustment.packets += count - 1;
    return seq;
  }

  /** Outside secure mode: the same buffer, its sequence number shifted only when an offset remains. */
  private passThrough(packet: Uint8Array, slot: number, duplicate: boolean): void {
    const seq = duplicate ? this.rewriter.place(slot, 1) : this.place(slot, 1);
    if (seq >= 0 && seq !== ((packet[2] << 8) | packet[3])) writeSeq(packet, seq);
    this.forward(packet);
  }

  private forward(packet: Uint8Array): void {
    this.stats.packetsOut++;
    this.send(packet);
  }

  /** A packet in slot `slot`, shifted to its outgoing sequence number. */
  private forwardPlaced(packet: Uint8Array, slot: number): void {
    const seq = this.place(slot, 1);
    if (seq < 0) return;
    if (seq !== ((packet[2] << 8) | packet[3])) writeSeq(packet, seq);
    this.forward(packet);
  }

  private secureAudio(packet: Uint8Array, slot: number, extTs: number, start: number, end: number, late: boolean): void {
    const n = end - start;
    if (extTs >= this.replFrom && extTs + n <= this.replTo) {
      // Audio sent alongside the event, for time the replacement already filled.
      this.stats.audioCovered++;
      this.adjustment.octets -= n;
      this.place(slot, 0);
      return;
    }
    // An event whose end packets were lost: fill the rest of its span before this audio.
    // While an event is open (no end packet yet), the sender sends no audio: the time up to this
    // packet is the event's tail, whose last updates were lost.
    let fill = 0;
    if (!late && this.outEndTs >= 0 && extTs > this.outEndTs && (this.eventOpen || this.fillTo > this.outEndTs)) {
      fill = (this.eventOpen ? extTs : Math.min(this.fillTo, extTs)) - this.outEndTs;
      if (fill > MAX_FILL_PER_PACKET) fill = 0;
    }
    if (!late) this.eventOpen = false;
    const frames = fill > 0 ? Math.ceil(fill / this.frameSamples) : 0;
    const seq = this.place(slot, frames + 1);
    if (seq < 0) return;
    if (frames > 0) {
      this.adjustment.octets += fill;
      this.sendFill(seq, this.outEndTs, fill);
    }
    if (this.clamp !== undefined) this.clamp.process(packet.subarray(start, end), extTs);
    const own = (seq + frames) % SEQ_MOD;
    if (own !== ((packet[2] << 8) | packet[3])) writeSeq(packet, own);
    this.forward(packet);
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
    if (samples > MAX_FILL_PER_PACKET) samples = MAX_FILL_PER_PACKET - (MAX_FILL_PER_PACKET % this.frameSamples);
    if (late || samples <= 0) {
      this.place(slot, 0);
      return;
    }
    const frames = Math.ceil(samples / this.frameSamples);
    const seq = this.place(slot, frames);
    if (seq < 0) return;
    this.adjustment.octets += samples;
    this.sendFill(seq, from, samples);
  }

  /** Replacement frames from `fromTs`, `samples` long, sequence numbers from `seq`. */
  private sendFill(seq: number, fromTs: number, samples: number): void {
    let ts = fromTs;
    let left = samples;
    let s = seq;
    while (left > 0) {
      const n = left < this.frameSamples ? left : this.frameSamples;
      const out = n === this.frameSamples ? this.fullFrame : this.frame.subarray(0, HEADER_BYTES + n);
      out[0] = 0x80;
      out[1] = this.audioPayloadType; // no marker: the talkspurt goes on
      writeSeq(out, s);
      const t = ts % 0x100000000;
      out[4] = t >>> 24;
      out[5] = (t >>> 16) & 0xff;
      out[6] = (t >>> 8) & 0xff;
      out[7] = t & 0xff;
      out[8] = this.ssrc >>> 24;
      out[9] = (this.ssrc >>> 16) & 0xff;
      out[10] = (this.ssrc >>> 8) & 0xff;
      out[11] = this.ssrc & 0xff;
      const body = out.subarray(HEADER_BYTES);
      this.filler.fill(body);
      this.clamp?.process(body, ts);
      this.stats.framesInserted++;
      this.forward(out);
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
}

function writeSeq(packet: Uint8Array, seq: number): void {
  packet[2] = (seq >> 8) & 0xff;
  packet[3] = seq & 0xff;
}

function checkPt(name: string, pt: number): number {
  if (!Number.isInteger(pt) || pt < 0 || pt > 127 || (pt >= 64 && pt <= 95)) {
    throw new MediaError('EOPTIONS', `${name} must be 0-127 outside 64-95 (RFC 5761 §4), got ${pt}`);
  }
  return pt;
}

function checkSamples(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 8000) throw new MediaError('EOPTIONS', `${name} must be an integer 0-8000 samples, got ${n}`);
  return n;
}
