// Minimal SIP peers over UDP for load-balancer tests (RFC 3261, just what a proxy in between
// needs to see): a caller that places calls (INVITE, ACK, BYE, following Record-Route) and a
// fake instance that answers them (OPTIONS, INVITE, ACK, BYE; 503 while it drains, like
// `toneguard serve` after SIGTERM). Not a SIP stack: no auth, no forking, no re-INVITE.
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface ParsedSip {
  readonly method?: string;
  readonly requestUri?: string;
  readonly status?: number;
  /** Lower-case header name -> values in order. */
  readonly headers: Map<string, string[]>;
  readonly body: string;
}

export function parseSip(text: string): ParsedSip | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = text.slice(0, end).split('\r\n');
  const headers = new Map<string, string[]>();
  const compact: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type' };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = compact[name] ?? name;
    const list = headers.get(name) ?? [];
    // Via and Record-Route may be comma-joined on one line (RFC 3261 §7.3.1).
    const value = line.slice(colon + 1).trim();
    list.push(...(name === 'via' || name === 'record-route' || name === 'route' ? value.split(/,(?=\s*(?:SIP\/|<))/).map((v) => v.trim()) : [value]));
    headers.set(name, list);
  }
  const body = text.slice(end + 4);
  const request = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(lines[0]);
  if (request) return { method: request[1], requestUri: request[2], headers, body };
  const status = /^SIP\/2\.0 (\d{3})/.exec(lines[0]);
  if (status) return { status: Number(status[1]), headers, body };
  return undefined;
}

function first(m: ParsedSip, name: string): string {
  return m.headers.get(name)?.[0] ?? '';
}

function token(): string {
  return randomBytes(6).toString('hex');
}

function uriOf(nameAddr: string): string {
  const m = /<([^>]+)>/.exec(nameAddr);
  return m ? m[1] : nameAddr.split(';')[0].trim();
}

