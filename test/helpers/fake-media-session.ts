// A MediaSession without sockets, for call control and payment glue tests: records what it is
// asked (configure, secure mode, plays), finishes each prompt on the next tick (or when told),
// and lets a test inject caller digits as the media plane would report them.
import { EventEmitter } from 'node:events';
import type { DialogDigit } from '../../src/dialog/vocabulary.js';
import type { LegMediaConfig, LegName, LocalMediaAddress, MediaSession, MediaSessionEvents } from '../../src/media/media-session.js';

let nextPort = 21000;

export interface FakePlay {
  readonly id: number;
  readonly leg: LegName;
  readonly samples: number;
  /** What was given to play (kept by reference). */
  readonly pcm: Int16Array;
  readonly bargeIn: boolean;
  ended: boolean;
}

export class FakeMediaSession implements MediaSession {
  readonly configured: { leg: LegName; config: LegMediaConfig }[] = [];
  /** Every setSecure() argument, in order. */
  readonly secureCalls: boolean[] = [];
  readonly infoDigits: string[] = [];
  readonly plays: FakePlay[] = [];
  /** Prompts end by themselves on the next tick unless false. */
  autoEndPrompts = true;
  closed = false;
  secure = false;
  private readonly emitter = new EventEmitter();
  private readonly ports: Record<LegName, LocalMediaAddress>;

  constructor(readonly mode: 'b2bua' | 'endpoint' = 'b2bua') {
    const base = nextPort;
    nextPort += 4;
    this.ports = {
      caller: { address: '127.0.0.1', rtpPort: base, rtcpPort: base + 1 },
      agent: { address: '127.0.0.1', rtpPort: base + 2, rtcpPort: base + 3 },
    };
  }

  /** Legs played to, in order. */
  get played(): LegName[] {
    return this.plays.map((p) => p.leg);
  }

  local(leg: LegName): LocalMediaAddress {
    return this.ports[leg];
  }

  configure(leg: LegName, config: LegMediaConfig): void {
    this.configured.push({ leg, config });
  }

  /** Legs whose dialog call control reported confirmed (ACK), in order. */
  readonly confirmedLegs: LegName[] = [];

  dialogConfirmed(leg: LegName): void {
    this.confirmedLegs.push(leg);
  }

  setSecure(on: boolean): void {
    this.secure = on;
    this.secureCalls.push(on);
  }

  play(leg: LegName, pcm?: Int16Array, options?: { readonly bargeIn?: boolean }): number {
    const play: FakePlay = { id: this.plays.length + 1, leg, samples: pcm?.length ?? 0, pcm: pcm ?? new Int16Array(0), bargeIn: options?.bargeIn ?? false, ended: false };
    this.plays.push(play);
    if (this.autoEndPrompts) setImmediate(() => this.endPrompt(play.id, false));
    return play.id;
  }

  stopPlayback(leg?: LegName): void {
    for (const p of this.plays) if ((leg === undefined || p.leg === leg) && !p.ended) this.endPrompt(p.id, true);
  }

  /** Legs barged in on by speech, in order. */
  readonly bargeIns: LegName[] = [];
  audioSink: ((pcm: Int16Array) => void) | null = null;

  bargeIn(leg: LegName): void {
    this.bargeIns.push(leg);
    for (const p of this.plays) if (p.leg === leg && p.bargeIn && !p.ended) this.endPrompt(p.id, true);
  }

  setCallerAudioSink(sink: ((pcm: Int16Array) => void) | null): void {
    this.audioSink = sink;
  }

  /** The caller's decoded audio as the media plane would hand it on, 160 samples at a time. */
  hear(pcm: Int16Array): void {
    for (let i = 0; i < pcm.length; i += 160) this.audioSink?.(pcm.subarray(i, Math.min(pcm.length, i + 160)));
  }

  endPrompt(id: number, interrupted: boolean): void {
    const play = this.plays.find((p) => p.id === id);
    if (play === undefined || play.ended || this.closed) return;
    play.ended = true;
    this.emit('prompt-end', { id, interrupted });
  }

  /** The media helper's extra method, found by call control through an optional check. */
  injectSipInfoDigit(digit: string): void {
    this.infoDigits.push(digit);
  }

  on<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  emit<E extends keyof MediaSessionEvents>(event: E, ...args: MediaSessionEvents[E]): void {
    this.emitter.emit(event, ...args);
  }

  digit(d: DialogDigit): void {
    this.emit('digit', d);
  }

  /** A caller's key, as the media plane would report it (barge-in stops prompts first). */
  key(digit: string, source: DialogDigit['source'] = 'rfc4733'): void {
    for (const p of this.plays) if (!p.ended && p.bargeIn) this.endPrompt(p.id, true);
    this.emit('digit', { digit, source, atMs: Date.now() });
  }

  lastConfig(leg: LegName): LegMediaConfig | undefined {
    return this.configured.filter((c) => c.leg === leg).at(-1)?.config;
  }

  close(): void {
    this.closed = true;
  }
}
