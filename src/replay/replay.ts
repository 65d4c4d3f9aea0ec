// Capture replay: every RTP stream of a pcap/pcapng capture, with the digits the live server
// would have reported for it. Each stream's packets go, in arrival order and at their capture
// times (a virtual clock, with the server's 100 ms housekeeping ticks between them), through the
// same clamp stage the server runs on a caller leg in secure mode (RFC 4733 receiver, in-band
// detector behind the codec port, the event windows that keep a gateway's leaked tone from
// counting twice), and its digits, with the SIP INFO digits of the call, through the server's
// digit merger. The decoded audio (--write-audio) is laid out by timestamp separately.
// The steps live beside it: capture-streams.ts (the pass over the capture), server-digits.ts
// (the clamp stage and merger), sip-info-digits.ts, stream-audio.ts.
import type { CaptureError, UdpDecoderStats } from '../capture/index.js';
import { DEFAULT_TELEPHONE_EVENT_PT } from '../rtp/rfc4733.js';
import { rtpPayloadType } from '../rtp/rtp-packet.js';
import { lostPackets } from '../rtp/sequence-tracker.js';
import { staticPayloadType, type SdpCodec, type SdpMediaLine } from '../sip/sdp.js';
import { collectCapture, type SdpSighting, type StreamCollector } from './capture-streams.js';
import type { ReplayDigit, ReplayStream, StreamId } from './replay-stream.js';
import { mergeReports, serverDigits, type Report } from './server-digits.js';
import { attachSipInfo } from './sip-info-digits.js';
import { decodeAudio } from './stream-audio.js';

export type { DigitSource } from '../dialog/vocabulary.js';
export { endpoint } from './capture-streams.js';
export type { ReplayDigit, ReplayStream, StreamId } from './replay-stream.js';

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

/** Streams with fewer packets and no SDP are not reported (stray RTP-shaped datagrams). */
const MIN_PACKETS_WITHOUT_SDP = 3;

export async function replayCapture(bytes: Uint8Array, file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const { collectors, sdps, infos, firstMs, lastMs, rtpPackets, summary } = collectCapture(bytes, file);
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
function sdpFor(sdps: readonly SdpSighting[], id: StreamId): SdpMediaLine | undefined {
  let fallback: SdpMediaLine | undefined;
  for (let i = sdps.length - 1; i >= 0; i--) {
    const m = sdps[i].media;
    if (m.port === id.dstPort && m.address === id.dst) return m;
    if (fallback === undefined && m.port === id.srcPort && m.address === id.src) fallback = m;
  }
  return fallback;
}

function payloadTypeInfo(sdp: SdpMediaLine | undefined, pt: number): SdpCodec | undefined {
  return sdp?.codecs.find((p) => p.payloadType === pt) ?? staticPayloadType(pt);
}

function decodeStream(c: StreamCollector, sdp: SdpMediaLine | undefined, origin: number, options: ReplayOptions): { stream: ReplayStream; reports: Report[] } {
  // Sequence order undoes reordering; duplicates were dropped on arrival.
  const packets = c.packets.slice().sort((a, b) => a.extSeq - b.extSeq);
  const sdpEvent = sdp?.codecs.find((p) => p.encoding.toLowerCase() === 'telephone-event');
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
