// RFC 4733 telephone-events (DTMF named events 0-15, §3.2): payload parse/encode and a receiver
// state machine that reports each digit once, whatever the network or a faulty relay did to its
// packets. Pure: extended RTP timestamps and arrival times in, digits out; no allocation per packet.
//
// An event is identified by its RTP timestamp (§2.5.1.2: every packet of one event carries the
// event's start timestamp). The receiver handles:
// - the three retransmitted end packets (§2.5.1.4) and any duplicate: timestamps of finished
//   events are remembered and their packets ignored;
// - long events (§2.5.1.3): when the 16-bit duration would overflow the sender starts a new
//   segment with timestamp = start + 0xFFFF, same event code, without the marker bit; a segment
//   that starts where the current event's duration ends is the same digit. A duration that
//   wraps inside one segment (non-compliant senders) is unwrapped;
// - lost start packets (the first packet seen starts the digit) and lost end packets (the digit
//   ends when the next event starts, after `endTimeoutMs` without an update, or at flush);
// - two digits back to back and the same digit twice: a new timestamp is a new event unless it
//   continues a long event (0xFFFF after the current segment) or re-stamps its end, so a repeated
//   key survives the loss of its marker packet and of the previous event's end packets;
// - reordering: late packets of a finished event are ignored; a late non-end packet of the
//   current event cannot shrink its duration;
// - end packets re-sent by a relay with a new timestamp or sequence number (a known fault that
//   turns one digit into three): an end-bit packet of the same event code, without marker, whose
//   timestamp lies within the previous event's span (+ tolerance) is a copy of that end.
// Event codes above 15 (flash, fax tones, ...) are counted and ignored.
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';

/** Default payload type when a capture has no SDP (common practice; RFC 4733 assigns none). */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;
const EVENT_DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];
const MAX_DTMF_EVENT = 15;
const DURATION_MOD = 0x10000;
/** Longest segment of a long event, RTP clock units (§2.5.1.3). */
const SEGMENT_MAX = 0xffff;
/** Timestamps of finished events (and their segments) remembered for duplicate detection. */
const FINISHED_HISTORY = 16;

export interface TelephoneEvent {
  /** 0-255; 0-15 are DTMF (§3.2). */
  readonly event: number;
  readonly end: boolean;
  /** 0-63, -dBm0 (§2.3.4). */
  readonly volume: number;
  /** 0-65535, in the RTP clock (§2.3.5). */
  readonly duration: number;
}

/** The first event of a telephone-event payload; undefined when it is shorter than 4 bytes. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return { event: payload[0], end: (payload[1] & 0x80) !== 0, volume: payload[1] & 0x3f, duration: (payload[2] << 8) | payload[3] };
}

export function encodeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(4);
  out[0] = e.event & 0xff;
  out[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  out[2] = (e.duration >> 8) & 0xff;
  out[3] = e.duration & 0xff;
  return out;
}

export function eventDigit(event: number): DtmfDigit | undefined {
  return event >= 0 && event <= MAX_DTMF_EVENT ? EVENT_DIGITS[event] : undefined;
}

export function digitEvent(digit: DtmfDigit): number {
  return EVENT_DIGITS.indexOf(digit);
}

export type Rfc4733EndReason = 'end-bit' | 'next-event' | 'timeout' | 'flush';

export interface Rfc4733Digit {
  readonly digit: DtmfDigit;
  readonly event: number;
  /** -dBm0 of the last packet. */
  readonly volume: number;
  /** Extended RTP timestamp of the event start (its first segment). */
  readonly startTimestamp: number;
  /** Total duration over all segments, RTP clock units. */
  readonly duration: number;
  /** Arrival time of the first packet seen, ms. */
  readonly firstArrivalMs: number;
  readonly endReason: Rfc4733EndReason;
  /** Packets that contributed (duplicates excluded). */
  readonly packets: number;
}

