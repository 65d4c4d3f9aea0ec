// Opus (RFC 6716, RTP payload RFC 7587) through node-opus, the project's chosen binding. RTP Opus
// is always signalled as opus/48000/2 (the RTP clock), but a libopus decoder may output any of
// 8, 12, 16, 24 or 48 kHz (RFC 6716 §4.3.7 band-limits internally): replay decodes at 8 kHz,
// the detector's rate, which costs far less than decoding at 48 kHz and resampling. A decoder
// opened with one channel downmixes stereo packets. node-opus throws on corrupt packets: here that
// becomes `undefined` (the caller conceals the frame), never an exception.
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { CodedError } from '../../errors.js';

/** The RTP clock rate of Opus (RFC 7587 §4.1). */
export const OPUS_RATE_HZ = 48_000;
/** Output rates libopus decodes to. */
export type OpusOutputRate = 8000 | 12000 | 16000 | 24000 | 48000;

interface NativeOpus {
  encode(pcm: Buffer, frameSize: number): Buffer;
  decode(packet: Buffer): Buffer;
}
interface NodeOpusModule {
  OpusEncoder: new (rate: number, channels: number) => NativeOpus;
}

const require = createRequire(import.meta.url);
let loaded: NodeOpusModule | undefined;

/**
 * node-opus is not context-aware: in a worker thread it loads only while no other thread holds it,
 * and a worker that used it unmaps it on exit while its encoders' finalizers may still be due
 * (a crash). So Opus runs in the main thread only: media workers leave Opus calls there, and
 * scan hands Opus captures back to the main thread.
 */
export class OpusThreadError extends CodedError<'EOPUS_THREAD'> {
  override readonly name = 'OpusThreadError';
}

function nodeOpus(): NodeOpusModule {
  if (!isMainThread) throw new OpusThreadError('EOPUS_THREAD', 'Opus (node-opus) is decoded in the main thread only, not in a worker thread');
  loaded ??= require('node-opus') as NodeOpusModule;
  return loaded;
}

export interface OpusCodec {
  readonly native: NativeOpus;
  readonly channels: number;
  /** Hz, of decoded output and of encoder input. */
  readonly rate: OpusOutputRate;
}

export function createOpusCodec(channels = 1, rate: OpusOutputRate = OPUS_RATE_HZ): OpusCodec {
  return { native: new (nodeOpus().OpusEncoder)(rate, channels), channels, rate };
}

/** One Opus packet to samples at the codec's rate (interleaved when channels > 1); undefined if corrupt. */
export function opusDecode(codec: OpusCodec, packet: Uint8Array): Int16Array | undefined {
  let pcm: Buffer;
  try {
    pcm = codec.native.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
  } catch {
    return undefined;
  }
  // Copy out byte-wise (the Buffer may sit at an odd offset of Node's pool); libopus writes
  // native-endian samples, and so does Int16Array.
  const samples = new Int16Array(pcm.length >> 1);
  new Uint8Array(samples.buffer).set(pcm.subarray(0, samples.length * 2));
  return samples;
}

/** Encodes one frame (2.5, 5, 10, 20, 40 or 60 ms at the codec's rate, interleaved). */
export function opusEncode(codec: OpusCodec, pcm: Int16Array): Uint8Array {
  // libopus rejects other sizes, and node-opus then aborts the process (a negative length
  // reaches Nan::CopyBuffer): refuse them here.
  const frameSamples = pcm.length / codec.channels;
  if (![2.5, 5, 10, 20, 40, 60].some((ms) => (ms * codec.rate) / 1000 === frameSamples)) {
    throw new RangeError(`opusEncode: ${frameSamples} samples at ${codec.rate} Hz is not an Opus frame size (2.5-60 ms)`);
  }
  const buffer = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) buffer.writeInt16LE(pcm[i], 2 * i);
  return new Uint8Array(codec.native.encode(buffer, pcm.length / codec.channels));
}
