// Sample bytes <-> linear 16-bit channels, per encoding: 16-bit little-endian PCM and G.711
// mu-law / A-law (ITU-T G.711, bit-exact in native-free-dsp/g711.ts), interleaved by frame as
// both WAV and raw audio store them. One place for the per-sample loops, so that every container
// decodes and encodes the same way.
import { alawToLinear, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw, linearToAlaw, linearToUlaw, ulawToLinear } from '../../native-free-dsp/g711.js';
import type { AudioData, AudioEncoding, AudioLayout } from './audio-format.js';
import { mixToMono } from './mono-8k.js';

function decodeInterleaved(src: Uint8Array, encoding: AudioEncoding, channels: number, frames: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let c = 0; c < channels; c++) out.push(new Int16Array(frames));
  if (encoding === 'pcm16') {
    const stride = channels * 2;
    for (let c = 0; c < channels; c++) {
      const dst = out[c];
      for (let i = 0, at = c * 2; i < frames; i++, at += stride) dst[i] = ((src[at] | (src[at + 1] << 8)) << 16) >> 16;
    }
  } else if (channels === 1) {
    (encoding === 'ulaw' ? decodeUlaw : decodeAlaw)(src, out[0], frames);
  } else {
    const decode = encoding === 'ulaw' ? ulawToLinear : alawToLinear;
    for (let c = 0; c < channels; c++) {
      const dst = out[c];
      for (let i = 0, at = c; i < frames; i++, at += channels) dst[i] = decode(src[at]);
    }
  }
  return out;
}

/** Decodes every channel of a layout and their mono mix. */
export function decodeLayout(layout: AudioLayout): AudioData {
  const { data, length, ...format } = layout;
  const channelData = decodeInterleaved(data, layout.encoding, layout.channels, length);
  return { ...format, length, samples: mixToMono(channelData, length), channelData };
}

/**
 * Decodes `count` frames of a mono layout from frame `start` into dst[0, count), so that a long
 * file can be processed in pieces without decoding all of it at once.
 */
export function decodeMonoFrames(layout: AudioLayout, start: number, count: number, dst: Int16Array): void {
  if (layout.channels !== 1) throw new RangeError(`decodeMonoFrames: ${layout.channels} channels, not 1`);
  if (!(start >= 0 && count >= 0 && start + count <= layout.length && count <= dst.length)) {
    throw new RangeError(`decodeMonoFrames: frames ${start}..${start + count} of ${layout.length} into ${dst.length}`);
  }
  const { data } = layout;
  if (layout.encoding === 'pcm16') {
    for (let i = 0, at = start * 2; i < count; i++, at += 2) dst[i] = ((data[at] | (data[at + 1] << 8)) << 16) >> 16;
  } else {
    (layout.encoding === 'ulaw' ? decodeUlaw : decodeAlaw)(data.subarray(start, start + count), dst, count);
  }
}

/** One array per channel (a lone array is mono), all the same length; a programming error otherwise. */
export function checkChannels(channelData: Int16Array | readonly Int16Array[]): readonly Int16Array[] {
  const channels = channelData instanceof Int16Array ? [channelData] : channelData;
  if (channels.length === 0 || channels.length > 0xffff) throw new RangeError(`cannot encode ${channels.length} channels`);
  const frames = channels[0].length;
  if (channels.some((c) => c.length !== frames)) throw new RangeError('all channels must have the same length');
  return channels;
}

/** Interleaves and encodes `channels` into dst from byte `at`; dst must have room. */
export function encodeSamples(channels: readonly Int16Array[], encoding: AudioEncoding, dst: Uint8Array, at: number): void {
  const n = channels.length;
  const frames = channels[0].length;
  if (encoding === 'pcm16') {
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < n; c++, at += 2) {
        const v = channels[c][i];
        dst[at] = v & 0xff;
        dst[at + 1] = (v >> 8) & 0xff;
      }
    }
  } else if (n === 1) {
    (encoding === 'ulaw' ? encodeUlaw : encodeAlaw)(channels[0], dst.subarray(at, at + frames));
  } else {
    const encode = encoding === 'ulaw' ? linearToUlaw : linearToAlaw;
    for (let i = 0; i < frames; i++) for (let c = 0; c < n; c++) dst[at++] = encode(channels[c][i]);
  }
}
