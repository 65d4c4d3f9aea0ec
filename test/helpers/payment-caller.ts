// A scripted caller for end-to-end payment calls: a SIP UA on the project's own stack (UDP) and,
// per call, a UDP RTP endpoint that sends PCMU 20 ms frames (µ-law silence) and keys as RFC 4733
// telephone events (src/rtp/rfc4733.ts planDigitPackets, §2.5.1: updates every 20 ms, three end
// packets) in place of the audio they cover. It answers the payment's REFER with 202 and a
// NOTIFY (sipfrag 200, RFC 3515 §2.4.5) and a BYE with 200, and can hang up (BYE) whenever the
// script says. What it learns (the X-Payment-* result headers of the REFER's Refer-To or of the
// BYE) is kept on the call.
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { encodeUlaw } from '../../native-free-dsp/g711.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { plainAudioSdp } from '../../src/sip/sdp.js';
import { parseSdp } from '../../src/sip/sdp.js';
import { Dialog, SipStack, parseCSeq, type Destination, type SipRequest, type SipResponse } from '../../src/sip/sip-stack.js';

const FAST_TIMERS = { T1: 100, T2: 800, T4: 1000 };
const PCMU_SILENCE = 0xff;
const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
const EVENT_PT = 101;

export type CallEnd =
  /** toneguard sent a BYE (result headers on it, or none after a transfer). */
  | { readonly by: 'remote-bye'; readonly headers: Readonly<Record<string, string>> }
  /** We hung up. */
  | { readonly by: 'local-bye'; readonly status: number };

function sdpOffer(port: number): string {
  return plainAudioSdp('127.0.0.1', port, [{ payloadType: 0, encoding: 'PCMU' }], EVENT_PT);
}

/** The RTP address of an SDP answer (session or media c=, first audio m=). */
function answerAddress(sdp: string): { address: string; port: number } | undefined {
  const m = parseSdp(sdp)?.media.find((x) => x.media === 'audio');
  return m === undefined || m.address === undefined ? undefined : { address: m.address, port: m.port };
}

/** X-Payment-* headers of a URI's header part (`?X-Payment-Result=success&...`), unescaped. */
export function uriPaymentHeaders(uri: string): Record<string, string> {
  const out: Record<string, string> = {};
  const q = uri.replace(/^<|>$/g, '').split('?')[1];
  if (q === undefined) return out;
  for (const part of q.split('&')) {
    const [name, value = ''] = part.split('=');
    out[decodeURIComponent(name)] = decodeURIComponent(value);
  }
  return out;
}

function paymentHeaders(req: SipRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['X-Payment-Result', 'X-Payment-Transaction-Id', 'X-Payment-Card-Last4', 'X-Payment-Card-Type', 'X-Payment-Amount', 'X-Payment-Currency', 'X-Payment-Reason']) {
    const v = req.headers.get(name.toLowerCase());
    if (v !== undefined) out[name] = v;
  }
  return out;
}

