// The media plane of one call (MediaSession, the contract with call control): sockets, symmetric
// RTP with latching, relaying, the caller -> agent clamp, digits, prompts, SRTP, RTP timeout.
//
// b2bua: two legs, caller and agent. Caller -> agent goes through the leg's ClampStage
// (clamped in secure mode); agent -> caller is relayed straight. SSRC, sequence numbers and
// timestamps pass through (the stage keeps them continuous when it removes events); the PT is
// rewritten where the legs' numbers differ (leg-send.ts). RTCP is relayed both ways, caller SRs
// adjusted for what the stage added and removed (rtcp-relay.ts).
// Agent -> caller is forwarded by the socket I/O itself while nothing in it needs JavaScript
// (native I/O, agent-forward.ts); everything else still comes here. The forwarding rule follows
// every change that could alter what relayRtp() would do with the packet.
// endpoint: the caller leg only; toneguard is the far end: it sends its own 20 ms-paced RTP
// (prompts, silence otherwise) and takes the digits from what the caller sends.
//
// No reflection: toneguard originates RTP (the endpoint sender: prompts and silence) towards a
// leg only once its dialog is confirmed (dialogConfirmed: the ACK, which a forged INVITE's
// sender never sees the 2xx to send) and the peer is verified: it has sent us RTP from the
// address we would send to (the latch), unless its SDP says it sends none (then the ACK is the
// proof; the rule: media-leg.ts mayOriginate). Until then prompts wait, so the caller hears them whole. Relayed media (b2bua, early
// media included) is only ever a 1:1 answer to a packet from the other leg's negotiated peer.
//
// Nothing is accepted except from the leg's negotiated (or latched, RemoteLatch) remote; SRTP
// legs accept only packets that authenticate. A bad packet is counted and dropped, never thrown.
// Events only; no logging (the owner logs from events and `stats`).
import { EventEmitter } from 'node:events';
import { isDtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import type { ClampStage } from '../clamp/clamp-stage.js';
import { createClampStage } from '../clamp/create-clamp-stage.js';
import { DigitMerger } from '../digits/digit-merger.js';
import type { KeyPress } from '../digits/key-press.js';
import type { ClampMode } from '../clamp/inband-clamp.js';
import { legConfigProblem } from '../leg-config-check.js';
import { MediaError } from '../media-error.js';
import type { LegMediaConfig, LegName, LocalMediaAddress, MediaSession, MediaSessionEvents } from '../media-session.js';
import { CallerAudioTap } from './caller-audio-tap.js';
import { EndpointSender } from './endpoint-sender.js';
import type { RtpPortPair } from './port-allocator.js';
import { PromptQueue } from '../prompts/prompt-queue.js';
import { addForwarded, agentForwardRule } from './agent-forward.js';
import { MAX_FRAME, relayRtp, sendRtp } from './leg-send.js';
import { expectsRtp, mayOriginate, newLeg, type Leg, type LegStats } from './media-leg.js';
import { relayRtcp } from './rtcp-relay.js';
import { resolveSessionOptions, type MediaSessionMode, type ResolvedSessionOptions, type RtpMediaSessionOptions } from './rtp-media-session-options.js';
import { SrtpTransform } from './srtp-transform.js';

export type { LegStats } from './media-leg.js';
export type { MediaSessionMode, RtpMediaSessionOptions } from './rtp-media-session-options.js';

/** Housekeeping (RTP timeout, RFC 4733 end timeouts), ms. */
const TICK_MS = 100;

export class RtpMediaSession extends EventEmitter<MediaSessionEvents> implements MediaSession {
  readonly mode: MediaSessionMode;
  private readonly advertised: string;
  private readonly clampMode: ClampMode;
  private readonly rtpTimeoutMs: number;
  private readonly legs: Leg[];
  private readonly merger = new DigitMerger();
  private secureRequested: boolean;
  /** Caller -> agent (b2bua), or the endpoint's receive path (output discarded). */
  private stage: ClampStage | null = null;
  private stageKey = '';
  private nextPromptId = 1;
  private closed = false;
  private readonly housekeeping: NodeJS.Timeout;
  private readonly pcm = new Int16Array(MAX_FRAME);
  /** The caller's decoded audio for the speech recogniser (endpoint mode); reused per packet. */
  private readonly tap = new CallerAudioTap();
  /** Endpoint mode: our own RTP to the caller; null in b2bua mode. */
  private readonly sender: EndpointSender | null;
  /** Something the agent -> caller forwarding rule depends on changed (see the header). */
  private forwardDirty = true;
  private readonly payloadTypes = new Uint8Array(128);
  /** A forwarding rule has been set since open: the socket I/O's counts are worth reading. */
  private forwardedEver = false;

  private constructor(options: ResolvedSessionOptions, pairs: RtpPortPair[]) {
    super();
    this.mode = options.mode;
    this.advertised = options.address;
    this.clampMode = options.clampMode;
    this.rtpTimeoutMs = options.rtpTimeoutMs;
    this.secureRequested = options.secure;
    const names: LegName[] = options.mode === 'b2bua' ? ['caller', 'agent'] : ['caller'];
    this.legs = names.map((name, i) => this.newLeg(name, pairs[i]));
    const caller = this.legs[0];
    this.sender =
      options.mode === 'endpoint'
        ? new EndpointSender(
            {
              config: () => caller.config,
              mayOriginate: (config) => mayOriginate(caller, config),
              read: (pcm, n) => {
                caller.prompts.read(pcm, n);
                // A prompt's end is announced from inside read(); its listener may end the call
                // (the payment's final BYE or REFER), which closes this session and its sockets.
                return !this.closed;
              },
              send: (packet) => sendRtp(caller, packet, false),
              contained: (work) => this.contained(work),
            },
            MAX_FRAME,
          )
        : null;
    this.housekeeping = setInterval(() => this.contained(() => this.tick()), TICK_MS);
    this.housekeeping.unref();
  }

  /** Binds the legs' ports (two pairs in b2bua mode, one in endpoint mode). */
  static async open(given: RtpMediaSessionOptions): Promise<RtpMediaSession> {
    const options = resolveSessionOptions(given);
    const pairs: RtpPortPair[] = [];
    try {
      pairs.push(await options.ports.allocate());
      if (options.mode === 'b2bua') pairs.push(await options.ports.allocate());
    } catch (err) {
      for (const p of pairs) p.release();
      throw err;
    }
    return new RtpMediaSession(options, pairs);
  }

  get secure(): boolean {
    return this.secureRequested;
  }

  local(leg: LegName): LocalMediaAddress {
    const l = this.leg(leg);
    return { address: this.advertised, rtpPort: l.pair.rtpPort, rtcpPort: l.pair.rtcpPort };
  }

  /** Counters per leg (a snapshot). */
  stats(leg: LegName): LegStats {
    const l = this.leg(leg);
    this.syncForwarded(Date.now());
    return { ...l.stats, rtpForeign: l.rtpLatch.dropped, rtcpForeign: l.rtcpLatch.dropped };
  }

  /** Digit reports folded into a press already reported (the same key from another source). */
  get mergedDigitReports(): number {
    return this.merger.duplicates;
  }

  configure(leg: LegName, config: LegMediaConfig): void {
    this.assertOpen();
    const l = this.leg(leg);
    // Call control asks the same question while negotiating (488 to an offer we cannot carry).
    const problem = legConfigProblem(this.mode, leg, config);
    if (problem !== undefined) throw new MediaError('EOPTIONS', problem);
    const keys = config.srtp === null ? '' : `${config.srtp.localKeyBase64}|${config.srtp.remoteKeyBase64}`;
    if (keys !== l.srtpKeys) {
      l.srtp = config.srtp === null ? null : new SrtpTransform(config.srtp);
      l.srtpKeys = keys;
    }
    l.config = config;
    l.rtpLatch.setRemote(config.remote?.address ?? null, config.remote?.rtpPort ?? 0);
    l.rtcpLatch.setRemote(config.remote?.address ?? null, config.remote?.rtcpPort ?? 0);
    l.lastRtpMs = Date.now();
    l.timedOut = false;
    if (leg === 'caller') this.rebuildStage(config);
    this.sender?.start(config);
    this.updateForward();
  }

  dialogConfirmed(leg: LegName): void {
    if (this.closed) return;
    this.leg(leg).confirmed = true;
  }

  setSecure(on: boolean): void {
    this.assertOpen();
    this.secureRequested = on;
    if (this.mode === 'b2bua') this.stage?.setSecure(on);
  }

  play(leg: LegName, pcm: Int16Array, options?: { readonly bargeIn?: boolean }): number {
    this.assertOpen();
    const l = this.leg(leg);
    const id = this.nextPromptId++;
    l.prompts.add(id, pcm, options?.bargeIn ?? false);
    // The prompt replaces what the leg hears in relayed packets: they must come through relayRtp().
    this.updateForward();
    if (this.mode === 'b2bua' && l.config?.codec === 'opus') {
      // No Opus encoder on the relay path: the prompt cannot be heard on this leg; report it
      // at once (interrupted) rather than never.
      setImmediate(() => l.prompts.stop());
    }
    return id;
  }

  stopPlayback(leg: LegName): void {
    this.assertOpen();
    this.leg(leg).prompts.stop();
    this.updateForward();
  }

  bargeIn(leg: LegName): void {
    this.assertOpen();
    this.leg(leg).prompts.bargeIn();
  }

  setCallerAudioSink(sink: ((pcm: Int16Array) => void) | null): void {
    this.assertOpen();
    this.tap.setSink(this.mode === 'endpoint' ? sink : null);
  }

  /** A digit call control received as SIP INFO (RFC 2976 application/dtmf-relay), `atMs` wall clock. */
  injectSipInfoDigit(digit: string, atMs: number): void {
    this.assertOpen();
    if (!isDtmfDigit(digit)) throw new MediaError('EOPTIONS', 'SIP INFO digit must be one of 0-9 * # A-D');
    this.onDigit({ digit, source: 'sip-info', atMs, durationMs: undefined });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.housekeeping);
    // Before the sockets close (closing one clears its rule).
    this.syncForwarded(Date.now());
    this.sender?.close();
    this.stage?.close();
    this.stage = null;
    this.tap.close();
    for (const l of this.legs) l.pair.release();
  }

  // --- legs -------------------------------------------------------------------------------

  private newLeg(name: LegName, pair: RtpPortPair): Leg {
    const prompts = new PromptQueue((end) => {
      this.forwardDirty = true;
      if (!this.closed) this.emit('prompt-end', end);
    });
    const leg = newLeg(name, pair, prompts);
    // The per-packet path: no closure made per datagram (contained() would need one).
    pair.rtp.onDatagram((msg, address, port) => {
      try {
        this.onRtp(leg, msg, address, port);
      } catch (error) {
        this.failed(error);
      }
    });
    pair.rtcp.onDatagram((msg, address, port) => this.contained(() => this.onRtcp(leg, msg, address, port)));
    pair.rtp.onSendError(() => leg.stats.sendErrors++);
    pair.rtcp.onSendError(() => leg.stats.sendErrors++);
    return leg;
  }

  /**
   * Work from a socket or a timer: a throw (ours, or a digit/prompt-end listener's) becomes a
   * `failure` event for the owner to end this call with, instead of escaping into the event loop.
   */
  private contained(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): void {
    if (!this.closed) this.emit('failure', error);
  }

  private leg(name: LegName): Leg {
    const l = this.legs.find((x) => x.name === name);
    if (l === undefined) throw new MediaError('EOPTIONS', `no ${name} leg in ${this.mode} mode`);
    return l;
  }

  private other(leg: Leg): Leg | undefined {
    return this.legs.find((x) => x !== leg);
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('ECLOSED', 'media session used after close()');
  }

  private rebuildStage(config: LegMediaConfig): void {
    const key = `${config.codec}/${config.payloadType}/${config.eventPayloadType}/${config.ptimeMs}`;
    if (this.stage !== null && key === this.stageKey) return;
    this.stage?.close();
    this.stageKey = key;
    const endpoint = this.mode === 'endpoint';
    const caller = this.legs[0];
    const agent = this.legs[1];
    this.stage = createClampStage({
      codec: config.codec,
      audioPayloadType: config.payloadType,
      eventPayloadType: config.eventPayloadType,
      ptimeMs: config.ptimeMs,
      mode: this.clampMode,
      // Endpoint: the stage's secure path runs the detectors; what it would send goes nowhere.
      secure: endpoint || this.secureRequested,
      // The agent leg's sink. Owned: the caller's packet (its payload bounds are in the caller's
      // view); not owned: a frame of the stage's, a bare 12-byte header.
      send: endpoint ? () => undefined : (packet, owned) => relayRtp(packet, owned, owned ? caller.view.payloadStart : 12, owned ? caller.view.payloadEnd : packet.length, caller, agent, this.pcm),
      onDigit: (press) => this.onDigit(press),
    });
  }

  // --- receive ----------------------------------------------------------------------------

  /** `msg` is valid only during this call (native I/O reuses it): everything below is synchronous. */
  private onRtp(leg: Leg, msg: Uint8Array, address: string, port: number): void {
    if (this.closed || leg.config === null) return;
    if (!leg.rtpLatch.accepts(address, port)) return;
    let packet: Uint8Array = msg;
    if (leg.srtp !== null) {
      const plain = leg.srtp.unprotectRtp(msg);
      if (plain === undefined) {
        leg.stats.srtpFailures++;
        return;
      }
      packet = plain;
    }
    const view = leg.view;
    const now = Date.now();
    const error = view.parse(packet, now);
    if (packet.length < 12 || error === 'EVERSION') {
      // No RTP header to read; a packet with a readable header but bad bounds goes on to the
      // stage, which drops it in secure mode.
      leg.stats.malformed++;
      return;
    }
    const pt = view.payloadType;
    if (pt >= 72 && pt <= 76) {
      // RTCP multiplexed on the RTP port (RFC 5761 §4): not negotiated by us, not relayed.
      leg.stats.malformed++;
      return;
    }
    leg.rtpLatch.latch(address, port);
    if (leg.rtpLatch.generation !== leg.latchGeneration) {
      leg.latchGeneration = leg.rtpLatch.generation;
      this.forwardDirty = true;
    }
    leg.stats.rtpIn++;
    leg.lastRtpMs = now;
    leg.timedOut = false;
    if (leg.name === 'caller') {
      // Before the stage: its clamp may rewrite the payload in place (delayed or replaced audio).
      if (this.tap.active && error === undefined) this.tap.push(packet, view.payloadType, view.payloadStart, view.payloadEnd, leg.config);
      this.stage?.pushView(view);
    } else {
      const to = this.other(leg);
      if (to !== undefined) relayRtp(packet, true, view.payloadStart, view.payloadEnd, leg, to, this.pcm);
    }
    if (this.forwardDirty) this.updateForward();
  }

  private onRtcp(leg: Leg, msg: Uint8Array, address: string, port: number): void {
    if (this.closed || leg.config === null) return;
    const b2bua = this.mode === 'b2bua';
    relayRtcp(leg, b2bua ? this.other(leg) : undefined, b2bua && leg.name === 'caller' ? this.stage : null, msg, address, port);
  }

  // --- agent -> caller forwarding (see the header) ----------------------------------------

  /** Sets, replaces or clears the agent RTP socket's forwarding rule to match the call now. */
  private updateForward(): void {
    this.forwardDirty = false;
    if (this.mode !== 'b2bua' || this.closed) return;
    const agent = this.legs[1];
    const rule = agentForwardRule(agent, this.legs[0], this.payloadTypes);
    // Refused (dgram I/O, a closed socket): every packet comes through onRtp, as without a rule.
    if (agent.pair.rtp.forward(rule) && rule !== null) this.forwardedEver = true;
  }

  /** The socket I/O's forwarding counts into the legs' statistics (none to read before a rule was set). */
  private syncForwarded(now: number): void {
    if (this.forwardedEver) addForwarded(this.legs[1], this.legs[0], now);
  }

  // --- digits and time --------------------------------------------------------------------

  private onDigit(report: KeyPress): void {
    if (this.closed) return;
    const press = this.merger.push(report);
    if (press === undefined) return;
    for (const l of this.legs) l.prompts.bargeIn();
    this.emit('digit', { digit: press.digit, source: press.source, atMs: press.atMs });
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    this.syncForwarded(now);
    if (this.forwardDirty) this.updateForward();
    this.stage?.tick(now);
    for (const l of this.legs) {
      if (l.config === null || l.timedOut || !expectsRtp(l.config)) continue;
      if (now - l.lastRtpMs >= this.rtpTimeoutMs) {
        l.timedOut = true;
        this.emit('rtp-timeout', l.name);
      }
    }
  }
}
