// Address ranges in CIDR notation (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6), matched without
// sockets or DNS: `sip.trustedSources` decides which sources get reserved connection slots
// (and may later decide which may create dialogs). IPv4-mapped IPv6 addresses (::ffff:a.b.c.d,
// RFC 4291 §2.5.5.2, what a dual-stack socket reports for an IPv4 peer) match IPv4 ranges, and
// an IPv6 range inside ::ffff:0:0/96 matches the IPv4 addresses it maps.
import { isIPv4, isIPv6 } from 'node:net';
import { CodedError } from '../errors.js';

export interface Cidr {
  readonly family: 4 | 6;
  /** The network address, host bits cleared. */
  readonly network: bigint;
  readonly prefix: number;
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(text: string): bigint {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = ipv4Value(text.slice(lastColon + 1));
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const zeros = right === undefined ? 0 : 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...Array<string>(zeros).fill('0'), ...rightGroups];
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** An address as (family, value); v4-mapped IPv6 becomes IPv4. Undefined when not an IP literal. */
export function parseAddress(text: string): { readonly family: 4 | 6; readonly value: bigint } | undefined {
  const bare = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  if (isIPv4(bare)) return { family: 4, value: ipv4Value(bare) };
  if (!isIPv6(bare)) return undefined;
  const value = ipv6Value(bare);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

function mask(bits: number, prefix: number): bigint {
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const bare = m[1].replace(/^\[|\]$/g, '');
  const family = isIPv4(bare) ? 4 : isIPv6(bare) ? 6 : undefined;
  if (family === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? bits : Number(m[2]);
  if (prefix > bits) return undefined;
  const value = family === 4 ? ipv4Value(bare) : ipv6Value(bare);
  if (family === 6 && prefix >= 96 && value >> 32n === 0xffffn) {
    return { family: 4, network: value & 0xffffffffn & mask(32, prefix - 96), prefix: prefix - 96 };
  }
  return { family, network: value & mask(bits, prefix), prefix };
}

export function cidrContains(cidr: Cidr, address: string): boolean {
  const a = parseAddress(address);
  if (a === undefined || a.family !== cidr.family) return false;
  return (a.value & mask(cidr.family === 4 ? 32 : 128, cidr.prefix)) === cidr.network;
}

/** A matcher for a list of ranges; throws a CidrError naming the first malformed entry. */
export function cidrMatcher(list: readonly string[]): (address: string) => boolean {
  const cidrs = list.map((text) => {
    const c = parseCidr(text);
    if (c === undefined) throw new CidrError('CIDR_INVALID', `not an address range: "${text}" (expected e.g. 10.0.0.0/8 or 2001:db8::/32)`);
    return c;
  });
  return (address) => cidrs.some((c) => cidrContains(c, address));
}

export class CidrError extends CodedError<'CIDR_INVALID'> {
  override readonly name = 'CidrError';
}
