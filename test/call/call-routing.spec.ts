import t from 'tap';
import { configUri, routeInvite, upstreamRequestUri } from '../../src/call/call-routing.js';

const upstream = configUri('sip:127.0.0.1:5070', 'upstream');
const paymentUri = configUri('sip:pay@127.0.0.1', 'payment.uri');

t.test('payment URI by user and host; others to the upstream with the caller user', async (t) => {
  t.same(routeInvite('sip:pay@127.0.0.1:5060', { paymentUri, upstream, routes: [] }), { kind: 'endpoint' });
  t.same(routeInvite('sip:pay@127.0.0.1;transport=tcp', { paymentUri, upstream, routes: [] }), { kind: 'endpoint' });
  t.match(routeInvite('sip:Pay@127.0.0.1', { paymentUri, upstream, routes: [] }), { kind: 'b2bua' }, 'user is case-sensitive');
  t.match(routeInvite('sip:pay@10.0.0.1', { paymentUri, upstream, routes: [] }), { kind: 'b2bua' }, 'other host');
  t.match(routeInvite('sip:%70ay@127.0.0.1', { paymentUri, upstream, routes: [] }), { kind: 'endpoint' }, 'escaped user compared unescaped');
  t.match(routeInvite('sip:100@toneguard.example', { paymentUri, upstream, routes: [] }), { kind: 'b2bua', requestUri: 'sip:100@127.0.0.1:5070' });
  t.match(routeInvite('sip:100@x', { paymentUri: undefined, upstream, routes: [] }), { kind: 'b2bua' });
  t.equal(routeInvite('tel:+44123', { paymentUri, upstream, routes: [] }), undefined);
});

t.test('rules by Request-URI user, first match wins', async (t) => {
  const routes = [
    { user: /^44/, upstream: 'sip:10.0.0.2:5080;transport=tcp' },
    { user: /^4/, upstream: 'sip:10.0.0.3' },
  ];
  t.match(routeInvite('sip:4420@h', { paymentUri, upstream, routes }), { requestUri: 'sip:4420@10.0.0.2:5080;transport=tcp' });
  t.match(routeInvite('sip:400@h', { paymentUri, upstream, routes }), { requestUri: 'sip:400@10.0.0.3' });
  t.match(routeInvite('sip:500@h', { paymentUri, upstream, routes }), { requestUri: 'sip:500@127.0.0.1:5070' });
  t.equal(upstreamRequestUri(undefined, upstream), 'sip:127.0.0.1:5070');
  t.throws(() => configUri('http://x', 'upstream'), { code: 'call-config-invalid' });
});
