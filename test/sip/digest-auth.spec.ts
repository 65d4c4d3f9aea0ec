// Digest authentication as a SIP server: RFC 7616's worked example, stateless nonces bound to
// the source, stale nonces, and hostile Authorization values that must be refused, never thrown.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { challenges, checkNonce, digestAuthorization, makeNonce, parseDigestCredentials, verifyDigest, type DigestOptions } from '../../src/sip/digest-auth.js';

const user = { name: 'pbx1', password: 'trunk secret' };
const options: DigestOptions = { realm: 'toneguard', users: [user], key: randomBytes(32), nonceTtlMs: 300_000, allowMd5: true };
const NOW = 1_800_000_000_000;

t.test('RFC 7616 §3.9.1 example responses (SHA-256 and MD5)', async (t) => {
  const example = { name: 'Mufasa', password: 'Circle of Life' };
  const nonce = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
  const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
  const sha = digestAuthorization(`Digest realm="http-auth@example.org", qop="auth", algorithm=SHA-256, nonce="${nonce}"`, example, 'GET', '/dir/index.html', cnonce);
  t.match(sha, /response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/);
  const md5 = digestAuthorization(`Digest realm="http-auth@example.org", qop="auth", algorithm=MD5, nonce="${nonce}"`, example, 'GET', '/dir/index.html', cnonce);
  t.match(md5, /response="8ca523f5e9506fed4657c9700eebdbec"/);
});

t.test('a right answer to our challenge is accepted, for SHA-256 and MD5', async (t) => {
  const [sha, md5] = challenges(options, '127.0.0.9', NOW);
  t.match(sha, /algorithm=SHA-256/);
  t.match(md5, /algorithm=MD5/);
  for (const c of [sha, md5]) {
    const auth = digestAuthorization(c, user, 'INVITE', 'sip:100@127.0.0.1', 'abc');
    t.same(verifyDigest(options, auth, 'INVITE', '127.0.0.9', NOW + 1000), { ok: true, user: 'pbx1' });
  }
  t.same(challenges({ ...options, allowMd5: false }, '127.0.0.9', NOW).length, 1, 'MD5 only when allowed');
  const md5auth = digestAuthorization(md5, user, 'INVITE', 'sip:100@127.0.0.1', 'abc');
  t.same(verifyDigest({ ...options, allowMd5: false }, md5auth, 'INVITE', '127.0.0.9', NOW), { ok: false, stale: false }, 'MD5 refused when not allowed');
});

t.test('refused: wrong password, other method, other source, forged or stale nonce, unknown user', async (t) => {
  const [c] = challenges(options, '127.0.0.9', NOW);
  const good = digestAuthorization(c, user, 'INVITE', 'sip:100@127.0.0.1', 'abc');
  t.same(verifyDigest(options, digestAuthorization(c, { ...user, password: 'guess' }, 'INVITE', 'sip:100@127.0.0.1', 'abc'), 'INVITE', '127.0.0.9', NOW), { ok: false, stale: false });
  t.same(verifyDigest(options, good, 'BYE', '127.0.0.9', NOW), { ok: false, stale: false }, 'the method is in the hash');
  t.same(verifyDigest(options, good, 'INVITE', '127.0.0.10', NOW), { ok: false, stale: false }, 'a nonce is bound to its source');
  t.same(verifyDigest(options, good, 'INVITE', '127.0.0.9', NOW + 300_001), { ok: false, stale: true }, 'stale nonce: ask again');
  t.same(verifyDigest({ ...options, key: randomBytes(32) }, good, 'INVITE', '127.0.0.9', NOW), { ok: false, stale: false }, 'another key');
  t.same(verifyDigest(options, digestAuthorization(c, { name: 'nobody', password: 'x' }, 'INVITE', 'sip:1@h', 'a'), 'INVITE', '127.0.0.9', NOW), { ok: false, stale: false });
  t.equal(checkNonce(options.key, makeNonce(options.key, 'a', NOW), 'a', NOW - 1, 1000), 'invalid', 'a nonce from the future');
});

t.test('hostile Authorization values are refused without throwing', async (t) => {
  const values = [
    '',
    'Basic dXNlcjpwYXNz',
    'Digest',
    'Digest ',
    'Digest username',
    'Digest username="unterminated',
    'Digest username="a", username="b"',
    `Digest username="${'x'.repeat(5000)}"`,
    'Digest ,,,,',
    'Digest a=b,,c=d',
    'Digest username="pbx1", realm="toneguard", nonce="1.x", uri="sip:x", response="00", qop=auth, nc=zz, cnonce="c"',
    'Digest username="pbx1", realm="toneguard", nonce="' + makeNonce(options.key, 's', NOW) + '", uri="sip:x", response="00", algorithm=SHA-512',
  ];
  for (const v of values) t.same(verifyDigest(options, v, 'INVITE', 's', NOW), { ok: false, stale: false }, JSON.stringify(v.slice(0, 40)));
  t.same(
    parseDigestCredentials('Digest a="q\\"uote", b=tok'),
    new Map([
      ['a', 'q"uote'],
      ['b', 'tok'],
    ]),
  );
});
