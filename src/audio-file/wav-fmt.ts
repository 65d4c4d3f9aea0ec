// The WAV `fmt ` chunk: which encoding, channel count and rate a file declares, and a named
// reason when toneguard does not read it (WAVEFORMATEX per mmreg.h; WAVE_FORMAT_EXTENSIBLE per
// the Windows KSDATAFORMAT subtypes). Apart from the chunk walk in wav-parser.ts because the
// format tags are shared with the writer (wav-writer.ts) and the naming of unsupported codecs is
// a table of its own.
import { AudioFileError, plural } from './audio-file-error.js';
import type { AudioEncoding } from './audio-format.js';
import { u16, u32 } from './riff-fields.js';

// WAVE format tags (mmreg.h) that get a name in "unsupported" messages.
export const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
export const WAVE_FORMAT_ALAW = 0x0006;
export const WAVE_FORMAT_MULAW = 0x0007;
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

/** The end of every "unsupported" message about a WAV file. */
export const SUPPORTED = 'toneguard reads 16-bit PCM, G.711 mu-law and G.711 A-law';

export interface WavFmt {
  readonly encoding: AudioEncoding;
  readonly channels: number;
  readonly sampleRate: number;
  /** Bytes per frame (all channels). */
  readonly frameBytes: number;
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

/** The `fmt ` chunk body of `size` bytes at `at` (the caller checked that they are present). */
export function parseFmt(b: Uint8Array, at: number, size: number, file: string): WavFmt {
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
