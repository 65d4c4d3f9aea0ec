// Capture replay: every RTP stream of a pcap/pcapng capture, with the digits the live server
// would have reported for it. Each stream's packets go, in arrival order and at their capture
// times (a virtual clock, with the server's 100 ms housekeeping ticks between them), through the
// same clamp stage the server runs on a caller leg in secure mode (RFC 4733 receiver, in-band
// detector behind the codec port, the event windows that keep a gateway's leaked tone from
// counting twice), and its digits, with the SIP INFO digits of the call, through the server's
// digit merger. The decoded audio (--write-audio) is laid out by timestamp separately.
import { decodeAlaw, decodeUlaw } from '../../native-free-dsp/g711.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { readUdpDatagrams, type CaptureError, type UdpDatagram, type UdpDecoderStats } from '../capture/index.js';
import { ClampStage } from '../media/clamp/clamp-stage.js';
import { createClampStage } from '../media/clamp/create-clamp-stage.js';
import { G722Port } from '../media/codecs/g722-port.js';
import { createOpusCodec, opusDecode, type OpusCodec } from '../media/codecs/opus-codec.js';
import { DigitMerger } from '../media/digits/digit-merger.js';
import type { KeyPress } from '../media/digits/key-press.js';
import { looksLikeRtp, rtpPayloadBounds, rtpPayloadType, rtpSequence, rtpSsrc, rtpTimestamp, RtpParseError } from '../rtp/rtp-packet.js';
import { DEFAULT_TELEPHONE_EVENT_PT } from '../rtp/rfc4733.js';
import { createSequenceTracker, lostPackets, trackPacket, type SequenceTracker } from '../rtp/sequence-tracker.js';
import { parseSdp, staticPayloadType, type SdpMedia, type SdpPayloadType } from '../sip/sdp.js';
import { sipInfoDigit } from '../sip/sip-info-dtmf.js';
import { header, maybeSip, parseSipMessage } from '../sip/sip-message.js';

export type { DigitSource } from '../dialog/vocabulary.js';

export interface StreamId {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** 32-bit; undefined for the pseudo-stream of SIP INFO digits no RTP stream could take. */
  readonly ssrc: number | undefined;
}

/** A digit as the server reports it (KeyPress), `atMs` from the first frame of the capture. */
export type ReplayDigit = KeyPress;

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
  /** In sequence (duplicates dropped): for the codec and the decoded audio. */
  readonly packets: StoredPacket[];
  /** Every datagram as it arrived (duplicates and unreadable ones included): what the stage gets. */
  readonly arrivals: { readonly bytes: Uint8Array; readonly timeMs: number }[];
  malformed: number;
}

/** A digit report on its way to the merger, with the virtual time it was reported at. */
interface Report {
  readonly press: KeyPress;
  readonly reportedMs: number;
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
/** The server's housekeeping period (RtpMediaSession): RFC 4733 end time-outs are seen at these ticks, ms. */
const TICK_MS = 100;
/** Ticks replayed one by one between two packets; a longer gap is skipped (see serverDigits). */
const MAX_TICKS_BETWEEN = 50;
/** Largest G.722 payload decoded for --write-audio, bytes (120 ms, as the clamp takes). */
const MAX_G722_PAYLOAD = 960;

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
        c = { id: { src: d.src, srcPort: d.srcPort, dst: d.dst, dstPort: d.dstPort, ssrc }, tracker: createSequenceTracker(), packets: [], arrivals: [], malformed: 0 };
        collectors.set(key, c);
      }
      c.arrivals.push({ bytes: p, timeMs: d.timeMs });
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
  const reports = new Map<ReplayStream, Report[]>();
  for (const c of collectors.values()) {
    const sdp = sdpFor(sdps, c.id);
    if (sdp === undefined && c.packets.length < MIN_PACKETS_WITHOUT_SDP) continue;
    if (c.packets.length === 0) continue;
    const { stream, reports: found } = decodeStream(c, sdp, origin, options);
    streams.push(stream);
    reports.set(stream, found);
  }
  attachSipInfo(streams, reports, infos, sdps, origin);
  for (const [stream, list] of reports) (stream.digits as ReplayDigit[]).push(...mergeReports(list));
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

