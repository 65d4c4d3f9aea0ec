// The caller end of a verify test call: a UAC that places the call to --target, then sends the
// plan's audio, RFC 4733 events and SIP INFO on a 20 ms clock, then hangs up.
import type { Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { planDigitPackets } from '../rtp/rfc4733.js';
import { serializeRtp } from '../rtp/rtp-packet.js';
import { Dialog, SipStack, parseCSeq, type Destination, type SipResponse } from '../sip/sip-stack.js';
import { VerifyError, type VerifyCodec } from './verify-error.js';
import { bindUdp, EVENT_PT, FRAME, FrameEncoder, remoteMedia, STATIC_PT, verifySdp } from './verify-media.js';
import { RATE, type CallerPlan } from './verify-plan.js';

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
      body: verifySdp(this.address, port, codec),
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
