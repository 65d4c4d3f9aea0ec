// The agent end of verify test calls: a UAS at --agent-listen that answers every call it was
// told to expect and records what reaches it (audio, RFC 4733 events, SIP INFO). Each call is
// told apart by the user part of its request URI (`verify-<run>-<n>`), which a proxy or B2BUA
// keeps.
import type { Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CodecPort } from '../media/codecs/codec-port.js';
import { createCodecPort } from '../media/codecs/create-codec-port.js';
import { looksLikeRtp, rtpPayloadBounds, rtpPayloadType, rtpSsrc, rtpTimestamp, serializeRtp } from '../rtp/rtp-packet.js';
import { Dialog, SipStack, parseSipUri, type SipRequest, type SipResponse } from '../sip/sip-stack.js';
import type { AgentCapture } from './verify-analysis.js';
import { VerifyError, type VerifyCodec } from './verify-error.js';
import { bindUdp, codecOfPt, FRAME, FrameEncoder, remoteMedia, STATIC_PT, verifySdp } from './verify-media.js';
import { RATE } from './verify-plan.js';

/**
 * A packet more than this far from where its timestamp puts it re-anchors the timeline (1 s). A
 * relay that re-stamps jumps by far more; a busy relay or machine can hold packets back for a few
 * hundred ms, and re-anchoring on such a late packet shifted the rest of the call's audio out of
 * its keys' windows (keys were counted as not recovered from a control call on a loaded host).
 */
const REANCHOR_SAMPLES = 8000;
/**
 * A packet of the first anchor's stream that arrives at least this much (20 ms) earlier than its
 * timestamp puts it shows that the anchor packet itself was held back: the audio placed so far
 * moves earlier by the difference. Packets can be late but never early, so the timeline settles
 * within 20 ms of the least-delayed packets'. A loaded relay or host can hold a call's first
 * packets back for a few hundred ms, and a late anchor pushes the call's keys out of their windows.
 */
const EARLY_SAMPLES = 160;

/** What the agent end of one call recorded (the plan's ms 0 is set by the caller). */
export class AgentRecording {
  readonly #pcm: Int16Array;
  readonly eventPacketsMs: number[] = [];
  readonly infoDigitsMs: number[] = [];
  audioPackets = 0;
  readonly #codecs = new Set<VerifyCodec>();
  /** performance.now() of the caller's media start; undefined until then. */
  startedAt: number | undefined;
  #ref: { ssrc: number; ts: number; sample: number } | undefined;
  /** Anchors taken so far (the first one's lateness is corrected, see EARLY_SAMPLES). */
  #anchors = 0;
  /** One past the last sample written. */
  #written = 0;
  readonly #clock: () => number;
  /** A decoding port per codec, made at its first packet (G.722's state runs from packet to packet). */
  readonly #ports = new Map<VerifyCodec, CodecPort>();
  /** A sub-band codec's bands of one payload (the lower band is kept). */
  readonly #lower = new Int16Array(FRAME * 6);
  readonly #upper = new Int16Array(FRAME * 6);

  constructor(durationMs: number, clock: () => number = () => performance.now()) {
    this.#pcm = new Int16Array(Math.ceil(((durationMs + 2000) * RATE) / 1000));
    this.#clock = clock;
  }

