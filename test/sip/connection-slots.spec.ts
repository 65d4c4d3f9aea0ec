// Which incoming TCP/TLS connections get a slot, without sockets: the cap in all, the slots only
// trusted sources may take, the cap per source, and slots coming back on release.
import t from 'tap';
import { ConnectionSlots } from '../../src/sip/connection-slots.js';
import { DEFAULT_LIMITS } from '../../src/sip/stack-config.js';

const PBX = '10.0.0.1';
const limits = { ...DEFAULT_LIMITS, maxConnections: 4, reservedConnections: 2, maxConnectionsPerSource: 3 };
const slots = (): ConnectionSlots => new ConnectionSlots(limits, (address) => address === PBX);

t.test('untrusted sources together stop short of the reserved slots; the trusted source still gets them', async (t) => {
  const s = slots();
  t.ok(s.take('192.0.2.1'));
  t.ok(s.take('192.0.2.2'));
  t.equal(s.take('192.0.2.3'), undefined, 'untrusted: 4 - 2 reserved = 2 slots');
  t.ok(s.take(PBX));
  t.ok(s.take(PBX));
  t.equal(s.take(PBX), undefined, 'no slot left in all');
});

t.test('slots the trusted source takes beyond the reserved ones come out of the untrusted share', async (t) => {
  const s = slots();
  for (let i = 0; i < 3; i++) t.ok(s.take(PBX));
  t.ok(s.take('192.0.2.1'), 'one shared slot left');
  t.equal(s.take('192.0.2.2'), undefined);
});

t.test('one source holds at most maxConnectionsPerSource; a release gives its slot back', async (t) => {
  const s = new ConnectionSlots({ ...limits, maxConnectionsPerSource: 1 }, () => false);
  const release = s.take('192.0.2.1');
  t.ok(release);
  t.equal(s.take('192.0.2.1'), undefined, 'second from the same address');
  t.ok(s.take('192.0.2.2'), 'another address still gets one');
  release?.();
  t.ok(s.take('192.0.2.1'), 'after the release');
  t.equal(s.take('192.0.2.3'), undefined, 'the untrusted share is full again');
});
