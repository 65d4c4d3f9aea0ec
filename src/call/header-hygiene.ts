// What of the caller's signalling may reach the PBX. The PBX trusts toneguard's address, so a
// header toneguard relays carries toneguard's authority: the payment result vocabulary
// (`X-Payment-*`) and toneguard's own `X-Toneguard-*` are never taken from a caller and handed on
// (a forged `X-Payment-Result: success` must not reach an IVR), and asserted identities
// (RFC 3325 trust domain) pass only from sources the operator named.
import { unescape } from '../sip/grammar.js';

/** Header names only toneguard itself may send towards the PBX or IVR. */
const RESERVED = /^x-(payment|toneguard)-/i;

/** RFC 3325 §9.1 and the older Remote-Party-ID: identity the PBX may act on. */
const IDENTITY = /^(p-asserted-identity|p-preferred-identity|remote-party-id)$/i;

/** Caller INVITE headers worth carrying to the PBX (integration data, diversion, privacy). */
const COPIED = /^(privacy|diversion|history-info|user-to-user|x-.*)$/i;

export function isReservedHeader(name: string): boolean {
  return RESERVED.test(name.trim());
}

/**
 * The caller INVITE's header fields that go into the INVITE to the PBX, by lower-case name.
 * `identityTrusted`: the INVITE came from a source in `sip.trustedIdentitySources`.
 */
export function headersForUpstream(fields: Iterable<{ readonly key: string; readonly value: string }>, identityTrusted: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { key, value } of fields) {
    const name = key.toLowerCase();
    if (isReservedHeader(name)) continue;
    if (!(COPIED.test(name) || (identityTrusted && IDENTITY.test(name)))) continue;
    (out[name] ??= []).push(value);
  }
  return out;
}

export type ReferToCheck = { readonly ok: true; readonly value: string; readonly stripped: number } | { readonly ok: false; readonly reason: string };

/**
 * A caller's Refer-To with reserved URI headers (RFC 3261 §19.1.5: they become header fields of
 * the transferee's INVITE) removed. Names are compared unescaped, so `X%2DPayment-Result` is
 * caught too. A value we cannot take apart but that mentions a reserved name is refused.
 */
export function referToWithoutReservedHeaders(referTo: string): ReferToCheck {
  const open = referTo.indexOf('<');
  const close = open < 0 ? -1 : referTo.indexOf('>', open + 1);
  if (open < 0 || close < 0) {
    // Without angle brackets a URI cannot carry headers (§20: `?` needs <>): anything that
    // still looks like one is not ours to interpret.
    return /x(-|%2d)(payment|toneguard)(-|%2d)/i.test(referTo) ? { ok: false, reason: 'unbracketed Refer-To naming a reserved header' } : { ok: true, value: referTo, stripped: 0 };
  }
  const uri = referTo.slice(open + 1, close);
  const q = uri.indexOf('?');
  if (q < 0) return { ok: true, value: referTo, stripped: 0 };
  const kept: string[] = [];
  let stripped = 0;
  for (const item of uri.slice(q + 1).split('&')) {
    const name = unescape(item.split('=')[0] ?? '');
    if (isReservedHeader(name)) stripped += 1;
    else if (item !== '') kept.push(item);
  }
  if (stripped === 0) return { ok: true, value: referTo, stripped: 0 };
  const base = uri.slice(0, q);
  const rebuilt = kept.length > 0 ? `${base}?${kept.join('&')}` : base;
  return { ok: true, value: `${referTo.slice(0, open + 1)}${rebuilt}${referTo.slice(close)}`, stripped };
}
