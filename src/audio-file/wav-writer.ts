// RIFF/WAVE files out: the canonical layout every reader accepts, in the three encodings the
// parser reads, so that `clamp` can write its output in its input's format and tests can build
// inputs byte by byte.
import type { AudioEncoding } from './audio-format.js';
import { checkChannels, encodeSamples } from './sample-codec.js';
import { WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW, WAVE_FORMAT_PCM } from './wav-fmt.js';

export interface WavEncodeOptions {
  /** Hz. */
  readonly sampleRate: number;
  readonly encoding: AudioEncoding;
}

/**
 * A canonical WAV: `fmt ` (WAVE_FORMAT_PCM 16-bit, or WAVE_FORMAT_MULAW / WAVE_FORMAT_ALAW 8-bit
 * with cbSize 0 and the `fact` chunk non-PCM formats require), then `data`, padded to even length.
 * `channelData` is one array per channel (or one array for mono), linear 16-bit.
 */
export function encodeWav(channelData: Int16Array | readonly Int16Array[], options: WavEncodeOptions): Uint8Array {
  const channels = checkChannels(channelData);
  const { sampleRate, encoding } = options;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) throw new RangeError(`invalid sample rate ${sampleRate}`);
  const n = channels.length;
  const frames = channels[0].length;
  const bytesPerSample = encoding === 'pcm16' ? 2 : 1;
  const dataSize = frames * n * bytesPerSample;
  const pcm = encoding === 'pcm16';
  const fmtSize = pcm ? 16 : 18;
  const factSize = pcm ? 0 : 12;
  const total = 12 + 8 + fmtSize + factSize + 8 + dataSize + (dataSize & 1);
  if (total - 8 > 0xffffffff) throw new RangeError('audio too long for a RIFF file (4 GiB)');
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < 4; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, total - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, pcm ? WAVE_FORMAT_PCM : encoding === 'ulaw' ? WAVE_FORMAT_MULAW : WAVE_FORMAT_ALAW, true);
  view.setUint16(22, n, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * n * bytesPerSample, true);
  view.setUint16(32, n * bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let at = 20 + fmtSize; // cbSize (0) is already zero for G.711
  if (!pcm) {
    ascii(at, 'fact');
    view.setUint32(at + 4, 4, true);
    view.setUint32(at + 8, frames, true);
    at += 12;
  }
  ascii(at, 'data');
  view.setUint32(at + 4, dataSize, true);
  encodeSamples(channels, encoding, out, at + 8);
  return out;
}
