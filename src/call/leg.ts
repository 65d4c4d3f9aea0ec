// One side of a call as SIP sees it: the dialog with the caller (we are its UAS) or with the PBX
// (we are its UAC), and sending requests in it (RFC 3261 §12.2.1.1) with their final response.
import type { LegName } from '../media/media-session.js';
import { parseAddress } from '../sip/cidr.js';
import { parseCSeq, uriDestination, type Destination, type Dialog, type MessageOptions, type SipRequest, type SipResponse, type SipStack } from '../sip/sip-stack.js';

export class Leg {
  dialog: Dialog | undefined;

  constructor(
    readonly name: LegName,
    private readonly stack: SipStack,
    /** Where requests go when the dialog gives no next hop (the address the peer sent from). */
    private readonly fallback: Destination,
  ) {
    this.peerAddress = fallback.address;
  }

  /** Address the dialog was set up with (the caller's INVITE source; the PBX we sent ours to). */
  peerAddress: string;

  /**
   * Whether an in-dialog request belongs to this leg (RFC 3261 §12.2.2): Call-ID and both tags,
   * and over UDP (where a source address costs nothing to forge, but a reply to it still goes to
   * the real peer) it must come from the peer the dialog was set up with or its remote target.
   */
  owns(req: SipRequest, source: Destination): boolean {
    const dialog = this.dialog;
    if (dialog === undefined || !dialog.matches(req)) return false;
    // A peer configured by name cannot be compared with a source address: the tags decide.
    if (source.transport !== 'udp' || parseAddress(this.peerAddress) === undefined) return true;
    return sameAddress(source.address, this.peerAddress) || sameAddress(source.address, uriDestination(dialog.remoteTarget)?.address);
  }

  /**
   * Sends a request in the dialog; resolves with the final response, or undefined on timeout,
   * transport error or no dialog. A 2xx to INVITE is ACKed here (§13.2.2.4).
   */
  request(method: string, options?: MessageOptions): Promise<SipResponse | undefined> {
    const dialog = this.dialog;
    if (dialog === undefined || dialog.state === 'terminated') return Promise.resolve(undefined);
    const req = dialog.createRequest(method, options);
    const destination = dialog.nextHop(this.fallback.transport) ?? this.fallback;
    const ctx = this.stack.request(req, destination);
    return new Promise((resolve) => {
      ctx.on('final', (res) => {
        if (method === 'INVITE' && res.status < 300) {
          const seq = parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? dialog.localCSeq;
          ctx.ack(dialog.createAck(seq), destination);
        }
        resolve(res);
      });
      ctx.on('timeout', () => resolve(undefined));
      ctx.on('transportError', () => resolve(undefined));
      ctx.on('terminated', () => resolve(undefined));
    });
  }
}

/** The same IP address, whatever its spelling (IPv6 compression, IPv4-mapped IPv6). */
function sameAddress(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}
