// A MediaSession without sockets: records what call control and the payment glue ask of it,
// finishes each prompt on the next tick (or when told), and lets a test inject caller digits.
import { EventEmitter } from 'node:events';
import type { DialogDigit } from '../../src/dialog/vocabulary.js';
import type { LegMediaConfig, LegName, LocalMediaAddress, MediaSession, MediaSessionEvents } from '../../src/media/media-session.js';

export interface FakePlay {
  readonly id: number;
  readonly leg: LegName;
  readonly samples: number;
  readonly bargeIn: boolean;
  ended: boolean;
}

export class FakeMediaSession implements MediaSession {
  readonly plays: FakePlay[] = [];
  readonly secureChanges: boolean[] = [];
  readonly configured: { leg: LegName; config: LegMediaConfig }[] = [];
  /** Prompts end by themselves on the next tick unless false. */
  autoEndPrompts = true;
  secure = false;
  closed = false;
  readonly #events = new EventEmitter<MediaSessionEvents>();
  #nextId = 1;

  local(leg: LegName): LocalMediaAddress {
    return { address: '127.0.0.1', rtpPort: leg === 'caller' ? 40000 : 40002, rtcpPort: leg === 'caller' ? 40001 : 40003 };
  }

  configure(leg: LegName, config: LegMediaConfig): void {
    this.configured.push({ leg, config });
  }

  setSecure(on: boolean): void {
    this.secure = on;
    this.secureChanges.push(on);
  }

  play(leg: LegName, pcm: Int16Array, options?: { readonly bargeIn?: boolean }): number {
    const play: FakePlay = { id: this.#nextId++, leg, samples: pcm.length, bargeIn: options?.bargeIn ?? false, ended: false };
    this.plays.push(play);
    if (this.autoEndPrompts) setImmediate(() => this.endPrompt(play.id, false));
    return play.id;
  }

  stopPlayback(leg: LegName): void {
    for (const p of this.plays) if (p.leg === leg && !p.ended) this.endPrompt(p.id, true);
  }

  endPrompt(id: number, interrupted: boolean): void {
    const play = this.plays.find((p) => p.id === id);
    if (play === undefined || play.ended || this.closed) return;
    play.ended = true;
    this.#events.emit('prompt-end', { id, interrupted });
  }

  /** A caller's key, as the media plane would report it (barge-in stops prompts first). */
  key(digit: string, source: DialogDigit['source'] = 'rfc4733'): void {
    for (const p of this.plays) if (!p.ended && p.bargeIn) this.endPrompt(p.id, true);
    this.#events.emit('digit', { digit, source, atMs: Date.now() });
  }

  on<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    this.#events.on(event, listener as never);
    return this;
  }

  off<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this {
    this.#events.off(event, listener as never);
    return this;
  }

  close(): void {
    this.closed = true;
  }
}
