// `toneguard detect FILE [--json] [--format s16le|ulaw|alaw --rate N]` (docs/cli.md):
// in-band DTMF digits of a WAV or raw file, one line of digits or one JSON object per digit.
import { InvalidArgumentError } from 'commander';
import { createDtmfDetector, detectDtmf, dtmfFlush, dtmfRx, type DtmfDigitEvent } from '../../native-free-dsp/dtmf-detector.js';
import { decodeLayout, decodeMonoFrames } from '../audio-file/sample-codec.js';
import { RAW_FORMATS, type AudioLayout, type RawAudioOptions, type RawFormat } from '../audio-file/audio-format.js';
import { readAudioLayout } from '../audio-file/audio-file.js';
import { toMono8k } from '../audio-file/mono-8k.js';
import { jsonFixed1 } from './json-number.js';

export interface DetectCommandOptions {
  readonly json: boolean;
  /** Raw (headerless) input; WAV when absent. */
  readonly format?: RawFormat;
  /** Sample rate of raw input, Hz. */
  readonly rate?: number;
}

/** Sample rate assumed for raw G.711 without --rate: G.711 is 8 kHz by definition (ITU-T G.711 §1). */
const G711_RATE_HZ = 8000;

export function isRawFormat(value: string): value is RawFormat {
  return (RAW_FORMATS as readonly string[]).includes(value);
}

/** Raw-input options from the command line; a usage error (commander's, exit 2) when they do not fit together. */
export function rawOptions(options: DetectCommandOptions): RawAudioOptions | undefined {
  if (options.format === undefined) {
    if (options.rate !== undefined) {
      throw new InvalidArgumentError('--rate applies to raw input only; give --format s16le|ulaw|alaw too (WAV files carry their own rate)');
    }
    return undefined;
  }
  if (options.rate === undefined) {
    if (options.format === 's16le') throw new InvalidArgumentError('raw s16le input needs --rate N (sample rate in Hz)');
    return { format: options.format, sampleRate: G711_RATE_HZ };
  }
  return { format: options.format, sampleRate: options.rate };
}

/** One line of `--json` output; key order is part of the contract (digit, startMs, endMs, source first). */
export function digitEventJson(event: DtmfDigitEvent): string {
  return (
    `{"digit":${JSON.stringify(event.digit)},"startMs":${jsonFixed1(event.startMs)},"endMs":${jsonFixed1(event.endMs)},"source":"inband",` +
    `"lowDbm0":${jsonFixed1(event.lowDbm0)},"highDbm0":${jsonFixed1(event.highDbm0)},"twistDb":${jsonFixed1(event.twistDb)},` +
    `"lowHz":${jsonFixed1(event.lowHz)},"highHz":${jsonFixed1(event.highHz)}}`
  );
}

/** The output of `detect` for `events`: one line of digits (empty if none), or JSON lines. */
export function formatDetectOutput(events: readonly DtmfDigitEvent[], json: boolean): string {
  if (!json) return `${events.map((e) => e.digit).join('')}\n`;
  return events.map((e) => `${digitEventJson(e)}\n`).join('');
}

/** Frames decoded at a time when a file is detected in pieces (1 s at 8 kHz). */
const DECODE_FRAMES = 8000;

export async function detectFile(file: string, options: DetectCommandOptions): Promise<DtmfDigitEvent[]> {
  const layout = await readAudioLayout(file, rawOptions(options));
  if (layout.channels === 1 && layout.sampleRate === G711_RATE_HZ) return detectMono8k(layout);
  return detectDtmf(toMono8k(decodeLayout(layout), file));
}

/**
 * Mono 8 kHz audio (G.711 and most telephony recordings) is decoded a second at a time into one
 * buffer and fed to the detector as it goes: the same events (any chunking gives the same),
 * without a decoded copy of the whole file, whose allocation cost as much as the detection.
 */
function detectMono8k(layout: AudioLayout): DtmfDigitEvent[] {
  const events: DtmfDigitEvent[] = [];
  const detector = createDtmfDetector({ onDigit: (event) => events.push(event) });
  const buffer = new Int16Array(Math.min(DECODE_FRAMES, layout.length));
  for (let start = 0; start < layout.length; start += buffer.length) {
    const count = Math.min(buffer.length, layout.length - start);
    decodeMonoFrames(layout, start, count, buffer);
    dtmfRx(detector, buffer, count);
  }
  dtmfFlush(detector);
  return events;
}

export async function runDetectCommand(file: string, options: DetectCommandOptions, write: (text: string) => void): Promise<void> {
  write(formatDetectOutput(await detectFile(file, options), options.json));
}