function decodeStream(c: StreamCollector, sdp: SdpMedia | undefined, origin: number, options: ReplayOptions): { stream: ReplayStream; reports: Report[] } {
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
  const baseMs = packets[0].timeMs - origin;
  const reports = serverDigits(c, encoding, mainPt, eventPt, origin);
  const audio = options.keepAudio === true ? decodeAudio(packets, encoding, mainPt, mainInfo?.clockRate ?? 8000) : undefined;
  const stream: ReplayStream = {
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
    digits: [],
    audio,
    audioRate: 8000,
  };
  return { stream, reports };
}

/**
 * The digits the server would report for this stream: its packets, in arrival order at their
 * capture times, through the clamp stage a caller leg runs in secure mode (the codec's in-band
 * detector included for PCMU, PCMA, G.722 and Opus; RFC 4733 only for other codecs), ticked as the
 * server's housekeeping would.
 */
function serverDigits(c: StreamCollector, encoding: string | undefined, mainPt: number | undefined, eventPt: number, origin: number): Report[] {
  const reports: Report[] = [];
  let now = 0;
  const onDigit = (press: KeyPress): void => {
    reports.push({ press, reportedMs: now });
  };
  let stage: ClampStage;
  try {
    stage =
      encoding === 'PCMU' || encoding === 'PCMA' || encoding === 'G722' || encoding === 'OPUS'
        ? createClampStage({ codec: encoding === 'OPUS' ? 'opus' : encoding, audioPayloadType: mainPt, eventPayloadType: eventPt, mode: 'silence', secure: true, send: () => undefined, onDigit })
        : new ClampStage({ codec: 'PCMU', audioPayloadType: eventPt === 0 ? 8 : 0, eventPayloadType: eventPt, secure: true, send: () => undefined, onDigit });
  } catch {
    return reports; // a payload type no leg could negotiate (RFC 5761 §4 range): the server would not carry it
  }
  let nextTick = Number.NaN;
  for (const p of c.arrivals) {
    const t = p.timeMs - origin;
    if (Number.isNaN(nextTick)) nextTick = t + TICK_MS;
    if (t - nextTick > MAX_TICKS_BETWEEN * TICK_MS) {
      // A long silence or a jump of the capture's clock: one tick stands for the ticks between
      // (only the RFC 4733 end time-out reads them), then ticking resumes in phase. Bounded work
      // whatever the capture's timestamps say.
      now = nextTick;
      stage.tick(now);
      nextTick += Math.floor((t - nextTick) / TICK_MS) * TICK_MS;
    }
    while (nextTick <= t) {
      now = nextTick;
      stage.tick(now);
      nextTick += TICK_MS;
    }
    now = t;
    stage.push(Uint8Array.from(p.bytes), t); // a copy: the stage rewrites packets in place
  }
  stage.close();
  return reports;
}

/**
 * The stream's audio at 8 kHz laid out by timestamp (PCMU, PCMA, G.722, Opus), for --write-audio.
 * G.722: its lower band (0-4 kHz at 8 kHz, the codec's own split: what the detector hears).
 */
