// Both ends of a verify test call, on the project's SIP stack: the caller (a UAC that sends the
// plan's audio, RFC 4733 events and SIP INFO) and the agent (a UAS at --agent-listen that
// answers and records everything it receives). Each call is told apart at the agent by the
// user part of its request URI (`verify-<run>-<n>`), which a proxy or B2BUA keeps.
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CodecPort } from '../media/codecs/codec-port.js';
import { createCodecPort } from '../media/codecs/create-codec-port.js';
import { planDigitPackets } from '../rtp/rfc4733.js';
import { looksLikeRtp, rtpPayloadBounds, rtpPayloadType, rtpSsrc, rtpTimestamp, serializeRtp } from '../rtp/rtp-packet.js';
import { parseSdp } from '../sip/sdp.js';
import { Dialog, SipStack, parseCSeq, parseSipUri, type Destination, type SipRequest, type SipResponse } from '../sip/sip-stack.js';
import type { AgentCapture } from './verify-analysis.js';
import { VERIFY_CODECS, VerifyError, type VerifyCodec } from './verify-error.js';
import { RATE, type CallerPlan } from './verify-plan.js';

export { DEFAULT_VERIFY_CODECS, VERIFY_CODECS, VerifyError, type VerifyCodec, type VerifyErrorCode } from './verify-error.js';
const STATIC_PT: Record<VerifyCodec, number> = { PCMU: 0, PCMA: 8, G722: 9 };
const EVENT_PT = 101;
/** 20 ms: samples at 8 kHz, and payload bytes and RTP ticks of every codec here (G.722: one byte, one tick, two 16 kHz samples). */
const FRAME = 160;

/** The codec of a static payload type of ours, or undefined. */
function codecOfPt(pt: number): VerifyCodec | undefined {
  return VERIFY_CODECS.find((c) => STATIC_PT[c] === pt);
}

/**
 * Encodes 20 ms frames of the caller's (or the agent's) 8 kHz audio with the codec's port. A
 * sub-band codec (G.722) carries it as its lower band (0-4 kHz, where the keys' tones are) with
 * an empty upper band: no resampler. The port's encoder state runs from frame to frame, so one
 * FrameEncoder per stream.
 */
class FrameEncoder {
  readonly #port: CodecPort;
  readonly #upper = new Int16Array(FRAME);

  constructor(codec: VerifyCodec) {
    this.#port = createCodecPort(codec);
  }

