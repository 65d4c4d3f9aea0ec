// The messages between the main thread (call control, WorkerMediaSession) and a media worker
// (MediaWorkerHost, which owns the real RtpMediaSessions, their sockets and clamp state).
// Everything crosses a MessagePort by structured clone; prompts go as their own ArrayBuffer,
// transferred, and so does the caller's audio while a speech field listens. A session is named by an id the main thread chose (unique per worker).
import type { MediaIoChoice } from '../udp/media-io.js';
import type { DialogDigit } from '../../dialog/vocabulary.js';
import type { ClampMode } from '../clamp/inband-clamp-options.js';
import type { LegMediaConfig, LegName, LocalMediaAddress } from '../media-session.js';
import type { LegStats, MediaSessionMode } from '../relay/rtp-media-session.js';

/** What a worker is started with (workerData). */
export interface MediaWorkerData {
  /** Position in the pool (labels, logs). */
  readonly index: number;
  /** IP literal the worker's sockets bind on. */
  readonly address: string;
  /** This worker's share of `rtp.ports` (whole even/odd pairs). */
  readonly ports: { readonly min: number; readonly max: number };
  readonly recvBufferBytes?: number;
  readonly io: MediaIoChoice;
  readonly clampMode: ClampMode;
  readonly rtpTimeoutMs: number;
  /** How often the worker reports its call count and event-loop lag, ms (0: never). */
  readonly reportIntervalMs: number;
}

export type ToWorker =
  | { readonly op: 'open'; readonly id: number; readonly mode: MediaSessionMode; readonly secure: boolean }
  | { readonly op: 'configure'; readonly id: number; readonly leg: LegName; readonly config: LegMediaConfig }
  | { readonly op: 'confirmed'; readonly id: number; readonly leg: LegName }
  | { readonly op: 'secure'; readonly id: number; readonly on: boolean }
  | { readonly op: 'play'; readonly id: number; readonly leg: LegName; readonly promptId: number; readonly pcm: Int16Array; readonly bargeIn: boolean }
  | { readonly op: 'stop'; readonly id: number; readonly leg: LegName }
  | { readonly op: 'info-digit'; readonly id: number; readonly digit: string; readonly atMs: number }
  /** The caller's decoded audio to the main thread (speech input) from now on, or no more. */
  | { readonly op: 'audio-tap'; readonly id: number; readonly on: boolean }
  | { readonly op: 'close'; readonly id: number }
  /** Answered with a pong of the same id once every command posted before it is carried out (`open` excepted: it binds ports asynchronously). */
  | { readonly op: 'ping'; readonly id: number };

/** An error as it crosses the port: never the payload of a packet, only what the code threw. */
export interface WireError {
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
}

export type FromWorker =
  | { readonly op: 'ready' }
  | { readonly op: 'opened'; readonly id: number; readonly local: Partial<Record<LegName, LocalMediaAddress>> }
  | { readonly op: 'open-failed'; readonly id: number; readonly error: WireError }
  | { readonly op: 'digit'; readonly id: number; readonly digit: DialogDigit }
  | { readonly op: 'rtp-timeout'; readonly id: number; readonly leg: LegName }
  | { readonly op: 'prompt-end'; readonly id: number; readonly promptId: number; readonly interrupted: boolean }
  | { readonly op: 'failure'; readonly id: number; readonly error: WireError }
  /** One packet of the caller's audio, 8 kHz PCM, its own buffer (transferred), while the tap is on. */
  | { readonly op: 'audio'; readonly id: number; readonly pcm: Int16Array }
  | { readonly op: 'closed'; readonly id: number; readonly stats: Partial<Record<LegName, LegStats>> }
  | { readonly op: 'report'; readonly calls: number; readonly lagMs: number }
  | { readonly op: 'pong'; readonly id: number };

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, code: typeof code === 'string' ? code : null, message: error.message };
  }
  return { name: 'Error', code: null, message: String(error) };
}
