// RTCP of one leg of a media session: what is accepted from where, and the relay to the other
// leg (b2bua). RTCP follows its RTP stream through the NAT (RFC 3550 §6, RFC 4961); SRTCP legs
// accept only packets that authenticate; the caller's sender reports are adjusted for what the
// clamp stage added and removed (rtcp-sender-report.ts). A bad packet is counted and dropped.
import type { SentAdjustment } from '../clamp/clamp-stage-stats.js';
import { canSend, type Leg } from './media-leg.js';
import { adjustSenderReports } from './rtcp-sender-report.js';

/** The caller's audio as the clamp stage sent it on: whose sender reports to adjust, and by how much. */
export interface SenderReportSource {
  /** SSRC of the caller's audio, -1 before any. */
  readonly sourceSsrc: number;
  readonly adjustment: SentAdjustment;
}

/**
 * An RTCP datagram received on `from`, relayed to `to` (undefined: not relayed, endpoint mode).
 * `reports`: the caller leg's stage in b2bua mode, whose sender reports are adjusted; else null.
 */
export function relayRtcp(from: Leg, to: Leg | undefined, reports: SenderReportSource | null, msg: Uint8Array, address: string, port: number): void {
  // From another port than the negotiated RTCP one only once the leg's RTP latched to another
  // port too. Otherwise a third party sharing the peer's IP could latch RTCP before the peer's
  // first report, have its packets relayed to the other phone and the peer's own dropped for the
  // rest of the call.
  if (!from.rtpLatch.latchedElsewhere && !from.rtcpLatch.isNegotiated(address, port)) {
    from.rtcpLatch.dropped++;
    return;
  }
  if (!from.rtcpLatch.accepts(address, port)) return;
  let packet: Uint8Array = msg;
  if (from.srtp !== null) {
    const plain = from.srtp.unprotectRtcp(msg);
    if (plain === undefined) {
      from.stats.srtpFailures++;
      return;
    }
    packet = plain;
  }
  if (reports !== null && reports.sourceSsrc >= 0) {
    const result = adjustSenderReports(packet, reports.sourceSsrc, reports.adjustment);
    if (typeof result !== 'number') {
      from.stats.malformed++;
      return;
    }
  } else if (packet.length < 8 || packet[0] >> 6 !== 2) {
    from.stats.malformed++;
    return;
  }
  from.rtcpLatch.latch(address, port);
  from.stats.rtcpIn++;
  if (to === undefined || to.config === null || !canSend(to.config)) return;
  const sendAddress = to.rtcpLatch.sendAddress;
  if (sendAddress === null) return;
  let out: Uint8Array | undefined = packet;
  if (to.srtp !== null) out = to.srtp.protectRtcp(packet);
  if (out === undefined) return;
  // Not transient: the received datagram (dgram gave it to us) or SRTCP's new buffer.
  to.pair.rtcp.send(out, to.rtcpLatch.sendPort, sendAddress, false);
  to.stats.rtcpOut++;
}