  encode(pcm: Int16Array): Uint8Array {
    const out = new Uint8Array(FRAME);
    const bands = this.#port.bands;
    if (bands !== undefined) bands.encodeBands(pcm, this.#upper, FRAME, out);
    else this.#port.encode(pcm, out);
    return out;
  }

  /** A frame of silence (G.711: its silence code, as the encoder gives it for 0). */
  silence(): Uint8Array {
    return this.encode(new Int16Array(FRAME));
  }
}
/** A packet more than this far from where its timestamp puts it re-anchors the timeline (250 ms). */
const REANCHOR_SAMPLES = 2000;

function sdp(address: string, port: number, codec: VerifyCodec): string {
  const pt = STATIC_PT[codec];
  return [
    'v=0',
    `o=verify ${port} 1 IN IP4 ${address}`,
    's=toneguard verify',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${pt} ${EVENT_PT}`,
    `a=rtpmap:${pt} ${codec}/8000`,
    `a=rtpmap:${EVENT_PT} telephone-event/8000`,
    `a=fmtp:${EVENT_PT} 0-16`,
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** The first audio stream of an SDP body: where to send, and the payload types it uses. */
function remoteMedia(body: string): { address: string; port: number; audioPt: number | undefined; eventPt: number | undefined } | undefined {
  const m = parseSdp(body).find((x) => x.media === 'audio' && x.port > 0);
  if (m === undefined || m.address === undefined) return undefined;
  const audio = m.payloadTypes.find((p) => (VERIFY_CODECS as readonly string[]).includes(p.encoding.toUpperCase()));
  const event = m.payloadTypes.find((p) => p.encoding.toLowerCase() === 'telephone-event');
  return { address: m.address, port: m.port, audioPt: audio?.payloadType, eventPt: event?.payloadType };
}

async function bindUdp(address: string): Promise<Socket> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

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
  /** A decoding port per codec, made at its first packet (G.722's state runs from packet to packet). */
  readonly #ports = new Map<VerifyCodec, CodecPort>();
  /** A sub-band codec's bands of one payload (the lower band is kept). */
  readonly #lower = new Int16Array(FRAME * 6);
  readonly #upper = new Int16Array(FRAME * 6);

  constructor(durationMs: number) {
    this.#pcm = new Int16Array(Math.ceil(((durationMs + 2000) * RATE) / 1000));
  }

  #now(): number | undefined {
    return this.startedAt === undefined ? undefined : performance.now() - this.startedAt;
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
    }
    const payload = bytes.subarray(bounds.start, bounds.end);
    const n = payload.length;
    let port = this.#ports.get(codec);
    if (port === undefined) this.#ports.set(codec, (port = createCodecPort(codec)));
    const bands = port.bands;
    if (bands !== undefined) {
      // Decoded even when it falls outside the recording, so the decoder stays in step.
      if (n > this.#upper.length || bands.decodeBands(payload, this.#lower, this.#upper) !== n) return;
      if (at >= 0 && at + n <= this.#pcm.length) this.#pcm.set(this.#lower.subarray(0, n), at);
      return;
    }
    if (at < 0 || at + n > this.#pcm.length) return;
    port.decode(payload, this.#pcm.subarray(at, at + n));
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
    respond(200, { body: sdp(this.address, (socket.address() as AddressInfo).port, codec), contentType: 'application/sdp', headers: { contact: this.stack.contact('udp', 'agent') } });
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

/** One call from the caller's side: INVITE, then the plan on a 20 ms clock, then BYE. */
export class VerifyCaller {
  private constructor(
    readonly stack: SipStack,
    readonly address: string,
  ) {
    stack.onRequest((req, tx) => {
      if (tx !== undefined) tx.respond(req.method === 'BYE' || req.method === 'OPTIONS' ? 200 : 481);
    });
  }

  static async open(address: string): Promise<VerifyCaller> {
    return new VerifyCaller(await SipStack.listen({ address, port: 0, transports: ['udp'], trying100DelayMs: 0 }), address);
  }

  /** Places the call; resolves when it is answered and acknowledged. */
  async call(target: Destination, uri: string, codec: VerifyCodec): Promise<CallerCall> {
    const socket = await bindUdp(this.address);
    const port = (socket.address() as AddressInfo).port;
    const req = this.stack.createRequest({
      method: 'INVITE',
      uri,
      from: `"toneguard verify" <sip:verify@${this.address}:${this.stack.localAddress('udp')?.port ?? 0}>`,
      to: `<${uri}>`,
      contact: this.stack.contact('udp', 'verify'),
      body: sdp(this.address, port, codec),
      contentType: 'application/sdp',
    });
    const tx = this.stack.request(req, target);
    const res = await new Promise<SipResponse | undefined>((resolve) => {
      tx.on('final', resolve);
      tx.on('timeout', () => resolve(undefined));
    });
    const dialog = res !== undefined && res.status < 300 ? Dialog.fromUacResponse(req, res) : undefined;
    const remote = res === undefined ? undefined : remoteMedia(res.body.toString('utf8'));
    if (res === undefined || dialog === undefined || remote === undefined) {
      socket.close();
      throw new VerifyError('ECALL', res === undefined ? `INVITE to ${uri}: no answer` : `INVITE to ${uri}: ${res.status} ${res.reason}`);
    }
    tx.ack(dialog.createAck(parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? 1), dialog.nextHop() ?? target);
    return new CallerCall(this.stack, dialog, socket, { address: remote.address, port: remote.port }, codec, remote.eventPt ?? EVENT_PT);
  }

  close(): Promise<void> {
    return this.stack.close();
  }
}

export class CallerCall {
  #seq = 1000;
  #timer: NodeJS.Timeout | undefined;
  readonly #ssrc = 0x7e57ca11;
  readonly #keepalive: NodeJS.Timeout;
  readonly #encoder: FrameEncoder;

  constructor(
    readonly stack: SipStack,
    readonly dialog: Dialog,
    readonly socket: Socket,
    readonly remote: { address: string; port: number },
    readonly codec: VerifyCodec,
    readonly eventPt: number,
  ) {
    // Silence until the plan starts: a relay that waits for the caller's first packet starts.
    let ts = 0;
    this.#encoder = new FrameEncoder(codec);
    this.#keepalive = setInterval(() => {
      this.#send(STATIC_PT[codec], false, (ts += FRAME), this.#encoder.silence());
    }, 20);
  }

  #send(pt: number, marker: boolean, timestamp: number, payload: Uint8Array): void {
    this.socket.send(serializeRtp({ payloadType: pt, marker, sequence: this.#seq, timestamp: timestamp >>> 0, ssrc: this.#ssrc, payload }), this.remote.port, this.remote.address);
    this.#seq = (this.#seq + 1) & 0xffff;
  }

  /** Sends the plan in real time; `onStart` is called at its ms 0. Resolves when all is sent. */
  play(plan: CallerPlan, onStart: (at: number) => void): Promise<void> {
    clearInterval(this.#keepalive);
    const ticks = Math.ceil(plan.durationMs / 20);
    const base = 100_000;
    // Per 20 ms tick, the packets it sends.
    const perTick: { pt: number; marker: boolean; ts: number; payload: Uint8Array }[][] = Array.from({ length: ticks + 4 }, () => []);
    const replaced = new Set<number>();
    for (const e of plan.events) {
      const first = Math.round(e.startMs / 20);
      const samples = Math.round((e.durationMs * RATE) / 1000);
      const packets = planDigitPackets(e.digit, base + first * FRAME, samples, FRAME);
      const updates = packets.filter((p) => (p.payload[1] & 0x80) === 0);
      const ends = packets.filter((p) => (p.payload[1] & 0x80) !== 0);
      updates.forEach((p, i) => perTick[first + i]?.push({ pt: this.eventPt, marker: p.marker, ts: p.timestamp, payload: p.payload }));
      for (const p of ends) perTick[first + updates.length]?.push({ pt: this.eventPt, marker: p.marker, ts: p.timestamp, payload: p.payload });
      if (!e.keepAudio) for (let k = first; k < first + Math.ceil(e.durationMs / 20); k++) replaced.add(k);
    }
    for (let k = 0; k < ticks; k++) {
      if (replaced.has(k)) continue;
      const payload = this.#encoder.encode(plan.pcm.subarray(k * FRAME, (k + 1) * FRAME));
      perTick[k].unshift({ pt: STATIC_PT[this.codec], marker: k === 0, ts: base + k * FRAME, payload });
    }
    const infos = [...plan.infos];
    return new Promise((resolve) => {
      const t0 = performance.now();
      onStart(t0);
      let k = 0;
      const tick = (): void => {
        const nowMs = performance.now() - t0;
        while (infos.length > 0 && infos[0].atMs <= nowMs) {
          const info = infos.shift();
          if (info !== undefined) this.#info(info.digit, info.durationMs);
        }
        for (const p of perTick[k] ?? []) this.#send(p.pt, p.marker, p.ts, p.payload);
        k++;
        if (k >= perTick.length) {
          resolve();
          return;
        }
        this.#timer = setTimeout(tick, Math.max(0, t0 + k * 20 - performance.now()));
      };
      tick();
    });
  }

  #info(digit: string, durationMs: number): void {
    const req = this.dialog.createRequest('INFO', { body: `Signal=${digit}\r\nDuration=${durationMs}\r\n`, contentType: 'application/dtmf-relay' });
    const dest = this.dialog.nextHop();
    if (dest !== undefined) this.stack.request(req, dest);
  }

  async hangUp(): Promise<void> {
    clearTimeout(this.#timer);
    clearInterval(this.#keepalive);
    const dest = this.dialog.nextHop();
    if (dest !== undefined) {
      const tx = this.stack.request(this.dialog.createRequest('BYE'), dest);
      await new Promise<void>((resolve) => {
        tx.on('final', () => resolve());
        tx.on('timeout', () => resolve());
      });
    }
    this.socket.close();
  }
}
