// Replay's one pass over a capture: each UDP datagram goes to its RTP stream (5-tuple + SSRC,
// with its sequence tracker) or, when it is SIP, yields the audio SDPs and SIP INFO digits it
// carries. Nothing is decoded here; the streams are judged once the capture is read.
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { readUdpDatagrams, type CaptureSummary, type UdpDatagram } from '../capture/index.js';
import { looksLikeRtp, rtpPayloadBounds, rtpSequence, rtpSsrc, rtpTimestamp, RtpParseError } from '../rtp/rtp-packet.js';
import { createSequenceTracker, trackPacket, type SequenceTracker } from '../rtp/sequence-tracker.js';
import { parseSdp, type SdpMediaLine } from '../sip/sdp.js';
import { sipInfoDigit } from '../sip/sip-info-dtmf.js';
import { DEFAULT_PARSE_LIMITS, parseSipMessage } from '../sip/message.js';
import { mediaTypeOf } from '../sip/message-types.js';
import { SipParseError } from '../sip/sip-error.js';
import type { StreamId } from './replay-stream.js';

export interface StoredPacket {
  readonly bytes: Uint8Array;
  /** Payload bounds in `bytes` (checked on arrival). */
  readonly start: number;
  readonly end: number;
  readonly extSeq: number;
  readonly extTs: number;
  readonly timeMs: number;
}

export interface StreamCollector {
  readonly id: StreamId;
  readonly tracker: SequenceTracker;
  /** In sequence (duplicates dropped): for the codec and the decoded audio. */
  readonly packets: StoredPacket[];
  /** Every datagram as it arrived (duplicates and unreadable ones included): what the stage gets. */
  readonly arrivals: { readonly bytes: Uint8Array; readonly timeMs: number }[];
  malformed: number;
}

export interface SdpSighting {
  readonly callId: string;
  /** SIP source address:port of the message carrying the SDP. */
  readonly sipFrom: string;
  readonly media: SdpMediaLine;
}

export interface InfoSighting {
  readonly callId: string;
  readonly sipFrom: string;
  readonly sipSrc: string;
  readonly digit: DtmfDigit;
  readonly durationMs: number | undefined;
  readonly timeMs: number;
}

/** What one pass over a capture found. */
export interface CaptureContents {
  /** By 5-tuple + SSRC, in order of first packet. */
  readonly collectors: Map<string, StreamCollector>;
  readonly sdps: readonly SdpSighting[];
  readonly infos: readonly InfoSighting[];
  /** Capture times of the first and last datagram, ms; NaN when the capture holds none. */
  readonly firstMs: number;
  readonly lastMs: number;
  /** Readable RTP packets, duplicates included. */
  readonly rtpPackets: number;
  readonly summary: CaptureSummary;
}

/** Enough bytes for a start line, the first an upper-case letter (a method or "SIP/2.0"): worth parsing as SIP. */
function maybeSip(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && bytes[0] >= 0x41 && bytes[0] <= 0x5a;
}

export function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function streamKey(d: UdpDatagram, ssrc: number): string {
  return `${d.src}|${d.srcPort}|${d.dst}|${d.dstPort}|${ssrc}`;
}

/** The inverse of endpoint(): "[::1]:5060" -> ["::1", 5060]. */
export function splitEndpoint(text: string): [string, number] {
  const colon = text.lastIndexOf(':');
  const address = text.slice(0, colon).replace(/^\[|\]$/g, '');
  return [address, Number(text.slice(colon + 1))];
}

export function collectCapture(bytes: Uint8Array, file: string): CaptureContents {
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
      // The live server's parser, in its capture mode: read as far as the syntax goes (scan must
      // find a card number in a message a server would refuse, or one cut by the snap length).
      const message = parseSipMessage(Buffer.from(p.buffer, p.byteOffset, p.byteLength), DEFAULT_PARSE_LIMITS, 'capture');
      if (message instanceof SipParseError) return;
      const callId = message.headers.get('call-id') ?? '';
      const sipFrom = endpoint(d.src, d.srcPort);
      if (mediaTypeOf(message).startsWith('application/sdp')) {
        for (const media of parseSdp(message.body.toString('utf8'))?.media ?? []) if (media.media === 'audio') sdps.push({ callId, sipFrom, media });
      }
      const info = sipInfoDigit(message);
      if (info !== undefined) infos.push({ callId, sipFrom, sipSrc: d.src, digit: info.digit, durationMs: info.durationMs, timeMs: d.timeMs });
    }
  });
  return { collectors, sdps, infos, firstMs, lastMs, rtpPackets, summary };
}
