// The boundary between call control (SIP/SDP, B2BUA, endpoint mode in src/call/) and the media plane.
// Call control negotiates SDP and tells the media plane where each leg's RTP goes; the media
// plane owns sockets, relaying, clamping, detection and prompt playback, and reports digits.
//
// A B2BUA call has two legs: `caller` (carrier/caller side) and `agent` (PBX/agent side);
// media flows caller <-> toneguard <-> agent, clamped caller -> agent in secure mode.
// An endpoint-mode call (the IVR transferred the call to our payment URI) has only `caller`:
// toneguard is the far end, sends its own RTP (prompts, silence) and receives the digits.
import type { DialogDigit } from '../dialog/vocabulary.js';

export type LegName = 'caller' | 'agent';
/** G722: ITU-T G.722 64 kbit/s, 16 kHz audio on an 8000 Hz RTP clock (RFC 3551 §4.5.2). */
export type AudioCodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus';

/** Where toneguard receives a leg's media: goes into the SDP we send on that leg. */
export interface LocalMediaAddress {
  readonly address: string;
  readonly rtpPort: number;
  /** rtpPort + 1 (RFC 3550 §11); RTCP is relayed too. */
  readonly rtcpPort: number;
}

/** RFC 4568 SDES, AES_CM_128_HMAC_SHA1_80: base64 key||salt (30 bytes) each way. */
export interface SdesKeys {
  readonly suite: 'AES_CM_128_HMAC_SHA1_80';
  /** Key we send with (offered/answered by us in a=crypto). */
  readonly localKeyBase64: string;
  /** Key the peer sends with (from its a=crypto). */
  readonly remoteKeyBase64: string;
}

/** What SDP offer/answer settled for one leg. */
export interface LegMediaConfig {
  /** Address:port from the peer's SDP (c= and m=); null while not known (e.g. on hold 0.0.0.0). */
  readonly remote: { readonly address: string; readonly rtpPort: number; readonly rtcpPort: number } | null;
  readonly codec: AudioCodecName;
  readonly payloadType: number;
  /** RTP clock, Hz: 8000 for G.711 and G.722 (RFC 3551 §4.5.2), 48000 for Opus (RFC 7587). */
  readonly clockRate: number;
  /** telephone-event payload type negotiated on this leg, or null when none. */
  readonly eventPayloadType: number | null;
  /** Packetisation, ms (a=ptime; default 20). */
  readonly ptimeMs: number;
  /** a=sendrecv/sendonly/recvonly/inactive from our point of view after negotiation (hold). */
  readonly direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  readonly srtp: SdesKeys | null;
}

export interface MediaSessionEvents {
  /** A caller's digit, from any source, merged and deduplicated; never forwarded in secure mode. */
  digit: [DialogDigit];
  /** No RTP from a leg for the configured timeout: call control ends the call. */
  'rtp-timeout': [LegName];
  /** A prompt given to play() finished (or was cut by barge-in: `interrupted`). */
  'prompt-end': [{ readonly id: number; readonly interrupted: boolean }];
  /**
   * Something threw while the media plane handled a packet or a timer of this session (a
   * listener of the events above included): call control ends the call, other calls go on.
   */
  failure: [unknown];
}

export interface MediaSession {
  /** Local address of a leg (bound at creation: ports are known before the SDP is written). */
  local(leg: LegName): LocalMediaAddress;
  /** Apply (or re-apply, re-INVITE/hold) a leg's negotiated media. */
  configure(leg: LegName, config: LegMediaConfig): void;
  /**
   * The leg's dialog is confirmed (the peer's ACK to our 2xx reached us, RFC 3261 §13.3.1.4): only
   * then may toneguard originate RTP towards the leg's address (no reflection of a forged INVITE).
   */
  dialogConfirmed(leg: LegName): void;
  /** Secure mode (clamp the caller -> agent direction); switchable at any moment. */
  setSecure(on: boolean): void;
  readonly secure: boolean;
  /**
   * Play 8 kHz linear PCM to a leg (prompts). Returns an id reported in `prompt-end`. While a
   * prompt plays on a leg, what would otherwise be sent to it is replaced (B2BUA) or the
   * prompt is the only audio (endpoint). `bargeIn`: a caller's digit stops it.
   */
  play(leg: LegName, pcm: Int16Array, options?: { readonly bargeIn?: boolean }): number;
  stopPlayback(leg: LegName): void;
  /** The caller started speaking (speech input): barge-in prompts on the leg stop, as for a key. */
  bargeIn(leg: LegName): void;
  /**
   * Endpoint mode, speech input: the caller's decoded audio, 8 kHz 16-bit mono, one call per
   * audio packet (160 samples per 20 ms). The view is reused for the next packet: a consumer that
   * keeps audio or posts it to a worker copies it first. null stops it. G.711, or G.722's lower band (an Opus leg
   * delivers nothing: speech is then not heard, keys still are).
   */
  setCallerAudioSink(sink: ((pcm: Int16Array) => void) | null): void;
  on<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this;
  off<E extends keyof MediaSessionEvents>(event: E, listener: (...args: MediaSessionEvents[E]) => void): this;
  /** Frees ports, timers and clamp buffers. Idempotent. */
  close(): void;
}
