// `toneguard clamp IN OUT [--mode silence|noise|tone|digit] [--json]` (docs/cli.md):
// OUT is IN with every DTMF tone replaced, in IN's format (container, encoding,
// rate, channels) and length, time-aligned with IN (the clamp's lookahead is removed offline).
// stdout: the digits removed, exactly as `detect` prints them.
import { writeFile } from 'node:fs/promises';
import { encodeAudio, readAudioFile } from '../audio-file/audio-file.js';
import { toMono8k } from '../audio-file/mono-8k.js';
import type { AudioData } from '../audio-file/audio-format.js';
import { clampPcm, createReplacementGenerator, DEFAULT_INBAND_CLAMP_OPTIONS, nextReplacement, type ClampMode, type InbandClampOptions } from '../media/clamp/inband-clamp.js';
import { formatDetectOutput, rawOptions, type DetectCommandOptions } from './detect-command.js';
import { messageOf } from '../errors.js';

export interface ClampCommandOptions extends DetectCommandOptions {
  readonly mode: ClampMode;
}

/** OUT could not be written: a runtime failure (exit 1), not bad input. */
export class ClampOutputError extends Error {
  override readonly name = 'ClampOutputError';
  readonly code = 'ERR_CLAMP_WRITE';
  constructor(file: string, cause: unknown) {
    super(`${file}: cannot write: ${messageOf(cause)}`, { cause });
  }
}

const FRAME_MS = 20;

/**
 * Applies spans found at 8 kHz (`weights`, one per 8 kHz sample) to a channel at `rate`: the
 * replacement, generated at that rate, mixed in with the weight at the same instant.
 */
function applyWeights(channel: Int16Array, rate: number, weights: Float32Array, options: InbandClampOptions, noiseMeanSquare: number): Int16Array {
  const out = new Int16Array(channel.length);
  const gen = createReplacementGenerator(options, rate);
  gen.noisePeak = Math.sqrt(3 * noiseMeanSquare);
  for (let m = 0; m < channel.length; m++) {
    const pos = (m * 8000) / rate;
    const n = Math.floor(pos);
    const a = weights[Math.min(n, weights.length - 1)];
    const b = weights[Math.min(n + 1, weights.length - 1)];
    const w = a + (b - a) * (pos - n);
    if (w === 0) {
      out[m] = channel[m];
      continue;
    }
    const y = channel[m] * (1 - w) + nextReplacement(gen) * w;
    out[m] = y > 32767 ? 32767 : y < -32768 ? -32768 : Math.round(y);
  }
  return out;
}

/** Background for comfort noise off 8 kHz: the 10th percentile of 20 ms frames left untouched, capped. */
function backgroundMeanSquare(pcm: Int16Array, weights: Float32Array, options: InbandClampOptions): number {
  const frame = (FRAME_MS * 8000) / 1000;
  const levels: number[] = [];
  for (let f = 0; f + frame <= pcm.length; f += frame) {
    let sum = 0;
    let touched = false;
    for (let n = f; n < f + frame; n++) {
      sum += pcm[n] * pcm[n];
      if (weights[n] !== 0) touched = true;
    }
    if (!touched) levels.push(sum / frame);
  }
  levels.sort((x, y) => x - y);
  const level = levels.length > 0 ? levels[Math.floor(levels.length / 10)] : 0;
  const capAmplitude = 32767 * Math.pow(10, (options.maxNoiseDbm0 - 3.14) / 20);
  return Math.min(level, (capAmplitude * capAmplitude) / 2);
}

export interface ClampFileResult {
  readonly audio: AudioData;
  readonly channels: Int16Array[];
  readonly digits: ReturnType<typeof clampPcm>['digits'];
}

/** Clamps decoded audio of any rate and channel count; 8 kHz mono goes through the streaming clamp as is. */
export function clampAudio(audio: AudioData, file: string, mode: ClampMode): ClampFileResult {
  const options: InbandClampOptions = { ...DEFAULT_INBAND_CLAMP_OPTIONS, mode };
  const mono = toMono8k(audio, file);
  const result = clampPcm(mono, options);
  if (audio.sampleRate === 8000 && audio.channels === 1) return { audio, channels: [result.output], digits: result.digits };
  // Other rates and several channels: the spans found on the 8 kHz mono mix, applied to each channel.
  const noise = backgroundMeanSquare(mono, result.weights, options);
  const channels = audio.channelData.map((channel) => applyWeights(channel, audio.sampleRate, result.weights, options, noise));
  return { audio, channels, digits: result.digits };
}

export async function runClampCommand(input: string, output: string, options: ClampCommandOptions, write: (text: string) => void): Promise<void> {
  const audio = await readAudioFile(input, rawOptions(options));
  const { channels, digits } = clampAudio(audio, input, options.mode);
  const bytes = encodeAudio(channels, audio);
  try {
    await writeFile(output, bytes);
  } catch (error) {
    throw new ClampOutputError(output, error);
  }
  write(formatDetectOutput(digits, options.json));
}
