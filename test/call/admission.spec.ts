// Who may open a dialog through toneguard: trusted sources, or peers that answer a digest
// challenge; anyone else gets 403 and the PBX never hears of them.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { digestAuthorization } from '../../src/sip/digest-auth.js';
import type { SipRequest, SipResponse } from '../../src/sip/sip-stack.js';
import { sdpBody } from '../helpers/call-sip-peers.js';
import { b2buaRig } from '../helpers/b2bua-rig.js';

const elsewhere = { trusted: (a: string) => a === '127.0.0.2' };

function outOfDialog(r: Awaited<ReturnType<typeof b2buaRig>>, method: string): Promise<SipResponse> {
  const req: SipRequest = r.caller.stack.createRequest({
    method,
    uri: r.uri('100'),
    from: '<sip:x@127.0.0.1>',
    to: `<${r.uri('100')}>`,
    headers: method === 'REFER' ? { 'refer-to': '<sip:1@h>' } : method === 'SUBSCRIBE' ? { event: 'dialog' } : {},
  });
  const ctx = r.caller.stack.request(req, r.tg);
  return new Promise((resolve) => ctx.on('final', resolve));
}

t.test('an INVITE from a source outside sip.trustedSources gets 403 and never reaches the PBX', async (t) => {
  const r = await b2buaRig(t, { admission: elsewhere });
  const final = await r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000), headers: { 'X-Payment-Result': 'success' } }).final;
  t.equal(final.status, 403);
  for (const method of ['MESSAGE', 'SUBSCRIBE', 'REFER']) t.equal((await outOfDialog(r, method)).status, 403, `out-of-dialog ${method}`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(r.pbx.received.length, 0, 'the PBX was never contacted');
  t.same(r.manager.calls(), []);
  t.match(r.warnings.join('\n'), /INVITE refused: source 127\.0\.0\.1 is not in sip\.trustedSources/);
});

t.test('default policy: loopback is trusted', async (t) => {
  const r = await b2buaRig(t);
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) });
  t.equal((await out.final).status, 200);
  t.equal(r.pbx.received.filter((x) => x.req.method === 'INVITE').length, 1);
});

t.test('an untrusted peer with digest credentials gets a challenge, then its call', async (t) => {
  const user = { name: 'pbx1', password: 'trunk secret' };
  const digest = { realm: 'toneguard', users: [user], key: randomBytes(32), nonceTtlMs: 60_000, allowMd5: false };
  const r = await b2buaRig(t, { admission: { ...elsewhere, digest } });
  const first = await r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) }).final;
  t.equal(first.status, 401);
  const challenge = first.headers.getAll('www-authenticate')[0] ?? '';
  t.match(challenge, /^Digest realm="toneguard", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/);
  const wrong = digestAuthorization(challenge, { ...user, password: 'guess' }, 'INVITE', r.uri('100'), 'c1');
  t.equal((await r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000), headers: { authorization: wrong ?? '' } }).final).status, 401, 'a wrong password is challenged again');
  t.equal(r.pbx.received.length, 0, 'nothing reached the PBX before authentication');
  const right = digestAuthorization(challenge, user, 'INVITE', r.uri('100'), 'c2');
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000), headers: { authorization: right ?? '' } });
  t.equal((await out.final).status, 200);
  const { req } = await r.pbx.next('INVITE');
  t.equal(req.headers.get('authorization'), undefined, 'credentials are not relayed');
});

t.test('call slots reserved for trusted sources: digest-admitted peers cannot fill them', async (t) => {
  const user = { name: 'pbx1', password: 'trunk secret' };
  const digest = { realm: 'toneguard', users: [user], key: randomBytes(32), nonceTtlMs: 60_000, allowMd5: false };
  for (const reservedCalls of [1, 0]) {
    const r = await b2buaRig(t, { admission: { ...elsewhere, digest }, limits: { maxCalls: 2, reservedCalls } });
    const call = async (): Promise<number> => {
      const challenge = (await r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) }).final).headers.getAll('www-authenticate')[0] ?? '';
      const authorization = digestAuthorization(challenge, user, 'INVITE', r.uri('100'), 'c') ?? '';
      return (await r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000), headers: { authorization } }).final).status;
    };
    t.equal(await call(), 200, `reservedCalls ${reservedCalls}: the first digest call`);
    t.equal(await call(), reservedCalls === 1 ? 503 : 200, reservedCalls === 1 ? 'the last slot is kept for trusted sources' : 'without a reservation the second fits');
  }
});
