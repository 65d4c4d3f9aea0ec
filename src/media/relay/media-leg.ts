// One leg of a media session (caller or agent): its sockets, negotiated config, latches, SRTP,
// prompts and counters, as RtpMediaSession keeps them, and the rules about a leg's direction that
// the session and the agent -> caller forwarding both apply. State only: the session owns it.
import type { LegMediaConfig, LegName } from '../media-session.js';
import type { PromptEncoder } from '../prompts/prompt-encoder.js';
import type { PromptQueue } from '../prompts/prompt-queue.js';
import { RtpView } from '../../rtp/rtp-view.js';
import type { RtpPortPair } from './port-allocator.js';
import { RemoteLatch } from './remote-latch.js';
import type { SrtpTransform } from './srtp-transform.js';

export interface LegStats {
  rtpIn: number;
  rtpOut: number;
  rtcpIn: number;
  rtcpOut: number;
  /** RTP from a source other than the negotiated/latched one. */
  rtpForeign: number;
  rtcpForeign: number;
  /** SRTP/SRTCP packets that failed authentication. */
  srtpFailures: number;
  /** Not RTP version 2 or too short (RTP), or an invalid compound (RTCP). */
  malformed: number;
  /** Packets for this leg dropped: no remote, direction forbids sending, or no matching PT. */
  notSent: number;
  sendErrors: number;
  /** Of rtpIn, those the socket I/O relayed by itself under the leg's forwarding rule (agent leg). */
  rtpForwarded: number;
}

export interface Leg {
  readonly name: LegName;
  readonly pair: RtpPortPair;
  config: LegMediaConfig | null;
  readonly rtpLatch: RemoteLatch;
  readonly rtcpLatch: RemoteLatch;
  srtp: SrtpTransform | null;
  srtpKeys: string;
  lastRtpMs: number;
  timedOut: boolean;
  /** The leg's dialog is confirmed (ACK): see mayOriginate. */
  confirmed: boolean;
  /** Each packet received on the leg, parsed once here; every stage reads this view. */
  readonly view: RtpView;
  readonly prompts: PromptQueue;
  /** Encodes prompts into relayed packets (b2bua); made on first use, per codec. */
  promptEncoder: PromptEncoder | null;
  readonly stats: LegStats;
  /** rtpLatch.generation when last looked at. */
  latchGeneration: number;
  /** The socket I/O's forwarding counts already added to the stats. */
  forwardedSeen: number;
  forwardErrorsSeen: number;
}

/** A leg on `pair` before any negotiation: no remote, nothing latched, no SRTP, zero counters. */
export function newLeg(name: LegName, pair: RtpPortPair, prompts: PromptQueue): Leg {
  return {
    name,
    pair,
    config: null,
    rtpLatch: new RemoteLatch(),
    rtcpLatch: new RemoteLatch(),
    srtp: null,
    srtpKeys: '',
    lastRtpMs: Date.now(),
    timedOut: false,
    confirmed: false,
    view: new RtpView(),
    prompts,
    promptEncoder: null,
    stats: newStats(),
    latchGeneration: 0,
    forwardedSeen: 0,
    forwardErrorsSeen: 0,
  };
}

export function newStats(): LegStats {
  return { rtpIn: 0, rtpOut: 0, rtcpIn: 0, rtcpOut: 0, rtpForeign: 0, rtcpForeign: 0, srtpFailures: 0, malformed: 0, notSent: 0, sendErrors: 0, rtpForwarded: 0 };
}

/** The leg's direction lets us send to it. */
export function canSend(config: LegMediaConfig): boolean {
  return config.direction === 'sendrecv' || config.direction === 'sendonly';
}

/** The leg's peer is expected to send us RTP (the RTP timeout applies). */
export function expectsRtp(config: LegMediaConfig): boolean {
  return config.remote !== null && (config.direction === 'sendrecv' || config.direction === 'recvonly');
}

/**
 * Whether toneguard may send its own RTP (endpoint mode: prompts, silence) to the leg now: no
 * reflection. Its dialog is confirmed (the ACK) and the peer has sent RTP from the address we
 * would send to (the latch), unless its SDP says it sends none.
 */
export function mayOriginate(leg: Leg, config: LegMediaConfig): boolean {
  if (!leg.confirmed || !canSend(config) || leg.rtpLatch.sendAddress === null) return false;
  return leg.rtpLatch.latched || !expectsRtp(config);
}
