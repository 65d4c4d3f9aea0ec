// Capture replay: every RTP stream of a pcap/pcapng capture, decoded, with its DTMF digits from
// RFC 4733 events, in-band tones and SIP INFO merged so that a digit sent several ways counts
// once. Offline: the whole capture is read first, then each stream is put in sequence order
// (undoing reordering and duplication) and decoded.
import { decodeAlaw, decodeUlaw } from '../../native-free-dsp/g711.js';
import { createDtmfDetector, dtmfFlush, dtmfRx } from '../../native-free-dsp/dtmf-detector.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { readUdpDatagrams, type CaptureError, type UdpDatagram, type UdpDecoderStats } from '../capture/index.js';
import { createOpusCodec, opusDecode, type OpusCodec } from '../media/codecs/opus-codec.js';
import { looksLikeRtp, rtpMarker, rtpPayloadBounds, rtpPayloadType, rtpSequence, rtpSsrc, rtpTimestamp, RtpParseError } from '../rtp/rtp-packet.js';
import { createRfc4733Decoder, rfc4733Flush, rfc4733Rx, rfc4733Tick, DEFAULT_TELEPHONE_EVENT_PT, type Rfc4733Digit } from '../rtp/rfc4733.js';
import { createSequenceTracker, lostPackets, trackPacket, type SequenceTracker } from '../rtp/sequence-tracker.js';
import { parseSdp, staticPayloadType, type SdpMedia, type SdpPayloadType } from '../sip/sdp.js';
import { sipInfoDigit } from '../sip/sip-info-dtmf.js';
import { header, maybeSip, parseSipMessage } from '../sip/sip-message.js';

export type DigitSource = 'rfc4733' | 'inband' | 'sip-info';

export interface StreamId {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** 32-bit; undefined for the pseudo-stream of SIP INFO digits no RTP stream could take. */
  readonly ssrc: number | undefined;
}

export interface ReplayDigit {
  readonly digit: DtmfDigit;
  readonly source: DigitSource;
  /** ms from the first frame of the capture. */
  readonly atMs: number;
  /** ms; undefined when the source does not say. */
  readonly durationMs: number | undefined;
}

export interface ReplayStream {
  readonly id: StreamId;
  /** Encoding name of the main payload type (PCMU, PCMA, opus, ...), `PT<n>` if unknown. */
  readonly codec: string;
  readonly payloadType: number | undefined;
  readonly eventPayloadType: number;
  readonly packets: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly late: number;
  /** Packets RTP-shaped but unreadable (bad padding, extension past the end...). */
  readonly malformed: number;
  /** ms from the first frame of the capture. */
  readonly firstMs: number;
  readonly digits: readonly ReplayDigit[];
  /** Decoded audio (mono, `audioRate` Hz: 8 kHz, Opus included) when the codec is decoded. */
  readonly audio: Int16Array | undefined;
  readonly audioRate: number;
}

export interface ReplayOptions {
  /** Telephone-event payload type for streams that no SDP describes (default 101). */
  readonly eventPt?: number;
  /** Keep the decoded audio of each stream (for --write-audio). */
  readonly keepAudio?: boolean;
}

export interface ReplayResult {
  readonly streams: readonly ReplayStream[];
  readonly capture: UdpDecoderStats;
  readonly rtpPackets: number;
  /** Duration covered by the capture, ms. */
  readonly durationMs: number;
  /** Set when the capture went bad part-way: the streams hold what was read before. */
  readonly error: CaptureError | undefined;
}

interface StoredPacket {
  readonly bytes: Uint8Array;
  /** Payload bounds in `bytes` (checked on arrival). */
  readonly start: number;
  readonly end: number;
  readonly extSeq: number;
  readonly extTs: number;
  readonly timeMs: number;
}

interface StreamCollector {
  readonly id: StreamId;
  readonly tracker: SequenceTracker;
  readonly packets: StoredPacket[];
  malformed: number;
}

interface SdpSighting {
  readonly callId: string;
  /** SIP source address:port of the message carrying the SDP. */
  readonly sipFrom: string;
  readonly media: SdpMedia;
}

interface InfoSighting {
  readonly callId: string;
  readonly sipFrom: string;
  readonly sipSrc: string;
  readonly digit: DtmfDigit;
  readonly durationMs: number | undefined;
  readonly timeMs: number;
}

