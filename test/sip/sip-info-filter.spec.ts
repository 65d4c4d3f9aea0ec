// SIP INFO DTMF is not forwarded to the agent in secure mode (fail closed); everything else is.
import t from 'tap';
import { filterSipInfoDtmf, isDtmfInfo } from '../../src/sip/sip-info-filter.js';
import { parseSipMessage } from '../../src/sip/message.js';
import type { SipMessage } from '../../src/sip/message-types.js';
import { SipParseError } from '../../src/sip/sip-error.js';

function msg(method: string, type: string | undefined, body: string): SipMessage {
  const headers = ['Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1', 'From: <sip:a@x>;tag=1', 'To: <sip:b@x>', 'Call-ID: abc', 'Max-Forwards: 70', 'CSeq: 2 ' + method];
  if (type !== undefined) headers.push(`c: ${type}`);
  const text = `${method} sip:agent@pbx SIP/2.0\r\n${headers.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const m = parseSipMessage(Buffer.from(text, 'latin1'));
  if (m instanceof SipParseError) throw m;
  return m;
}

t.test('secure: DTMF INFO dropped, the digit handed to the caller of the filter', async (t) => {
  t.same(filterSipInfoDtmf(msg('INFO', 'application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n'), true), { action: 'drop', digit: '5' });
  t.same(filterSipInfoDtmf(msg('INFO', 'application/dtmf', '11'), true), { action: 'drop', digit: '#' });
  t.same(filterSipInfoDtmf(msg('INFO', 'Application/DTMF-Relay; charset=x', 'Signal=*'), true), { action: 'drop', digit: '*' });
});

t.test('secure: an unreadable DTMF body is dropped too (fail closed), and DTMF inside multipart', async (t) => {
  t.same(filterSipInfoDtmf(msg('INFO', 'application/dtmf-relay', 'Signal=?'), true), { action: 'drop', digit: undefined });
  const multipart = '--b\r\nContent-Type: application/dtmf-relay\r\n\r\nSignal=4\r\n--b--\r\n';
  t.equal(filterSipInfoDtmf(msg('INFO', 'multipart/mixed;boundary=b', multipart), true).action, 'drop');
});

t.test('forwarded: outside secure mode, other INFO packages, other methods and responses', async (t) => {
  t.same(filterSipInfoDtmf(msg('INFO', 'application/dtmf-relay', 'Signal=5'), false), { action: 'forward' });
  t.same(filterSipInfoDtmf(msg('INFO', 'application/media_control+xml', '<x/>'), true), { action: 'forward' });
  t.same(filterSipInfoDtmf(msg('INFO', undefined, ''), true), { action: 'forward' });
  t.same(filterSipInfoDtmf(msg('MESSAGE', 'application/dtmf-relay', 'Signal=5'), true), { action: 'forward' });
  const ok = parseSipMessage(
    Buffer.from(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: abc\r\nCSeq: 2 INFO\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 0\r\n\r\n',
    ),
  );
  t.ok(!(ok instanceof SipParseError) && !isDtmfInfo(ok) && filterSipInfoDtmf(ok, true).action === 'forward');
});
