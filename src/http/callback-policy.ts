// Which `statusCallback` URLs the server will POST to. A callback URL comes from an API client,
// so without rules it turns the server into a request forwarder into its own network (SSRF):
// https only (unless opted out), no literal loopback, private, link-local or otherwise
// non-public address unless the operator allowlisted it, and, when an allowlist is set, only
// the hosts on it. Pure: the URL parser (WHATWG) has already turned 0x7f.1 or 2130706433 into
// 127.0.0.1, so the literal checks see the canonical form.
import { BlockList, isIP } from 'node:net';

export interface CallbackPolicy {
  /** `http.webhookSecret` is set: without it no callback is accepted (it would be unsigned). */
  readonly secretSet: boolean;
  /** `http.allowPlainHttpCallbacks`. */
  readonly allowPlainHttp: boolean;
  /** `http.callbackHosts`: host names or addresses; `*.example.com` matches its subdomains. Empty: any public host. */
  readonly hosts: readonly string[];
}

export type CallbackCheck = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly code: 'ERR_WEBHOOKS_DISABLED' | 'ERR_CALLBACK_REFUSED'; readonly error: string };

// RFC 6890 special-purpose ranges a callback has no business reaching.
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv6');

/** Loopback, private, link-local, multicast, reserved (an IPv4-mapped IPv6 address by its IPv4 part). */
export function isNonPublicAddress(address: string): boolean {
  const kind = isIP(address);
  if (kind === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (kind !== 6) return false;
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (mapped) {
    const v4 = mapped[1] ?? [parseInt(mapped[2], 16) >> 8, parseInt(mapped[2], 16) & 255, parseInt(mapped[3], 16) >> 8, parseInt(mapped[3], 16) & 255].join('.');
    return NON_PUBLIC.check(v4, 'ipv4');
  }
  return NON_PUBLIC.check(address, 'ipv6');
}

function allowlisted(host: string, hosts: readonly string[]): boolean {
  return hosts.some((entry) => {
    const e = entry.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) && host.length > e.length - 1 : host === e;
  });
}

export function checkCallbackUrl(text: string, policy: CallbackPolicy): CallbackCheck {
  if (!policy.secretSet) return { ok: false, code: 'ERR_WEBHOOKS_DISABLED', error: 'statusCallback is refused: the server has no http.webhookSecret to sign callbacks with' };
  const refuse = (why: string): CallbackCheck => ({ ok: false, code: 'ERR_CALLBACK_REFUSED', error: `statusCallback is refused: ${why}` });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowPlainHttp)) {
    return refuse(policy.allowPlainHttp ? 'must be an http or https URL' : 'must be an https URL (http needs http.allowPlainHttpCallbacks)');
  }
  if (url.username !== '' || url.password !== '') return refuse('credentials in the URL are not accepted');
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (policy.hosts.length > 0) {
    return allowlisted(host, policy.hosts) ? { ok: true, url: url.href } : refuse('host is not in http.callbackHosts');
  }
  if (host === 'localhost' || host.endsWith('.localhost') || isNonPublicAddress(host)) {
    return refuse('loopback, private and link-local hosts need to be listed in http.callbackHosts');
  }
  return { ok: true, url: url.href };
}
