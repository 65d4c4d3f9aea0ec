// Returning the caller with the payment result by blind transfer (endpoint mode; lifetime: the
// call's). RFC 3515: a REFER to the caller whose Refer-To carries the result as URI headers, so
// the transferee's INVITE carries them; the same fields ride on the REFER itself for a PBX that
// transfers locally instead (Asterisk's blind transfer keeps only the Refer-To user part and
// reads them with GET_TRANSFERRER_DATA). The outcome is the final status in a NOTIFY's
// message/sipfrag body (§2.4.5), or a failure after TRANSFER_TIMEOUT_MS.
import type { ServerTransaction, SipRequest } from '../sip/sip-stack.js';
import { sipfragFinalStatus } from './call-messages.js';
import type { Leg } from './leg.js';
import { referToWithHeaders, resultHeaderFields, type PaymentResultHeaders } from './payment-headers.js';

/** How long we wait for the NOTIFY that ends a transfer (RFC 3515 §2.4.5), ms. */
const TRANSFER_TIMEOUT_MS = 32_000;

/** What a transfer needs of its call. */
export interface TransferHost {
  /** The leg the REFER goes on (the caller's). */
  readonly caller: Leg;
  /** Our Contact (Referred-By). */
  readonly contact: string;
  /** The transfer succeeded: the call ends as `transferred`. */
  transferred(): void;
  contained<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void;
}

export class ResultTransfer {
  private waiter: ((ok: boolean) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: TransferHost) {}

  /** Whether a transfer awaits its outcome. */
  get pending(): boolean {
    return this.waiter !== undefined;
  }

  /** Sends the REFER; resolves true when the transfer succeeded (the call then ends), false when refused or failed. */
  async start(targetUri: string, result: PaymentResultHeaders): Promise<boolean> {
    const fields = resultHeaderFields(result);
    const referTo = referToWithHeaders(targetUri, fields);
    const done = new Promise<boolean>((resolve) => {
      this.waiter = resolve;
      this.timer = setTimeout(
        this.host.contained(() => this.finish(false)),
        TRANSFER_TIMEOUT_MS,
      );
    });
    const res = await this.host.caller.request('REFER', { headers: { ...Object.fromEntries(fields), 'refer-to': referTo, 'referred-by': this.host.contact } });
    if (res === undefined || res.status >= 300) this.finish(false);
    return done;
  }

  /** A NOTIFY in the caller's dialog: 200, and a final sipfrag status settles a pending transfer. */
  onNotify(req: SipRequest, tx: ServerTransaction): void {
    tx.respond(200);
    const status = sipfragFinalStatus(req);
    if (status === undefined || this.waiter === undefined) return;
    this.finish(status < 300);
  }

  /** Settles the transfer (the call ending settles a pending one as failed). */
  finish(ok: boolean): void {
    clearTimeout(this.timer);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(ok);
    if (ok) this.host.transferred();
  }
}
