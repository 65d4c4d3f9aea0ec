// One side of a call as SIP sees it: the dialog with the caller (we are its UAS) or with the PBX
// (we are its UAC), and sending requests in it (RFC 3261 §12.2.1.1) with their final response.
import type { LegName } from '../media/media-session.js';
import { parseCSeq, type Destination, type Dialog, type MessageOptions, type SipResponse, type SipStack } from '../sip/sip-stack.js';

export class Leg {
  dialog: Dialog | undefined;

  constructor(
    readonly name: LegName,
    private readonly stack: SipStack,
    /** Where requests go when the dialog gives no next hop (the address the peer sent from). */
    private readonly fallback: Destination,
  ) {}

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
