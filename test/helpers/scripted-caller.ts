// A scripted phone for the end-to-end tests: a SIP UA on the project's own stack (Peer) plus an
// RTP endpoint on a UDP socket that sends G.711 PCMU every 20 ms (silence, or queued audio), keys
// digits as RFC 4733 events (§2.5.1 packet plan), as in-band tones, or both at once, and records
// everything it receives (PCMU decoded to PCM, telephone-event packets counted). It answers REFER
// (202 + NOTIFY with a 200 sipfrag) and BYE, keeping the headers it got.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { decodeUlaw, encodeUlaw, ULAW_SILENCE } from '../../native-free-dsp/g711.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { generateDtmf } from '../../native-free-dsp/tone-generator.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { parseRtp, RtpParseError, serializeRtp } from '../../src/rtp/rtp-packet.js';
import type { Dialog, SipRequest } from '../../src/sip/sip-stack.js';
import { Peer, sdpBody, waitFor } from './call-sip-peers.js';

const FRAME = 160;
const EVENT_PT = 101;

export type KeyMode = 'rfc4733' | 'inband' | 'both';

/** One 20 ms tick of what to send: audio (PCMU payload) and/or telephone-event packets. */
interface Tick {
  readonly audio: Uint8Array | null;
  readonly events: readonly { readonly timestamp: number; readonly marker: boolean; readonly payload: Uint8Array }[];
}

export interface ReceivedPacket {
  readonly atMs: number;
  readonly payloadType: number;
  readonly payload: Uint8Array;
}

