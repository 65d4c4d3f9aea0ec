// The entry to audio files: bytes or a path in, the container chosen by the caller (WAV unless
// raw options are given, because headerless input cannot be recognised reliably), and audio out
// in the container, encoding and rate of an input. Each container's own rules live in its parser
// and writer (wav-parser.ts, wav-writer.ts, raw-audio.ts).
import { readFile } from 'node:fs/promises';
import { messageOf } from '../errors.js';
import { AudioFileError, DEFAULT_NAME } from './audio-file-error.js';
import type { AudioData, AudioFormat, AudioLayout, RawAudioOptions } from './audio-format.js';
import { encodeRaw, parseRawLayout } from './raw-audio.js';
import { checkChannels, decodeLayout } from './sample-codec.js';
import { parseWavLayout } from './wav-parser.js';
import { encodeWav } from './wav-writer.js';

/** WAV unless raw options are given (headerless input cannot be recognised reliably). */
export function parseAudio(bytes: Uint8Array, file: string = DEFAULT_NAME, raw?: RawAudioOptions): AudioData {
  return decodeLayout(parseAudioLayout(bytes, file, raw));
}

/** parseAudio without the decoding. */
export function parseAudioLayout(bytes: Uint8Array, file: string = DEFAULT_NAME, raw?: RawAudioOptions): AudioLayout {
  return raw === undefined ? parseWavLayout(bytes, file) : parseRawLayout(bytes, raw, file);
}

/** Reads and parses a file; file-system failures become `EREAD` errors naming the file. */
export async function readAudioFile(path: string, raw?: RawAudioOptions): Promise<AudioData> {
  return decodeLayout(await readAudioLayout(path, raw));
}

/** readAudioFile without the decoding. */
export async function readAudioLayout(path: string, raw?: RawAudioOptions): Promise<AudioLayout> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new AudioFileError('EREAD', path, `cannot read: ${describeFsError(error)}`, { cause: error });
  }
  return parseAudioLayout(bytes, path, raw);
}

function describeFsError(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ERR_FS_FILE_TOO_LARGE':
      return 'file too large';
    default:
      return messageOf(error);
  }
}

/** Encodes `channelData` in the container, encoding and rate of `format` (e.g. an input file's). */
export function encodeAudio(channelData: Int16Array | readonly Int16Array[], format: AudioFormat): Uint8Array {
  const channels = checkChannels(channelData);
  if (channels.length !== format.channels) throw new RangeError(`expected ${format.channels} channels, got ${channels.length}`);
  if (format.container === 'wav') return encodeWav(channels, format);
  if (channels.length !== 1) throw new RangeError('raw audio is mono');
  return encodeRaw(channels[0], format.encoding === 'pcm16' ? 's16le' : format.encoding);
}
