// RIFF/WAVE files in: the chunk walk that finds `fmt ` and `data` (Microsoft "Multimedia
// Programming Interface and Data Specifications 1.0"; RF64 per EBU Tech 3306), tolerant of what
// real writers leave (streaming sizes, missing pad bytes) and precise about what is wrong
// otherwise. The `fmt ` chunk's contents are read by wav-fmt.ts; the samples are decoded by
// sample-codec.ts.
import { AudioFileError, DEFAULT_NAME, plural } from './audio-file-error.js';
import type { AudioData, AudioLayout } from './audio-format.js';
import { fourcc, isChunkId, u32 } from './riff-fields.js';
import { decodeLayout } from './sample-codec.js';
import { parseFmt, SUPPORTED, type WavFmt } from './wav-fmt.js';

/** Data sizes writers leave in the header when they cannot seek back (0xFFFFFFFF: ffmpeg and
 *  RF64; 0x7FFFF000: sox writing to a pipe). The data then runs to the end of the file. */
const STREAMING_DATA_SIZES: ReadonlySet<number> = new Set([0xffffffff, 0x7ffff000]);

/** A chunk ID at `at` whose declared size fits in the file (or is a streaming placeholder). */
function isChunkHeader(b: Uint8Array, at: number): boolean {
  if (at + 8 > b.length || !isChunkId(b, at)) return false;
  const size = u32(b, at + 4);
  return size <= b.length - at - 8 || STREAMING_DATA_SIZES.has(size);
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
