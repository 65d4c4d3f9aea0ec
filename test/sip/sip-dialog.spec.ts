// Dialogs (RFC 3261 §12): created on both sides, in-dialog requests with CSeq, route set and
// remote target; next hop from a SIP URI.
import t from 'tap';
import { Dialog, uriDestination } from '../../src/sip/dialog.js';
import { createResponse } from '../../src/sip/message.js';
import { SipHeaders, type SipRequest } from '../../src/sip/message-types.js';

function invite(): SipRequest {
  const headers = new SipHeaders([
    ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1'],
    ['Record-Route', '<sip:p1.example.com;lr>, <sip:p2.example.com;lr>'],
    ['Max-Forwards', '70'],
    ['From', '"A" <sip:a@example.com>;tag=ta'],
    ['To', '<sip:b@example.com>'],
    ['Call-ID', 'c1'],
    ['CSeq', '7 INVITE'],
    ['Contact', '<sip:a@10.0.0.1:5060>'],
  ]);
  return { kind: 'request', method: 'INVITE', uri: 'sip:b@example.com', headers, body: Buffer.alloc(0) };
}

t.test('UAS dialog: remote target from Contact, route set in order, CSeq checks', async (t) => {
  const req = invite();
  const d = Dialog.fromUasRequest(req, 'tb', '<sip:b@10.0.0.2:5070>');
  if (d === undefined) throw new Error('no dialog');
  t.equal(d.id, 'c1;tb;ta');
  t.equal(d.remoteTarget, 'sip:a@10.0.0.1:5060');
  t.same(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  const bye = d.createRequest('BYE');
  t.equal(bye.uri, 'sip:a@10.0.0.1:5060');
  t.same(bye.headers.getAll('route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  t.equal(bye.headers.get('from'), '<sip:b@example.com>;tag=tb');
  t.equal(bye.headers.get('to'), '"A" <sip:a@example.com>;tag=ta');
  t.equal(bye.headers.get('cseq'), '1 BYE');
  t.equal(d.createRequest('INFO').headers.get('cseq'), '2 INFO');
  t.same(d.nextHop(), { transport: 'udp', address: 'p1.example.com', port: 5060 });
  const inDialog = d.createRequest('BYE');
  t.notOk(d.matches(inDialog), "our own request is not the peer's");
  const peerBye = {
    ...req,
    method: 'BYE',
    headers: new SipHeaders([
      ['From', '"A" <sip:a@example.com>;tag=ta'],
      ['To', '<sip:b@example.com>;tag=tb'],
      ['Call-ID', 'c1'],
      ['CSeq', '8 BYE'],
    ]),
  };
  t.ok(d.matches(peerBye));
  t.ok(d.acceptRemote(peerBye));
  t.notOk(d.acceptRemote(peerBye), 'same CSeq again is out of order');
});

t.test('UAC dialog: from a 2xx with To tag; route set reversed; ACK keeps the INVITE CSeq', async (t) => {
  const req = invite();
  req.headers.delete('record-route');
  const ok = createResponse(req, 200, undefined, { toTag: 'tb', headers: { Contact: '<sip:b@10.0.0.2:5070;transport=tcp>', 'Record-Route': '<sip:p2.example.com;lr>, <sip:p1.example.com;lr>' } });
  const d = Dialog.fromUacResponse(req, ok);
  if (d === undefined) throw new Error('no dialog');
  t.equal(d.state, 'confirmed');
  t.same(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  t.equal(d.createAck(7).headers.get('cseq'), '7 ACK');
  t.equal(d.createRequest('BYE').headers.get('cseq'), '8 BYE');
  d.routeSet = [];
  t.same(d.nextHop(), { transport: 'tcp', address: '10.0.0.2', port: 5070 });
  const early = Dialog.fromUacResponse(req, createResponse(req, 180, undefined, { toTag: 'tb' }));
  t.equal(early?.state, 'early');
  t.equal(Dialog.fromUacResponse(req, createResponse(req, 100)), undefined, 'no To tag, no dialog');
});

t.test('uriDestination: transport param, sips, default ports, IPv6', async (t) => {
  t.same(uriDestination('sips:x@h.example.com'), { transport: 'tls', address: 'h.example.com', port: 5061 });
  t.same(uriDestination('sip:[::1]:5070;transport=TCP'), { transport: 'tcp', address: '::1', port: 5070 });
  t.equal(uriDestination('tel:+123'), undefined);
});

t.test('a UAS answer to a dialog-creating INVITE carries its Record-Route (RFC 3261 §12.1.1), other answers do not', async (t) => {
  const req = invite();
  t.same(createResponse(req, 200, undefined, { toTag: 'tb' }).headers.getAll('record-route'), ['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>'], '200 copies it');
  t.same(createResponse(req, 180, undefined, { toTag: 'tb' }).headers.getAll('record-route'), ['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>'], '180 copies it');
  t.same(createResponse(req, 100).headers.getAll('record-route'), [], '100 does not');
  t.same(createResponse(req, 486, undefined, { toTag: 'tb' }).headers.getAll('record-route'), [], 'an error does not');
  const bye: SipRequest = { ...req, method: 'BYE', headers: req.headers };
  t.same(createResponse(bye, 200).headers.getAll('record-route'), [], 'a BYE answer does not');
});
