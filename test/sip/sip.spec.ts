// SIP in captures: message parsing (compact headers, folding, Content-Length), SDP media and
// payload types, and DTMF in INFO bodies.
import t from 'tap';
import { parseSdp, staticPayloadType } from '../../src/sip/sdp.js';
import { sipInfoDigit } from '../../src/sip/sip-info-dtmf.js';
import { header, maybeSip, parseSipMessage, type SipMessage } from '../../src/sip/sip-message.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function message(text: string): SipMessage {
  const m = parseSipMessage(bytes(text));
  if (m === undefined) throw new Error('not parsed');
  return m;
}

const SDP = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 10000 RTP/AVP 96 0 8 101',
  'a=rtpmap:96 opus/48000/2',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'm=audio 10002 RTP/AVP 9',
  'c=IN IP6 ::1',
  'm=video 0 RTP/AVP 97',
  '',
].join('\r\n');

t.test('requests and responses; compact and folded headers; body cut at Content-Length', async (t) => {
  const invite = message(`INVITE sip:b@127.0.0.1 SIP/2.0\r\ni: abc@host\r\nc: application/sdp\r\nSubject: one\r\n two\r\nl: ${SDP.length}\r\n\r\n${SDP}garbage`);
  t.equal(invite.method, 'INVITE');
  t.equal(invite.status, undefined);
  t.equal(header(invite, 'call-id'), 'abc@host');
  t.equal(header(invite, 'content-type'), 'application/sdp');
  t.equal(header(invite, 'subject'), 'one two');
  t.equal(invite.body, SDP);
  const ok = message('SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n');
  t.equal(ok.status, 200);
  t.equal(ok.method, undefined);
  t.equal(parseSipMessage(bytes('HELLO WORLD how are you\r\n\r\n')), undefined);
  t.equal(parseSipMessage(new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), undefined);
  t.notOk(maybeSip(new Uint8Array([0x80, 1, 2])));
});

t.test('SDP: audio m= lines with address, port and payload types (rtpmap and static)', async (t) => {
  const media = parseSdp(SDP)?.media ?? [];
  t.equal(media.length, 3);
  t.same([media[0].media, media[0].address, media[0].port], ['audio', '127.0.0.1', 10000]);
  t.same(
    media[0].codecs.map((p) => `${p.payloadType} ${p.encoding}/${p.clockRate}/${p.channels}`),
    ['96 opus/48000/2', '0 PCMU/8000/1', '8 PCMA/8000/1', '101 telephone-event/8000/1'],
  );
  t.same([media[1].address, media[1].port, media[1].codecs[0].encoding], ['::1', 10002, 'G722']);
  t.equal(staticPayloadType(18)?.encoding, 'G729');
  t.equal(parseSdp('nonsense\r\nm=audio x RTP/AVP 0\r\n'), undefined, 'an m= line without a port: not read at all');
});

t.test('INFO DTMF: dtmf-relay and dtmf bodies, keypad and numeric signals', async (t) => {
  const info = (type: string, body: string): SipMessage => message(`INFO sip:x SIP/2.0\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  t.same(sipInfoDigit(info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')), { digit: '5', durationMs: 160 });
  t.same(sipInfoDigit(info('Application/DTMF-Relay; charset=x', 'Signal= #\r\n')), { digit: '#', durationMs: undefined });
  t.equal(sipInfoDigit(info('application/dtmf-relay', 'Signal=11\r\n'))?.digit, '#');
  t.equal(sipInfoDigit(info('application/dtmf-relay', 'Signal=a\r\n'))?.digit, 'A');
  t.equal(sipInfoDigit(info('application/dtmf', '*'))?.digit, '*');
  t.equal(sipInfoDigit(info('application/dtmf', '10'))?.digit, '*');
  t.equal(sipInfoDigit(info('application/dtmf-relay', 'Signal=16\r\n')), undefined);
  t.equal(sipInfoDigit(info('application/dtmf', 'x')), undefined);
  t.equal(sipInfoDigit(info('text/plain', '5')), undefined);
  t.equal(sipInfoDigit(message('MESSAGE sip:x SIP/2.0\r\nContent-Type: application/dtmf\r\n\r\n5')), undefined);
});
