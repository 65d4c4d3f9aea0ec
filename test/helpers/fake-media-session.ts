// A MediaSession that records what call control asks of it (the real media plane is another
// module; call tests check the signalling side only).
import { EventEmitter } from 'node:events';
import type { DialogDigit } from '../../src/dialog/vocabulary.js';
import type { LegMediaConfig, LegName, LocalMediaAddress, MediaSession, MediaSessionEvents } from '../../src/media/media-session.js';

let nextPort = 21000;

export class FakeMediaSession implements MediaSession {
  readonly configured: { leg: LegName; config: LegMediaConfig }[] = [];
  readonly secureCalls: boolean[] = [];
  readonly infoDigits: string[] = [];
  readonly played: LegName[] = [];
  closed = false;
  secure = false;
  private readonly emitter = new EventEmitter();
  private readonly ports: Record<LegName, LocalMediaAddress>;

  constructor(readonly mode: 'b2bua' | 'endpoint') {
    const base = nextPort;
    nextPort += 4;
    this.ports = {
      caller: { address: '127.0.0.1', rtpPort: base, rtcpPort: base + 1 },
      agent: { address: '127.0.0.1', rtpPort: base + 2, rtcpPort: base + 3 },
    };
  }

  local(leg: LegName): LocalMediaAddress {
    return this.ports[leg];
  }

  configure(leg: LegName, config: LegMediaConfig): void {
    this.configured.push({ leg, config });
  }

  setSecure(on: boolean): void {
    this.secure = on;
    this.secureCalls.push(on);
  }

  play(leg: LegName): number {
    this.played.push(leg);
    return this.played.length;
  }

  stopPlayback(): void {}

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

  lastConfig(leg: LegName): LegMediaConfig | undefined {
    return this.configured.filter((c) => c.leg === leg).at(-1)?.config;
  }

  close(): void {
    this.closed = true;
  }
}