/** Streams with fewer packets and no SDP are not reported (stray RTP-shaped datagrams). */
const MIN_PACKETS_WITHOUT_SDP = 3;
/** A jump in the timeline larger than this is a discontinuity, not silence to fill, ms. */
const MAX_FILLED_GAP_MS = 60_000;
/** Digits of different sources closer than this (start to start, or overlapping) are one digit, ms. */
const MERGE_SLACK_MS = 250;
const DETECTOR_CHUNK = 8000;

export function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function streamKey(d: UdpDatagram, ssrc: number): string {
  return `${d.src}|${d.srcPort}|${d.dst}|${d.dstPort}|${ssrc}`;
}

export async function replayCapture(bytes: Uint8Array, file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const collectors = new Map<string, StreamCollector>();
  const sdps: SdpSighting[] = [];
  const infos: InfoSighting[] = [];
  let firstMs = Number.NaN;
  let lastMs = Number.NaN;
  let rtpPackets = 0;

  const summary = readUdpDatagrams(bytes, file, (d) => {
    if (Number.isNaN(firstMs)) firstMs = d.timeMs;
    lastMs = d.timeMs;
    const p = d.payload;
    if (looksLikeRtp(p)) {
      const ssrc = rtpSsrc(p);
      const key = streamKey(d, ssrc);
      let c = collectors.get(key);
      if (c === undefined) {
        c = { id: { src: d.src, srcPort: d.srcPort, dst: d.dst, dstPort: d.dstPort, ssrc }, tracker: createSequenceTracker(), packets: [], malformed: 0 };
        collectors.set(key, c);
      }
      const bounds = rtpPayloadBounds(p);
      if (bounds instanceof RtpParseError) {
        c.malformed++;
        return;
      }
      rtpPackets++;
      const order = trackPacket(c.tracker, rtpSequence(p), rtpTimestamp(p));
      if (order === 'duplicate') return;
      c.packets.push({ bytes: p, start: bounds.start, end: bounds.end, extSeq: c.tracker.lastExtSeq, extTs: c.tracker.lastExtTs, timeMs: d.timeMs });
    } else if (maybeSip(p)) {
      const message = parseSipMessage(p);
      if (message === undefined) return;
      const callId = header(message, 'call-id') ?? '';
      const sipFrom = endpoint(d.src, d.srcPort);
      const type = (header(message, 'content-type') ?? '').toLowerCase();
      if (type.startsWith('application/sdp')) {
        for (const media of parseSdp(message.body)) if (media.media === 'audio') sdps.push({ callId, sipFrom, media });
      }
      const info = sipInfoDigit(message);
      if (info !== undefined) infos.push({ callId, sipFrom, sipSrc: d.src, digit: info.digit, durationMs: info.durationMs, timeMs: d.timeMs });
    }
  });

  const origin = Number.isNaN(firstMs) ? 0 : firstMs;
  const streams: ReplayStream[] = [];
  for (const c of collectors.values()) {
    const sdp = sdpFor(sdps, c.id);
    if (sdp === undefined && c.packets.length < MIN_PACKETS_WITHOUT_SDP) continue;
    if (c.packets.length === 0) continue;
    streams.push(decodeStream(c, sdp, origin, options));
  }
  attachSipInfo(streams, infos, sdps, origin);
  streams.sort((a, b) => a.firstMs - b.firstMs);
  return {
    streams,
    capture: summary.stats,
    rtpPackets,
    durationMs: Number.isNaN(firstMs) ? 0 : lastMs - firstMs,
    error: summary.error,
  };
}

/** The SDP describing a stream: the receiver's (destination = its c=/m=), else the sender's (symmetric RTP). */
function sdpFor(sdps: readonly SdpSighting[], id: StreamId): SdpMedia | undefined {
  let fallback: SdpMedia | undefined;
  for (let i = sdps.length - 1; i >= 0; i--) {
    const m = sdps[i].media;
    if (m.port === id.dstPort && m.address === id.dst) return m;
    if (fallback === undefined && m.port === id.srcPort && m.address === id.src) fallback = m;
  }
  return fallback;
}

function payloadTypeInfo(sdp: SdpMedia | undefined, pt: number): SdpPayloadType | undefined {
  return sdp?.payloadTypes.find((p) => p.payloadType === pt) ?? staticPayloadType(pt);
}

interface Timeline {
  samples: Int16Array;
  length: number;
}

