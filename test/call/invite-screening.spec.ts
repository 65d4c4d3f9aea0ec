// What a new INVITE gets before any call exists, on the pure function (no sockets): each refusal
// in the order the checks run (limits, Max-Forwards, Require, Min-SE, route, body), and where an
// accepted INVITE goes with its offer.
import t from 'tap';
import { configUri, upstreamTargets } from '../../src/call/call-routing.js';
import { DEFAULT_CALL_LIMITS, screenInvite, type InviteContext } from '../../src/call/invite-screening.js';
import { parseSipMessage, SipParseError, type SipRequest } from '../../src/sip/sip-stack.js';
import type { Upstream } from '../../src/call/upstream-pool.js';

const SDP_OFFER = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

function invite(extra: readonly string[] = [], body = '', uri = 'sip:4420@toneguard'): SipRequest {
  const lines = [
    `INVITE ${uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
    'From: <sip:+441234@carrier>;tag=c1',
    'To: <sip:4420@toneguard>',
    'Call-ID: caller-1',
    'CSeq: 1 INVITE',
    ...(extra.some((l) => /^max-forwards:/i.test(l)) ? [] : ['Max-Forwards: 70']),
    ...extra,
  ];
  const text = [...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  const m = parseSipMessage(Buffer.from(text));
  if (m instanceof SipParseError || m.kind !== 'request') throw new Error(`test message did not parse: ${String(m)}`);
  return m;
}

const context = (over: Partial<InviteContext> = {}): InviteContext => ({
  draining: false,
  calls: 0,
  fromSource: 0,
  trustedSource: true,
  limits: { maxCalls: 10, maxCallsPerSource: 3, reservedCalls: 4 },
  sessionTimer: { sessionExpiresS: 1800, minSeS: 300 },
  routing: { paymentUri: configUri('sip:pay@toneguard', 'payment.uri'), upstream: configUri('sip:10.0.0.2:5060', 'upstream'), routes: [] },
  ...over,
});

t.test('limits: 503 with Retry-After when draining, full, full for a digest peer (reserved slots), or full for the source', async (t) => {
  for (const over of [{ draining: true }, { calls: 10 }, { calls: 6, trustedSource: false }, { fromSource: 3 }]) {
    const s = screenInvite(invite(), context(over));
    t.same(s, { accepted: false, status: 503, headers: { 'retry-after': '5' } }, JSON.stringify(over));
  }
  t.equal(screenInvite(invite(), context({ calls: 6 })).accepted, true, 'a trusted source may take the reserved slots');
  t.equal(DEFAULT_CALL_LIMITS.reservedCalls, 0);
});

t.test('Max-Forwards 0: 483; an unknown Require: 420 naming it (timer is ours)', async (t) => {
  t.same(screenInvite(invite(['Max-Forwards: 0']), context()), { accepted: false, status: 483 });
  t.same(screenInvite(invite(['Require: timer, 100rel', 'Require: foo']), context()), { accepted: false, status: 420, headers: { unsupported: '100rel, foo' } });
  t.equal(screenInvite(invite(['Require: timer', 'Session-Expires: 1800']), context()).accepted, true);
});

t.test('a Session-Expires under our Min-SE: 422 with Min-SE', async (t) => {
  t.same(screenInvite(invite(['Supported: timer', 'Session-Expires: 120']), context()), {
    accepted: false,
    status: 422,
    reason: 'Session Interval Too Small',
    headers: { 'min-se': '300' },
  });
});

t.test('a Request-URI that is not a SIP URI: 416; a body that is not SDP: 488 with a Warning', async (t) => {
  t.same(screenInvite(invite([], '', 'tel:+441234'), context()), { accepted: false, status: 416 });
  const s = screenInvite(invite(['Content-Type: application/sdp'], 'not sdp at all'), context());
  t.equal(s.accepted, false);
  if (s.accepted) return;
  t.equal(s.status, 488);
  t.match(s.headers?.warning, /^399 /);
});

t.test('accepted: the payment URI is endpoint mode, anything else goes to the PBX; the offer parsed, none for an empty body', async (t) => {
  const endpoint = screenInvite(invite([], SDP_OFFER, 'sip:pay@toneguard'), context());
  t.equal(endpoint.accepted && endpoint.target.kind, 'endpoint');
  t.equal(endpoint.accepted && endpoint.offer?.media.length, 1);
  const relayed = screenInvite(invite(), context());
  t.equal(relayed.accepted && relayed.target.kind, 'b2bua');
  t.equal(relayed.accepted && relayed.offer, undefined, 'offerless INVITE');
});

t.test('upstream targets: a route rule gives its upstream alone, the pool is asked only otherwise', async (t) => {
  let asked = 0;
  const pbx = { uri: configUri('sip:10.0.0.9:5080', 'upstream'), destination: { address: '10.0.0.9', port: 5080, transport: 'udp' }, label: 'pbx-9' } as unknown as Upstream;
  const candidates = (): readonly Upstream[] => {
    asked += 1;
    return [pbx];
  };
  const ruled = upstreamTargets({ kind: 'b2bua', upstream: configUri('sip:10.0.0.3:5060', 'r'), requestUri: 'sip:44@10.0.0.3:5060;transport=tcp', fromRule: true, user: '44' }, candidates, 'udp');
  t.same(ruled, [{ requestUri: 'sip:44@10.0.0.3:5060;transport=tcp', destination: { address: '10.0.0.3', port: 5060, transport: 'tcp' }, label: 'sip:44@10.0.0.3:5060;transport=tcp' }]);
  t.equal(asked, 0, 'the pool was not asked');
  const pooled = upstreamTargets({ kind: 'b2bua', upstream: pbx.uri, requestUri: 'sip:44@10.0.0.9:5080', fromRule: false, user: '44' }, candidates, 'udp');
  t.same(pooled, [{ requestUri: 'sip:44@10.0.0.9:5080', destination: pbx.destination, label: 'pbx-9', upstream: pbx }]);
  t.equal(asked, 1);
});
