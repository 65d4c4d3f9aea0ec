// The SDP side of one call, per leg (lifetime: the call's): the o= line's session id and version
// (RFC 3264 §8: +1 with every new description we send), our SDES key (RFC 4568), whether SRTP
// was agreed (a later offer keeps it), and the SDP we last sent (a session refresh by re-INVITE
// repeats it, RFC 4028 §7.4). Every negotiation result enters the media plane through
// `configure`, which also tells the hold clock; what the media plane refuses up front becomes an
// SdpError, i.e. a 488 for that offer, not a failed call.
import { MediaError } from '../media/media-error.js';
import type { LegMediaConfig, LegName, MediaSession } from '../media/media-session.js';
import type { CallLifetime } from './call-lifetime.js';
import { newSdesKey, SdpError, type RelayedAnswer, type SdpOrigin, type SrtpPolicy } from './sdp-offer-answer.js';

export class CallNegotiation {
  private readonly origins: Record<LegName, SdpOrigin>;
  private readonly keys: Record<LegName, string> = { caller: newSdesKey(), agent: newSdesKey() };
  private readonly srtpOn: Record<LegName, boolean> = { caller: false, agent: false };
  private readonly lastSdp: Record<LegName, string | undefined> = { caller: undefined, agent: undefined };
  /** A re-INVITE relayed from one leg into the other awaits its answer (RFC 3261 §14.2: another one gets 491). */
  relaying = false;

  constructor(
    private readonly media: MediaSession,
    private readonly lifetime: CallLifetime,
    /** SRTP towards the PBX until a negotiation turned it on. */
    private readonly agentSrtp: SrtpPolicy,
  ) {
    const sessionId = String(Math.floor(Math.random() * 2 ** 31));
    this.origins = { caller: { id: sessionId, version: 1 }, agent: { id: String(Number(sessionId) + 1), version: 1 } };
  }

  /** The leg's o= as it stands (the initial offer and answer use it unchanged). */
  origin(leg: LegName): SdpOrigin {
    return this.origins[leg];
  }

  /** The leg's o= for a new description: the version goes up by one. */
  nextOrigin(leg: LegName): SdpOrigin {
    const o = this.origins[leg];
    this.origins[leg] = { id: o.id, version: o.version + 1 };
    return this.origins[leg];
  }

  /** Our SDES key on the leg (base64). */
  key(leg: LegName): string {
    return this.keys[leg];
  }

  srtpPolicy(leg: LegName): SrtpPolicy {
    if (this.srtpOn[leg]) return 'always';
    return leg === 'agent' ? this.agentSrtp : 'never';
  }

  /** Records whether the leg's agreed media is SRTP. */
  srtpAgreed(leg: LegName, config: LegMediaConfig): void {
    this.srtpOn[leg] = config.srtp !== null;
  }

  /** An answer relayed between the legs: both legs' media, and their SRTP. */
  apply(offerLeg: LegName, result: RelayedAnswer): void {
    const answerLeg: LegName = offerLeg === 'caller' ? 'agent' : 'caller';
    this.configure(offerLeg, result.offerLeg);
    this.configure(answerLeg, result.answerLeg);
    this.srtpAgreed(offerLeg, result.offerLeg);
    this.srtpAgreed(answerLeg, result.answerLeg);
  }

  /** Every negotiation result goes through here: the media plane, and the hold clock. */
  configure(leg: LegName, config: LegMediaConfig): void {
    try {
      this.media.configure(leg, config);
    } catch (error) {
      // What the media plane refuses up front (e.g. Opus for a call in a media worker) is an
      // offer we cannot carry: 488, the call goes on as it was.
      if (error instanceof MediaError && error.code === 'EOPTIONS') throw new SdpError('sdp-media-unsupported', error.message);
      throw error;
    }
    this.lifetime.mediaConfigured(leg, config);
  }

  /** Remembers the SDP sent on a leg, and returns it. */
  sent(leg: LegName, sdp: string): string {
    this.lastSdp[leg] = sdp;
    return sdp;
  }

  /** The SDP we last sent on the leg (undefined before any). */
  lastSent(leg: LegName): string | undefined {
    return this.lastSdp[leg];
  }
}
