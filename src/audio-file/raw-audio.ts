// Headerless mono audio, in and out: s16le (16-bit little-endian PCM) or G.711 mu-law / A-law
// bytes. Nothing in the bytes says what they are, so the caller's format and rate are checked
// here instead of a header (`--format`, `--rate` on the command line).
import { AudioFileError, DEFAULT_NAME, plural } from './audio-file-error.js';
import { RAW_FORMATS, type AudioData, type AudioEncoding, type AudioLayout, type RawAudioOptions, type RawFormat } from './audio-format.js';
import { decodeLayout, encodeSamples } from './sample-codec.js';

/** Headerless mono audio: s16le (16-bit little-endian PCM), or G.711 mu-law / A-law bytes. */
export function parseRaw(bytes: Uint8Array, options: RawAudioOptions, file: string = DEFAULT_NAME): AudioData {
  return decodeLayout(parseRawLayout(bytes, options, file));
}

/** parseRaw without the decoding. */
export function parseRawLayout(bytes: Uint8Array, options: RawAudioOptions, file: string = DEFAULT_NAME): AudioLayout {
  if (!RAW_FORMATS.includes(options.format)) {
    throw new AudioFileError('EINVAL', file, `invalid raw format '${String(options.format)}' (use ${RAW_FORMATS.join(', ')})`);
  }
  if (!Number.isInteger(options.sampleRate) || options.sampleRate <= 0) {
    throw new AudioFileError('EINVAL', file, `invalid sample rate ${String(options.sampleRate)} Hz for raw input`);
  }
  const encoding: AudioEncoding = options.format === 's16le' ? 'pcm16' : options.format;
  const frameBytes = encoding === 'pcm16' ? 2 : 1;
  const frames = Math.floor(bytes.length / frameBytes);
  if (frames === 0) throw new AudioFileError('EEMPTY', file, `empty: no ${options.format} samples (${plural(bytes.length, 'byte')})`);
  return { container: 'raw', encoding, sampleRate: options.sampleRate, channels: 1, length: frames, data: bytes.subarray(0, frames * frameBytes) };
}

/** Headerless mono audio in `format`. */
export function encodeRaw(samples: Int16Array, format: RawFormat): Uint8Array {
  const encoding: AudioEncoding = format === 's16le' ? 'pcm16' : format;
  const out = new Uint8Array(samples.length * (encoding === 'pcm16' ? 2 : 1));
  encodeSamples([samples], encoding, out, 0);
  return out;
}
