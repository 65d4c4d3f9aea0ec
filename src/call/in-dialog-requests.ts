// What a request inside one of a call's dialogs gets (the manager matched its Call-ID and our
// tag). Anything that does not match the dialog fully (remote tag, and the peer's address over
// UDP) gets 481 and changes nothing: no CSeq, no media, no state; then CSeq order (RFC 3261
// §12.2.2), then one answer per method. A caller's SIP INFO DTMF key reaches the media (which
// clamps it like an RTP key); INFO, NOTIFY, REFER and MESSAGE cross into the other leg through
// in-dialog-relay.ts, where secure mode answers the caller's here instead (fail closed).
import type { LegName, MediaSession } from '../media/media-session.js';
import type { Destination, ServerTransaction, SipRequest } from '../sip/sip-stack.js';
import { ALLOWED_METHODS, infoDigit, SDP } from './call-messages.js';
import { relayInDialog } from './in-dialog-relay.js';
import type { ResultTransfer } from './result-transfer.js';
import { onSessionModification, type ModifiableCall } from './session-modification.js';

/** What in-dialog handling needs of its call. */
export interface InDialogCall extends ModifiableCall {
  /** Endpoint mode: a NOTIFY reports on the transfer. */
  readonly transfer: ResultTransfer;
  /** The caller's ACK to our 2xx (it may carry the answer to an offer in our 200). */
  callerAck(ack: SipRequest): void;
  /** The leg's peer hung up (its BYE is answered). */
  bye(leg: LegName): void;
  /** A log line (no SIP content, no card data). */
  warn(message: string): void;
}

interface MediaWithInfoDigits {
  /** A SIP INFO key; `atMs` its arrival (wall clock), for merging with the same key seen in the RTP. */
  injectSipInfoDigit(digit: string, atMs: number): void;
}

function hasInfoDigits(media: MediaSession): media is MediaSession & MediaWithInfoDigits {
  return typeof (media as Partial<MediaWithInfoDigits>).injectSipInfoDigit === 'function';
}

/** A request in the `legName` dialog of `call`, from `source`; `tx` undefined for an ACK. */
export function handleInDialog(call: InDialogCall, legName: LegName, req: SipRequest, tx: ServerTransaction | undefined, source: Destination): void {
  const leg = call.leg(legName);
  if (!leg.owns(req, source)) {
    tx?.respond(481);
    return;
  }
  if (req.method === 'ACK') {
    // The stack stops the 2xx retransmissions; an answer to our offer may ride on it.
    if (legName === 'caller') call.callerAck(req);
    return;
  }
  if (tx === undefined) return;
  const dialog = leg.dialog;
  if (dialog === undefined || dialog.state === 'terminated' || call.state === 'ended') {
    tx.respond(481);
    return;
  }
  if (!dialog.acceptRemote(req)) {
    tx.respond(500, 'CSeq Out Of Order');
    return;
  }
  switch (req.method) {
    case 'BYE':
      tx.respond(200);
      call.bye(legName);
      return;
    case 'INVITE':
    case 'UPDATE':
      onSessionModification(call, legName, req, tx);
      return;
    case 'OPTIONS':
      tx.respond(200, undefined, { headers: { allow: ALLOWED_METHODS, accept: SDP } });
      return;
    case 'INFO':
      onInfo(call, legName, req, tx);
      return;
    case 'NOTIFY':
      if (call.mode === 'endpoint') call.transfer.onNotify(req, tx);
      else relay(call, legName, req, tx);
      return;
    case 'REFER':
    case 'MESSAGE':
      if (call.mode === 'endpoint') tx.respond(603);
      else relay(call, legName, req, tx);
      return;
    default:
      tx.respond(501, undefined, { headers: { allow: ALLOWED_METHODS } });
  }
}

/** Into the other leg (in-dialog-relay.ts), under secure mode as it is now. */
function relay(call: InDialogCall, from: LegName, req: SipRequest, tx: ServerTransaction): void {
  const to = call.leg(from === 'caller' ? 'agent' : 'caller');
  call.guard(relayInDialog(req, tx, { from, to, secure: call.media.secure, warn: (message) => call.warn(message) }), tx);
}

function onInfo(call: InDialogCall, from: LegName, req: SipRequest, tx: ServerTransaction): void {
  if (from === 'caller') {
    const digit = infoDigit(req);
    if (digit !== undefined && hasInfoDigits(call.media)) call.media.injectSipInfoDigit(digit, Date.now());
  }
  if (call.mode === 'endpoint') {
    tx.respond(200);
    return;
  }
  // Secure mode: relay() answers it here whatever its content type (fail closed).
  relay(call, from, req, tx);
}