function sdp(port: number): string {
  return [
    'v=0',
    `o=- ${port} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

function withBody(head: string[], body = '', contentType = 'application/sdp'): string {
  const headers = body ? [...head, `Content-Type: ${contentType}`] : head;
  return `${[...headers, `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`;
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

/** A UDP port free right now on 127.0.0.1 (for programs that need a port number up front). */
export async function freeUdpPort(): Promise<number> {
  const socket = await bindUdp(0);
  const { port } = socket.address() as AddressInfo;
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

export interface PlacedCall {
  readonly callId: string;
  /** Port of the instance that answered (from its Contact). */
  readonly answeredBy: number;
  /** INVITE sent to 200 received (ms). */
  readonly setupMs: number;
  hangUp(): Promise<number>;
}

/** The calling side: sends everything to the proxy and follows the Record-Route it sets. */
export class SipCaller {
  private readonly pending = new Map<string, (m: ParsedSip) => void>();

  private constructor(
    private readonly socket: Socket,
    private readonly proxyPort: number,
  ) {
    socket.on('message', (buf) => {
      const m = parseSip(buf.toString('latin1'));
      if (!m || m.status === undefined) return;
      const key = `${first(m, 'call-id')} ${first(m, 'cseq')}`;
      this.pending.get(key)?.(m);
    });
  }

  static async open(proxyPort: number): Promise<SipCaller> {
    return new SipCaller(await bindUdp(0), proxyPort);
  }

  get port(): number {
    return (this.socket.address() as AddressInfo).port;
  }

  /** Places one call to `sip:USER@127.0.0.1:proxyPort`; rejects on a final non-2xx or no answer. */
  async call(user = 'pay', timeoutMs = 8000): Promise<PlacedCall> {
    const callId = `${token()}@127.0.0.1`;
    const fromTag = token();
    const target = `sip:${user}@127.0.0.1:${this.proxyPort}`;
    const started = performance.now();
    const invite = withBody(
      [
        `INVITE ${target} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${token()};rport`,
        'Max-Forwards: 70',
        `From: <sip:caller@127.0.0.1>;tag=${fromTag}`,
        `To: <${target}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:caller@127.0.0.1:${this.port}>`,
      ],
      sdp(40000),
    );
    const ok = await this.transaction(`${callId} 1 INVITE`, invite, timeoutMs, true);
    if (ok.status === undefined || ok.status >= 300) throw new Error(`call ${callId}: ${ok.status ?? 'no'} final response`);
    const setupMs = performance.now() - started;
    const to = first(ok, 'to');
    const contact = uriOf(first(ok, 'contact'));
    const answeredBy = Number(/:(\d+)(?:[;>]|$)/.exec(contact)?.[1] ?? 0);
    // UAC route set: the Record-Route of the 2xx in reverse order (RFC 3261 §12.1.2).
    const routes = [...(ok.headers.get('record-route') ?? [])].reverse();
    const inDialog = (method: string, cseq: number) =>
      withBody([
        `${method} ${contact} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${token()};rport`,
        'Max-Forwards: 70',
        ...routes.map((r) => `Route: ${r}`),
        `From: <sip:caller@127.0.0.1>;tag=${fromTag}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
      ]);
    this.socket.send(inDialog('ACK', 1), this.proxyPort, '127.0.0.1');
    return {
      callId,
      answeredBy,
      setupMs,
      hangUp: async () => (await this.transaction(`${callId} 2 BYE`, inDialog('BYE', 2), timeoutMs, false)).status ?? 0,
    };
  }

  /** OPTIONS to the proxy itself (its keepalive): true on a 200 within timeoutMs. */
  async ping(timeoutMs = 1000): Promise<boolean> {
    const callId = `${token()}@127.0.0.1`;
    const request = withBody([
      `OPTIONS sip:127.0.0.1:${this.proxyPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${token()};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@127.0.0.1>;tag=${token()}`,
      `To: <sip:127.0.0.1:${this.proxyPort}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
    ]);
    try {
      return (await this.transaction(`${callId} 1 OPTIONS`, request, timeoutMs, false)).status === 200;
    } catch {
      return false;
    }
  }

  /** Sends a request (retransmitted every 500 ms until any response, RFC 3261 timer A) and waits for its final response. */
  private transaction(key: string, request: string, timeoutMs: number, invite: boolean): Promise<ParsedSip> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const send = () => this.socket.send(request, this.proxyPort, '127.0.0.1');
      const retransmit = setInterval(() => {
        if (!answered) send();
      }, 500);
      const timer = setTimeout(() => finish(new Error(`${key}: no final response in ${timeoutMs} ms`)), timeoutMs);
      const finish = (result: ParsedSip | Error) => {
        clearInterval(retransmit);
        clearTimeout(timer);
        this.pending.delete(key);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      this.pending.set(key, (m) => {
        answered = true;
        if ((m.status ?? 0) >= 200) {
          // The ACK of a non-2xx final response is hop-by-hop and the proxy's business upstream;
          // ours (to the proxy) is part of the transaction (RFC 3261 §17.1.1.3).
          if (invite && (m.status ?? 0) >= 300) {
            const ack = withBody(
              [
                request.split('\r\n')[0].replace('INVITE', 'ACK'),
                first(m, 'via') ? `Via: ${first(m, 'via')}` : '',
                `From: ${first(m, 'from')}`,
                `To: ${first(m, 'to')}`,
                `Call-ID: ${first(m, 'call-id')}`,
                'CSeq: 1 ACK',
                'Max-Forwards: 70',
              ].filter((l) => l !== ''),
            );
            this.socket.send(ack, this.proxyPort, '127.0.0.1');
          }
          finish(m);
        }
      });
      send();
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}

export type FakeInstanceState = 'up' | 'draining' | 'stopped';

/**
 * A stand-in for one `toneguard serve`: answers calls with 200 + SDP, keeps them until BYE,
 * answers OPTIONS 200. `drain()` is its SIGTERM: new INVITEs and OPTIONS get 503, calls in
 * progress go on to their BYE, then the socket closes (no more answers at all).
 */
export class FakeSipInstance {
  state: FakeInstanceState = 'up';
  answered = 0;
  refused = 0;
  options = 0;
  readonly active = new Set<string>();
  private readonly answers = new Map<string, string>();
  private stopped: Promise<void> | undefined;
  private resolveStopped: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('message', (buf, rinfo) => this.onMessage(buf.toString('latin1'), rinfo));
  }

  static async start(port: number): Promise<FakeSipInstance> {
    return new FakeSipInstance(await bindUdp(port));
  }

  get port(): number {
    return (this.socket.address() as AddressInfo).port;
  }

  /** Starts draining; resolves when the last call ended and the socket is closed. */
  drain(): Promise<void> {
    if (!this.stopped) {
      this.stopped = new Promise((resolve) => {
        this.resolveStopped = resolve;
      });
      this.state = 'draining';
      this.stopIfIdle();
    }
    return this.stopped;
  }

  async close(): Promise<void> {
    if (this.state !== 'stopped') {
      this.state = 'stopped';
      await new Promise<void>((r) => this.socket.close(() => r()));
    }
    this.resolveStopped?.();
  }

  private inFlight = 0;

  private send(text: string, rinfo: RemoteInfo): void {
    if (this.state === 'stopped') return;
    this.inFlight++;
    this.socket.send(text, rinfo.port, rinfo.address, () => {
      this.inFlight--;
      this.stopIfIdle();
    });
  }

  // Closing the socket with a send pending would drop it (the 200 to the last BYE).
  private stopIfIdle(): void {
    if (this.state === 'draining' && this.active.size === 0 && this.inFlight === 0) void this.close();
  }

  private reply(m: ParsedSip, rinfo: RemoteInfo, status: number, reason: string, extra: string[] = [], body = ''): string {
    const toTag = first(m, 'to').includes(';tag=') ? '' : `;tag=${this.port}${token()}`;
    const head = [
      `SIP/2.0 ${status} ${reason}`,
      ...(m.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${first(m, 'from')}`,
      `To: ${first(m, 'to')}${status > 100 ? toTag : ''}`,
      `Call-ID: ${first(m, 'call-id')}`,
      `CSeq: ${first(m, 'cseq')}`,
      ...extra,
    ];
    const text = withBody(head, body);
    this.send(text, rinfo);
    return text;
  }

  private onMessage(text: string, rinfo: RemoteInfo): void {
    const m = parseSip(text);
    if (!m?.method || this.state === 'stopped') return;
    const callId = first(m, 'call-id');
    switch (m.method) {
      case 'OPTIONS':
        this.options++;
        if (this.state === 'up') this.reply(m, rinfo, 200, 'OK', ['Allow: INVITE, ACK, BYE, CANCEL, OPTIONS']);
        else this.reply(m, rinfo, 503, 'Service Unavailable', ['Retry-After: 30']);
        return;
      case 'INVITE': {
        const retransmitted = this.answers.get(callId);
        if (retransmitted) {
          this.send(retransmitted, rinfo);
          return;
        }
        if (this.state !== 'up') {
          this.refused++;
          this.reply(m, rinfo, 503, 'Service Unavailable', ['Retry-After: 30']);
          return;
        }
        this.reply(m, rinfo, 100, 'Trying');
        this.answered++;
        this.active.add(callId);
        // The UAS copies Record-Route into its 2xx (RFC 3261 §12.1.1): in-dialog requests come back through the proxy.
        const rr = (m.headers.get('record-route') ?? []).map((r) => `Record-Route: ${r}`);
        this.answers.set(callId, this.reply(m, rinfo, 200, 'OK', [...rr, `Contact: <sip:toneguard@127.0.0.1:${this.port}>`], sdp(this.port + 10000)));
        return;
      }
      case 'ACK':
        return;
      case 'BYE':
        if (this.active.delete(callId)) this.reply(m, rinfo, 200, 'OK');
        else this.reply(m, rinfo, 481, 'Call/Transaction Does Not Exist');
        this.answers.delete(callId);
        this.stopIfIdle();
        return;
      default:
        this.reply(m, rinfo, 405, 'Method Not Allowed');
    }
  }
}
