// The SIP messages of one call, on the pure functions (no sockets): the INVITE a caller's INVITE
// becomes towards the PBX, its retry after a 422 (RFC 4028 §7.4), the headers that cross between
// legs, the SIP INFO key and the transfer NOTIFY status a call reacts to.
import t from 'tap';
import { allowsUpdate, infoDigit, inviteRetry, isSdp, relayedHeaders, sipfragFinalStatus, unansweredStatus, upstreamInvite } from '../../src/call/call-messages.js';
import { parseSipMessage, SipParseError, type SipRequest } from '../../src/sip/sip-stack.js';

const TIMER = { sessionExpiresS: 1800, minSeS: 90 };

function request(lines: readonly string[], body = ''): SipRequest {
  const maxForwards = lines.some((l) => /^max-forwards:/i.test(l)) ? [] : ['Max-Forwards: 70'];
  const text = [...lines, ...maxForwards, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  const m = parseSipMessage(Buffer.from(text));
  if (m instanceof SipParseError || m.kind !== 'request') throw new Error(`test message did not parse: ${String(m)}`);
  return m;
}

const callerInvite = (extra: readonly string[] = []): SipRequest =>
  request([
    'INVITE sip:4420@toneguard SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
    'From: "Ann \\"A\\" Smith" <sip:+441234@carrier>;tag=c1',
    'To: <sip:4420@toneguard>',
    'Call-ID: caller-1',
    'CSeq: 7 INVITE',
    'X-Payment-Result: success',
    'X-Crm-Ticket: T-9',
    ...extra,
  ]);

t.test('the INVITE towards the PBX: Max-Forwards less one, our Allow, timer, call id; From keeps display name and user on our host', async (t) => {
  const out = upstreamInvite({
    invite: callerInvite(['Max-Forwards: 12']),
    from: '"Ann \\"A\\" Smith" <sip:+441234@carrier>',
    callId: 'tg-1',
    identityTrusted: false,
    sessionTimer: TIMER,
    requestUri: 'sip:4420@pbx;transport=udp',
    localAddress: '10.0.0.5',
  });
  t.equal(out.headers['max-forwards'], '11');
  t.match(String(out.headers.allow), /\bUPDATE\b/);
  t.equal(out.headers.supported, 'timer');
  t.equal(out.headers['session-expires'], '1800');
  t.equal(out.headers['x-toneguard-call-id'], 'tg-1');
  t.same(out.headers['x-crm-ticket'], ['T-9']);
  t.equal(out.headers['x-payment-result'], undefined, "the caller's result vocabulary never reaches the PBX");
  t.equal(out.from, '"Ann \\"A\\" Smith" <sip:+441234@10.0.0.5>');
  t.equal(out.to, '<sip:4420@pbx>', 'URI parameters dropped from To');
});

t.test('the INVITE towards the PBX: no Max-Forwards is 70, an IPv6 host is bracketed, no user is anonymous, no address is loopback', async (t) => {
  t.equal(
    upstreamInvite({ invite: callerInvite(), from: '<sip:+44@c>', callId: 'x', identityTrusted: false, sessionTimer: TIMER, requestUri: 'sip:a@pbx', localAddress: '2001:db8::1' }).from,
    '<sip:+44@[2001:db8::1]>',
  );
  const bare = upstreamInvite({ invite: callerInvite(['Max-Forwards: 0']), from: 'junk', callId: 'x', identityTrusted: false, sessionTimer: TIMER, requestUri: 'sip:a@pbx', localAddress: undefined });
  t.equal(bare.from, '<sip:anonymous@127.0.0.1>');
  t.equal(bare.headers['max-forwards'], '0', 'never below zero');
  const noMaxForwards = callerInvite();
  noMaxForwards.headers.delete('max-forwards'); // the parser refuses that; the rule is for a request built in-process
  t.equal(
    upstreamInvite({ invite: noMaxForwards, from: '', callId: 'x', identityTrusted: false, sessionTimer: TIMER, requestUri: 'sip:a@pbx', localAddress: undefined }).headers['max-forwards'],
    '69',
  );
});

t.test('422 retry: next CSeq, no Via, the larger interval; the original is untouched', async (t) => {
  const req = callerInvite(['Session-Expires: 1800', 'Min-SE: 90']);
  const retry = inviteRetry(req, { sessionExpiresS: 3600, minSeS: 3600 });
  t.equal(retry.headers.get('cseq'), '8 INVITE');
  t.equal(retry.headers.get('via'), undefined);
  t.equal(retry.headers.get('session-expires'), '3600');
  t.equal(retry.headers.get('min-se'), '3600');
  t.equal(retry.headers.get('call-id'), 'caller-1');
  t.equal(req.headers.get('cseq'), '7 INVITE');
  t.ok(req.headers.get('via') !== undefined);
});

t.test('relayed headers: only the transfer and event ones', async (t) => {
  const req = request([
    'REFER sip:x@y SIP/2.0',
    'Via: SIP/2.0/UDP h;branch=z9hG4bK2',
    'From: <sip:a@b>;tag=1',
    'To: <sip:c@d>;tag=2',
    'Call-ID: r',
    'CSeq: 2 REFER',
    'Refer-To: <sip:ivr@pbx>',
    'Referred-By: <sip:agent@pbx>',
    'X-Other: 1',
    'Event: refer',
  ]);
  t.same(relayedHeaders(req), { event: 'refer', 'refer-to': '<sip:ivr@pbx>', 'referred-by': '<sip:agent@pbx>' });
});

t.test('SIP INFO key: dtmf-relay read, other bodies give none', async (t) => {
  const info = (type: string, body: string): SipRequest =>
    request(['INFO sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK3', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: i', 'CSeq: 3 INFO', `Content-Type: ${type}`], body);
  t.equal(infoDigit(info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')), '5');
  t.equal(infoDigit(info('application/x-unknown', 'Signal=5\r\n')), undefined);
});

t.test('transfer NOTIFY: the final status of the sipfrag, provisional or garbage gives none', async (t) => {
  const notify = (body: string): SipRequest =>
    request(['NOTIFY sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK4', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: n', 'CSeq: 4 NOTIFY', 'Content-Type: message/sipfrag'], body);
  t.equal(sipfragFinalStatus(notify('SIP/2.0 200 OK\r\n')), 200);
  t.equal(sipfragFinalStatus(notify('SIP/2.0 486 Busy Here')), 486);
  t.equal(sipfragFinalStatus(notify('SIP/2.0 180 Ringing')), undefined);
  t.equal(sipfragFinalStatus(notify('hello')), undefined);
});

t.test('unanswered INVITE status per end reason; Allow and SDP checks', async (t) => {
  t.equal(unansweredStatus('drain'), 503);
  t.equal(unansweredStatus('no-answer'), 408);
  t.equal(unansweredStatus('negotiation-failed'), 488);
  t.equal(unansweredStatus('error'), 500);
  t.equal(unansweredStatus('cancelled'), 480);
  t.equal(allowsUpdate(callerInvite(['Allow: INVITE, ACK, update'])), true);
  t.equal(allowsUpdate(callerInvite(['Allow: INVITE, ACK'])), false);
  t.equal(isSdp(callerInvite()), false, 'no body is no SDP');
});
