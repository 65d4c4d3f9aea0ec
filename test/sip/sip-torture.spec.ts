// RFC 4475 torture tests against the stack's parser: the valid messages of §3.1.1 parse with
// the right values, the invalid ones of §3.1.2 (and §3.3.1/2) are rejected with the status a
// server answers (or dropped when no response can be addressed).
import t from 'tap';
import { parseNameAddr, parseSipUri, parseVia, parseCSeq, tagOf, unescape } from '../../src/sip/grammar.js';
import { parseSipMessage, serializeSipMessage } from '../../src/sip/message.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message-types.js';
import { SipParseError } from '../../src/sip/sip-error.js';
import * as M from '../helpers/sip-torture-messages.js';

function parse(text: string | Buffer): SipMessage {
  const m = parseSipMessage(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  if (m instanceof SipParseError) throw new Error(`did not parse: ${m.message}`);
  return m;
}
function req(text: string | Buffer): SipRequest {
  const m = parse(text);
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}
function res(text: string | Buffer): SipResponse {
  const m = parse(text);
  if (m.kind !== 'response') throw new Error('not a response');
  return m;
}

t.test('3.1.1.1 wsinv: folding, LWS around colons, compact and case-insensitive names', async (t) => {
  const m = req(M.wsinv);
  t.equal(m.method, 'INVITE');
  t.equal(m.uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
  t.equal(tagOf(m.headers.get('to')), '1918181833n');
  const from = parseNameAddr(m.headers.get('from') ?? '');
  t.equal(from?.displayName, 'J Rosenberg \\"');
  t.equal(from?.params.get('tag'), '98asjd8');
  t.equal(m.headers.get('Max-Forwards'), '0068');
  t.same(parseCSeq(m.headers.get('cseq') ?? ''), { seq: 9, method: 'INVITE' });
  const vias = m.headers.list('via').map(parseVia);
  t.same(
    vias.map((v) => [v?.transport, v?.host, v?.branch]),
    [
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  t.equal(m.headers.get('subject'), '');
  t.equal(m.headers.get('newfangledheader'), 'newfangled value continued newfangled value');
  t.equal(m.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  t.equal(parseNameAddr(m.headers.get('route') ?? '')?.uri, 'sip:services.example.com;lr;unknownwith=value;unknown-no-value');
  const contact = parseNameAddr(m.headers.get('contact') ?? '');
  t.equal(contact?.displayName, 'Quoted string ""');
  t.equal(contact?.params.get('newparam'), 'newvalue');
  t.equal(contact?.params.get('secondparam'), null);
  t.equal(contact?.params.get('q'), '0.33');
  t.equal(m.body.length, 150);
  t.ok(m.body.toString().startsWith('v=0\r\n') && m.body.toString().endsWith('a=rtpmap:31 LPC\r\n'));
});

t.test('3.1.1.2 intmeth: every token character, quoted-pair controls, UTF-8 values', async (t) => {
  const m = req(M.intmeth);
  t.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  const uri = parseSipUri(m.uri);
  t.equal(uri?.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  t.equal(uri?.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  t.equal(uri?.host, 'example.com');
  t.equal(parseVia(m.headers.get('via') ?? '')?.branch, "z9hG4bK-.!%66*_+`'~");
  t.equal(parseNameAddr(m.headers.get('to') ?? '')?.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7F');
  const from = parseNameAddr(m.headers.get('from') ?? '');
  t.equal(from?.displayName, "token1~` token2'+_ token3*%!.-");
  t.equal(from?.params.get('tag'), "_token~1'+`*%!-.");
  t.equal(from?.params.get("fromparam''~+*_!.-%"), '"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439"');
  t.equal(m.headers.get('call-id'), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  t.equal(m.headers.get("extensionHeader-!.%*+_`'~"), '\uFEFF\u5927\u505C\u96FB');
});

t.test('3.1.1.3 esc01 and 3.1.1.4 escnull: escaped URIs', async (t) => {
  const m = req(M.esc01);
  t.equal(unescape(parseSipUri(m.uri)?.user ?? ''), 'sips:user@example.com');
  t.equal(parseSipUri(m.uri)?.host, 'example.net');
  t.equal(unescape(parseSipUri(parseNameAddr(m.headers.get('to') ?? '')?.uri ?? '')?.user ?? ''), 'user');
  t.equal(m.headers.get('call-id'), 'esc01.239409asdfakjkn23onasd0-3234');
  t.equal(m.headers.get('content-type'), 'application/sdp');
  const contact = parseSipUri(parseNameAddr(m.headers.get('contact') ?? '')?.uri ?? '');
  t.ok(contact?.params.has('lr'));
  t.equal(contact?.params.get('name'), 'v%61lue%25%34%31');
  const n = req(M.escnull);
  t.equal(n.headers.list('contact').length, 2);
  t.equal(n.headers.get('content-length'), '0');
  t.equal(unescape(parseSipUri(parseNameAddr(n.headers.list('contact')[1])?.uri ?? '')?.user ?? ''), '\x00\x00');
});

t.test('3.1.1.5 esc02: % in a method is a token character; C%6Fntact is another header', async (t) => {
  const m = req(M.esc02);
  t.equal(m.method, 'RE%47IST%45R');
  t.equal(m.headers.list('contact').length, 2);
  t.equal(m.headers.get('c%6fntact'), '<sip:alias2@host2.example.com>');
  t.equal(parseNameAddr(m.headers.get('to') ?? '')?.displayName, '%Z%45');
});

t.test('3.1.1.6 lwsdisp, 3.1.1.7 longreq', async (t) => {
  t.equal(parseNameAddr(req(M.lwsdisp).headers.get('from') ?? '')?.displayName, 'caller');
  const m = req(M.longreq);
  t.equal(m.headers.list('via').length, 34);
  t.equal(parseVia(m.headers.list('via')[0])?.host, 'sip33.example.com');
  t.match(parseVia(m.headers.list('via')[33])?.branch ?? '', /^verylong(long)+branchvalue$/);
  t.equal(parseNameAddr(m.headers.get('to') ?? '')?.displayName, `I have a user name of ${'extreme'.repeat(10)} proportion`);
  t.equal(parseSipUri(parseNameAddr(m.headers.get('to') ?? '')?.uri ?? '')?.port, 6000);
  t.match(tagOf(m.headers.get('from')) ?? '', /^12(982)+424$/);
  t.equal(m.body.length, 150);
});

t.test('3.1.1.8 dblreq: only the first message of a datagram; 3.1.1.9 semiuri; 3.1.1.10 transports', async (t) => {
  const m = req(M.dblreq);
  t.equal(m.method, 'REGISTER');
  t.equal(m.body.length, 0);
  const s = req(M.semiuri);
  const uri = parseSipUri(s.uri);
  t.equal(uri?.user, 'user;par=u%40example.net');
  t.equal(uri?.host, 'example.com');
  t.equal(uri?.params.size, 0);
  t.equal(s.headers.list('accept').length, 6);
  const tr = req(M.transports);
  t.same(
    tr.headers.list('via').map((v) => parseVia(v)?.transport),
    ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
  );
});

t.test('3.1.1.11 mpart01: binary multipart body kept byte for byte', async (t) => {
  const m = req(M.mpart01);
  t.ok(m.body.equals(M.MPART01_BODY));
  const again = req(serializeSipMessage(m));
  t.ok(again.body.equals(M.MPART01_BODY));
});

t.test('3.1.1.12 unreason, 3.1.1.13 noreason', async (t) => {
  const u = res(M.unreason);
  t.equal(u.status, 200);
  t.equal(
    u.reason,
    '= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435',
  );
  t.equal(u.body.length, 154);
  const n = res(M.noreason);
  t.equal(n.status, 100);
  t.equal(n.reason, '');
});

t.test('3.1.2 and 3.3: invalid messages rejected with the right status, or dropped', async (t) => {
  for (const c of M.INVALID) {
    const r = parseSipMessage(Buffer.from(c.text));
    t.ok(r instanceof SipParseError, `${c.name} rejected`);
    if (!(r instanceof SipParseError)) continue;
    if (c.expect === 'drop') t.equal(r.partial, undefined, `${c.name}: no response can be addressed`);
    else {
      t.equal(r.status, c.expect, `${c.name}: ${c.expect} (${r.message})`);
      t.ok(r.partial !== undefined, `${c.name}: addressable`);
    }
  }
});

t.test('serialize round trip keeps start line, headers (full names) and body', async (t) => {
  for (const text of [M.wsinv, M.esc01, M.longreq, M.semiuri, M.transports, M.noreason]) {
    const a = parse(text);
    const b = parse(serializeSipMessage(a));
    const noLength = (m: SipMessage): unknown[] => m.headers.entries().filter((f) => f.key !== 'content-length');
    t.same(noLength(b), noLength(a));
    t.equal(b.headers.get('content-length'), String(a.body.length));
    t.ok(b.body.equals(a.body));
  }
  const wire = serializeSipMessage(parse(M.esc01)).toString();
  t.match(wire, /\r\nCall-ID: esc01/);
  t.match(wire, /\r\nContent-Type: application\/sdp\r\n/);
});
