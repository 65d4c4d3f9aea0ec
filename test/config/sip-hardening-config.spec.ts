// The SIP hardening keys: trusted sources, connection limits and windows, call lifetime and
// session timers: their defaults, and bad values named by their path.
import t from 'tap';
import { defaultConfig, parseConfig } from '../../src/config/load-config.js';

t.test('defaults', async (t) => {
  const c = defaultConfig();
  t.same(c.sip.trustedSources, ['127.0.0.0/8', '::1/128']);
  t.equal(c.sip.maxConnections, 1000);
  t.equal(c.sip.maxConnectionsPerSource, 32);
  t.equal(c.sip.reservedConnections, 100);
  t.equal(c.sip.firstMessageTimeoutSeconds, 5);
  t.equal(c.sip.connectionIdleSeconds, 30);
  t.equal(c.sip.maxCallSeconds, 14_400);
  t.equal(c.sip.sessionExpiresSeconds, 1800);
  t.equal(c.sip.minSessionExpiresSeconds, 90);
  t.equal(c.rtp.holdTimeoutSeconds, 900);
});

t.test('values are taken and bad ones named by path', async (t) => {
  const c = parseConfig({ sip: { trustedSources: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'], maxCallSeconds: 0 }, rtp: { holdTimeoutSeconds: 60 } });
  t.same(c.sip.trustedSources, ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
  t.equal(c.sip.maxCallSeconds, 0);
  t.equal(c.rtp.holdTimeoutSeconds, 60);
  t.throws(() => parseConfig({ sip: { trustedSources: ['10.0.0.0/33'] } }), /sip\.trustedSources\.0: must be an address range/);
  t.throws(() => parseConfig({ sip: { trustedSources: '10.0.0.0/8' } }), /sip\.trustedSources/);
  t.throws(() => parseConfig({ sip: { reservedConnections: 1000 } }), /sip\.reservedConnections/);
  t.throws(() => parseConfig({ sip: { minSessionExpiresSeconds: 60 } }), /sip\.minSessionExpiresSeconds/, 'RFC 4028: Min-SE is at least 90 s');
  t.throws(() => parseConfig({ sip: { sessionExpiresSeconds: 600, minSessionExpiresSeconds: 900 } }), /sip\.minSessionExpiresSeconds/);
});
