// What both ends of a verify test call share: the SDP they offer and answer (one static codec
// and telephone-event), reading the far end's SDP, 20 ms frames encoded by the codec's port, and
// an ephemeral UDP socket for RTP.
import { createSocket, type Socket } from 'node:dgram';
import type { CodecPort } from '../media/codecs/codec-port.js';
import { createCodecPort } from '../media/codecs/create-codec-port.js';
import { plainAudioSdp } from '../sip/sdp.js';
import { parseSdp } from '../sip/sdp.js';
import { VERIFY_CODECS, type VerifyCodec } from './verify-error.js';

/** RFC 3551 static payload types; telephone-event on the dynamic type most PBXs use (RFC 4733). */
export const STATIC_PT: Record<VerifyCodec, number> = { PCMU: 0, PCMA: 8, G722: 9 };
export const EVENT_PT = 101;
/** 20 ms: samples at 8 kHz, and payload bytes and RTP ticks of every codec here (G.722: one byte, one tick, two 16 kHz samples). */
export const FRAME = 160;

/** The codec of a static payload type of ours, or undefined. */
export function codecOfPt(pt: number): VerifyCodec | undefined {
  return VERIFY_CODECS.find((c) => STATIC_PT[c] === pt);
}

/**
 * Encodes 20 ms frames of the caller's (or the agent's) 8 kHz audio with the codec's port. A
 * sub-band codec (G.722) carries it as its lower band (0-4 kHz, where the keys' tones are) with
 * an empty upper band: no resampler. The port's encoder state runs from frame to frame, so one
 * FrameEncoder per stream.
 */
export class FrameEncoder {
  readonly #port: CodecPort;
  readonly #upper = new Int16Array(FRAME);

  constructor(codec: VerifyCodec) {
    this.#port = createCodecPort(codec);
  }

  encode(pcm: Int16Array): Uint8Array {
    const out = new Uint8Array(FRAME);
    const bands = this.#port.bands;
    if (bands !== undefined) bands.encodeBands(pcm, this.#upper, FRAME, out);
    else this.#port.encode(pcm, out);
    return out;
  }

  /** A frame of silence (G.711: its silence code, as the encoder gives it for 0). */
  silence(): Uint8Array {
    return this.encode(new Int16Array(FRAME));
  }
}

/** Our SDP: one audio stream offering `codec` and telephone-event (RFC 4733) at 20 ms. */
export function verifySdp(address: string, port: number, codec: VerifyCodec): string {
  return plainAudioSdp(address, port, [{ payloadType: STATIC_PT[codec], encoding: codec }], EVENT_PT);
}

/** The first audio stream of an SDP body: where to send, and the payload types it uses. */
export function remoteMedia(body: string): { address: string; port: number; audioPt: number | undefined; eventPt: number | undefined } | undefined {
  const m = parseSdp(body)?.media.find((x) => x.media === 'audio' && x.port > 0);
  if (m === undefined || m.address === undefined) return undefined;
  const audio = m.codecs.find((p) => (VERIFY_CODECS as readonly string[]).includes(p.encoding.toUpperCase()));
  const event = m.codecs.find((p) => p.encoding.toLowerCase() === 'telephone-event');
  return { address: m.address, port: m.port, audioPt: audio?.payloadType, eventPt: event?.payloadType };
}

/** A UDP socket on an ephemeral port of `address` (IPv4 or IPv6). */
export async function bindUdp(address: string): Promise<Socket> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}
