// The codecs the B2BUA negotiates (RFC 3551, RFC 7587, RFC 4733), and which audio m= line of an
// SDP it negotiates: what the media plane relays without transcoding.
import type { AudioCodecName } from '../media/media-session.js';
import type { SdpCodec, SdpDescription, SdpMediaLine } from '../sip/sdp.js';
import { SdpError } from './sdp-error.js';
import { hasUsablePayloadType } from './sdp-limits.js';

export interface AudioCodecSpec {
  readonly name: AudioCodecName;
  readonly clockRate: number;
  readonly channels: number;
}

export const AUDIO_CODECS: readonly AudioCodecSpec[] = [
  { name: 'PCMU', clockRate: 8000, channels: 1 },
  { name: 'PCMA', clockRate: 8000, channels: 1 },
  { name: 'G722', clockRate: 8000, channels: 1 },
  { name: 'opus', clockRate: 48000, channels: 2 },
];

export function audioCodecOf(c: SdpCodec): AudioCodecSpec | undefined {
  const name = c.encoding.toLowerCase();
  return AUDIO_CODECS.find((s) => s.name.toLowerCase() === name && s.clockRate === c.clockRate && s.channels === c.channels);
}

function isTelephoneEvent(c: SdpCodec): boolean {
  return c.encoding.toLowerCase() === 'telephone-event' && c.clockRate === 8000;
}

/** An audio codec we relay, on a payload type the media plane takes. */
export function usableAudio(c: SdpCodec): boolean {
  return audioCodecOf(c) !== undefined && hasUsablePayloadType(c);
}

export function usableEvent(c: SdpCodec): boolean {
  return isTelephoneEvent(c) && hasUsablePayloadType(c);
}

export function supported(c: SdpCodec): boolean {
  return usableAudio(c) || usableEvent(c);
}

export function sameCodec(a: SdpCodec, b: SdpCodec): boolean {
  return a.encoding.toLowerCase() === b.encoding.toLowerCase() && a.clockRate === b.clockRate && a.channels === b.channels;
}

/** The audio m= line we negotiate: the first with a port and a codec we support, else the first with a port. */
export function audioLineIndex(sdp: SdpDescription): number {
  const live = (m: SdpMediaLine): boolean => m.media === 'audio' && m.port !== 0;
  const index = sdp.media.findIndex((m) => live(m) && m.codecs.some(usableAudio));
  if (index >= 0) return index;
  const any = sdp.media.findIndex(live);
  if (any < 0) throw new SdpError('sdp-no-audio', 'no audio stream in the SDP');
  return any;
}
