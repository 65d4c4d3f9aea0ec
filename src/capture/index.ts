// Capture reader: pcap/pcapng bytes -> UDP datagrams with capture timestamps.
import { readFile } from 'node:fs/promises';
import { CaptureError } from './capture-error.js';
import { readCaptureFrames, type CaptureFormat } from './capture-file.js';
import { createUdpDecoder, decodeFrame, type UdpDatagram, type UdpDecoderStats } from './udp-decoder.js';

export { CaptureError, type CaptureErrorCode } from './capture-error.js';
export type { UdpDatagram, UdpDecoderStats } from './udp-decoder.js';

export interface CaptureSummary {
  readonly format: CaptureFormat;
  readonly stats: UdpDecoderStats;
  /** Set when the capture went bad part-way; the datagrams before it were delivered. */
  readonly error: CaptureError | undefined;
}

/** Every UDP datagram of a capture, in file order. Never throws for bad content. */
export function readUdpDatagrams(bytes: Uint8Array, file: string, onDatagram: (datagram: UdpDatagram) => void): CaptureSummary {
  const decoder = createUdpDecoder();
  const summary = readCaptureFrames(bytes, file, (frame) => decodeFrame(decoder, frame, onDatagram));
  return { format: summary.format, stats: decoder.stats, error: summary.error };
}

export async function readCaptureBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'unreadable';
    throw new CaptureError('EREAD', path, `cannot read the file (${reason})`, undefined, { cause: error });
  }
}
