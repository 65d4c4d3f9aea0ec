// `toneguard replay CAPTURE [--json] [--write-audio DIR] [--event-pt N]` (docs/cli.md):
// the RTP streams of a pcap/pcapng capture, one line each with its digits
// (RFC 4733, in-band and SIP INFO merged), or one JSON object per digit. A capture that goes bad
// part-way still prints what was read, then fails with the capture error (exit 2).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCaptureBytes } from '../capture/index.js';
import { encodeWav } from '../audio-file/wav-writer.js';
import { clampPcm } from '../media/clamp/inband-clamp.js';
import { jsonFixed1 } from './json-number.js';
import { endpoint, replayCapture, type ReplayResult, type ReplayStream } from '../replay/replay.js';

export interface ReplayCommandOptions {
  readonly json: boolean;
  /** Directory for one WAV per decoded stream. */
  readonly writeAudio?: string;
  /** Telephone-event payload type for streams without SDP (default 101). */
  readonly eventPt?: number;
}

export function ssrcText(ssrc: number | undefined): string {
  return ssrc === undefined ? '-' : `0x${ssrc.toString(16).padStart(8, '0')}`;
}

function destination(stream: ReplayStream): string {
  return stream.id.dst === '' ? '-' : endpoint(stream.id.dst, stream.id.dstPort);
}

/** `SRC:PORT -> DST:PORT ssrc=0x1234abcd PCMU digits=4929` */
export function streamLine(stream: ReplayStream): string {
  return `${endpoint(stream.id.src, stream.id.srcPort)} -> ${destination(stream)} ssrc=${ssrcText(stream.id.ssrc)} ${stream.codec} digits=${stream.digits.map((d) => d.digit).join('')}`;
}

export function formatReplayOutput(result: ReplayResult, json: boolean): string {
  if (!json) return result.streams.map((s) => `${streamLine(s)}\n`).join('');
  const lines: string[] = [];
  for (const s of result.streams) {
    const stream = JSON.stringify({ src: s.id.src, srcPort: s.id.srcPort, dst: s.id.dst, dstPort: s.id.dstPort, ssrc: ssrcText(s.id.ssrc), codec: s.codec });
    for (const d of s.digits) lines.push(`{"stream":${stream},"digit":${JSON.stringify(d.digit)},"source":"${d.source}","atMs":${jsonFixed1(d.atMs)}}\n`);
  }
  return lines.join('');
}

/** A file name from a stream's endpoints: `1-127.0.0.1_4000-127.0.0.1_4002-0x1234abcd.wav`. */
export function audioFileName(index: number, stream: ReplayStream): string {
  const safe = (text: string): string => text.replace(/[^0-9A-Za-z.]+/g, '-');
  return `${index + 1}-${safe(stream.id.src)}_${stream.id.srcPort}-${safe(stream.id.dst)}_${stream.id.dstPort}-${ssrcText(stream.id.ssrc)}.wav`;
}

/** The clamped version's name: the stream's name with `-clamped` before `.wav`. */
export function clampedAudioFileName(index: number, stream: ReplayStream): string {
  return audioFileName(index, stream).replace(/\.wav$/, '-clamped.wav');
}

async function writeAudio(dir: string, result: ReplayResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [index, stream] of result.streams.entries()) {
    if (stream.audio === undefined) continue;
    const format = { sampleRate: stream.audioRate, encoding: 'pcm16' } as const;
    await writeFile(join(dir, audioFileName(index, stream)), encodeWav(stream.audio, format));
    // What the agent leg would carry in secure mode: the in-band tones clamped (silence mode),
    // time-aligned with the decoded stream.
    await writeFile(join(dir, clampedAudioFileName(index, stream)), encodeWav(clampPcm(stream.audio).output, format));
  }
}

export async function runReplayCommand(file: string, options: ReplayCommandOptions, write: (text: string) => void): Promise<ReplayResult> {
  const bytes = await readCaptureBytes(file);
  const result = await replayCapture(bytes, file, { eventPt: options.eventPt, keepAudio: options.writeAudio !== undefined });
  write(formatReplayOutput(result, options.json));
  if (options.writeAudio !== undefined) await writeAudio(options.writeAudio, result);
  if (result.error !== undefined) throw result.error;
  return result;
}
