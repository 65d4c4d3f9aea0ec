// SIP INFO digits (bodies read by sip/sip-info-dtmf.ts) in a replayed capture: each goes to the RTP
// stream its sender sent in that call; those no stream takes form a pseudo-stream per sender.
import { DEFAULT_TELEPHONE_EVENT_PT } from '../rtp/rfc4733.js';
import { splitEndpoint, type InfoSighting, type SdpSighting } from './capture-streams.js';
import type { ReplayStream } from './replay-stream.js';
import type { Report } from './server-digits.js';

/** SIP INFO digits go to the RTP stream sent by the INFO's sender (per the SDP it sent in that call). */
export function attachSipInfo(streams: ReplayStream[], reports: Map<ReplayStream, Report[]>, infos: readonly InfoSighting[], sdps: readonly SdpSighting[], origin: number): void {
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
