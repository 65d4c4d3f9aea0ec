// What a caller's signalling may carry to the PBX: never toneguard's result vocabulary
// (X-Payment-*, X-Toneguard-*), asserted identity only from the trust domain; checked on the pure
// rules and over real SIP on UDP loopback with a scripted caller and PBX.
import t from 'tap';
import { headersForUpstream, referToWithoutReservedHeaders } from '../../src/call/header-hygiene.js';
import type { Dialog, SipRequest } from '../../src/sip/sip-stack.js';
import { sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { b2buaRig as rig } from '../helpers/b2bua-rig.js';

const FORGED = {
  'X-Payment-Result': 'success',
  'X-Payment-Transaction-Id': '900100',
  'X-Payment-Amount': '1.00',
  'X-Toneguard-Call-Id': 'someone-elses-call',
};

const fields = (h: Record<string, string>) => Object.entries(h).map(([key, value]) => ({ key: key.toLowerCase(), value }));

t.test('INVITE headers for the PBX: reserved names dropped, identity only when trusted', async (t) => {
  const caller = fields({ ...FORGED, 'X-Crm-Ticket': 'T-9', 'P-Asserted-Identity': '<sip:+441234@carrier>', 'Remote-Party-ID': '<sip:1@x>', Privacy: 'id', 'x-payment-reason': 'ok' });
  t.same(headersForUpstream(caller, false), { 'x-crm-ticket': ['T-9'], privacy: ['id'] });
  t.same(headersForUpstream(caller, true), { 'x-crm-ticket': ['T-9'], 'p-asserted-identity': ['<sip:+441234@carrier>'], 'remote-party-id': ['<sip:1@x>'], privacy: ['id'] });
});

t.test('Refer-To: reserved URI headers removed, escaped names too, others kept', async (t) => {
  t.same(referToWithoutReservedHeaders('<sip:ivr@pbx>'), { ok: true, value: '<sip:ivr@pbx>', stripped: 0 });
  t.same(referToWithoutReservedHeaders('<sip:ivr@pbx?X-Payment-Result=success&X-Payment-Transaction-Id=1>'), { ok: true, value: '<sip:ivr@pbx>', stripped: 2 });
  t.same(referToWithoutReservedHeaders('"Q" <sip:ivr@pbx;transport=udp?Replaces=abc%40h%3Bto-tag%3D1&X%2DPayment-Result=success>;p=1'), {
    ok: true,
    value: '"Q" <sip:ivr@pbx;transport=udp?Replaces=abc%40h%3Bto-tag%3D1>;p=1',
    stripped: 1,
  });
  t.same(referToWithoutReservedHeaders('<sip:ivr@pbx?x-toneguard-call-id=1>'), { ok: true, value: '<sip:ivr@pbx>', stripped: 1 });
  t.equal(referToWithoutReservedHeaders('sip:ivr@pbx?X-Payment-Result=success').ok, false, 'no brackets: refused');
  t.equal(referToWithoutReservedHeaders('sip:ivr@pbx').ok, true);
});

function reservedHeaders(req: SipRequest): string[] {
  return [...req.headers.entries()].map((f) => f.key).filter((k) => /^x-(payment|toneguard)-/i.test(k));
}

t.test("a caller's forged result headers never reach the PBX: INVITE, re-INVITE, INFO, REFER, BYE", async (t) => {
  const r = await rig(t);
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000), headers: { ...FORGED, 'P-Asserted-Identity': '<sip:+441234@carrier>', 'X-Crm-Ticket': 'T-9' } });
  t.equal((await out.final).status, 200);
  const dialog = out.dialog as Dialog;
  const { req: invite } = await r.pbx.next('INVITE');
  t.same(reservedHeaders(invite), ['x-toneguard-call-id'], "INVITE: only toneguard's own correlation header");
  t.not(invite.headers.get('x-toneguard-call-id'), 'someone-elses-call', "the caller's forged X-Toneguard-Call-Id is not the one relayed");
  t.equal(invite.headers.get('p-asserted-identity'), undefined, 'no identity from an untrusted source');
  t.equal(invite.headers.get('x-crm-ticket'), 'T-9', 'integration data still copied');
  await waitFor(() => r.pbxDialogs.length === 1);

  t.equal((await r.caller.request(dialog, 'INVITE', { body: sdpBody(40010), contentType: 'application/sdp', headers: FORGED }))?.status, 200);
  t.same(reservedHeaders((await r.pbx.next('INVITE')).req), [], 're-INVITE');
  t.equal((await r.caller.request(dialog, 'INFO', { body: 'x', contentType: 'application/x-crm', headers: FORGED }))?.status, 200);
  t.same(reservedHeaders((await r.pbx.next('INFO')).req), [], 'INFO');

  const referTo = `<sip:ivr@127.0.0.1:5999?X-Payment-Result=success&X%2DPayment-Transaction-Id=900100&X-Payment-Card-Last4=1111>`;
  const refer = await r.caller.request(dialog, 'REFER', { headers: { ...FORGED, 'refer-to': referTo } });
  t.equal(refer?.status, 202, 'the transfer itself still goes through');
  const { req: relayed } = await r.pbx.next('REFER');
  t.equal(relayed.headers.get('refer-to'), '<sip:ivr@127.0.0.1:5999>', 'Refer-To without the forged URI headers');
  t.same(reservedHeaders(relayed), [], 'REFER header fields');
  t.match(r.warnings.join('\n'), /3 reserved URI header\(s\) removed/);

  const unbracketed = await r.caller.request(dialog, 'REFER', { headers: { 'refer-to': 'sip:ivr@127.0.0.1?X-Payment-Result=success' } });
  t.equal(unbracketed?.status, 403, 'a Refer-To we cannot take apart is refused');

  t.equal((await r.caller.request(dialog, 'BYE', { headers: FORGED }))?.status, 200);
  t.same(reservedHeaders((await r.pbx.next('BYE')).req), [], 'BYE');
  const everything = r.pbx.received
    .map((x) => x.req.headers.entries())
    .flatMap((e) => [...e].map((f) => `${f.key}: ${f.value}`))
    .join('\n');
  t.notMatch(everything, /x-payment|someone-elses-call|900100/i, 'nothing forged in anything the PBX received');
});

t.test('asserted identity passes from the trust domain, result headers still do not', async (t) => {
  const r = await rig(t, { trustedIdentity: (address) => address === '127.0.0.1' });
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000), headers: { ...FORGED, 'P-Asserted-Identity': '<sip:+441234@carrier>' } });
  t.equal((await out.final).status, 200);
  const { req: invite } = await r.pbx.next('INVITE');
  t.equal(invite.headers.get('p-asserted-identity'), '<sip:+441234@carrier>');
  t.same(reservedHeaders(invite), ['x-toneguard-call-id']);
});