async function bindUdp(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/** The RTP side of one call: a 20 ms packet clock, audio frames unless a key is being sent. */
class RtpSender {
  readonly #socket: Socket;
  #remote: { address: string; port: number } | undefined;
  #seq = Math.floor(Math.random() * 30000);
  #ts = Math.floor(Math.random() * 1e6);
  readonly #ssrc = Math.floor(Math.random() * 0xffffffff) >>> 0;
  #timer: NodeJS.Timeout | undefined;
  /** Packets waiting for their tick (each entry is what one tick sends). */
  readonly #queue: { payloadType: number; marker: boolean; timestamp: number; payload: Uint8Array }[][] = [];
  readonly #drained: (() => void)[] = [];
  #first = true;
  received = 0;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', () => {
      this.received += 1;
    });
  }

  get port(): number {
    return (this.#socket.address() as AddressInfo).port;
  }

  start(remote: { address: string; port: number }): void {
    this.#remote = remote;
    const t0 = performance.now();
    let ticks = 0;
    // Self-correcting 20 ms clock: a late tick is followed by a shorter wait.
    const tick = (): void => {
      this.#tick();
      ticks += 1;
      this.#timer = setTimeout(tick, Math.max(0, t0 + (ticks + 1) * 20 - performance.now()));
    };
    tick();
  }

  /** Queues keys (each `durationMs` long, `gapMs` of audio after it); resolves once all are sent. */
  keys(digits: string, durationMs = 100, gapMs = 60): Promise<void> {
    const durationSamples = Math.round(durationMs / 20) * FRAME_SAMPLES;
    const gapTicks = Math.max(1, Math.round(gapMs / 20));
    // Timestamps are assigned when a key's first packet goes out (see #tick).
    for (const d of digits) {
      const plan = planDigitPackets(d as DtmfDigit, 0, durationSamples);
      const updates = plan.filter((p) => !(p.payload[1] & 0x80));
      const ends = plan.filter((p) => (p.payload[1] & 0x80) !== 0);
      const ticks = updates.map((p) => [{ payloadType: EVENT_PT, marker: p.marker, timestamp: -1, payload: p.payload }]);
      ticks.push(ends.map((p) => ({ payloadType: EVENT_PT, marker: p.marker, timestamp: -1, payload: p.payload })));
      // the event covers durationSamples: the audio after it resumes at start + duration
      this.#queue.push(...ticks.map((group, i) => group.map((p) => ({ ...p, timestamp: i === 0 ? -2 : -1 }))));
      for (let g = 0; g < gapTicks; g++) this.#queue.push([]);
    }
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Queues 8 kHz speech as µ-law audio frames in place of silence; resolves once all are sent. */
  speak(pcm: Int16Array): Promise<void> {
    for (let at = 0; at < pcm.length; at += FRAME_SAMPLES) {
      const frame = new Int16Array(FRAME_SAMPLES);
      frame.set(pcm.subarray(at, Math.min(pcm.length, at + FRAME_SAMPLES)));
      const payload = new Uint8Array(FRAME_SAMPLES);
      encodeUlaw(frame, payload);
      this.#queue.push([{ payloadType: 0, marker: false, timestamp: -3, payload }]);
    }
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #eventStart = 0;

  #tick(): void {
    const remote = this.#remote;
    if (remote === undefined) return;
    const group = this.#queue.shift();
    if (group === undefined || group.length === 0) {
      this.#send({ payloadType: 0, marker: this.#first, timestamp: this.#ts, payload: new Uint8Array(FRAME_SAMPLES).fill(PCMU_SILENCE) });
      this.#first = false;
      this.#ts = (this.#ts + FRAME_SAMPLES) >>> 0;
    } else {
      if (group[0].timestamp === -2) this.#eventStart = this.#ts;
      // -3: an audio frame of speech, at the running timestamp.
      for (const p of group) this.#send({ ...p, timestamp: p.timestamp === -3 ? this.#ts : this.#eventStart });
      this.#ts = (this.#ts + FRAME_SAMPLES) >>> 0;
    }
    if (this.#queue.length === 0) for (const resolve of this.#drained.splice(0)) resolve();
  }

  #send(p: { payloadType: number; marker: boolean; timestamp: number; payload: Uint8Array }): void {
    const remote = this.#remote;
    if (remote === undefined) return;
    const bytes = serializeRtp({ payloadType: p.payloadType, marker: p.marker, sequence: this.#seq, timestamp: p.timestamp, ssrc: this.#ssrc, payload: p.payload });
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#socket.send(bytes, remote.port, remote.address);
  }

  #closed: Promise<void> | undefined;

  close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#remote = undefined;
    for (const resolve of this.#drained.splice(0)) resolve();
    this.#closed ??= new Promise((r) => this.#socket.close(() => r()));
    return this.#closed;
  }
}

export interface PlaceCallOptions {
  /** Where the INVITE goes (toneguard, or a proxy in front of it). */
  readonly target: Destination;
  /** Request-URI and To (e.g. sip:pay@127.0.0.1). */
  readonly uri: string;
  /** X-Payment-* input headers (docs/integration.md). */
  readonly headers?: Readonly<Record<string, string>>;
  /** RTP port of this call (0: ephemeral). */
  readonly rtpPort?: number;
}

/** One call placed by a PaymentCaller. */
export class PaymentCall {
  /** SIP Call-ID (toneguard's call id). */
  readonly callId: string;
  /** Result headers of the REFER's Refer-To, when toneguard transferred the call. */
  referHeaders: Record<string, string> | undefined;
  /** Refer-To target without its headers. */
  referTarget: string | undefined;
  /** The port of the instance that answered (from its Contact). */
  readonly answeredBy: number;
  readonly ended: Promise<CallEnd>;
  #resolveEnded!: (end: CallEnd) => void;
  #done = false;

  constructor(
    private readonly caller: PaymentCaller,
    readonly dialog: Dialog,
    private readonly rtp: RtpSender,
  ) {
    this.callId = dialog.callId;
    this.answeredBy = Number(/:(\d+)(?:[;>]|$)/.exec(dialog.remoteTarget)?.[1] ?? 0);
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
  }

  /** RTP packets received from toneguard (its prompts). */
  get rtpReceived(): number {
    return this.rtp.received;
  }

  /** Sends the keys as RFC 4733 events; resolves when the last packet has gone. */
  press(digits: string): Promise<void> {
    return this.rtp.keys(digits);
  }

  /** Sends 8 kHz speech as µ-law audio (20 ms frames); resolves when the last frame has gone. */
  speak(pcm: Int16Array): Promise<void> {
    return this.rtp.speak(pcm);
  }

  /** BYE now; resolves with the final status (0: no answer). */
  async hangUp(): Promise<number> {
    if (this.#done) return 0;
    this.#done = true;
    const res = await this.caller.inDialog(this.dialog, 'BYE');
    this.#finish({ by: 'local-bye', status: res?.status ?? 0 });
    return res?.status ?? 0;
  }

  /** @internal A request in this call's dialog. */
  onRequest(req: SipRequest, respond: (status: number) => void): void {
    switch (req.method) {
      case 'BYE':
        respond(200);
        this.#done = true;
        this.#finish({ by: 'remote-bye', headers: paymentHeaders(req) });
        return;
      case 'REFER': {
        const referTo = req.headers.get('refer-to') ?? '';
        this.referHeaders = uriPaymentHeaders(referTo);
        this.referTarget = referTo.replace(/^<|>$/g, '').split('?')[0];
        respond(202);
        // The transfer "succeeded" at once (we do not call the target): NOTIFY with a 200 sipfrag.
        void this.caller.inDialog(this.dialog, 'NOTIFY', {
          headers: { event: 'refer', 'subscription-state': 'terminated;reason=noresource' },
          body: 'SIP/2.0 200 OK\r\n',
          contentType: 'message/sipfrag;version=2.0',
        });
        return;
      }
      default:
        respond(200);
    }
  }

  #finish(end: CallEnd): void {
    void this.rtp.close().then(() => this.#resolveEnded(end));
  }

  /** Stops the media and forgets the call without signalling (test teardown). */
  async abandon(): Promise<void> {
    this.#done = true;
    await this.rtp.close();
  }
}

/** The UA: one SIP stack shared by every call it places. */
export class PaymentCaller {
  readonly #calls = new Map<string, PaymentCall>();

  private constructor(readonly stack: SipStack) {
    stack.onRequest((req, tx) => {
      const call = this.#calls.get(req.headers.get('call-id') ?? '');
      if (req.method === 'ACK' || tx === undefined) return;
      if (call === undefined || !call.dialog.matches(req)) {
        tx.respond(481);
        return;
      }
      call.dialog.acceptRemote(req);
      call.onRequest(req, (status) => tx.respond(status));
    });
  }

  /** `port`: the UA's SIP port on 127.0.0.1 (0: ephemeral). */
  static async open(port = 0): Promise<PaymentCaller> {
    return new PaymentCaller(await SipStack.listen({ address: '127.0.0.1', port, transports: ['udp'], timers: FAST_TIMERS, trying100DelayMs: 0 }));
  }

  get port(): number {
    return this.stack.localAddress('udp')?.port ?? 0;
  }

  /** Places a call; resolves once it is answered (2xx, ACK sent, RTP flowing); rejects on a final error. */
  async call(options: PlaceCallOptions): Promise<PaymentCall> {
    const rtp = new RtpSender(await bindUdp(options.rtpPort ?? 0));
    const req = this.stack.createRequest({
      method: 'INVITE',
      uri: options.uri,
      from: `"Payer" <sip:payer@127.0.0.1:${this.port}>`,
      to: `<${options.uri}>`,
      contact: this.stack.contact('udp', 'payer'),
      headers: { ...options.headers },
      body: sdpOffer(rtp.port),
      contentType: 'application/sdp',
    });
    const ctx = this.stack.request(req, options.target);
    let res: SipResponse;
    try {
      res = await new Promise<SipResponse>((resolve, reject) => {
        ctx.on('final', resolve);
        ctx.on('timeout', () => reject(new Error('INVITE timed out')));
      });
    } catch (error) {
      await rtp.close();
      throw error;
    }
    const dialog = res.status < 300 ? Dialog.fromUacResponse(req, res) : undefined;
    const remote = answerAddress(res.body.toString('utf8'));
    if (dialog === undefined || remote === undefined) {
      await rtp.close();
      throw Object.assign(new Error(`INVITE answered ${res.status}`), { status: res.status });
    }
    const seq = parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? 1;
    ctx.ack(dialog.createAck(seq), dialog.nextHop() ?? options.target);
    const call = new PaymentCall(this, dialog, rtp);
    this.#calls.set(call.callId, call);
    rtp.start(remote);
    return call;
  }

  /** OPTIONS out of dialog (a load balancer's probe): the final status, 0 without one. */
  async options(target: Destination): Promise<number> {
    const uri = `sip:${target.address}:${target.port}`;
    const req = this.stack.createRequest({ method: 'OPTIONS', uri, from: `<sip:probe@127.0.0.1:${this.port}>`, to: `<${uri}>` });
    const ctx = this.stack.request(req, target);
    return new Promise((resolve) => {
      ctx.on('final', (res) => resolve(res.status));
      ctx.on('timeout', () => resolve(0));
    });
  }

  /** @internal Sends an in-dialog request and waits for its final response. */
  inDialog(dialog: Dialog, method: string, options?: Parameters<Dialog['createRequest']>[1]): Promise<SipResponse | undefined> {
    const req = dialog.createRequest(method, options);
    const dest = dialog.nextHop();
    if (dest === undefined) return Promise.resolve(undefined);
    const ctx = this.stack.request(req, dest);
    return new Promise((resolve) => {
      ctx.on('final', resolve);
      ctx.on('timeout', () => resolve(undefined));
    });
  }

  async close(): Promise<void> {
    for (const call of this.#calls.values()) await call.abandon();
    await this.stack.close();
  }
}