export interface Rfc4733Config {
  /** Clock rate of the telephone-event payload format, Hz (rtpmap; 8000 by default). */
  readonly clockRate: number;
  /** No update for this long (arrival time) ends a digit whose end packets were lost, ms. */
  readonly endTimeoutMs: number;
  /** Slack for segment continuation and re-stamped end packets, ms of RTP clock. */
  readonly toleranceMs: number;
  /** Arrival jitter allowed when telling a re-stamped end from a new press, ms. */
  readonly jitterMs: number;
}

export const DEFAULT_RFC4733_CONFIG: Rfc4733Config = { clockRate: 8000, endTimeoutMs: 400, toleranceMs: 250, jitterMs: 40 };

export interface Rfc4733Stats {
  /** Packets that updated or started a digit. */
  accepted: number;
  /** Copies of packets already counted, including re-stamped end packets. */
  duplicates: number;
  /** Events 16-255. */
  ignoredEvents: number;
  /** Payloads shorter than 4 bytes. */
  malformed: number;
}

export interface Rfc4733Decoder {
  readonly onDigit: (digit: Rfc4733Digit) => void;
  readonly toleranceTs: number;
  readonly jitterTs: number;
  /** RTP clock units per ms of arrival time. */
  readonly tsPerMs: number;
  /** Sender's RTP time when the current event's first seen packet left (its timestamp + duration). */
  anchorTs: number;
  readonly endTimeoutMs: number;
  active: boolean;
  event: number;
  volume: number;
  startTs: number;
  segmentTs: number;
  /** Offset of the current segment from the start, plus unwrapped duration wraps. */
  segmentBase: number;
  lastRawDuration: number;
  duration: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
  packets: number;
  /** Last finished event, for re-stamped end packets. */
  hasFinished: boolean;
  finishedEvent: number;
  finishedStartTs: number;
  finishedEndTs: number;
  finishedAnchorTs: number;
  finishedAnchorMs: number;
  readonly finishedTs: Float64Array;
  finishedNext: number;
  readonly stats: Rfc4733Stats;
}

export function createRfc4733Decoder(onDigit: (digit: Rfc4733Digit) => void, config: Partial<Rfc4733Config> = {}): Rfc4733Decoder {
  const c = { ...DEFAULT_RFC4733_CONFIG, ...config };
  if (!(c.clockRate > 0)) throw new RangeError(`telephone-event clock rate must be positive, got ${c.clockRate}`);
  return {
    onDigit,
    toleranceTs: Math.round((c.toleranceMs * c.clockRate) / 1000),
    jitterTs: Math.round((c.jitterMs * c.clockRate) / 1000),
    tsPerMs: c.clockRate / 1000,
    anchorTs: 0,
    endTimeoutMs: c.endTimeoutMs,
    active: false,
    event: 0,
    volume: 0,
    startTs: 0,
    segmentTs: 0,
    segmentBase: 0,
    lastRawDuration: 0,
    duration: 0,
    firstArrivalMs: 0,
    lastArrivalMs: 0,
    packets: 0,
    hasFinished: false,
    finishedEvent: -1,
    finishedStartTs: 0,
    finishedEndTs: 0,
    finishedAnchorTs: 0,
    finishedAnchorMs: 0,
    finishedTs: new Float64Array(FINISHED_HISTORY).fill(-1),
    finishedNext: 0,
    stats: { accepted: 0, duplicates: 0, ignoredEvents: 0, malformed: 0 },
  };
}

function isFinishedTs(d: Rfc4733Decoder, ts: number): boolean {
  for (let i = 0; i < FINISHED_HISTORY; i++) if (d.finishedTs[i] === ts) return true;
  return false;
}

function rememberFinishedTs(d: Rfc4733Decoder, ts: number): void {
  if (isFinishedTs(d, ts)) return;
  d.finishedTs[d.finishedNext] = ts;
  d.finishedNext = (d.finishedNext + 1) % FINISHED_HISTORY;
}

/**
 * An end packet with a new timestamp: a relay's re-stamped copy of the previous end, or the end
 * of a new press of the same key whose earlier packets were lost? A press that started at `ts`
 * and lasted `duration` ended no later than the sender's clock now (estimated from the previous
 * event's first packet and the arrival times, within the jitter allowance); a copy stamped
 * "now" carries the whole previous duration and so would end in the future.
 */