function decodeAudio(packets: readonly StoredPacket[], encoding: string | undefined, mainPt: number | undefined, audioClock: number): Int16Array | undefined {
  if (encoding !== 'PCMU' && encoding !== 'PCMA' && encoding !== 'G722' && encoding !== 'OPUS') return undefined;
  const audioRate = 8000;
  const opus: OpusCodec | undefined = encoding === 'OPUS' ? createOpusCodec(1, 8000) : undefined;
  const g722 = encoding === 'G722' ? new G722Port() : undefined;
  const upper = new Int16Array(g722 === undefined ? 0 : MAX_G722_PAYLOAD);
  const baseTs = packets[0].extTs;
  // Sized from the timestamp span so that it rarely grows (bounded: a corrupt span does not allocate).
  const spanSamples = ((packets[packets.length - 1].extTs - baseTs) * audioRate) / audioClock;
  const initial = Number.isFinite(spanSamples) && spanSamples > 0 ? Math.min(Math.ceil(spanSamples) + 2 * audioRate, 3600 * audioRate) : 0;
  const timeline: Timeline = { samples: new Int16Array(initial), length: 0 };
  let shift = 0; // samples added/removed at discontinuities
  const maxGap = (MAX_FILLED_GAP_MS * audioRate) / 1000;
  for (const p of packets) {
    if (rtpPayloadType(p.bytes) !== mainPt) continue;
    const payload = p.bytes.subarray(p.start, p.end);
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
    } else if (g722 !== undefined) {
      if (payload.length > upper.length) continue;
      ensure(timeline, at + payload.length);
      g722.decodeBands(payload, timeline.samples.subarray(at, at + payload.length), upper);
      timeline.length = Math.max(timeline.length, at + payload.length);
    } else {
      ensure(timeline, at + payload.length);
      (encoding === 'PCMU' ? decodeUlaw : decodeAlaw)(payload, timeline.samples.subarray(at, at + payload.length));
      timeline.length = Math.max(timeline.length, at + payload.length);
    }
  }
  return timeline.length > 0 ? timeline.samples.slice(0, timeline.length) : undefined;
}

/** The server's merger over one stream's reports, in the order they were reported; by start time. */
function mergeReports(reports: readonly Report[]): ReplayDigit[] {
  const merger = new DigitMerger();
  const passed: ReplayDigit[] = [];
  const ordered = reports.map((r, i) => ({ r, i })).sort((a, b) => a.r.reportedMs - b.r.reportedMs || a.i - b.i);
  for (const { r } of ordered) {
    const press = merger.push(r.press);
    if (press !== undefined) passed.push(press);
  }
  return passed.sort((a, b) => a.atMs - b.atMs);
}

/** SIP INFO digits go to the RTP stream sent by the INFO's sender (per the SDP it sent in that call). */
function attachSipInfo(streams: ReplayStream[], reports: Map<ReplayStream, Report[]>, infos: readonly InfoSighting[], sdps: readonly SdpSighting[], origin: number): void {
  const orphans = new Map<string, Report[]>();
  for (const info of infos) {
    const atMs = info.timeMs - origin;
    const report: Report = { press: { digit: info.digit, source: 'sip-info', atMs, durationMs: info.durationMs }, reportedMs: atMs };
    const media = sdps.filter((s) => s.callId === info.callId && s.sipFrom === info.sipFrom).map((s) => s.media);
    const stream = streams.find((s) => media.some((m) => m.port === s.id.srcPort && m.address === s.id.src)) ?? streams.find((s) => s.id.src === info.sipSrc);
    if (stream === undefined) {
      const list = orphans.get(info.sipFrom) ?? [];
      list.push(report);
      orphans.set(info.sipFrom, list);
      continue;
    }
    reports.get(stream)?.push(report);
  }
  for (const [sipFrom, list] of orphans) {
    const [address, port] = splitEndpoint(sipFrom);
    const stream: ReplayStream = {
      id: { src: address, srcPort: port, dst: '', dstPort: 0, ssrc: undefined },
      codec: 'SIP-INFO',
      payloadType: undefined,
      eventPayloadType: DEFAULT_TELEPHONE_EVENT_PT,
      packets: 0,
      lost: 0,
      duplicates: 0,
      late: 0,
      malformed: 0,
      firstMs: list[0].press.atMs,
      digits: [],
      audio: undefined,
      audioRate: 8000,
    };
    streams.push(stream);
    reports.set(stream, list);
  }
}

function splitEndpoint(text: string): [string, number] {
  const colon = text.lastIndexOf(':');
  const address = text.slice(0, colon).replace(/^\[|\]$/g, '');
  return [address, Number(text.slice(colon + 1))];
}
