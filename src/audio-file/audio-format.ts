// The typed values every audio file becomes, whatever its container: the format a writer needs
// to reproduce it, where its sample bytes are (a layout, before decoding), and its decoded
// linear 16-bit channels. The encodings are the ones the command line contract names: 16-bit
// PCM and G.711 mu-law / A-law (ITU-T G.711), because `clamp` writes its output in the input's
// format and the writers cover exactly these.

export type AudioEncoding = 'pcm16' | 'ulaw' | 'alaw';
export type RawFormat = 's16le' | 'ulaw' | 'alaw';
export type AudioContainer = 'wav' | 'raw';

export const RAW_FORMATS: readonly RawFormat[] = ['s16le', 'ulaw', 'alaw'];

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

/** Length in ms. */
export function durationMs(audio: AudioData): number {
  return (audio.length * 1000) / audio.sampleRate;
}
