// RTP on its way out to a leg: relayRtp() carries a packet from one leg of a B2BUA session to the
// other (payload type rewritten when the legs negotiated different numbers for the same codec,
// the audio replaced by the prompt playing to the receiving leg); sendRtp() protects it (SRTP)
// and hands it to the leg's socket. Per packet: no allocation but SRTP's output buffer.
import type { LegMediaConfig } from '../media-session.js';
import { createPromptEncoder, type PromptEncoder } from '../prompts/prompt-encoder.js';
import { canSend, type Leg } from './media-leg.js';

/** Samples of the largest frame a prompt is encoded into (and of the scratch `pcm` relayRtp() takes). */
export const MAX_FRAME = 960;

/**
 * A packet from leg `from` to leg `to` (b2bua): PT mapping, prompt replacement, SRTP. `owned`:
 * the received datagram (ours to hand to the socket); otherwise a reused buffer, copied before
 * sending. Payload at [payloadStart, payloadEnd), from the view parsed at entry. `pcm`: scratch
 * of MAX_FRAME samples the prompt is read into.
 */
export function relayRtp(packet: Uint8Array, owned: boolean, payloadStart: number, payloadEnd: number, from: Leg, to: Leg, pcm: Int16Array): void {
  const src = from.config;
  const dst = to.config;
  if (src === null || dst === null || !canSend(dst)) {
    to.stats.notSent++;
    return;
  }
  const pt = packet[1] & 0x7f;
  let outPt = pt;
  let audio = false;
  if (pt === src.payloadType) {
    outPt = dst.payloadType;
    audio = true;
  } else if (src.eventPayloadType !== null && pt === src.eventPayloadType) {
    if (dst.eventPayloadType === null) {
      to.stats.notSent++;
      return;
    }
    outPt = dst.eventPayloadType;
  }
  if (outPt !== pt) packet[1] = (packet[1] & 0x80) | outPt;
  if (audio && to.prompts.active && dst.codec !== 'opus' && payloadEnd > payloadStart) {
    // The prompt replaces what the leg would hear, in the relayed packet's own frame.
    const start = payloadStart;
    const n = Math.min(payloadEnd - start, MAX_FRAME);
    to.prompts.read(pcm, n);
    promptEncoder(to, dst.codec).encode(pcm, packet.subarray(start, start + n), n);
  }
  sendRtp(to, packet, owned);
}

/** The leg's prompt encoder for `codec` (a new one when the codec changed: re-INVITE). */
function promptEncoder(leg: Leg, codec: Exclude<LegMediaConfig['codec'], 'opus'>): PromptEncoder {
  if (leg.promptEncoder === null || leg.promptEncoder.codec !== codec) leg.promptEncoder = createPromptEncoder(codec, MAX_FRAME);
  return leg.promptEncoder;
}

/** One RTP packet to the leg's latched remote, SRTP-protected if the leg negotiated SRTP. */
export function sendRtp(to: Leg, packet: Uint8Array, owned: boolean): void {
  const address = to.rtpLatch.sendAddress;
  if (address === null) {
    to.stats.notSent++;
    return;
  }
  let out: Uint8Array | undefined = packet;
  if (to.srtp !== null) out = to.srtp.protectRtp(packet);
  if (out === undefined) {
    to.stats.notSent++;
    return;
  }
  // A reused buffer (a stage's frame, our own stream) is transient: the socket copies it if it
  // sends later. SRTP's output is a new buffer.
  to.pair.rtp.send(out, to.rtpLatch.sendPort, address, to.srtp === null && !owned);
  to.stats.rtpOut++;
}