/** A UDP RTP endpoint: sends a 20 ms PCMU stream to `remote`, records what it receives. */
export class RtpEndpoint {
  readonly received: ReceivedPacket[] = [];
  remote: { address: string; port: number } | null = null;
  readonly #socket: Socket;
  readonly #ssrc = (Math.random() * 0xffffffff) >>> 0;
  #seq = Math.floor(Math.random() * 1000);
  #ts = Math.floor(Math.random() * 100000);
  /** Sample offset of the next audio frame, relative to #ts. */
  readonly #queue: Tick[] = [];
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  sentPackets = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (msg) => {
      const p = parseRtp(new Uint8Array(msg));
      if (p instanceof RtpParseError) return;
      this.received.push({ atMs: Date.now(), payloadType: p.payloadType, payload: p.payload.slice() });
    });
  }

  static async open(port: number): Promise<RtpEndpoint> {
    const socket = createSocket('udp4');
    socket.bind(port, '127.0.0.1');
    await once(socket, 'listening');
    return new RtpEndpoint(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Starts the 20 ms send clock to `remote`. */
  start(remote: { address: string; port: number }): void {
    this.remote = remote;
    if (this.#timer !== null) return;
    let next = Date.now();
    const tick = () => {
      // Catch up on timer lateness so the stream keeps 50 packets a second on average.
      const now = Date.now();
      while (next <= now) {
        this.#sendTick(this.#queue.shift() ?? { audio: null, events: [] });
        next += 20;
      }
      this.#timer = setTimeout(tick, Math.max(1, next - Date.now()));
    };
    tick();
  }

  #sendTick(t: Tick): void {
    if (this.remote === null) return;
    const payload = t.audio ?? new Uint8Array(FRAME).fill(ULAW_SILENCE);
    const send = (pt: number, marker: boolean, timestamp: number, body: Uint8Array) => {
      const bytes = serializeRtp({ payloadType: pt, marker, sequence: this.#seq++ & 0xffff, timestamp: timestamp >>> 0, ssrc: this.#ssrc, payload: body });
      this.#socket.send(bytes, this.remote?.port, this.remote?.address);
      this.sentPackets++;
    };
    // A sender sending events only stops audio for the digit (RFC 4733 §2.5.1.1 allows either).
    if (t.events.length === 0 || t.audio !== null) send(0, false, this.#ts, payload);
    for (const e of t.events) send(EVENT_PT, e.marker, e.timestamp, e.payload);
    this.#ts += FRAME;
  }

  /** Ticks still to send. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues linear PCM (8 kHz) as audio frames. */
  queueAudio(pcm: Int16Array): void {
    for (let off = 0; off < pcm.length; off += FRAME) {
      const frame = new Int16Array(FRAME);
      frame.set(pcm.subarray(off, Math.min(off + FRAME, pcm.length)));
      const payload = new Uint8Array(FRAME);
      encodeUlaw(frame, payload);
      this.#queue.push({ audio: payload, events: [] });
    }
  }

  queueSilence(ms: number): void {
    for (let i = 0; i < Math.ceil(ms / 20); i++) this.#queue.push({ audio: null, events: [] });
  }

  /**
   * Queues keys: each `toneMs` long (a multiple of 20), then `gapMs` of silence. RFC 4733 packets
   * carry the digit's start timestamp, computed from the ticks queued ahead of it.
   */
  queueKeys(keys: string, mode: KeyMode, toneMs = 100, gapMs = 100): void {
    for (const key of keys) {
      const digit = key as DtmfDigit;
      const ticks = Math.round(toneMs / 20);
      const startTs = (this.#ts + this.#queue.length * FRAME) >>> 0;
      const plan = mode === 'inband' ? [] : planDigitPackets(digit, startTs, ticks * FRAME);
      const tone = mode === 'rfc4733' ? null : generateDtmf({ digit, durationMs: ticks * 20 });
      for (let i = 0; i < ticks; i++) {
        let audio: Uint8Array | null = null;
        if (tone !== null) {
          audio = new Uint8Array(FRAME);
          encodeUlaw(tone.subarray(i * FRAME, (i + 1) * FRAME), audio);
        }
        // Updates one per tick; the last tick carries the three end packets.
        const events = plan.length === 0 ? [] : i < ticks - 1 ? [plan[i]] : plan.slice(ticks - 1);
        this.#queue.push({ audio, events });
      }
      this.queueSilence(gapMs);
    }
  }

  /** Resolves once everything queued has been sent. */
  async drained(timeoutMs = 30_000): Promise<void> {
    // A call that ends (BYE) closes the endpoint: what was left unsent no longer matters.
    await waitFor(() => this.#queue.length === 0 || this.#closed, timeoutMs);
  }

  /** Received audio (PCMU) decoded, in arrival order, from packets at or after `sinceMs`. */
  receivedPcm(sinceMs = 0, untilMs = Infinity): Int16Array {
    const audio = this.received.filter((p) => p.payloadType === 0 && p.atMs >= sinceMs && p.atMs <= untilMs);
    const out = new Int16Array(audio.reduce((n, p) => n + p.payload.length, 0));
    let off = 0;
    for (const p of audio) {
      decodeUlaw(p.payload, out.subarray(off, off + p.payload.length));
      off += p.payload.length;
    }
    return out;
  }

  /** Packets with speech-like energy (mean |sample| over 200: well above G.711 idle noise). */
  loudPackets(sinceMs = 0): number {
    let n = 0;
    const pcm = new Int16Array(FRAME);
    for (const p of this.received) {
      if (p.payloadType !== 0 || p.atMs < sinceMs || p.payload.length !== FRAME) continue;
      decodeUlaw(p.payload, pcm);
      let sum = 0;
      for (const s of pcm) sum += Math.abs(s);
      if (sum / FRAME > 200) n++;
    }
    return n;
  }

  eventPackets(sinceMs = 0, untilMs = Infinity): number {
    return this.received.filter((p) => p.payloadType === EVENT_PT && p.atMs >= sinceMs && p.atMs <= untilMs).length;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }
}

/** The address and port of the first audio stream of an SDP body. */
export function sdpAudioTarget(body: string): { address: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(body);
  const m = /^m=audio (\d+) /m.exec(body);
  if (c === null || m === null) throw new Error(`SDP without an audio target: ${body}`);
  return { address: c[1], port: Number(m[1]) };
}

/** The caller: INVITEs with an SDP offer for its RTP endpoint, answers REFER and BYE. */
export class ScriptedCaller {
  /** Refer-To of every REFER received. */
  readonly refers: string[] = [];
  /** Headers of the BYE received, if any. */
  bye: SipRequest | null = null;
  dialog: Dialog | undefined;
  /** Answer a REFER with NOTIFY 200 (true) or a failing sipfrag (false). */
  referOutcome: 'ok' | 'fail' = 'ok';

  private constructor(
    readonly peer: Peer,
    readonly rtp: RtpEndpoint,
  ) {
    peer.handler = (req, tx) => {
      if (req.method === 'REFER' && tx !== undefined) {
        this.refers.push(req.headers.get('refer-to') ?? '');
        tx.respond(202);
        const dialog = peer.dialogFor(req);
        const frag = this.referOutcome === 'ok' ? 'SIP/2.0 200 OK\r\n' : 'SIP/2.0 503 Service Unavailable\r\n';
        if (dialog !== undefined) {
          setTimeout(() => {
            void peer.request(dialog, 'NOTIFY', { headers: { event: 'refer', 'subscription-state': 'terminated;reason=noresource' }, body: frag, contentType: 'message/sipfrag;version=2.0' });
          }, 20);
        }
        return;
      }
      if (req.method === 'BYE') {
        this.bye = req;
        this.rtp.close();
      }
      peer.defaultHandler(req, tx);
    };
  }

  static async start(sipPort: number, rtpPort: number): Promise<ScriptedCaller> {
    // Timer B 16 s rather than 3.2 s: several servers start in one test process, and on a loaded
    // machine one may not answer the first INVITE within 3.2 s (seen once in CI).
    const peer = await Peer.start(sipPort, { T1: 250, T2: 2000, T4: 2500 });
    const rtp = await RtpEndpoint.open(rtpPort);
    return new ScriptedCaller(peer, rtp);
  }

  /** Dials `uri` at toneguard's SIP port; resolves with the final status once answered (RTP running). */
  async dial(toneguardPort: number, uri: string, headers: Readonly<Record<string, string>> = {}): Promise<number> {
    const call = this.peer.invite({ transport: 'udp', address: '127.0.0.1', port: toneguardPort }, uri, {
      headers: { ...headers },
      body: sdpBody(this.rtp.port),
    });
    const final = await call.final;
    if (final.status < 300) {
      this.dialog = call.dialog;
      this.rtp.start(sdpAudioTarget(final.body.toString()));
    }
    return final.status;
  }

  /** Hangs up (BYE) from the caller's side. */
  async hangup(): Promise<number | undefined> {
    if (this.dialog === undefined) return undefined;
    const res = await this.peer.request(this.dialog, 'BYE');
    this.rtp.close();
    return res?.status;
  }

  /** The X-Payment-* URI headers of the last REFER's Refer-To, decoded. */
  referHeaders(): Record<string, string> {
    const last = this.refers.at(-1);
    if (last === undefined) return {};
    const q = /\?([^>]*)>?$/.exec(last);
    const out: Record<string, string> = {};
    for (const pair of (q?.[1] ?? '').split('&')) {
      const [k, v] = pair.split('=');
      if (k) out[decodeURIComponent(k)] = decodeURIComponent(v ?? '');
    }
    return out;
  }

  /** X-Payment-* headers of the BYE received. */
  byeHeaders(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.bye === null) return out;
    for (const name of ['X-Payment-Result', 'X-Payment-Transaction-Id', 'X-Payment-Card-Last4', 'X-Payment-Card-Type', 'X-Payment-Amount', 'X-Payment-Currency', 'X-Payment-Reason']) {
      const v = this.bye.headers.get(name.toLowerCase());
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  async close(): Promise<void> {
    this.rtp.close();
    await this.peer.close();
  }
}