function copiesEnd(ts: number, duration: number, arrivalMs: number, anchorTs: number, anchorMs: number, d: Rfc4733Decoder): boolean {
  const senderNow = anchorTs + (arrivalMs - anchorMs) * d.tsPerMs;
  return ts + duration > senderNow + d.jitterTs;
}

/** Counts a packet of the current event in and ends the event on its E bit. */
function acceptPacket(d: Rfc4733Decoder, volume: number, arrivalMs: number, end: boolean): void {
  d.volume = volume;
  d.lastArrivalMs = arrivalMs;
  d.packets++;
  d.stats.accepted++;
  if (end) finish(d, 'end-bit');
}

function finish(d: Rfc4733Decoder, reason: Rfc4733EndReason): void {
  d.active = false;
  rememberFinishedTs(d, d.startTs);
  rememberFinishedTs(d, d.segmentTs);
  d.hasFinished = true;
  d.finishedEvent = d.event;
  d.finishedStartTs = d.startTs;
  d.finishedEndTs = d.startTs + d.duration;
  d.finishedAnchorTs = d.anchorTs;
  d.finishedAnchorMs = d.firstArrivalMs;
  const digit = EVENT_DIGITS[d.event];
  d.onDigit({
    digit,
    event: d.event,
    volume: d.volume,
    startTimestamp: d.startTs,
    duration: d.duration,
    firstArrivalMs: d.firstArrivalMs,
    endReason: reason,
    packets: d.packets,
  });
}

function start(d: Rfc4733Decoder, ts: number, event: number, volume: number, duration: number, arrivalMs: number): void {
  d.active = true;
  d.event = event;
  d.volume = volume;
  d.startTs = d.segmentTs = ts;
  d.segmentBase = 0;
  d.lastRawDuration = duration;
  d.duration = duration;
  d.firstArrivalMs = d.lastArrivalMs = arrivalMs;
  d.anchorTs = ts + duration;
  d.packets = 1;
}

/** Updates the current segment's duration; unwraps a duration that went past 0xFFFF. */
function updateDuration(d: Rfc4733Decoder, rawDuration: number): void {
  if (rawDuration < d.lastRawDuration - DURATION_MOD / 2) d.segmentBase += DURATION_MOD;
  else if (rawDuration > d.lastRawDuration + DURATION_MOD / 2) return; // a late packet from before a wrap
  d.lastRawDuration = rawDuration;
  const total = d.segmentBase + rawDuration;
  if (total > d.duration) d.duration = total; // reordered updates never shrink it
}

/**
 * One telephone-event packet: `ts` its extended RTP timestamp (see SequenceTracker), `marker`
 * its M bit, `arrivalMs` its arrival (capture) time.
 */
