// Scripted SIP peers for the B2BUA tests, on the project's own SIP stack over UDP loopback: a
// caller (UAC of the first leg) and a PBX (UAS of the second leg), each recording what it got.
import { once } from 'node:events';
import { Dialog, SipStack, parseCSeq, type ClientTransaction, type Destination, type MessageOptions, type ServerTransaction, type SipRequest, type SipResponse } from '../../src/sip/sip-stack.js';

export const FAST_TIMERS = { T1: 50, T2: 400, T4: 500 };

export function sdpBody(port: number, options: { address?: string; codecs?: string; attrs?: string[]; profile?: string } = {}): string {
  const address = options.address ?? '127.0.0.1';
  const lines = [
    'v=0',
    `o=peer 1 1 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} ${options.profile ?? 'RTP/AVP'} ${options.codecs ?? '0 8 101'}`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    ...(options.attrs ?? ['a=sendrecv']),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

interface Received {
  readonly req: SipRequest;
  readonly tx: ServerTransaction | undefined;
}

/** A UA on its own stack, handing requests to a replaceable handler and queueing them. */
export class Peer {
  readonly received: Received[] = [];
  handler: ((req: SipRequest, tx: ServerTransaction | undefined) => void) | undefined;
  private waiters: { method: string; resolve: (r: Received) => void }[] = [];
  readonly dialogs = new Map<string, Dialog>();

  private constructor(readonly stack: SipStack) {
    stack.onRequest((req, tx) => {
      const r = { req, tx };
      this.received.push(r);
      const dialog = this.dialogFor(req);
      if (dialog !== undefined && req.method !== 'ACK') dialog.acceptRemote(req);
      const w = this.waiters.findIndex((x) => x.method === req.method);
      if (this.handler !== undefined) this.handler(req, tx);
      else this.defaultHandler(req, tx);
      if (w >= 0) this.waiters.splice(w, 1)[0].resolve(r);
    });
  }

  static async start(port = 0, timers: { T1: number; T2: number; T4: number } = FAST_TIMERS): Promise<Peer> {
    return new Peer(await SipStack.listen({ address: '127.0.0.1', port, transports: ['udp'], timers, trying100DelayMs: 0 }));
  }

  get port(): number {
    return this.stack.localAddress('udp')?.port ?? 0;
  }

  get uri(): string {
    return `sip:127.0.0.1:${this.port}`;
  }

  get destination(): Destination {
    return { transport: 'udp', address: '127.0.0.1', port: this.port };
  }

  dialogFor(req: SipRequest): Dialog | undefined {
    return [...this.dialogs.values()].find((d) => d.matches(req));
  }

  /** Default: answer in-dialog BYE/INFO/NOTIFY/REFER/OPTIONS with 200 (REFER 202). */
  defaultHandler(req: SipRequest, tx: ServerTransaction | undefined): void {
    if (tx === undefined) return;
    if (req.method === 'REFER') tx.respond(202);
    else if (req.method === 'INVITE') tx.respond(200, undefined, { body: sdpBody(this.port + 1000), contentType: 'application/sdp', headers: { contact: this.stack.contact('udp', 'peer') } });
    else tx.respond(200);
  }

  next(method: string, timeoutMs = 3000): Promise<Received> {
    const have = this.received.find((r) => r.req.method === method && !this.taken.has(r));
    if (have !== undefined) {
      this.taken.add(have);
      return Promise.resolve(have);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        method,
        resolve: (r) => {
          clearTimeout(timer);
          this.taken.add(r);
          resolve(r);
        },
      });
    });
  }

  private readonly taken = new Set<Received>();

  /** Sends an INVITE out of dialog; collects responses; ACKs a 2xx (dialog kept). */
  invite(target: Destination, uri: string, options: MessageOptions & { from?: string; ackBody?: string } = {}): OutgoingCall {
    const req = this.stack.createRequest({
      method: 'INVITE',
      uri,
      from: options.from ?? `"Alice" <sip:alice@127.0.0.1:${this.port}>`,
      to: `<${uri}>`,
      contact: this.stack.contact('udp', 'peer'),
      headers: options.headers,
      body: options.body,
      contentType: options.body === undefined ? undefined : (options.contentType ?? 'application/sdp'),
    });
    const ctx = this.stack.request(req, target);
    return new OutgoingCall(this, req, ctx, target, options.ackBody);
  }

  /** Sends a request in a dialog and waits for its final response. */
  async request(dialog: Dialog, method: string, options?: MessageOptions): Promise<SipResponse | undefined> {
    const req = dialog.createRequest(method, options);
    const dest = dialog.nextHop() as Destination;
    const ctx = this.stack.request(req, dest);
    return new Promise((resolve) => {
      ctx.on('final', (res) => {
        if (method === 'INVITE' && res.status < 300) ctx.ack(dialog.createAck(parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? 1), dest);
        resolve(res);
      });
      ctx.on('timeout', () => resolve(undefined));
    });
  }

  close(): Promise<void> {
    return this.stack.close();
  }
}

export class OutgoingCall {
  readonly responses: SipResponse[] = [];
  dialog: Dialog | undefined;
  readonly final: Promise<SipResponse>;

  constructor(
    private readonly peer: Peer,
    readonly request: SipRequest,
    readonly ctx: ClientTransaction,
    target: Destination,
    ackBody?: string,
  ) {
    ctx.on('provisional', (res) => this.responses.push(res));
    this.final = new Promise((resolve, reject) => {
      ctx.on('final', (res) => {
        this.responses.push(res);
        if (res.status < 300) {
          const dialog = Dialog.fromUacResponse(request, res);
          if (dialog !== undefined) {
            this.dialog = dialog;
            peer.dialogs.set(dialog.id, dialog);
            const seq = parseCSeq(request.headers.get('cseq') ?? '')?.seq ?? 1;
            const ack = dialog.createAck(seq, ackBody === undefined ? undefined : { body: ackBody, contentType: 'application/sdp' });
            ctx.ack(ack, dialog.nextHop() ?? target);
          }
        }
        resolve(res);
      });
      ctx.on('timeout', () => reject(new Error('INVITE timed out')));
    });
  }

  async provisional(status: number, timeoutMs = 3000): Promise<SipResponse> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = this.responses.find((x) => x.status === status);
      if (r !== undefined) return r;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${status}`);
  }
}

/** The PBX answers an INVITE by script; keeps the UAS dialog so it can send BYE, re-INVITE, REFER. */
export function answerInvite(peer: Peer, req: SipRequest, tx: ServerTransaction, status: number, options: MessageOptions = {}): Dialog | undefined {
  const contact = peer.stack.contact('udp', 'pbx');
  tx.respond(status, undefined, { ...options, headers: { contact, ...options.headers } });
  if (status >= 300 || status < 101) return undefined;
  const dialog = Dialog.fromUasRequest(req, tx.toTag, contact, status < 200 ? 'early' : 'confirmed');
  if (dialog !== undefined) peer.dialogs.set(dialog.id, dialog);
  return dialog;
}

export async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export { once };
