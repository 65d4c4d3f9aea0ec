// The agent -> caller forwarding rule of a B2BUA session: while that stream needs nothing from
// relayRtp() but its payload type mapped (no SRTP on either leg, no prompt playing to the caller,
// the agent latched to one source), the socket I/O sends it on by itself (native I/O: see
// native-udp.c); and the counts of what it forwarded, added to the legs' statistics and the
// agent's RTP timeout as if relayRtp() had seen each packet.
import type { ForwardRule } from '../udp/media-socket.js';
import { PT_TO_JS } from '../udp/native-udp.js';
import { canSend, type Leg } from './media-leg.js';

/**
 * The rule under which relayRtp() would send each covered packet from `from` to `to` unchanged but
 * for its PT; null when there is none. `map` (128 entries) is filled and used by the rule.
 */
export function agentForwardRule(from: Leg, to: Leg, map: Uint8Array): ForwardRule | null {
  const src = from.config;
  const dst = to.config;
  if (src === null || dst === null || !canSend(dst) || from.srtp !== null || to.srtp !== null || to.prompts.active) return null;
  // Only the exact source onRtp would accept without moving the latch.
  if (!from.rtpLatch.latched) return null;
  const fromAddress = from.rtpLatch.sendAddress;
  const toAddress = to.rtpLatch.sendAddress;
  if (fromAddress === null || toAddress === null) return null;
  for (let pt = 0; pt < 128; pt++) map[pt] = pt;
  // RTCP multiplexed on the RTP port: onRtp counts and drops it.
  for (let pt = 72; pt <= 76; pt++) map[pt] = PT_TO_JS;
  if (src.eventPayloadType !== null) map[src.eventPayloadType] = dst.eventPayloadType ?? PT_TO_JS;
  map[src.payloadType] = dst.payloadType;
  return { from: { address: fromAddress, port: from.rtpLatch.sendPort }, via: to.pair.rtp, to: { address: toAddress, port: to.rtpLatch.sendPort }, payloadTypes: map };
}

/** Adds what `agent`'s socket forwarded to `caller` since last time to their counters (and to the agent's RTP timeout). */
export function addForwarded(agent: Leg, caller: Leg, now: number): void {
  const counts = agent.pair.rtp.forwarded();
  const packets = counts.packets - agent.forwardedSeen;
  const errors = counts.sendErrors - agent.forwardErrorsSeen;
  if (packets === 0 && errors === 0) return;
  agent.forwardedSeen = counts.packets;
  agent.forwardErrorsSeen = counts.sendErrors;
  agent.stats.rtpIn += packets;
  agent.stats.rtpForwarded += packets;
  caller.stats.rtpOut += packets;
  caller.stats.sendErrors += errors;
  if (packets > 0) {
    agent.lastRtpMs = now;
    agent.timedOut = false;
  }
}
