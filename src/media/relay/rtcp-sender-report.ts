// RTCP sender reports (RFC 3550 §6.4.1) for the agent leg, consistent with what the clamp stage
// actually sent. The stage keeps the sender's timestamps (replacement fills the events' own
// timestamp span), so the NTP <-> RTP timestamp pair of the sender's SR stays true and passes
// unchanged; only the sender's packet count and octet count change, by what the stage added and
// removed (RtpClampStage.adjustment). Counts are modulo 2^32 (§6.4.1: they wrap).
// Works in place on the compound packet, no allocation; a bad compound is an RtcpError value.
import type { SentAdjustment } from '../clamp/clamp-stage-stats.js';
import { CodedError } from '../../errors.js';

export type RtcpErrorCode =
  /** Shorter than an RTCP header, or a sender report cut short. */
  | 'ESHORT'
  /** Version field is not 2. */
  | 'EVERSION'
  /** A packet's length field runs past the compound packet. */
  | 'ELENGTH';

export class RtcpError extends CodedError<RtcpErrorCode> {
  override readonly name = 'RtcpError';
}

const PT_SR = 200;
/** Header (4) + SSRC (4) + NTP (8) + RTP ts (4) + packet count (4) + octet count (4). */
const SR_SENDER_INFO_END = 28;

function read32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function write32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/**
 * Rewrites, in place, the sender info of every SR from `ssrc` in the compound packet `rtcp`.
 * Returns the number of SRs rewritten, or an RtcpError (the packet is then left unchanged).
 */
export function adjustSenderReports(rtcp: Uint8Array, ssrc: number, adjustment: SentAdjustment): number | RtcpError {
  // Validate the whole compound first, so an error never leaves it half rewritten.
  let at = 0;
  if (rtcp.length < 4) return new RtcpError('ESHORT', `RTCP packet of ${rtcp.length} bytes`);
  while (at < rtcp.length) {
    if (rtcp.length - at < 4) return new RtcpError('ESHORT', `RTCP packet cut short at byte ${at}`);
    if (rtcp[at] >> 6 !== 2) return new RtcpError('EVERSION', `RTCP version ${rtcp[at] >> 6} at byte ${at}, expected 2`);
    const bytes = 4 * (((rtcp[at + 2] << 8) | rtcp[at + 3]) + 1);
    if (at + bytes > rtcp.length) return new RtcpError('ELENGTH', `RTCP packet at byte ${at} declares ${bytes} bytes, ${rtcp.length - at} left`);
    if (rtcp[at + 1] === PT_SR && bytes < SR_SENDER_INFO_END) return new RtcpError('ESHORT', `sender report of ${bytes} bytes at byte ${at}`);
    at += bytes;
  }
  let rewritten = 0;
  for (at = 0; at < rtcp.length; at += 4 * (((rtcp[at + 2] << 8) | rtcp[at + 3]) + 1)) {
    if (rtcp[at + 1] !== PT_SR || read32(rtcp, at + 4) !== ssrc >>> 0) continue;
    write32(rtcp, at + 20, (read32(rtcp, at + 20) + adjustment.packets) >>> 0);
    write32(rtcp, at + 24, (read32(rtcp, at + 24) + adjustment.octets) >>> 0);
    rewritten++;
  }
  return rewritten;
}
