// Dialog state (RFC 3261 §12): created by a UAC from a 1xx/2xx with a To tag (§12.1.2) or by a
// UAS from the request it answers (§12.1.1); builds in-dialog requests (§12.2.1.1) with the
// remote target as Request-URI and the route set as Route (loose routing, RFC 3261 §16.12).
import { parseCSeq, parseNameAddr, parseSipUri, tagOf } from './grammar.js';
import { applyOptions, SipHeaders, type MessageOptions, type SipRequest, type SipResponse } from './message-types.js';
import type { Destination, SipTransport } from './transaction.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogInit {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** Local and remote From/To values without tag (name-addr). */
  readonly localUri: string;
  readonly remoteUri: string;
  readonly localCSeq: number;
  readonly remoteCSeq: number | undefined;
  /** Remote Contact URI. */
  readonly remoteTarget: string;
  /** Route values in the order this side sends them. */
  readonly routeSet: readonly string[];
  readonly state: DialogState;
  /** Contact this side puts in its requests (name-addr). */
  readonly localContact?: string;
}

/** Removes the tag parameter from a To/From value. */
function withoutTag(value: string): string {
  return value.replace(/;\s*tag\s*=\s*[^;,\s]*/i, '');
}

function contactUri(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return parseNameAddr(value)?.uri;
}

export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  localCSeq: number;
  remoteCSeq: number | undefined;
  remoteTarget: string;
  routeSet: readonly string[];
  state: DialogState;
  localContact: string | undefined;

  constructor(init: DialogInit) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localCSeq = init.localCSeq;
    this.remoteCSeq = init.remoteCSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.state = init.state;
    this.localContact = init.localContact;
  }

  /** Dialog ID (§12): Call-ID, local tag, remote tag. */
  get id(): string {
    return `${this.callId};${this.localTag};${this.remoteTag}`;
  }

  /** UAC side, from the request sent and a 1xx (early) or 2xx (confirmed) with a To tag (§12.1.2). */
  static fromUacResponse(req: SipRequest, res: SipResponse): Dialog | undefined {
    const remoteTag = tagOf(res.headers.get('to'));
    const localTag = tagOf(req.headers.get('from'));
    if (remoteTag === undefined || localTag === undefined) return undefined;
    const cseq = parseCSeq(req.headers.get('cseq') ?? '');
    return new Dialog({
      callId: req.headers.get('call-id') ?? '',
      localTag,
      remoteTag,
      localUri: withoutTag(req.headers.get('from') ?? ''),
      remoteUri: withoutTag(res.headers.get('to') ?? ''),
      localCSeq: cseq?.seq ?? 1,
      remoteCSeq: undefined,
      remoteTarget: contactUri(res.headers.list('contact')[0]) ?? req.uri,
      routeSet: res.headers.list('record-route').reverse(),
      state: res.status >= 200 ? 'confirmed' : 'early',
      localContact: req.headers.get('contact'),
    });
  }

  /** UAS side, from the request answered and the To tag of the answer (§12.1.1). */
  static fromUasRequest(req: SipRequest, localTag: string, localContact?: string, state: DialogState = 'confirmed'): Dialog | undefined {
    const remoteTag = tagOf(req.headers.get('from'));
    if (remoteTag === undefined) return undefined;
    return new Dialog({
      callId: req.headers.get('call-id') ?? '',
      localTag,
      remoteTag,
      localUri: withoutTag(req.headers.get('to') ?? ''),
      remoteUri: withoutTag(req.headers.get('from') ?? ''),
      localCSeq: 0,
      remoteCSeq: parseCSeq(req.headers.get('cseq') ?? '')?.seq,
      remoteTarget: contactUri(req.headers.list('contact')[0]) ?? '',
      routeSet: req.headers.list('record-route'),
      state,
      localContact,
    });
  }

  /** Whether a request belongs to this dialog (Call-ID, and tags seen from this side). */
  matches(req: SipRequest): boolean {
    return req.headers.get('call-id') === this.callId && tagOf(req.headers.get('to')) === this.localTag && tagOf(req.headers.get('from')) === this.remoteTag;
  }

  /**
   * Checks an in-dialog request's CSeq (§12.2.2): lower than the last one is out of order (the
   * caller answers 500). Updates the remote CSeq and, for target refresh requests, the target.
   */
  acceptRemote(req: SipRequest): boolean {
    const seq = parseCSeq(req.headers.get('cseq') ?? '')?.seq;
    if (seq === undefined) return false;
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteCSeq !== undefined && seq <= this.remoteCSeq) return false;
      this.remoteCSeq = seq;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const target = contactUri(req.headers.list('contact')[0]);
      if (target !== undefined) this.remoteTarget = target;
    }
    return true;
  }

  /** A request in this dialog (§12.2.1.1); CSeq incremented except for ACK and CANCEL. */
  createRequest(method: string, options?: MessageOptions & { readonly cseq?: number }): SipRequest {
    const headers = new SipHeaders();
    for (const r of this.routeSet) headers.append('route', r);
    headers.append('max-forwards', '70');
    headers.append('from', `${this.localUri};tag=${this.localTag}`);
    headers.append('to', `${this.remoteUri};tag=${this.remoteTag}`);
    headers.append('call-id', this.callId);
    let seq: number;
    if (options?.cseq !== undefined) seq = options.cseq;
    else if (method === 'ACK' || method === 'CANCEL') seq = this.localCSeq;
    else seq = ++this.localCSeq;
    headers.append('cseq', `${seq} ${method}`);
    if (this.localContact !== undefined && method !== 'CANCEL' && method !== 'BYE') headers.append('contact', this.localContact);
    const body = applyOptions(headers, options);
    return { kind: 'request', method, uri: this.remoteTarget, headers, body };
  }

  /** The ACK for the 2xx of the INVITE with CSeq `inviteCSeq` (§13.2.2.4). */
  createAck(inviteCSeq: number, options?: MessageOptions): SipRequest {
    return this.createRequest('ACK', { ...options, cseq: inviteCSeq });
  }

  /** Where in-dialog requests go: the first route, else the remote target (no DNS: §8.1.2 simplified). */
  nextHop(defaultTransport: SipTransport = 'udp'): Destination | undefined {
    const first = this.routeSet[0];
    const uri = first === undefined ? this.remoteTarget : parseNameAddr(first)?.uri;
    return uri === undefined ? undefined : uriDestination(uri, defaultTransport);
  }
}

/** Host, port and transport of a SIP URI (transport param, sips -> TLS; default port 5060/5061). */
export function uriDestination(uri: string, defaultTransport: SipTransport = 'udp'): Destination | undefined {
  const u = parseSipUri(uri);
  if (u === undefined) return undefined;
  const param = u.params.get('transport')?.toLowerCase();
  const transport: SipTransport = u.scheme === 'sips' || param === 'tls' ? 'tls' : param === 'tcp' ? 'tcp' : param === 'udp' ? 'udp' : defaultTransport;
  const maddr = u.params.get('maddr');
  const host = maddr ?? u.host;
  return { transport, address: host.replace(/^\[|\]$/g, ''), port: u.port ?? (transport === 'tls' ? 5061 : 5060) };
}
