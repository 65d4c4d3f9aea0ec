// Which statusCallback URLs are accepted: none without a signing secret, https only unless
// opted out, no loopback/private/link-local literal unless allowlisted, the allowlist when set.
import t from 'tap';
import { checkCallbackUrl, isNonPublicAddress, type CallbackPolicy } from '../../src/http/callback-policy.js';

const OPEN: CallbackPolicy = { secretSet: true, allowPlainHttp: false, hosts: [] };

t.test('no webhook secret: every callback is refused', async (t) => {
  t.match(checkCallbackUrl('https://crm.example/cb', { ...OPEN, secretSet: false }), { ok: false, code: 'ERR_WEBHOOKS_DISABLED', error: /http\.webhookSecret/ });
});

t.test('https only unless plain http is allowed', async (t) => {
  t.match(checkCallbackUrl('https://crm.example/cb', OPEN), { ok: true, url: 'https://crm.example/cb' });
  t.match(checkCallbackUrl('http://crm.example/cb', OPEN), { ok: false, code: 'ERR_CALLBACK_REFUSED', error: /http\.allowPlainHttpCallbacks/ });
  t.match(checkCallbackUrl('http://crm.example/cb', { ...OPEN, allowPlainHttp: true }), { ok: true });
  for (const url of ['ftp://crm.example/x', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'https://user:pw@crm.example/']) {
    t.match(checkCallbackUrl(url, { ...OPEN, allowPlainHttp: true }), { ok: false, code: 'ERR_CALLBACK_REFUSED' }, url);
  }
});

t.test('internal addresses are refused unless allowlisted, in every spelling', async (t) => {
  for (const url of [
    'https://127.0.0.1/cb',
    'https://127.1.2.3:8443/cb',
    'https://2130706433/cb',
    'https://0x7f.1/cb',
    'https://localhost/cb',
    'https://api.localhost/cb',
    'https://10.0.0.5/cb',
    'https://172.16.3.4/cb',
    'https://192.168.1.1/cb',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://[::1]/cb',
    'https://[::ffff:127.0.0.1]/cb',
    'https://[::ffff:10.0.0.1]/cb',
    'https://[fe80::1]/cb',
    'https://[fd00::1]/cb',
    'https://[::]/',
  ]) {
    t.match(checkCallbackUrl(url, OPEN), { ok: false, code: 'ERR_CALLBACK_REFUSED' }, url);
  }
  for (const url of ['https://8.8.8.8/cb', 'https://[2606:4700::1111]/cb', 'https://172.32.0.1/cb', 'https://crm.example/cb']) t.match(checkCallbackUrl(url, OPEN), { ok: true }, url);
  t.match(checkCallbackUrl('https://127.0.0.1:9000/cb', { ...OPEN, hosts: ['127.0.0.1'] }), { ok: true }, 'an allowlisted loopback address');
  t.match(checkCallbackUrl('https://[::1]:9000/cb', { ...OPEN, hosts: ['[::1]'] }), { ok: true }, 'IPv6 in brackets in the list');
});

t.test('with an allowlist only its hosts are accepted', async (t) => {
  const policy = { ...OPEN, hosts: ['crm.example', '*.desk.example'] };
  t.match(checkCallbackUrl('https://CRM.example/cb', policy), { ok: true });
  t.match(checkCallbackUrl('https://eu.desk.example/cb', policy), { ok: true });
  t.match(checkCallbackUrl('https://desk.example/cb', policy), { ok: false, error: /http\.callbackHosts/ }, 'the wildcard is for subdomains');
  t.match(checkCallbackUrl('https://evildesk.example/cb', policy), { ok: false });
  t.match(checkCallbackUrl('https://crm.example.evil.example/cb', policy), { ok: false });
  t.match(checkCallbackUrl('https://other.example/cb', policy), { ok: false });
});

t.test('the address classes', async (t) => {
  t.ok(isNonPublicAddress('127.0.0.1'));
  t.ok(isNonPublicAddress('::ffff:7f00:1'));
  t.ok(isNonPublicAddress('fe80::abcd'));
  t.notOk(isNonPublicAddress('1.1.1.1'));
  t.notOk(isNonPublicAddress('2606:4700::1111'));
  t.notOk(isNonPublicAddress('crm.example'), 'a name is not an address');
});
