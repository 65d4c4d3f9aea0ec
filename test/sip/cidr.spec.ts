// CIDR ranges for trusted sources: IPv4, IPv6 (compressed, embedded IPv4, zone ids) and
// IPv4-mapped IPv6 matched against IPv4 ranges and the other way round.
import t from 'tap';
import { cidrContains, cidrMatcher, CidrError, parseAddress, parseCidr } from '../../src/sip/cidr.js';

t.test('IPv4 ranges', async (t) => {
  const net = parseCidr('10.1.0.0/16')!;
  t.ok(cidrContains(net, '10.1.255.7'));
  t.notOk(cidrContains(net, '10.2.0.1'));
  t.ok(cidrContains(parseCidr('0.0.0.0/0')!, '203.0.113.9'), '/0 holds every IPv4 address');
  t.ok(cidrContains(parseCidr('192.0.2.7')!, '192.0.2.7'), 'a bare address is a /32');
  t.notOk(cidrContains(parseCidr('192.0.2.7')!, '192.0.2.8'));
  t.same(parseCidr('10.1.2.3/8'), { family: 4, network: 0x0a000000n, prefix: 8 }, 'host bits cleared');
});

t.test('IPv6 ranges, compressed forms, embedded IPv4 and zone ids', async (t) => {
  const doc = parseCidr('2001:db8::/32')!;
  t.ok(cidrContains(doc, '2001:db8:ffff::1'));
  t.ok(cidrContains(doc, '2001:0DB8:0000:0000:0000:0000:0000:0001'));
  t.notOk(cidrContains(doc, '2001:db9::1'));
  t.ok(cidrContains(parseCidr('::1/128')!, '::1'));
  t.notOk(cidrContains(parseCidr('::1/128')!, '::2'));
  t.ok(cidrContains(parseCidr('fe80::/10')!, 'fe80::1%eth0'), 'zone id ignored');
  t.ok(cidrContains(parseCidr('64:ff9b::/96')!, '64:ff9b::192.0.2.1'), 'embedded IPv4 (NAT64)');
  t.notOk(cidrContains(doc, '10.0.0.1'), 'families do not mix');
});

t.test('IPv4-mapped IPv6', async (t) => {
  t.same(parseAddress('::ffff:127.0.0.1'), { family: 4, value: 0x7f000001n });
  t.ok(cidrContains(parseCidr('127.0.0.0/8')!, '::ffff:127.0.0.2'), "a dual-stack socket's view of an IPv4 peer");
  t.ok(cidrContains(parseCidr('::ffff:10.0.0.0/104')!, '10.9.9.9'), 'a mapped range holds the IPv4 addresses');
  t.ok(cidrContains(parseCidr('::ffff:0:0/96')!, '198.51.100.1'));
  t.notOk(cidrContains(parseCidr('127.0.0.0/8')!, '::1'), 'IPv6 loopback is not 127/8');
});

t.test('malformed ranges are refused with a coded error; not-an-address never matches', async (t) => {
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0/8', 'example.com', '1.2.3.4/-1', '', '10.0.0.0/8/8', '1.2.3.256']) t.equal(parseCidr(bad), undefined, bad);
  t.throws(() => cidrMatcher(['127.0.0.0/8', 'nope']), { code: 'CIDR_INVALID' });
  t.type(new CidrError('CIDR_INVALID', 'x'), Error);
  const trusted = cidrMatcher(['127.0.0.0/8', '::1/128']);
  t.ok(trusted('127.0.0.1'));
  t.ok(trusted('::1'));
  t.notOk(trusted('127.0.0.1.evil'));
  t.notOk(trusted(''));
  t.notOk(trusted('10.0.0.1'));
});
