// What the media plane can carry on one leg, as a pure check: RtpMediaSession.configure refuses a
// LegMediaConfig this names a problem for, and call control asks the same question while it
// negotiates, so that an offer the media plane cannot carry is refused in SIP (488) instead of
// failing after the answer was sent.
import type { LegMediaConfig, LegName } from './media-session.js';
import { isCanonicalSdesKey } from './relay/srtp-transform.js';

/** Packetisation the clamp stages and the endpoint sender handle, ms (a=ptime, RFC 4566 §6). */
export const MEDIA_PTIME_MS = { min: 10, max: 120 } as const;

/**
 * RTP payload types the clamp stages take: 0-127 outside 64-95, which would be read as RTCP when
 * RTP and RTCP share a port (RFC 5761 §4).
 */
export function isUsablePayloadType(pt: number): boolean {
  return Number.isInteger(pt) && pt >= 0 && pt <= 127 && !(pt >= 64 && pt <= 95);
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}

/** Why `config` cannot be applied to `leg` in `mode`, or undefined when it can. */
export function legConfigProblem(mode: 'b2bua' | 'endpoint', leg: LegName, c: LegMediaConfig): string | undefined {
  if (c.codec !== 'PCMU' && c.codec !== 'PCMA' && c.codec !== 'G722' && c.codec !== 'opus') return `${leg}: unknown codec ${String(c.codec)}`;
  if (mode === 'endpoint' && c.codec === 'opus') return 'endpoint mode plays prompts in G.711 and G.722 only: offer PCMU/PCMA/G722 on the payment URI';
  if (mode === 'endpoint' && leg !== 'caller') return `no ${leg} leg in endpoint mode`;
  if (!isUsablePayloadType(c.payloadType)) return `${leg}: payload type ${c.payloadType} outside 0-63, 96-127`;
  if (c.eventPayloadType !== null && (!isUsablePayloadType(c.eventPayloadType) || c.eventPayloadType === c.payloadType)) {
    return `${leg}: telephone-event payload type ${c.eventPayloadType} invalid`;
  }
  if (!(c.ptimeMs >= MEDIA_PTIME_MS.min && c.ptimeMs <= MEDIA_PTIME_MS.max)) return `${leg}: ptime ${c.ptimeMs} ms outside ${MEDIA_PTIME_MS.min}-${MEDIA_PTIME_MS.max}`;
  // G.722 too: 16 kHz audio, but its RTP clock is 8000 (RFC 3551 §4.5.2).
  if (c.codec !== 'opus' && c.clockRate !== 8000) return `${leg}: ${c.codec === 'G722' ? 'G.722' : 'G.711'} clock rate must be 8000, got ${c.clockRate}`;
  if (c.codec === 'opus' && c.clockRate !== 48000) return `${leg}: Opus clock rate must be 48000 (RFC 7587), got ${c.clockRate}`;
  // The Opus clamp stage takes whole Opus frames per packet (RFC 6716 §2.1.4: 2.5-60 ms).
  if (c.codec === 'opus' && ![2.5, 5, 10, 20, 40, 60].includes(c.ptimeMs)) return `${leg}: Opus ptime must be an Opus frame size (2.5-60 ms), got ${c.ptimeMs}`;
  if (c.remote !== null && !(validPort(c.remote.rtpPort) && validPort(c.remote.rtcpPort))) return `${leg}: remote ports out of range`;
  if (c.srtp !== null) {
    if (c.srtp.suite !== 'AES_CM_128_HMAC_SHA1_80') return `${leg}: unsupported SRTP suite`;
    // The message names no key: keys are secret.
    if (!isCanonicalSdesKey(c.srtp.localKeyBase64) || !isCanonicalSdesKey(c.srtp.remoteKeyBase64)) return `${leg}: SDES key is not base64 of 30 bytes`;
  }
  return undefined;
}