function ensure(t: Timeline, end: number): void {
  if (end <= t.samples.length) return;
  let size = Math.max(t.samples.length * 2, 8000);
  while (size < end) size *= 2;
  const next = new Int16Array(size);
  next.set(t.samples.subarray(0, t.length));
  t.samples = next;
}

function decodeStream(c: StreamCollector, sdp: SdpMedia | undefined, origin: number, options: ReplayOptions): ReplayStream {
  // Sequence order undoes reordering; duplicates were dropped on arrival.
  const packets = c.packets.slice().sort((a, b) => a.extSeq - b.extSeq);
  const sdpEvent = sdp?.payloadTypes.find((p) => p.encoding.toLowerCase() === 'telephone-event');
  const eventPt = sdpEvent?.payloadType ?? options.eventPt ?? DEFAULT_TELEPHONE_EVENT_PT;
  const counts = new Map<number, number>();
  for (const p of packets) {
    const pt = rtpPayloadType(p.bytes);
    if (pt !== eventPt) counts.set(pt, (counts.get(pt) ?? 0) + 1);
  }
  let mainPt: number | undefined;
  for (const [pt, n] of counts) if (mainPt === undefined || n > (counts.get(mainPt) ?? 0)) mainPt = pt;
  const mainInfo = mainPt === undefined ? undefined : payloadTypeInfo(sdp, mainPt);
  const encoding = mainInfo?.encoding.toUpperCase();
  const codecName = mainInfo === undefined ? (mainPt === undefined ? 'telephone-event' : `PT${mainPt}`) : mainInfo.encoding === 'opus' ? 'opus' : mainInfo.encoding;
  const audioClock = mainInfo?.clockRate ?? 8000;
  const eventClock = sdpEvent?.clockRate ?? audioClock;
  const decodes = encoding === 'PCMU' || encoding === 'PCMA' || encoding === 'OPUS';
  // Every codec is decoded to 8 kHz mono, the detector's rate (Opus by libopus itself).
  const audioRate = 8000;
  const opus: OpusCodec | undefined = encoding === 'OPUS' ? createOpusCodec(1, 8000) : undefined;

  const first = packets[0];
  const baseTs = first.extTs;
  const baseMs = first.timeMs - origin;
  const tsToMs = (ts: number, clock: number): number => baseMs + ((ts - baseTs) * 1000) / clock;
  const digits: ReplayDigit[] = [];
  const events = createRfc4733Decoder(
    (d: Rfc4733Digit) => digits.push({ digit: d.digit, source: 'rfc4733', atMs: tsToMs(d.startTimestamp, eventClock), durationMs: (d.duration * 1000) / eventClock }),
    { clockRate: eventClock },
  );

  // Sized from the timestamp span so that it rarely grows (bounded: a corrupt span does not allocate).
  const spanSamples = decodes ? ((packets[packets.length - 1].extTs - baseTs) * audioRate) / audioClock : 0;
  const initial = Number.isFinite(spanSamples) && spanSamples > 0 ? Math.min(Math.ceil(spanSamples) + 2 * audioRate, 3600 * audioRate) : 0;
  const timeline: Timeline = { samples: new Int16Array(initial), length: 0 };
  let shift = 0; // samples added/removed at discontinuities
  const maxGap = (MAX_FILLED_GAP_MS * audioRate) / 1000;
  for (const p of packets) {
    rfc4733Tick(events, p.timeMs);
    const pt = rtpPayloadType(p.bytes);
    const payload = p.bytes.subarray(p.start, p.end);
    if (pt === eventPt) {
      rfc4733Rx(events, p.extTs, rtpMarker(p.bytes), payload, p.timeMs);
      continue;
    }
    if (!decodes || pt !== mainPt) continue;
    let at = Math.round(((p.extTs - baseTs) * audioRate) / audioClock) + shift;
    if (at - timeline.length > maxGap || at < timeline.length - maxGap) {
      shift += timeline.length - at;
      at = timeline.length;
    }
    if (at < 0) continue;
    if (opus !== undefined) {
      const pcm = opusDecode(opus, payload);
      if (pcm === undefined) continue;
      ensure(timeline, at + pcm.length);
      timeline.samples.set(pcm, at);
      timeline.length = Math.max(timeline.length, at + pcm.length);
    } else {
      ensure(timeline, at + payload.length);
      (encoding === 'PCMU' ? decodeUlaw : decodeAlaw)(payload, timeline.samples.subarray(at, at + payload.length));
      timeline.length = Math.max(timeline.length, at + payload.length);
    }
  }
  rfc4733Flush(events);

  let audio: Int16Array | undefined;
  if (decodes && timeline.length > 0) {
    audio = timeline.samples.slice(0, timeline.length);
    const pcm8k = audio;
    const inband: ReplayDigit[] = [];
    const detector = createDtmfDetector({
      onDigit: (e) => inband.push({ digit: e.digit, source: 'inband', atMs: baseMs + e.startMs, durationMs: e.endMs - e.startMs }),
    });
    for (let i = 0; i < pcm8k.length; i += DETECTOR_CHUNK) dtmfRx(detector, pcm8k.subarray(i, Math.min(i + DETECTOR_CHUNK, pcm8k.length)));
    dtmfFlush(detector);
    mergeDigits(digits, inband);
  }
  digits.sort((a, b) => a.atMs - b.atMs);

  return {
    id: c.id,
    codec: codecName,
    payloadType: mainPt,
    eventPayloadType: eventPt,
    packets: c.tracker.received,
    lost: lostPackets(c.tracker),
    duplicates: c.tracker.duplicates,
    late: c.tracker.late,
    malformed: c.malformed,
    firstMs: baseMs,
    digits,
    audio: options.keepAudio === true ? audio : undefined,
    audioRate,
  };
}

