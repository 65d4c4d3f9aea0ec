// One file of `toneguard scan`: read it once (WAV, raw G.711 or linear, pcap/pcapng), get every
// stream's digits from the same decoders as `detect` and `replay`, and keep only the findings.
// The digits themselves never leave this function: a finding holds a card type and last four.
import { readFile } from 'node:fs/promises';
import { detectDtmf, type DtmfDigitEvent } from '../../native-free-dsp/dtmf-detector.js';
import { detectCaptureFormat } from '../capture/capture-file.js';
import { parseAudio } from '../audio-file/audio-file.js';
import { toMono8k } from '../audio-file/mono-8k.js';
import type { AudioData, RawAudioOptions } from '../audio-file/audio-format.js';
import { endpoint, replayCapture, type ReplayStream } from '../replay/replay.js';
import { digitConfidence, findCardData, type FindOptions, type Finding, type ScanDigit } from './card-findings.js';

export interface StreamReport {
  /** `channel 1`, `audio` (mono), or `SRC:PORT -> DST:PORT ssrc=0x… CODEC` for captures. */
  readonly stream: string;
  readonly durationMs: number;
  readonly digitCount: number;
  readonly findings: readonly Finding[];
}

export interface FileReport {
  readonly file: string;
  readonly kind: 'wav' | 'raw' | 'capture';
  readonly bytes: number;
  /** Audio duration scanned (the longest stream), ms. */
  readonly durationMs: number;
  readonly streams: readonly StreamReport[];
  /** Set when the file could not be read (or a capture went bad part-way: streams hold what was read). */
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface ScanFileOptions extends FindOptions {
  /** Headerless input (`--format`): every file that is not a WAV or capture is read so. */
  readonly raw?: RawAudioOptions;
}

/** Matching an in-band digit of a capture with the detector's own event (same digit, start within this), ms. */
const SAME_DIGIT_MS = 60;

function inbandDigit(e: DtmfDigitEvent, offsetMs = 0): ScanDigit {
  return { digit: e.digit, startMs: e.startMs + offsetMs, endMs: e.endMs + offsetMs, signal: 'inband', confidence: digitConfidence(e.lowDbm0, e.highDbm0, e.twistDb) };
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'EREAD';
    return { code, message: error.message };
  }
  return { code: 'EREAD', message: String(error) };
}

function audioStreams(audio: AudioData, file: string, options: FindOptions): StreamReport[] {
  const channels = audio.channels === 1 ? [audio.samples] : audio.channelData;
  return channels.map((pcm, index) => {
    // Each channel on its own: a two-channel call recording keeps caller and agent apart, and
    // mixing them would bury a quiet caller's tones under the agent's voice.
    const mono8k = toMono8k({ ...audio, channels: 1, samples: pcm, channelData: [pcm] }, file);
    const digits = detectDtmf(mono8k).map((e) => inbandDigit(e));
    return {
      stream: audio.channels === 1 ? 'audio' : `channel ${index + 1}`,
      durationMs: (mono8k.length * 1000) / 8000,
      digitCount: digits.length,
      findings: findCardData(digits, options),
    };
  });
}

function captureStreamName(s: ReplayStream): string {
  const ssrc = s.id.ssrc === undefined ? '-' : `0x${s.id.ssrc.toString(16).padStart(8, '0')}`;
  const dst = s.id.dst === '' ? '-' : endpoint(s.id.dst, s.id.dstPort);
  return `${endpoint(s.id.src, s.id.srcPort)} -> ${dst} ssrc=${ssrc} ${s.codec}`;
}

/** A capture stream's digits, with in-band ones given the detector's confidence. */
function captureDigits(s: ReplayStream): ScanDigit[] {
  const events = s.audio !== undefined && s.audio.length > 0 ? detectDtmf(s.audio) : [];
  return s.digits.map((d): ScanDigit => {
    const endMs = d.atMs + (d.durationMs ?? 0);
    if (d.source !== 'inband') return { digit: d.digit, startMs: d.atMs, endMs, signal: d.source, confidence: 1 };
    const match = events.find((e) => e.digit === d.digit && Math.abs(e.startMs + s.firstMs - d.atMs) <= SAME_DIGIT_MS);
    return match === undefined ? { digit: d.digit, startMs: d.atMs, endMs, signal: 'inband', confidence: 0.5 } : inbandDigit(match, s.firstMs);
  });
}

async function captureStreams(bytes: Uint8Array, file: string, options: FindOptions): Promise<{ streams: StreamReport[]; durationMs: number; error: FileReport['error'] }> {
  const result = await replayCapture(bytes, file, { keepAudio: true });
  const streams = result.streams.map((s) => {
    const digits = captureDigits(s);
    return {
      stream: captureStreamName(s),
      durationMs: s.audio === undefined ? 0 : (s.audio.length * 1000) / s.audioRate,
      digitCount: digits.length,
      findings: findCardData(digits, options),
    };
  });
  return { streams, durationMs: result.durationMs, error: result.error === undefined ? null : errorOf(result.error) };
}

function isWav(bytes: Uint8Array): boolean {
  const tag = String.fromCharCode(...bytes.subarray(0, 4));
  return tag === 'RIFF' || tag === 'RF64';
}

/** Scans one file; never throws (an unreadable file is a report with `error`). */
export async function scanFile(file: string, options: ScanFileOptions): Promise<FileReport> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return { file, kind: 'raw', bytes: 0, durationMs: 0, streams: [], error: errorOf(error) };
  }
  try {
    if (detectCaptureFormat(bytes) !== undefined) {
      const { streams, durationMs, error } = await captureStreams(bytes, file, options);
      return { file, kind: 'capture', bytes: bytes.length, durationMs, streams, error };
    }
    if (!isWav(bytes) && options.raw === undefined) {
      return { file, kind: 'raw', bytes: bytes.length, durationMs: 0, streams: [], error: { code: 'EUNSUPPORTED', message: `${file}: not a WAV or pcap/pcapng file (give --format for raw audio)` } };
    }
    const audio = parseAudio(bytes, file, isWav(bytes) ? undefined : options.raw);
    const streams = audioStreams(audio, file, options);
    return { file, kind: isWav(bytes) ? 'wav' : 'raw', bytes: bytes.length, durationMs: Math.max(0, ...streams.map((s) => s.durationMs)), streams, error: null };
  } catch (error) {
    return { file, kind: isWav(bytes) ? 'wav' : 'raw', bytes: bytes.length, durationMs: 0, streams: [], error: errorOf(error) };
  }
}
