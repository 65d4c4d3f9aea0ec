// A MediaSession whose media runs in a media worker (media-worker-host.ts): what call control
// holds on the main thread. Commands are posted to the worker; its events come back and are
// emitted here, on the main thread, with RtpMediaSession's semantics: a listener that throws
// becomes `failure`; events stop at close(). What can be checked without the worker is checked
// here, synchronously, so the caller gets the same errors as from an in-process session
// (legConfigProblem, DTMF digit, use after close). The worker dying ends this session with
// `failure` (MediaWorkerError EWORKER_EXIT) and nothing waits for it any more.
import { EventEmitter } from 'node:events';
import { isDtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import { CodedError } from '../../errors.js';
import { legConfigProblem } from '../leg-config-check.js';
import { MediaError } from '../media-error.js';
import type { LegMediaConfig, LegName, LocalMediaAddress, MediaSession, MediaSessionEvents } from '../media-session.js';
import type { LegStats, MediaSessionMode } from '../relay/rtp-media-session.js';
import type { FromWorker, ToWorker, WireError } from './media-worker-protocol.js';

export type MediaWorkerErrorCode =
  /** The worker thread owning the call's media exited (threw, ran out of memory, was stopped). */
  | 'EWORKER_EXIT'
  /** The media plane in the worker failed on this call (the original error's code is in the message). */
  | 'EWORKER_FAILURE';

export class MediaWorkerError extends CodedError<MediaWorkerErrorCode> {
  override readonly name = 'MediaWorkerError';
}

/** How a session reaches its worker (given by the pool). */
export interface MediaWorkerLink {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  /** The session is closed on this side: the worker's call count drops. */
  released(id: number): void;
}

export type MediaStatsByLeg = Partial<Record<LegName, LegStats>>;

export function errorFromWire(error: WireError): MediaWorkerError {
  return new MediaWorkerError('EWORKER_FAILURE', `${error.name}${error.code === null ? '' : ` ${error.code}`}: ${error.message}`);
}

export class WorkerMediaSession extends EventEmitter<MediaSessionEvents> implements MediaSession {
  readonly mode: MediaSessionMode;
  /** Index of the worker that owns the call (metrics, tests). */
  readonly worker: number;
  private readonly id: number;
  private readonly link: MediaWorkerLink;
  private readonly locals: Partial<Record<LegName, LocalMediaAddress>>;
  private secureFlag: boolean;
  private nextPromptId = 1;
  private audioSink: ((pcm: Int16Array) => void) | null = null;
  private closed = false;
  private gone = false;
  private readonly stats: Promise<MediaStatsByLeg | undefined>;
  private settleStats: (stats: MediaStatsByLeg | undefined) => void = () => undefined;

  constructor(options: {
    readonly id: number;
    readonly worker: number;
    readonly mode: MediaSessionMode;
    readonly secure: boolean;
    readonly local: Partial<Record<LegName, LocalMediaAddress>>;
    readonly link: MediaWorkerLink;
  }) {
    super();
    this.id = options.id;
    this.worker = options.worker;
    this.mode = options.mode;
    this.secureFlag = options.secure;
    this.locals = options.local;
    this.link = options.link;
    this.stats = new Promise((resolve) => {
      this.settleStats = resolve;
    });
  }

  get secure(): boolean {
    return this.secureFlag;
  }

  /** Per-leg counters as the worker had them at close(); undefined when the worker died first. */
  finalStats(): Promise<MediaStatsByLeg | undefined> {
    return this.stats;
  }

  local(leg: LegName): LocalMediaAddress {
    const local = this.locals[leg];
    if (local === undefined) throw new MediaError('EOPTIONS', `no ${leg} leg in ${this.mode} mode`);
    return local;
  }

  configure(leg: LegName, config: LegMediaConfig): void {
    this.assertOpen();
    this.local(leg);
    const problem = legConfigProblem(this.mode, leg, config);
    if (problem !== undefined) throw new MediaError('EOPTIONS', problem);
    // node-opus is a native addon that loads in one thread of a process only: calls that may
    // use Opus are placed on the main thread (MediaSessionRequest.mayUseOpus); a later offer
    // switching a worker's call to Opus is refused (call control answers 488).
    if (config.codec === 'opus') throw new MediaError('EOPTIONS', 'Opus is not available to a call whose media runs in a media worker');
    this.post({ op: 'configure', id: this.id, leg, config });
  }

  dialogConfirmed(leg: LegName): void {
    if (this.closed) return;
    this.local(leg);
    this.post({ op: 'confirmed', id: this.id, leg });
  }

  setSecure(on: boolean): void {
    this.assertOpen();
    this.secureFlag = on;
    this.post({ op: 'secure', id: this.id, on });
  }

  play(leg: LegName, pcm: Int16Array, options?: { readonly bargeIn?: boolean }): number {
    this.assertOpen();
    this.local(leg);
    const promptId = this.nextPromptId++;
    // A copy of just this view, whose buffer is then moved to the worker: the caller's buffer
    // (a cached prompt, played again to other calls) stays untouched and usable.
    const copy = pcm.slice();
    this.post({ op: 'play', id: this.id, leg, promptId, pcm: copy, bargeIn: options?.bargeIn ?? false }, [copy.buffer]);
    return promptId;
  }

  stopPlayback(leg: LegName): void {
    this.assertOpen();
    this.local(leg);
    this.post({ op: 'stop', id: this.id, leg });
  }

  /** Speech barge-in: the worker protocol has no barge-in-only stop yet, so the leg's prompts stop. */
  bargeIn(leg: LegName): void {
    this.stopPlayback(leg);
  }

  /**
   * The caller's audio (speech input): the worker decodes it and moves each packet's PCM here;
   * the buffer is zeroed once the sink has it (the sink keeps nothing: see MediaSession).
   */
  setCallerAudioSink(sink: ((pcm: Int16Array) => void) | null): void {
    this.assertOpen();
    const was = this.audioSink !== null;
    this.audioSink = this.mode === 'endpoint' ? sink : null;
    const on = this.audioSink !== null;
    if (on !== was) this.post({ op: 'audio-tap', id: this.id, on });
  }

  /** A digit call control received as SIP INFO (RFC 2976), `atMs` wall clock. */
  injectSipInfoDigit(digit: string, atMs: number): void {
    this.assertOpen();
    if (!isDtmfDigit(digit)) throw new MediaError('EOPTIONS', 'SIP INFO digit must be one of 0-9 * # A-D');
    this.post({ op: 'info-digit', id: this.id, digit, atMs });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.audioSink = null;
    if (this.gone) return;
    this.link.post({ op: 'close', id: this.id });
    this.link.released(this.id);
  }

  /** A message from the worker about this session (the pool routes them by id). */
  receive(message: FromWorker): void {
    if (message.op === 'closed') {
      this.settleStats(message.stats);
      return;
    }
    if (this.closed) return;
    try {
      switch (message.op) {
        case 'digit':
          this.emit('digit', message.digit);
          break;
        case 'rtp-timeout':
          this.emit('rtp-timeout', message.leg);
          break;
        case 'prompt-end':
          this.emit('prompt-end', { id: message.promptId, interrupted: message.interrupted });
          break;
        case 'failure':
          this.emit('failure', errorFromWire(message.error));
          break;
        case 'audio':
          // Packets already on their way when the tap went off are dropped, zeroed.
          try {
            this.audioSink?.(message.pcm);
          } finally {
            message.pcm.fill(0);
          }
          break;
        default:
          break;
      }
    } catch (error) {
      // A listener threw, as RtpMediaSession contains it: this call fails, nothing else.
      if (!this.closed) this.emit('failure', error);
    }
  }

  /** The worker exited: this call's media is gone. */
  workerGone(exitCode: number): void {
    this.gone = true;
    this.settleStats(undefined);
    if (this.closed) return;
    this.emit('failure', new MediaWorkerError('EWORKER_EXIT', `media worker ${this.worker} exited (code ${exitCode}); its calls end`));
  }

  private post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    if (this.gone) return;
    this.link.post(message, transfer);
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('ECLOSED', 'media session used after close()');
  }
}