/**
 * Adds `extra` digits to `kept` unless one of `kept` (from another source) is the same digit at
 * the same time; each kept digit absorbs at most one extra digit per source, so a digit pressed
 * twice is never folded into one.
 */
export function mergeDigits(kept: ReplayDigit[], extra: readonly ReplayDigit[]): void {
  const absorbed = new Set<ReplayDigit>();
  const added: ReplayDigit[] = [];
  for (const e of extra) {
    const match = kept.find((k) => {
      if (absorbed.has(k) || k.digit !== e.digit || k.source === e.source) return false;
      const kEnd = k.atMs + (k.durationMs ?? 0);
      const eEnd = e.atMs + (e.durationMs ?? 0);
      return e.atMs <= kEnd + MERGE_SLACK_MS && k.atMs <= eEnd + MERGE_SLACK_MS;
    });
    if (match === undefined) added.push(e);
    else absorbed.add(match);
  }
  kept.push(...added);
}

/** SIP INFO digits go to the RTP stream sent by the INFO's sender (per the SDP it sent in that call). */
function attachSipInfo(streams: ReplayStream[], infos: readonly InfoSighting[], sdps: readonly SdpSighting[], origin: number): void {
  const orphans = new Map<string, ReplayDigit[]>();
  const byStream = new Map<ReplayStream, ReplayDigit[]>();
  for (const info of infos) {
    const digit: ReplayDigit = { digit: info.digit, source: 'sip-info', atMs: info.timeMs - origin, durationMs: info.durationMs };
    const media = sdps.filter((s) => s.callId === info.callId && s.sipFrom === info.sipFrom).map((s) => s.media);
    const stream =
      streams.find((s) => media.some((m) => m.port === s.id.srcPort && m.address === s.id.src)) ??
      streams.find((s) => s.id.src === info.sipSrc);
    if (stream === undefined) {
      const list = orphans.get(info.sipFrom) ?? [];
      list.push(digit);
      orphans.set(info.sipFrom, list);
      continue;
    }
    const list = byStream.get(stream) ?? [];
    list.push(digit);
    byStream.set(stream, list);
  }
  for (const [stream, list] of byStream) {
    const digits = stream.digits as ReplayDigit[];
    mergeDigits(digits, list);
    digits.sort((a, b) => a.atMs - b.atMs);
  }
  for (const [sipFrom, list] of orphans) {
    const [address, port] = splitEndpoint(sipFrom);
    streams.push({
      id: { src: address, srcPort: port, dst: '', dstPort: 0, ssrc: undefined },
      codec: 'SIP-INFO',
      payloadType: undefined,
      eventPayloadType: DEFAULT_TELEPHONE_EVENT_PT,
      packets: 0,
      lost: 0,
      duplicates: 0,
      late: 0,
      malformed: 0,
      firstMs: list[0].atMs,
      digits: list,
      audio: undefined,
      audioRate: 8000,
    });
  }
}

function splitEndpoint(text: string): [string, number] {
  const colon = text.lastIndexOf(':');
  const address = text.slice(0, colon).replace(/^\[|\]$/g, '');
  return [address, Number(text.slice(colon + 1))];
}
