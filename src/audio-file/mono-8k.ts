// What the detectors consume: one channel at 8 kHz, the rate of the DTMF detector and of G.711
// telephony. Channels are mixed by their mean and other rates resampled (native-free-dsp's
// resample.ts); a rate the resampler cannot handle becomes an audio-file error naming the file.
import { ResampleError, resampleTo8k } from '../../native-free-dsp/resample.js';
import { AudioFileError, DEFAULT_NAME } from './audio-file-error.js';
import type { AudioData } from './audio-format.js';

/** The mono mix of `frames` frames; a single channel is returned as it is. */
export function mixToMono(channelData: readonly Int16Array[], frames: number): Int16Array {
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

/**
 * The mono mix at 8 kHz. A rate the resampler cannot handle (a polyphase table too large for an
 * odd rate pair) is an `EUNSUPPORTED` error naming `file`.
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
