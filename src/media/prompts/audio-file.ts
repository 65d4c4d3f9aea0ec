// Audio files at the edge: RIFF/WAVE (Microsoft "Multimedia Programming Interface and Data
// Specifications 1.0", WAVE_FORMAT_EXTENSIBLE per the Windows KSDATAFORMAT subtypes, RF64 per
// EBU Tech 3306) and headerless raw audio become typed values; the inside gets linear 16-bit
// samples. Supported encodings are the ones the command line contract names: 16-bit PCM and
// G.711 mu-law / A-law (ITU-T G.711). Everything else is rejected with a named format, because
// `clamp` must write its output in the input's format and the writer covers exactly these.
import { readFile } from 'node:fs/promises';
import { alawToLinear, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../native-free-dsp/g711.js';
import { ResampleError, resampleTo8k } from '../../../native-free-dsp/resample.js';
import { CodedError } from '../../errors.js';

export type AudioEncoding = 'pcm16' | 'ulaw' | 'alaw';
export type RawFormat = 's16le' | 'ulaw' | 'alaw';
export type AudioContainer = 'wav' | 'raw';

export const RAW_FORMATS: readonly RawFormat[] = ['s16le', 'ulaw', 'alaw'];

export type AudioFileErrorCode =
  /** Not RIFF/WAVE (and no raw format given). */
  | 'ENOTWAV'
  /** A chunk, or the header, extends past the end of the file. */
  | 'ETRUNCATED'
  /** No samples: 0-byte file or 0-byte data chunk. */
  | 'EEMPTY'
  /** Well-formed, but a codec, sample size or byte order toneguard does not read. */
  | 'EUNSUPPORTED'
  /** No `fmt ` chunk. */
  | 'ENOFMT'
  /** No `data` chunk. */
  | 'ENODATA'
  /** A `fmt ` chunk with impossible values (0 channels, 0 Hz, too short). */
  | 'EBADFMT'
  /** Raw input options out of range. */
  | 'EINVAL'
  /** The file system refused (missing, directory, permissions). */
  | 'EREAD';

/** Every problem with an input file; the message starts with the file name. */
export class AudioFileError extends CodedError<AudioFileErrorCode> {
  override readonly name = 'AudioFileError';
  readonly file: string;
  /** The problem without the file name, e.g. "truncated: data chunk declares ...". */
  readonly problem: string;

  constructor(code: AudioFileErrorCode, file: string, problem: string, options?: { cause?: unknown }) {
    super(code, `${file}: ${problem}`, options);
    this.file = file;
    this.problem = problem;
  }
}

/** What a writer needs to reproduce an input's format. */
export interface AudioFormat {
  readonly container: AudioContainer;
  readonly encoding: AudioEncoding;
  /** Hz. */
  readonly sampleRate: number;
  readonly channels: number;
}

export interface AudioData extends AudioFormat {
  /** Frames (samples per channel). */
  readonly length: number;
  /** Mono mix (mean of the channels), linear 16-bit, at `sampleRate`. */
  readonly samples: Int16Array;
  /** Each channel, linear 16-bit, at `sampleRate`; for mono, `channelData[0] === samples`. */
  readonly channelData: readonly Int16Array[];
}

/** A parsed file before decoding: its format and where its sample bytes are. */
export interface AudioLayout extends AudioFormat {
  /** Frames (samples per channel). */
  readonly length: number;
  /** The interleaved sample bytes, `length` whole frames. */
  readonly data: Uint8Array;
}

export interface RawAudioOptions {
  readonly format: RawFormat;
  /** Hz. */
  readonly sampleRate: number;
}

const DEFAULT_NAME = '<input>';

// WAVE format tags (mmreg.h) that get a name in "unsupported" messages.
const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0002, 'Microsoft ADPCM'],
  [0x0011, 'IMA ADPCM'],
  [0x0031, 'GSM 6.10'],
  [0x0040, 'G.721 ADPCM'],
  [0x0045, 'G.726 ADPCM'],
  [0x0050, 'MPEG audio'],
  [0x0055, 'MPEG Layer 3 (MP3)'],
  [0x0064, 'G.726 ADPCM'],
  [0x0161, 'Windows Media Audio'],
  [0x1610, 'AAC'],
  [0x706d, 'AAC'],
]);

/** Bytes 2..15 of KSDATAFORMAT_SUBTYPE_* GUIDs {0000xxxx-0000-0010-8000-00aa00389b71}, as stored. */
const KSDATAFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** Data sizes writers leave in the header when they cannot seek back (0xFFFFFFFF: ffmpeg and
 *  RF64; 0x7FFFF000: sox writing to a pipe). The data then runs to the end of the file. */
