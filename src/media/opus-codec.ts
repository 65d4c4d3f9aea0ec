// Opus (RFC 6716, RTP payload RFC 7587) through node-opus, the project's chosen binding. RTP Opus
// is always signalled as opus/48000/2; a decoder opened with one channel downmixes stereo
// packets, which is what DTMF detection wants. node-opus throws on corrupt packets: here that
// becomes `undefined` (the caller conceals the frame), never an exception.
import { createRequire } from 'node:module';

export const OPUS_RATE_HZ = 48_000;

interface NativeOpus {
  encode(pcm: Buffer, frameSize: number): Buffer;
  decode(packet: Buffer): Buffer;
}
interface NodeOpusModule {
  OpusEncoder: new (rate: number, channels: number) => NativeOpus;
}

const require = createRequire(import.meta.url);
let loaded: NodeOpusModule | undefined;

function nodeOpus(): NodeOpusModule {
  loaded ??= require('node-opus') as NodeOpusModule;
  return loaded;
}

export interface OpusCodec {
  readonly native: NativeOpus;
  readonly channels: number;
}

export function createOpusCodec(channels = 1): OpusCodec {
  return { native: new (nodeOpus().OpusEncoder)(OPUS_RATE_HZ, channels), channels };
}

/** One Opus packet to 48 kHz samples (interleaved when channels > 1); undefined if corrupt. */
export function opusDecode(codec: OpusCodec, packet: Uint8Array): Int16Array | undefined {
  let pcm: Buffer;
  try {
    pcm = codec.native.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
  } catch {
    return undefined;
  }
  // Copy out: the Buffer may sit at an odd offset of Node's pool.
  const samples = new Int16Array(pcm.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = pcm.readInt16LE(2 * i);
  return samples;
}

/** Encodes one frame (2.5-60 ms at 48 kHz, interleaved); for fixtures and tests. */
export function opusEncode(codec: OpusCodec, pcm: Int16Array): Uint8Array {
  const buffer = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) buffer.writeInt16LE(pcm[i], 2 * i);
  return new Uint8Array(codec.native.encode(buffer, pcm.length / codec.channels));
}
