// What toneguard's media plane can carry, applied while negotiating (RFC 3264): a value we can
// answer differently is negotiated down (a=ptime is a hint, RFC 4566 §6), anything else refuses
// the offer with an SdpError (488 with a Warning) before an answer or a configure() happens. The
// last check, `carriable`, asks the media plane's own question (leg-config-check.ts) of the
// config we are about to apply, so an offer can never get past SIP into a media error.
import { isIP } from 'node:net';
import { isUsablePayloadType, legConfigProblem, MEDIA_PTIME_MS } from '../media/leg-config-check.js';
import type { LegMediaConfig, LegName, LocalMediaAddress } from '../media/media-session.js';
import type { SdpCodec, SdpMediaLine } from '../sip/sdp.js';
import { SdpError } from './sdp-error.js';

export type MediaMode = 'b2bua' | 'endpoint';

/** Packetisation when the SDP names none, ms (RFC 3551 §4.5: 20 ms for G.711). */
export const DEFAULT_PTIME_MS = 20;
const NULL_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::']);
const MAX_PORT = 65535;

export function isNullAddress(address: string | undefined): boolean {
  return address === undefined || NULL_ADDRESSES.has(address);
}

/**
 * The ptime we use and answer: the offered one within the range we packetise, else the nearest
 * end of it (5 ms -> 10, 200 ms -> 120). A ptime is the receiver's wish (RFC 4566 §6: "a hint"),
 * so answering another is legitimate, and the peer's packets of any length are still read.
 */
export function ptimeWithin(ms: number | undefined): number | undefined {
  if (ms === undefined) return undefined;
  return Math.min(MEDIA_PTIME_MS.max, Math.max(MEDIA_PTIME_MS.min, ms));
}

/** A payload type the clamp stages take (codecs numbered 64-95 are not negotiated). */
export function hasUsablePayloadType(c: SdpCodec): boolean {
  return isUsablePayloadType(c.payloadType);
}

function isMulticast(address: string): boolean {
  if (isIP(address) === 6) return /^ff/i.test(address);
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

/**
 * Whether we can send RTP and RTCP where `m` asks (c= and m= port), from our socket at `local`.
 * Held (c=0.0.0.0) or refused (port 0) streams receive nothing and pass.
 */
export function checkRemote(m: SdpMediaLine, local: LocalMediaAddress): void {
  if (m.port === 0 || isNullAddress(m.address)) return;
  const address = m.address as string;
  const family = isIP(address);
  // A host name would have us resolve it and send wherever DNS says: IP literals only.
  if (family === 0) throw new SdpError('sdp-address-unsupported', 'the connection address is not an IP address');
  if (family !== isIP(local.address)) throw new SdpError('sdp-address-unsupported', `the connection address is IPv${family}, our media address is not`);
  if (isMulticast(address)) throw new SdpError('sdp-multicast', 'multicast connection address');
  // RTCP on the next port (RFC 3550 §11) unless a=rtcp names one (RFC 3605).
  if (m.rtcpPort === undefined && m.port + 1 > MAX_PORT) throw new SdpError('sdp-media-unsupported', `RTP port ${m.port} leaves no port for RTCP`);
}

/** `config` when the media plane can apply it in `mode` on `leg`; else SdpError (488, 305). */
export function carriable(mode: MediaMode, leg: LegName, config: LegMediaConfig): LegMediaConfig {
  const problem = legConfigProblem(mode, leg, config);
  if (problem !== undefined) throw new SdpError('sdp-media-unsupported', problem);
  return config;
}