const STREAMING_DATA_SIZES: ReadonlySet<number> = new Set([0xffffffff, 0x7ffff000]);

const SUPPORTED = 'toneguard reads 16-bit PCM, G.711 mu-law and G.711 A-law';

interface WavFmt {
  readonly encoding: AudioEncoding;
  readonly channels: number;
  readonly sampleRate: number;
  /** Bytes per frame (all channels). */
  readonly frameBytes: number;
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/** Chunk IDs are four printable ASCII characters; anything else is garbage, not a chunk. */
function isChunkId(b: Uint8Array, at: number): boolean {
  if (at + 4 > b.length) return false;
  for (let i = at; i < at + 4; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

/** A chunk ID at `at` whose declared size fits in the file (or is a streaming placeholder). */
function isChunkHeader(b: Uint8Array, at: number): boolean {
  if (at + 8 > b.length || !isChunkId(b, at)) return false;
  const size = u32(b, at + 4);
  return size <= b.length - at - 8 || STREAMING_DATA_SIZES.has(size);
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function formatName(tag: number, bits: number): string {
  if (tag === WAVE_FORMAT_PCM) return `${bits}-bit PCM`;
  if (tag === WAVE_FORMAT_IEEE_FLOAT) return `${bits}-bit IEEE float`;
  if (tag === WAVE_FORMAT_ALAW) return `A-law with ${bits} bits per sample`;
  if (tag === WAVE_FORMAT_MULAW) return `mu-law with ${bits} bits per sample`;
  const hex = `0x${tag.toString(16).padStart(4, '0')}`;
  const name = FORMAT_NAMES.get(tag);
  return name === undefined ? `format tag ${hex}` : `${name} (format tag ${hex})`;
}

function guidString(b: Uint8Array, at: number): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const bytes = Array.from(b.subarray(at + from, at + to));
    if (reverse) bytes.reverse();
    return bytes.map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return `{${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}}`;
}

function parseFmt(b: Uint8Array, at: number, size: number, file: string): WavFmt {
  if (size < 16) throw new AudioFileError('EBADFMT', file, `invalid WAV: 'fmt ' chunk is ${plural(size, 'byte')}, needs at least 16`);
  let tag = u16(b, at);
  const channels = u16(b, at + 2);
  const sampleRate = u32(b, at + 4);
  const bits = u16(b, at + 14);
  let formatLabel = '';
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize (2), wValidBitsPerSample (2), dwChannelMask (4), SubFormat GUID (16).
    if (size < 40 || u16(b, at + 16) < 22) {
      throw new AudioFileError('EBADFMT', file, `invalid WAV: WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is ${plural(size, 'byte')}, needs 40`);
    }
    const guid = at + 24;
    const isKsSubtype = KSDATAFORMAT_GUID_TAIL.every((byte, i) => b[guid + 2 + i] === byte);
    if (!isKsSubtype) {
      throw new AudioFileError('EUNSUPPORTED', file, `unsupported: WAVE_FORMAT_EXTENSIBLE subformat ${guidString(b, guid)} (${SUPPORTED})`);
    }
    tag = u16(b, guid);
    formatLabel = 'WAVE_FORMAT_EXTENSIBLE ';
  }
  let encoding: AudioEncoding;
  let bytesPerSample: number;
  if (tag === WAVE_FORMAT_PCM && bits === 16) {
    encoding = 'pcm16';
    bytesPerSample = 2;
  } else if ((tag === WAVE_FORMAT_MULAW || tag === WAVE_FORMAT_ALAW) && bits === 8) {
    encoding = tag === WAVE_FORMAT_MULAW ? 'ulaw' : 'alaw';
    bytesPerSample = 1;
  } else {
    throw new AudioFileError('EUNSUPPORTED', file, `unsupported: ${formatLabel}${formatName(tag, bits)} (${SUPPORTED})`);
  }
  if (channels === 0) throw new AudioFileError('EBADFMT', file, `invalid WAV: 'fmt ' chunk gives 0 channels`);
  if (sampleRate === 0) throw new AudioFileError('EBADFMT', file, `invalid WAV: 'fmt ' chunk gives a sample rate of 0 Hz`);
  // nBlockAlign is not trusted: some writers get it wrong, and for these encodings the frame
  // size follows from the channel count and sample size.
  return { encoding, channels, sampleRate, frameBytes: channels * bytesPerSample };
}

interface DataChunk {
  readonly offset: number;
  /** Bytes of sample data present in the file. */
  readonly size: number;
  /** Bytes the header declares, when more than are present (truncated file). */
  readonly declared?: number;
}

/**
 * Parses a RIFF/WAVE file. Chunks may come in any order; odd-sized chunks are followed by a pad
 * byte (tolerated when a writer forgot it); unknown chunks are skipped. A RIFF size that is 0 or
 * 0xFFFFFFFF (header never finalised by a streaming writer) and the data sizes such writers leave
 * mean "the data runs to the end of the file"; any other data size past the end of the file is
 * an error (truncated file).
 */
export function parseWav(bytes: Uint8Array, file: string = DEFAULT_NAME): AudioData {
  return decodeLayout(parseWavLayout(bytes, file));
}

/** parseWav without the decoding: every check, and where the samples are. */
export function parseWavLayout(bytes: Uint8Array, file: string = DEFAULT_NAME): AudioLayout {
  if (bytes.length === 0) throw new AudioFileError('EEMPTY', file, 'empty: the file is 0 bytes');
  const head = bytes.length >= 4 ? fourcc(bytes, 0) : '';
  if (head === 'RIFX' || head === 'FFIR') {
    throw new AudioFileError('EUNSUPPORTED', file, `unsupported: big-endian RIFF ('${head}') WAV (${SUPPORTED}, little-endian)`);
  }
  if (head !== 'RIFF' && head !== 'RF64') {
    throw new AudioFileError('ENOTWAV', file, 'not a WAV file (no RIFF header); for headerless audio give --format s16le|ulaw|alaw and --rate N');
  }
  if (bytes.length < 12) throw new AudioFileError('ETRUNCATED', file, `truncated: ${plural(bytes.length, 'byte')}, shorter than the 12-byte RIFF header`);
  const form = fourcc(bytes, 8);
  if (form !== 'WAVE') throw new AudioFileError('ENOTWAV', file, `not a WAV file: RIFF form '${form}', not 'WAVE'`);
  const riffSize = u32(bytes, 4);
  const unfinalised = riffSize === 0 || riffSize === 0xffffffff;

  let fmt: WavFmt | undefined;
  let fmtError: AudioFileError | undefined;
  let data: DataChunk | undefined;
  /** RF64: the 64-bit data size from the ds64 chunk (EBU Tech 3306 §3). */
  let ds64DataSize: number | undefined;
  /** A chunk other than `data` that runs past the end of the file. */
  let overflow: { id: string; size: number; available: number } | undefined;
  const end = bytes.length;
  let pos = 12;
  while (pos + 8 <= end && isChunkId(bytes, pos)) {
    const id = fourcc(bytes, pos);
    const size = u32(bytes, pos + 4);
    const body = pos + 8;
    const available = end - body;
    if (id === 'ds64' && head === 'RF64' && size >= 24 && available >= 24) {
      ds64DataSize = u32(bytes, body + 8) + u32(bytes, body + 12) * 0x100000000;
    } else if (id === 'fmt ' && fmt === undefined && fmtError === undefined) {
      if (size > available) {
        fmtError = new AudioFileError('ETRUNCATED', file, `truncated: 'fmt ' chunk declares ${plural(size, 'byte')} but only ${available} are present`);
      } else {
        try {
          fmt = parseFmt(bytes, body, size, file);
        } catch (error) {
          if (!(error instanceof AudioFileError)) throw error;
          fmtError = error;
        }
      }
    } else if (id === 'data' && data === undefined) {
      let declared = size;
      if (head === 'RF64' && size === 0xffffffff && ds64DataSize !== undefined) declared = ds64DataSize;
      const streaming = (STREAMING_DATA_SIZES.has(declared) || (unfinalised && (declared === 0 || declared > available))) && available > 0;
      if (streaming) {
        data = { offset: body, size: available };
        break; // the rest of the file is sample data
      }
      data = declared > available ? { offset: body, size: available, declared } : { offset: body, size: declared };
      if (declared > available) break;
    }
    if (size > available) {
      overflow = { id, size, available };
      break;
    }
    let next = body + size + (size & 1);
    // A writer that forgot the pad byte after an odd-sized chunk: the next chunk starts one byte
    // early, which shows as a header that fits the file there and none at the padded position.
    if ((size & 1) === 1 && !isChunkHeader(bytes, next) && isChunkHeader(bytes, body + size)) next = body + size;
    pos = next;
  }

  if (fmtError !== undefined) throw fmtError;
  if ((fmt === undefined || data === undefined) && overflow !== undefined) {
    const { id, size, available } = overflow;
    throw new AudioFileError(
      'ETRUNCATED',
      file,
      `truncated: '${id}' chunk declares ${plural(size, 'byte')} but only ${available} are present, and no ${fmt === undefined ? "'fmt ' chunk" : "'data' chunk"} precedes it`,
    );
  }
  if (fmt === undefined) {
    throw new AudioFileError('ENOFMT', file, data === undefined ? "invalid WAV: no 'fmt ' chunk and no 'data' chunk" : "invalid WAV: no 'fmt ' chunk");
  }
  if (data === undefined) throw new AudioFileError('ENODATA', file, "invalid WAV: no 'data' chunk");
  if (data.declared !== undefined) {
    throw new AudioFileError('ETRUNCATED', file, `truncated: data chunk declares ${plural(data.declared, 'byte')} but only ${data.size} are present`);
  }
  const frames = Math.floor(data.size / fmt.frameBytes);
  if (frames === 0) {
    throw new AudioFileError('EEMPTY', file, `empty: the data chunk holds no samples (${plural(data.size, 'byte')})`);
  }
  return {
    container: 'wav',
    encoding: fmt.encoding,
    sampleRate: fmt.sampleRate,
    channels: fmt.channels,
    length: frames,
    data: bytes.subarray(data.offset, data.offset + frames * fmt.frameBytes),
  };
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
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The mono mix at 8 kHz, the rate of the DTMF detector and of G.711 telephony. A rate the
 * resampler cannot handle (a polyphase table too large for an odd rate pair) is an
 * `EUNSUPPORTED` error naming `file`.
 */
export function toMono8k(audio: AudioData, file: string = DEFAULT_NAME): Int16Array {
  if (audio.sampleRate === 8000) return audio.samples;
  try {
    return resampleTo8k(audio.samples, audio.sampleRate);
  } catch (error) {
    if (error instanceof ResampleError && error.code === 'ERR_RESAMPLE_RATE') {
      throw new AudioFileError('EUNSUPPORTED', file, `unsupported: sample rate ${audio.sampleRate} Hz cannot be converted to 8000 Hz (${error.message})`, { cause: error });
    }
    throw error;
  }
}

/** Length in ms. */
export function durationMs(audio: AudioData): number {
  return (audio.length * 1000) / audio.sampleRate;
}

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

function mixToMono(channelData: readonly Int16Array[], frames: number): Int16Array {
  if (channelData.length === 1) return channelData[0];
  // The mean, not the sum: a tone present on every channel keeps its level (dBm0) and cannot clip.
  const mono = new Int16Array(frames);
  const n = channelData.length;
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < n; c++) sum += channelData[c][i];
    mono[i] = Math.round(sum / n);
  }
  return mono;
}

// ---------------------------------------------------------------------------------------------
// Writers

export interface WavEncodeOptions {
  /** Hz. */
  readonly sampleRate: number;
  readonly encoding: AudioEncoding;
}

function checkChannels(channelData: Int16Array | readonly Int16Array[]): readonly Int16Array[] {
  const channels = channelData instanceof Int16Array ? [channelData] : channelData;
  if (channels.length === 0 || channels.length > 0xffff) throw new RangeError(`cannot encode ${channels.length} channels`);
  const frames = channels[0].length;
  if (channels.some((c) => c.length !== frames)) throw new RangeError('all channels must have the same length');
  return channels;
}

function encodeSamples(channels: readonly Int16Array[], encoding: AudioEncoding, dst: Uint8Array, at: number): void {
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

/** Headerless mono audio in `format`. */
export function encodeRaw(samples: Int16Array, format: RawFormat): Uint8Array {
  const encoding: AudioEncoding = format === 's16le' ? 'pcm16' : format;
  const out = new Uint8Array(samples.length * (encoding === 'pcm16' ? 2 : 1));
  encodeSamples([samples], encoding, out, 0);
  return out;
}

/** Encodes `channelData` in the container, encoding and rate of `format` (e.g. an input file's). */
export function encodeAudio(channelData: Int16Array | readonly Int16Array[], format: AudioFormat): Uint8Array {
  const channels = checkChannels(channelData);
  if (channels.length !== format.channels) throw new RangeError(`expected ${format.channels} channels, got ${channels.length}`);
  if (format.container === 'wav') return encodeWav(channels, format);
  if (channels.length !== 1) throw new RangeError('raw audio is mono');
  return encodeRaw(channels[0], format.encoding === 'pcm16' ? 's16le' : format.encoding);
}
