// The options of RtpMediaSession.open(), their defaults and their checks (at the edge: the
// session trusts what resolveSessionOptions() returns).
import type { ClampMode } from '../clamp/inband-clamp.js';
import { MediaError } from '../media-error.js';
import type { PortAllocator } from './port-allocator.js';

export type MediaSessionMode = 'b2bua' | 'endpoint';

export interface RtpMediaSessionOptions {
  /** Where the legs' sockets come from (and the address they are bound on). */
  readonly ports: PortAllocator;
  /** Address written into SDP (local()); default the allocator's bind address. */
  readonly address?: string;
  readonly mode: MediaSessionMode;
  /** What the agent hears in place of a digit (default silence). */
  readonly clampMode?: ClampMode;
  /** No RTP from a receiving leg for this long emits `rtp-timeout`, ms (default 30 000). */
  readonly rtpTimeoutMs?: number;
  /** Secure mode at start (config `secureMode: always`). Default false. */
  readonly secure?: boolean;
}

/** The options with every default filled in. */
export interface ResolvedSessionOptions {
  readonly ports: PortAllocator;
  readonly address: string;
  readonly mode: MediaSessionMode;
  readonly clampMode: ClampMode;
  readonly rtpTimeoutMs: number;
  readonly secure: boolean;
}

const DEFAULT_RTP_TIMEOUT_MS = 30_000;

/** Defaults filled in; a MediaError EOPTIONS for a mode or timeout that cannot be. */
export function resolveSessionOptions(options: RtpMediaSessionOptions): ResolvedSessionOptions {
  if (options.mode !== 'b2bua' && options.mode !== 'endpoint') throw new MediaError('EOPTIONS', `mode must be b2bua or endpoint, got ${String(options.mode)}`);
  const rtpTimeoutMs = options.rtpTimeoutMs ?? DEFAULT_RTP_TIMEOUT_MS;
  if (!(rtpTimeoutMs > 0)) throw new MediaError('EOPTIONS', `rtpTimeoutMs must be positive, got ${rtpTimeoutMs}`);
  return {
    ports: options.ports,
    address: options.address ?? options.ports.address,
    mode: options.mode,
    clampMode: options.clampMode ?? 'silence',
    rtpTimeoutMs,
    secure: options.secure ?? false,
  };
}