export function rfc4733Rx(d: Rfc4733Decoder, ts: number, marker: boolean, payload: Uint8Array, arrivalMs: number): void {
  if (payload.length < 4) {
    d.stats.malformed++;
    return;
  }
  const event = payload[0];
  const end = (payload[1] & 0x80) !== 0;
  const volume = payload[1] & 0x3f;
  const duration = (payload[2] << 8) | payload[3];
  if (event > MAX_DTMF_EVENT) {
    d.stats.ignoredEvents++;
    return;
  }
  rfc4733Tick(d, arrivalMs);
  if (isFinishedTs(d, ts)) {
    d.stats.duplicates++;
    return;
  }
  if (d.active) {
    if (ts === d.segmentTs && event === d.event) {
      updateDuration(d, duration);
      acceptPacket(d, volume, arrivalMs, end);
      return;
    }
    if (event === d.event && !marker && ts > d.segmentTs) {
      const step = ts - d.segmentTs;
      if (Math.abs(step - SEGMENT_MAX) <= d.toleranceTs) {
        // A further segment of a long event (§2.5.1.3): it starts where the previous segment's
        // duration reached its maximum.
        d.segmentTs = ts;
        d.segmentBase = ts - d.startTs;
        d.lastRawDuration = duration;
        if (d.segmentBase + duration > d.duration) d.duration = d.segmentBase + duration;
        acceptPacket(d, volume, arrivalMs, end);
        return;
      }
      if (end && ts <= d.startTs + d.duration + d.toleranceTs && duration + d.toleranceTs >= d.duration && copiesEnd(ts, duration, arrivalMs, d.anchorTs, d.firstArrivalMs, d)) {
        // The end re-stamped by a relay: an end packet inside the event's span that covers its
        // whole duration, stamped too late to be the end of a press of its own.
        d.segmentTs = ts;
        if (duration > d.duration) d.duration = duration;
        acceptPacket(d, volume, arrivalMs, end);
        return;
      }
      // Any other new timestamp is a new event (§2.5.1.2), the same key pressed again included,
      // even when its marker packet or the previous event's end packets were lost.
    }
    if (ts < d.startTs && event === d.event) {
      if (ts + duration <= d.startTs) {
        // A whole earlier press of the same key, never seen before (its other packets lost, this
        // one overtaken by the next press): a digit of its own, stamped with its own start.
        rememberFinishedTs(d, ts);
        d.stats.accepted++;
        d.onDigit({ digit: EVENT_DIGITS[event], event, volume, startTimestamp: ts, duration, firstArrivalMs: arrivalMs, endReason: end ? 'end-bit' : 'next-event', packets: 1 });
        return;
      }
      // Older than the current event and overlapping it: a late packet of a digit already
      // superseded; counting it would double the digit.
      d.stats.duplicates++;
      return;
    }
    finish(d, 'next-event');
  }
  if (
    d.hasFinished &&
    end &&
    !marker &&
    event === d.finishedEvent &&
    ts > d.finishedStartTs &&
    ts <= d.finishedEndTs + d.toleranceTs &&
    copiesEnd(ts, duration, arrivalMs, d.finishedAnchorTs, d.finishedAnchorMs, d)
  ) {
    // The end of the last digit again, with a new timestamp (and sequence number).
    rememberFinishedTs(d, ts);
    d.stats.duplicates++;
    return;
  }
  start(d, ts, event, volume, duration, arrivalMs);
  d.stats.accepted++;
  if (end) finish(d, 'end-bit');
}

/** Time passes (any packet of the stream, or a timer): ends a digit whose end packets were lost. */
export function rfc4733Tick(d: Rfc4733Decoder, nowMs: number): void {
  if (d.active && nowMs - d.lastArrivalMs > d.endTimeoutMs) finish(d, 'timeout');
}

/** End of stream. */
export function rfc4733Flush(d: Rfc4733Decoder): void {
  if (d.active) finish(d, 'flush');
}

export interface EventPacketPlan {
  readonly timestamp: number;
  readonly marker: boolean;
  readonly payload: Uint8Array;
}

/**
 * The packets a compliant sender emits for one digit (§2.5.1): an update every
 * `intervalSamples` starting with the marker bit, and three end packets with the final
 * duration. Durations over 0xFFFF are split into segments (§2.5.1.3).
 */
export function planDigitPackets(digit: DtmfDigit, startTimestamp: number, durationSamples: number, intervalSamples = 160, volume = 10): EventPacketPlan[] {
  const event = digitEvent(digit);
  const packets: EventPacketPlan[] = [];
  let segmentStart = 0;
  let first = true;
  while (true) {
    const remaining = durationSamples - segmentStart;
    const last = remaining <= 0xffff;
    const segmentLength = last ? remaining : 0xffff;
    const ts = (startTimestamp + segmentStart) >>> 0;
    for (let d = intervalSamples; d < segmentLength; d += intervalSamples) {
      packets.push({ timestamp: ts, marker: first, payload: encodeTelephoneEvent({ event, end: false, volume, duration: d }) });
      first = false;
    }
    if (last) {
      for (let i = 0; i < 3; i++) packets.push({ timestamp: ts, marker: first && i === 0, payload: encodeTelephoneEvent({ event, end: true, volume, duration: segmentLength }) });
      return packets;
    }
    packets.push({ timestamp: ts, marker: false, payload: encodeTelephoneEvent({ event, end: false, volume, duration: 0xffff }) });
    segmentStart += 0xffff;
  }
}