  #now(): number | undefined {
    return this.startedAt === undefined ? undefined : this.#clock() - this.startedAt;
  }

  onRtp(bytes: Uint8Array, eventPt: number | undefined): void {
    const ms = this.#now();
    if (ms === undefined || !looksLikeRtp(bytes)) return;
    const bounds = rtpPayloadBounds(bytes);
    if (!('start' in bounds)) return;
    const pt = rtpPayloadType(bytes);
    const codec = codecOfPt(pt);
    if (pt === eventPt || codec === undefined) {
      this.eventPacketsMs.push(ms);
      return;
    }
    this.audioPackets++;
    this.#codecs.add(codec);
    // Placed by RTP timestamp relative to an anchor packet's arrival, so jitter does not tear
    // the audio; a new SSRC or a timestamp jump (a relay re-stamping) moves the anchor.
    const ts = rtpTimestamp(bytes);
    const ssrc = rtpSsrc(bytes);
    const arrival = Math.round((ms * RATE) / 1000) - FRAME;
    let at = this.#ref === undefined || this.#ref.ssrc !== ssrc ? Number.NaN : this.#ref.sample + ((ts - this.#ref.ts) | 0);
    if (Number.isNaN(at) || Math.abs(at - arrival) > REANCHOR_SAMPLES) {
      this.#ref = { ssrc, ts, sample: arrival };
      at = arrival;
      this.#anchors++;
    } else if (this.#anchors === 1 && at - arrival >= EARLY_SAMPLES && this.#ref !== undefined) {
      const shift = at - arrival;
      this.#pcm.copyWithin(0, shift, this.#written);
      this.#pcm.fill(0, Math.max(0, this.#written - shift), this.#written);
      this.#written = Math.max(0, this.#written - shift);
      this.#ref = { ...this.#ref, sample: this.#ref.sample - shift };
      at = arrival;
    }
    const payload = bytes.subarray(bounds.start, bounds.end);
    const n = payload.length;
    let port = this.#ports.get(codec);
    if (port === undefined) this.#ports.set(codec, (port = createCodecPort(codec)));
    const bands = port.bands;
    if (bands !== undefined) {
      // Decoded even when it falls outside the recording, so the decoder stays in step.
      if (n > this.#upper.length || bands.decodeBands(payload, this.#lower, this.#upper) !== n) return;
      if (at >= 0 && at + n <= this.#pcm.length) {
        this.#pcm.set(this.#lower.subarray(0, n), at);
        this.#written = Math.max(this.#written, at + n);
      }
      return;
    }
    if (at < 0 || at + n > this.#pcm.length) return;
    port.decode(payload, this.#pcm.subarray(at, at + n));
    this.#written = Math.max(this.#written, at + n);
  }

  onInfo(): void {
    const ms = this.#now();
    if (ms !== undefined) this.infoDigitsMs.push(ms);
  }

  capture(): AgentCapture {
    return { pcm: this.#pcm, eventPacketsMs: this.eventPacketsMs, infoDigitsMs: this.infoDigitsMs, audioPackets: this.audioPackets, audioCodecs: [...this.#codecs] };
  }
}

interface AgentCall {
  readonly recording: AgentRecording;
  readonly socket: Socket;
  dialog: Dialog | undefined;
  /** X-Toneguard-Call-Id of the INVITE, when the deployment is toneguard. */
  toneguardCallId: string | undefined;
  readonly invited: Promise<void>;
}

/** The agent: answers every verify call routed to it and records what reaches it. */
export class VerifyAgent {
  readonly #calls = new Map<string, AgentCall & { resolveInvited: () => void }>();

  private constructor(
    readonly stack: SipStack,
    readonly address: string,
  ) {
    stack.onRequest((req, tx) => {
      if (tx === undefined) return;
      if (req.method === 'INVITE' && (req.headers.get('to') ?? '').indexOf('tag=') < 0) {
        void this.#answer(req, (status, options) => tx.respond(status, undefined, options), tx.toTag);
        return;
      }
      const call = [...this.#calls.values()].find((c) => c.dialog?.matches(req) === true);
      if (call === undefined) {
        tx.respond(req.method === 'OPTIONS' ? 200 : 481);
        return;
      }
      call.dialog?.acceptRemote(req);
      // Any DTMF body type counts (application/dtmf-relay, application/dtmf, audio/telephone-event ...).
      if (req.method === 'INFO' && /dtmf|telephone-event/i.test(req.headers.get('content-type') ?? '')) call.recording.onInfo();
      tx.respond(200);
    });
  }

  static async listen(listen: string): Promise<VerifyAgent> {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
    if (m === null) throw new VerifyError('EUSAGE', `--agent-listen ${listen}: expected HOST:PORT`);
    const address = m[1].replace(/^\[|\]$/g, '');
    return new VerifyAgent(await SipStack.listen({ address, port: Number(m[2]), transports: ['udp'], trying100DelayMs: 0 }), address);
  }

  get port(): number {
    return this.stack.localAddress('udp')?.port ?? 0;
  }

  /** Registers a call before it is placed: the agent answers only users it expects. */
  expect(user: string, durationMs: number): AgentCall {
    let resolveInvited!: () => void;
    const invited = new Promise<void>((r) => (resolveInvited = r));
    const call = { recording: new AgentRecording(durationMs), socket: undefined as unknown as Socket, dialog: undefined, toneguardCallId: undefined, invited, resolveInvited };
    this.#calls.set(user, call);
    return call;
  }

  async #answer(
    req: SipRequest,
    respond: (status: number, options?: { body?: string; contentType?: string; headers?: Record<string, string> }) => SipResponse | undefined,
    toTag: string,
  ): Promise<void> {
    const user = parseSipUri(req.uri)?.user ?? '';
    const call = this.#calls.get(user);
    const offer = remoteMedia(req.body.toString('utf8'));
    if (call === undefined || offer === undefined || call.dialog !== undefined) {
      respond(call === undefined ? 404 : 488);
      return;
    }
    const codec: VerifyCodec = codecOfPt(offer.audioPt ?? 0) ?? 'PCMU';
    const socket = await bindUdp(this.address);
    (call as { socket: Socket }).socket = socket;
    socket.on('message', (msg: Buffer) => call.recording.onRtp(msg, offer.eventPt));
    call.toneguardCallId = req.headers.get('x-toneguard-call-id');
    call.dialog = Dialog.fromUasRequest(req, toTag, this.stack.contact('udp', 'agent'));
    respond(200, { body: verifySdp(this.address, (socket.address() as AddressInfo).port, codec), contentType: 'application/sdp', headers: { contact: this.stack.contact('udp', 'agent') } });
    // Symmetric RTP: a packet of silence so a relay that latches learns where the agent is.
    const silence = new FrameEncoder(codec).silence();
    socket.send(serializeRtp({ payloadType: STATIC_PT[codec], marker: true, sequence: 1, timestamp: 0, ssrc: 0x7e57a6e7, payload: silence }), offer.port, offer.address);
    call.resolveInvited();
  }

  async close(): Promise<void> {
    for (const call of this.#calls.values()) {
      try {
        call.socket?.close();
      } catch {
        // already closed
      }
    }
    await this.stack.close();
  }
}
