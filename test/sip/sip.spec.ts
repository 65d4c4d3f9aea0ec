// The one SIP parser as captures are read (capture mode), and what the live server, replay and
// scan read from SIP bodies: SDP media and payload types, and DTMF in INFO bodies.
import t from 'tap';
import { DEFAULT_PARSE_LIMITS, parseSipMessage } from '../../src/sip/message.js';
import type { SipMessage } from '../../src/sip/message-types.js';
import { parseSdp, staticPayloadType } from '../../src/sip/sdp.js';
import { SipParseError } from '../../src/sip/sip-error.js';
import { sipInfoDigit } from '../../src/sip/sip-info-dtmf.js';

function message(text: string): SipMessage {
  const m = parseSipMessage(Buffer.from(text, 'latin1'));
  if (m instanceof SipParseError) throw m;
  return m;
}

const REQUEST_HEADERS = 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: abc\r\nMax-Forwards: 70';

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

t.test('capture mode reads what a receiver could: no mandatory-header checks, bad lines skipped, a body cut by the snap length', async (t) => {
  const read = (text: string): SipMessage | SipParseError => parseSipMessage(Buffer.from(text, 'latin1'), DEFAULT_PARSE_LIMITS, 'capture');
  const body = 'Signal=5\r\nDuration=160\r\n';
  const bare = `INFO sip:x SIP/2.0\r\ni: abc\r\nc: application/dtmf-relay\r\nSubject: one\r\n two\r\nnot a header line\r\nl: ${body.length}\r\n\r\n${body}garbage`;
  t.ok(parseSipMessage(Buffer.from(bare, 'latin1')) instanceof SipParseError, 'strict (the live edge): refused');
  const m = read(bare);
  if (m instanceof SipParseError) throw m;
  t.equal(m.kind === 'request' ? m.method : undefined, 'INFO');
  t.equal(m.headers.get('call-id'), 'abc', 'compact forms');
  t.equal(m.headers.get('subject'), 'one two', 'folded lines');
  t.equal(m.body.toString('latin1'), body, 'the body cut at Content-Length');
  t.same(sipInfoDigit(m), { digit: '5', durationMs: 160 }, 'and its digit read');
  const cut = read(`INFO sip:x SIP/2.0\nContent-Type: application/dtmf\nContent-Length: 40\n\n7`);
  t.ok(!(cut instanceof SipParseError) && cut.body.toString() === '7' && sipInfoDigit(cut)?.digit === '7', 'bare LF, and a body shorter than declared: read as captured');
  const ok = read('SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n');
  t.ok(!(ok instanceof SipParseError) && ok.kind === 'response' && ok.status === 200, 'a response');
  t.ok(read('HELLO WORLD how are you\r\n\r\n') instanceof SipParseError, 'not SIP: refused in capture mode too');
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
  const request = (method: string, type: string, body: string): SipMessage =>
    message(`${method} sip:x@y SIP/2.0\r\n${REQUEST_HEADERS}\r\nCSeq: 2 ${method}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const info = (type: string, body: string): SipMessage => request('INFO', type, body);
  t.same(sipInfoDigit(info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')), { digit: '5', durationMs: 160 });
  t.same(sipInfoDigit(info('Application/DTMF-Relay; charset=x', 'Signal= #\r\n')), { digit: '#', durationMs: undefined });
  t.equal(sipInfoDigit(info('application/dtmf-relay', 'Signal=11\r\n'))?.digit, '#');
  t.equal(sipInfoDigit(info('application/dtmf-relay', 'Signal=a\r\n'))?.digit, 'A');
  t.equal(sipInfoDigit(info('application/dtmf', '*'))?.digit, '*');
  t.equal(sipInfoDigit(info('application/dtmf', '10'))?.digit, '*');
  t.equal(sipInfoDigit(info('application/dtmf-relay', 'Signal=16\r\n')), undefined);
  t.equal(sipInfoDigit(info('application/dtmf', 'x')), undefined);
  t.equal(sipInfoDigit(info('text/plain', '5')), undefined);
  t.equal(sipInfoDigit(request('MESSAGE', 'application/dtmf', '5')), undefined);
  t.equal(sipInfoDigit(info('audio/telephone-event', '\x0b\x8a\x03\x20'))?.digit, '#', 'an RFC 4733 event payload: the first byte is the event');
  t.equal(sipInfoDigit(info('audio/telephone-event', '\x10\x8a\x03\x20')), undefined, 'event 16 is no key');
});
