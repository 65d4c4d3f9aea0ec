// Secure mode fails closed for the caller's in-dialog requests: INFO and MESSAGE of any content
// type (every vendor's DTMF format, and ones nobody has invented yet) are answered by toneguard
// and never reach the PBX; outside secure mode they are relayed as before.
import t from 'tap';
import { relayVerdict, loggableContentType } from '../../src/call/in-dialog-policy.js';
import { b2buaRig, connectedCall } from '../helpers/b2bua-rig.js';

const BODIES: readonly { readonly type: string; readonly body: string; readonly digit?: string }[] = [
  { type: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=160\r\n', digit: '5' },
  { type: 'application/dtmf', body: '7', digit: '7' },
  { type: 'application/x-dtmf-relay', body: 'Signal=4\r\nDuration=100\r\n', digit: '4' },
  { type: 'application/x-dtmf', body: '9', digit: '9' },
  { type: 'audio/telephone-event', body: '\u0003\u008a\u0000\u00a0', digit: '3' },
  { type: 'application/broadsoft', body: 'event flashhook\r\nsignal 8\r\n' },
  { type: 'text/plain', body: '4111111111111111' },
  { type: 'application/vnd.example.keys+json', body: '{"key":"2"}' },
];

t.test('secure: caller INFO of every content type is answered here, none reaches the PBX; readable DTMF feeds the digit path', async (t) => {
  const r = await b2buaRig(t);
  const { dialog, media } = await connectedCall(r);
  r.manager.get(r.manager.calls()[0].id)?.setSecure(true);
  for (const b of BODIES) {
    const res = await r.caller.request(dialog, 'INFO', { body: b.body, contentType: b.type });
    t.equal(res?.status, 200, `${b.type}: 200 from toneguard`);
  }
  const message = await r.caller.request(dialog, 'MESSAGE', { body: 'my card is 4111111111111111', contentType: 'text/plain' });
  t.equal(message?.status, 200, 'MESSAGE: 200 from toneguard');
  const refer = await r.caller.request(dialog, 'REFER', { headers: { 'refer-to': '<sip:4111111111111111@evil>' } });
  t.equal(refer?.status, 403, 'REFER from the caller refused while secure');
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.same(
    r.pbx.received.filter((x) => x.req.method !== 'INVITE' && x.req.method !== 'ACK').map((x) => x.req.method),
    [],
    'nothing but the call setup reached the PBX',
  );
  t.same(
    media.infoDigits,
    BODIES.filter((b) => b.digit !== undefined).map((b) => b.digit),
    'readable DTMF bodies reach the digit path',
  );
  const logged = r.warnings.join('\n');
  t.match(logged, /application\/broadsoft/, 'the content type is logged');
  t.notMatch(logged, /4111/, 'never the body');
});

t.test('not secure: the same INFO and MESSAGE bodies are relayed to the PBX as before', async (t) => {
  const r = await b2buaRig(t);
  const { dialog } = await connectedCall(r);
  for (const b of BODIES) {
    const res = await r.caller.request(dialog, 'INFO', { body: b.body, contentType: b.type });
    t.equal(res?.status, 200);
  }
  t.equal((await r.caller.request(dialog, 'MESSAGE', { body: 'hello', contentType: 'text/plain' }))?.status, 200);
  const infos = r.pbx.received.filter((x) => x.req.method === 'INFO');
  t.same(
    infos.map((x) => x.req.headers.get('content-type')),
    BODIES.map((b) => b.type),
    'every INFO relayed with its type',
  );
  t.equal(r.pbx.received.filter((x) => x.req.method === 'MESSAGE').length, 1);
});

t.test('secure: the agent leg still reaches the caller, and session methods from the caller still pass', async (t) => {
  t.same(relayVerdict('agent', 'INFO', true), { action: 'relay' });
  t.same(relayVerdict('caller', 'INVITE', true), { action: 'relay' });
  t.same(relayVerdict('caller', 'UPDATE', true), { action: 'relay' });
  t.same(relayVerdict('caller', 'INFO', false), { action: 'relay' });
  t.same(relayVerdict('caller', 'PUBLISH', true), { action: 'absorb', status: 403 }, 'a method relayed in the future is covered too');
  t.equal(loggableContentType('Application/X-DTMF; x=1'), 'application/x-dtmf');
  t.equal(loggableContentType('4111 1111 1111 1111'), '(malformed)');
  t.equal(loggableContentType(undefined), '(none)');
});
