// DTMF carried in SIP INFO bodies: `application/dtmf-relay` and its older `application/x-dtmf-relay`
// spelling (`Signal=5` / `Duration=160`, the Cisco format most gateways send), `application/dtmf`
// and `application/x-dtmf` (the digit alone, its event code, or the Signal= form), and
// `audio/telephone-event` (an RFC 4733 §2.3 event payload: the first byte is the event code).
import { isDtmfDigit, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { eventDigit } from '../rtp/rfc4733.js';
import { mediaTypeOf, type SipMessage } from './message-types.js';

export interface SipInfoDigit {
  readonly digit: DtmfDigit;
  /** ms, when the body gives one. */
  readonly durationMs: number | undefined;
}

/** A signal value: a keypad character, or 10-15 for * # A-D as some senders write it. */
function signalDigit(value: string): DtmfDigit | undefined {
  const v = value.trim().toUpperCase();
  if (v.length === 1 && isDtmfDigit(v)) return v;
  if (/^1[0-5]$/.test(v)) return eventDigit(Number(v));
  return undefined;
}

/** The key of a SIP INFO carrying DTMF (live or read from a capture, by the one SIP parser), else undefined. */
export function sipInfoDigit(message: SipMessage): SipInfoDigit | undefined {
  if (message.kind !== 'request' || message.method !== 'INFO') return undefined;
  const type = mediaTypeOf(message);
  // Latin-1: one character per byte, so no byte of a hostile body is lost to decoding.
  const body = message.body.toString('latin1');
  if (type === 'application/dtmf-relay' || type === 'application/x-dtmf-relay' || (type === 'application/x-dtmf' && body.includes('='))) {
    let digit: DtmfDigit | undefined;
    let durationMs: number | undefined;
    for (const line of body.split(/\r?\n/)) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim().toLowerCase();
      const value = line.slice(eq + 1);
      if (key === 'signal') digit = signalDigit(value);
      else if (key === 'duration' && /^\s*\d+\s*$/.test(value)) durationMs = Number(value);
    }
    return digit === undefined ? undefined : { digit, durationMs };
  }
  if (type === 'audio/telephone-event') {
    const code = message.body.length > 0 ? message.body[0] : -1;
    const digit = code >= 0 && code <= 15 ? eventDigit(code) : undefined;
    return digit === undefined ? undefined : { digit, durationMs: undefined };
  }
  if (type === 'application/dtmf' || type === 'application/x-dtmf') {
    const digit = signalDigit(body);
    return digit === undefined ? undefined : { digit, durationMs: undefined };
  }
  return undefined;
}
