// The B2BUA over real SIP on UDP loopback: a scripted caller, toneguard's CallManager with a fake
// MediaSession, and a scripted PBX, each on the project's SIP stack.
import t, { type Test } from 'tap';
import { CallManager, type CallManagerOptions } from '../../src/call/call-manager.js';
import type { Call } from '../../src/call/call.js';
import type { CallEndReason } from '../../src/call/call-types.js';
import type { PaymentCallParams } from '../../src/call/payment-headers.js';
import { parseSdp } from '../../src/sip/sdp.js';
import { SipStack, type Destination, type Dialog, type ServerTransaction, type SipRequest } from '../../src/sip/sip-stack.js';
import { FakeMediaSession } from '../helpers/fake-media-session.js';
import { answerInvite, FAST_TIMERS, Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';

interface Rig {
  readonly manager: CallManager;
  readonly caller: Peer;
  readonly pbx: Peer;
  readonly tg: Destination;
  readonly medias: FakeMediaSession[];
  readonly ends: { call: Call; reason: CallEndReason }[];
  readonly payments: { call: Call; params: PaymentCallParams }[];
  /** The PBX's dialogs, by arrival. */
  readonly pbxDialogs: Dialog[];
  uri(user: string): string;
}

type PbxScript = 'answer' | 'ring' | number | ((req: SipRequest, tx: ServerTransaction, pbx: Peer, dialogs: Dialog[]) => void);

async function rig(t: Test, options: Partial<CallManagerOptions> = {}, pbxScript: PbxScript = 'answer'): Promise<Rig> {
  const stack = await SipStack.listen({ address: '127.0.0.1', port: 0, transports: ['udp'], timers: FAST_TIMERS, trying100DelayMs: 0 });
  const caller = await Peer.start();
  const pbx = await Peer.start();
  const medias: FakeMediaSession[] = [];
  const ends: { call: Call; reason: CallEndReason }[] = [];
  const payments: { call: Call; params: PaymentCallParams }[] = [];
  const pbxDialogs: Dialog[] = [];
  const manager = new CallManager({
    stack,
    upstream: pbx.uri,
    paymentUri: 'sip:pay@127.0.0.1',
    createMedia: ({ mode }) => {
      const media = new FakeMediaSession(mode);
      medias.push(media);
      return media;
    },
    onPaymentCall: (call, params) => payments.push({ call, params }),
    ...options,
  });
  manager.on('call-end', (call, reason) => ends.push({ call, reason }));
  pbx.handler = (req, tx) => {
    if (tx === undefined) return;
    if (req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      if (typeof pbxScript === 'function') pbxScript(req, tx, pbx, pbxDialogs);
      else if (pbxScript === 'answer') {
        answerInvite(pbx, req, tx, 180);
        const d = answerInvite(pbx, req, tx, 200, { body: sdpBody(30000, { address: '127.0.0.9' }), contentType: 'application/sdp' });
        if (d !== undefined) pbxDialogs.push(d);
      } else if (pbxScript === 'ring') answerInvite(pbx, req, tx, 180);
      else tx.respond(pbxScript);
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const port = stack.localAddress('udp')?.port ?? 0;
  t.teardown(async () => {
    manager.close();
    await Promise.all([stack.close(), caller.close(), pbx.close()]);
  });
  return {
    manager,
    caller,
    pbx,
    medias,
    ends,
    payments,
    pbxDialogs,
    tg: { transport: 'udp', address: '127.0.0.1', port },
    uri: (user) => `sip:${user}@127.0.0.1:${port}`,
  };
}

async function connected(r: Rig, headers: Record<string, string> = {}) {
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000, { address: '127.0.0.5' }), headers });
  const final = await out.final;
  return { out, final, dialog: out.dialog as Dialog, media: r.medias[r.medias.length - 1] };
}

function header(req: SipRequest, name: string): string | undefined {
  return req.headers.get(name);
}

t.test('basic call: INVITE relayed with our SDP, 200 back, caller hangs up, both legs end', async (t) => {
  const r = await rig(t);
  const starts: string[] = [];
  r.manager.on('call-start', (c) => starts.push(c.id));
  const answers: string[] = [];
  r.manager.on('call-answer', (c) => answers.push(c.id));
  const { out, final, dialog, media } = await connected(r, { 'X-Crm-Ticket': 'T-9', 'P-Asserted-Identity': '<sip:+441234@carrier>', 'X-Other': 'y' });
  t.equal(final.status, 200);
  t.ok(
    out.responses.some((x) => x.status === 180),
    '180 relayed',
  );
  const answer = parseSdp(final.body.toString())!.media[0];
  t.equal(answer.port, media.local('caller').rtpPort, 'our caller-side port');
  t.equal(answer.address, '127.0.0.1');
  t.notMatch(final.body.toString(), '127.0.0.9', 'no PBX media address towards the caller');
  t.notMatch(final.body.toString(), /(^|[^0-9])30000([^0-9]|$)/m, 'no PBX media port towards the caller');

  const { req: invite } = await r.pbx.next('INVITE');
  t.match(invite.uri, new RegExp(`^sip:100@127.0.0.1:${r.pbx.port}`), 'caller user at the PBX');
  t.equal(header(invite, 'x-crm-ticket'), 'T-9', 'X- headers copied');
  t.equal(header(invite, 'p-asserted-identity'), undefined, 'no asserted identity from a source outside the trust domain');
  t.match(header(invite, 'from'), /^"Alice" <sip:alice@127\.0\.0\.1>/);
  t.not(header(invite, 'call-id'), header(out.request, 'call-id'), 'a new Call-ID on the PBX leg');
  const offer = invite.body.toString();
  t.equal(parseSdp(offer)!.media[0].port, media.local('agent').rtpPort);
  t.notMatch(offer, '127.0.0.5', 'no caller media address towards the PBX');
  t.notMatch(offer, /(^|[^0-9])40000([^0-9]|$)/m, 'no caller media port towards the PBX');

  t.same(media.lastConfig('caller')?.remote, { address: '127.0.0.5', rtpPort: 40000, rtcpPort: 40001 });
  t.same(media.lastConfig('agent')?.remote, { address: '127.0.0.9', rtpPort: 30000, rtcpPort: 30001 });
  t.equal(media.lastConfig('agent')?.codec, 'PCMU');
  t.same(starts.length, 1);
  t.same(answers.length, 1);
  const [row] = r.manager.calls();
  t.match(row, { state: 'confirmed', mode: 'b2bua', secure: false });
  t.match(row.from, /Alice/);
  t.notMatch(row.from, /tag=/, 'no tag in the listing');
  t.type(row.startedAt, 'number');

  const bye = await r.caller.request(dialog, 'BYE');
  t.equal(bye?.status, 200);
  await r.pbx.next('BYE');
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'caller-hangup');
  t.ok(media.closed, 'media closed');
  t.same(r.manager.calls(), []);
});

t.test('the PBX hangs up: BYE to the caller', async (t) => {
  const r = await rig(t);
  const { media } = await connected(r);
  await waitFor(() => r.pbxDialogs.length === 1);
  const res = await r.pbx.request(r.pbxDialogs[0], 'BYE');
  t.equal(res?.status, 200);
  await r.caller.next('BYE');
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'agent-hangup');
  t.ok(media.closed);
});

t.test('CANCEL before answer: CANCEL to the PBX, 487 to the caller', async (t) => {
  const r = await rig(t, {}, 'ring');
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) });
  await out.provisional(180);
  const { tx } = await r.pbx.next('INVITE');
  const cancelled = new Promise<void>((resolve) => tx?.on('cancel', () => resolve()));
  out.ctx.cancel();
  const final = await out.final;
  t.equal(final.status, 487);
  await cancelled;
  t.pass('the PBX saw the CANCEL');
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'cancelled');
  t.ok(r.medias[0].closed);
});

t.test('486 from the PBX is relayed to the caller', async (t) => {
  const r = await rig(t, {}, 486);
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) });
  const final = await out.final;
  t.equal(final.status, 486);
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'rejected');
  t.ok(r.medias[0].closed);
  t.same(r.manager.calls(), []);
});

t.test('488 when no codec is common, without bothering the PBX', async (t) => {
  const r = await rig(t);
  const body = sdpBody(40000, { codecs: '18' }).replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000');
  const final = await r.caller.invite(r.tg, r.uri('100'), { body }).final;
  t.equal(final.status, 488);
  t.equal(r.pbx.received.length, 0);
  const notSdp = await r.caller.invite(r.tg, r.uri('100'), { body: 'hello', contentType: 'text/plain' }).final;
  t.equal(notSdp.status, 488, 'a body that is not SDP is refused');
});

t.test('re-INVITE hold and unhold from the caller pass through', async (t) => {
  const r = await rig(t);
  const { dialog, media } = await connected(r);
  await r.pbx.next('INVITE');
  r.pbx.handler = (req, tx) => {
    if (req.method === 'INVITE' && tx !== undefined) {
      const held = req.body.toString().includes('a=sendonly');
      tx.respond(200, undefined, { body: sdpBody(30002, { attrs: [held ? 'a=recvonly' : 'a=sendrecv'] }), contentType: 'application/sdp', headers: { contact: r.pbx.stack.contact('udp', 'pbx') } });
      return;
    }
    r.pbx.defaultHandler(req, tx);
  };
  const hold = await r.caller.request(dialog, 'INVITE', { body: sdpBody(40010, { attrs: ['a=sendonly'] }), contentType: 'application/sdp' });
  t.equal(hold?.status, 200);
  const reinvite = (await r.pbx.next('INVITE')).req;
  t.match(reinvite.body.toString(), /a=sendonly/);
  t.match(hold?.body.toString(), /a=recvonly/);
  t.equal(media.lastConfig('caller')?.direction, 'recvonly');
  t.equal(media.lastConfig('caller')?.remote?.rtpPort, 40010, 'new caller port');
  t.equal(media.lastConfig('agent')?.direction, 'sendonly');
  t.equal(media.lastConfig('agent')?.remote?.rtpPort, 30002);
  const v1 = /o=toneguard \S+ (\d+)/.exec(reinvite.body.toString())?.[1];
  t.equal(v1, '2', 'o= version went up on the PBX leg');
  const unhold = await r.caller.request(dialog, 'INVITE', { body: sdpBody(40010), contentType: 'application/sdp' });
  t.equal(unhold?.status, 200);
  t.equal(media.lastConfig('caller')?.direction, 'sendrecv');
  t.equal(media.lastConfig('agent')?.direction, 'sendrecv');
});

t.test('re-INVITE from the PBX reaches the caller', async (t) => {
  const r = await rig(t);
  const { media } = await connected(r);
  await waitFor(() => r.pbxDialogs.length === 1);
  const res = await r.pbx.request(r.pbxDialogs[0], 'INVITE', { body: sdpBody(30004, { attrs: ['a=sendonly'] }), contentType: 'application/sdp' });
  t.equal(res?.status, 200);
  const { req } = await r.caller.next('INVITE');
  t.match(req.body.toString(), /a=sendonly/);
  t.equal(parseSdp(req.body.toString())!.media[0].port, media.local('caller').rtpPort);
  t.equal(media.lastConfig('agent')?.remote?.rtpPort, 30004);
});

t.test('OPTIONS outside a dialog is answered with Allow', async (t) => {
  const r = await rig(t);
  const req = r.caller.stack.createRequest({ method: 'OPTIONS', uri: r.uri('ping'), from: '<sip:lb@127.0.0.1>', to: `<${r.uri('ping')}>` });
  const ctx = r.caller.stack.request(req, r.tg);
  const res = await new Promise<import('../../src/sip/sip-stack.js').SipResponse>((resolve) => ctx.on('final', resolve));
  t.equal(res.status, 200);
  t.match(res.headers.get('allow'), /INVITE.*REFER/);
  const bogus = r.caller.stack.createRequest({ method: 'BYE', uri: r.uri('x'), from: '<sip:lb@127.0.0.1>', to: `<${r.uri('x')}>;tag=nosuch` });
  const ctx2 = r.caller.stack.request(bogus, r.tg);
  const res2 = await new Promise<import('../../src/sip/sip-stack.js').SipResponse>((resolve) => ctx2.on('final', resolve));
  t.equal(res2.status, 481, 'BYE for no dialog');
  // Draining (SIGTERM): OPTIONS probes get 503 too, so that a load balancer marks us down.
  void r.manager.drain(0);
  const probe = r.caller.stack.createRequest({ method: 'OPTIONS', uri: r.uri('ping'), from: '<sip:lb@127.0.0.1>', to: `<${r.uri('ping')}>` });
  const ctx3 = r.caller.stack.request(probe, r.tg);
  const res3 = await new Promise<import('../../src/sip/sip-stack.js').SipResponse>((resolve) => ctx3.on('final', resolve));
  t.equal(res3.status, 503, 'OPTIONS while draining: 503');
});

t.test('REFER from the PBX goes to the caller with the same Refer-To; NOTIFY relayed back', async (t) => {
  const r = await rig(t);
  const { dialog } = await connected(r);
  await waitFor(() => r.pbxDialogs.length === 1);
  const refer = await r.pbx.request(r.pbxDialogs[0], 'REFER', { headers: { 'refer-to': '<sip:queue2@pbx.example>', 'referred-by': '<sip:agent7@pbx.example>' } });
  t.equal(refer?.status, 202, 'the caller side accepted');
  const { req } = await r.caller.next('REFER');
  t.equal(req.headers.get('refer-to'), '<sip:queue2@pbx.example>');
  const notify = await r.caller.request(dialog, 'NOTIFY', {
    headers: { event: 'refer', 'subscription-state': 'terminated;reason=noresource' },
    body: 'SIP/2.0 200 OK\r\n',
    contentType: 'message/sipfrag;version=2.0',
  });
  t.equal(notify?.status, 200);
  const n = (await r.pbx.next('NOTIFY')).req;
  t.equal(n.headers.get('event'), 'refer');
  t.match(n.body.toString(), /^SIP\/2\.0 200 OK/);
});

t.test('SIP INFO DTMF: kept from the agent in secure mode, forwarded otherwise; digit to the media', async (t) => {
  const r = await rig(t);
  const { dialog, media } = await connected(r);
  const call = r.manager.calls()[0];
  r.manager.get(call.id)?.setSecure(true);
  t.same(media.secureCalls, [true]);
  t.equal(r.manager.calls()[0].secure, true);
  const info = (digit: string) => r.caller.request(dialog, 'INFO', { body: `Signal=${digit}\r\nDuration=160\r\n`, contentType: 'application/dtmf-relay' });
  t.equal((await info('5'))?.status, 200);
  t.same(media.infoDigits, ['5']);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(r.pbx.received.filter((x) => x.req.method === 'INFO').length, 0, 'no INFO reached the PBX');
  r.manager.get(call.id)?.setSecure(false);
  t.equal((await info('6'))?.status, 200);
  const forwarded = (await r.pbx.next('INFO')).req;
  t.match(forwarded.body.toString(), /Signal=6/);
  t.same(media.infoDigits, ['5', '6']);
});

t.test('RTP timeout ends both legs', async (t) => {
  const r = await rig(t);
  const { media } = await connected(r);
  media.emit('rtp-timeout', 'caller');
  await r.caller.next('BYE');
  await r.pbx.next('BYE');
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'rtp-timeout');
});

t.test('limits: global and per source → 503; drain refuses new calls then ends the rest', async (t) => {
  const r = await rig(t, { limits: { maxCalls: 1 } });
  await connected(r);
  const second = await r.caller.invite(r.tg, r.uri('101'), { body: sdpBody(40002) }).final;
  t.equal(second.status, 503);
  t.equal(second.headers.get('retry-after'), '5');

  const r2 = await rig(t, { limits: { maxCallsPerSource: 1 } });
  await connected(r2);
  t.equal((await r2.caller.invite(r2.tg, r2.uri('101'), { body: sdpBody(40002) }).final).status, 503);

  const drained = r.manager.drain(150);
  t.equal((await r.caller.invite(r.tg, r.uri('102'), { body: sdpBody(40004) }).final).status, 503, 'draining: 503');
  t.equal(r.manager.calls().length, 1, 'the call is still up within the grace');
  await drained;
  await r.caller.next('BYE');
  await r.pbx.next('BYE');
  t.equal(r.ends[0].reason, 'drain');
});

t.test('endpoint mode: payment URI answered here, X-Payment-* parsed, transfer with result', async (t) => {
  const r = await rig(t);
  const out = r.caller.invite(r.tg, 'sip:pay@127.0.0.1', {
    body: sdpBody(40000),
    headers: { 'X-Payment-Customer-Id': 'C-42', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'GBP', 'X-Payment-Reference': 'INV-1', 'X-Payment-Call-Type': 'ivr' },
  });
  const final = await out.final;
  t.equal(final.status, 200);
  t.equal(r.pbx.received.length, 0, 'nothing to the PBX');
  t.equal(r.payments.length, 1);
  t.match(r.payments[0].params, { customerId: 'C-42', amountMinor: 12550, currency: 'GBP', reference: 'INV-1', callType: 'ivr', merchantId: null });
  const media = r.medias[0];
  t.equal(media.mode, 'endpoint');
  t.equal(media.lastConfig('caller')?.remote?.rtpPort, 40000);
  t.equal(media.lastConfig('agent'), undefined, 'no agent leg');
  t.match(r.manager.calls()[0], { mode: 'endpoint', state: 'confirmed' });

  const call = r.payments[0].call;
  const transfer = call.transferWithResult('sip:ivr@127.0.0.1:5999', { result: 'success', transactionId: '9001', cardLast4: '4242', cardType: 'visa', amount: '125.50', currency: 'GBP' });
  const { req: refer } = await r.caller.next('REFER');
  t.equal(await call.transferWithResult('sip:other@127.0.0.1:5999', { result: 'success' }), false, 'a second transfer while the first awaits its NOTIFY is refused');
  t.equal(
    refer.headers.get('refer-to'),
    '<sip:ivr@127.0.0.1:5999?X-Payment-Result=success&X-Payment-Transaction-Id=9001&X-Payment-Card-Last4=4242&X-Payment-Card-Type=visa&X-Payment-Amount=125.50&X-Payment-Currency=GBP>',
  );
  // The same result as header fields of the REFER (a PBX that transfers locally reads them there).
  t.equal(refer.headers.get('x-payment-result'), 'success');
  t.equal(refer.headers.get('x-payment-transaction-id'), '9001');
  t.equal(refer.headers.get('x-payment-card-last4'), '4242');
  t.equal(refer.headers.get('x-payment-card-type'), 'visa');
  t.equal(refer.headers.get('x-payment-amount'), '125.50');
  t.equal(refer.headers.get('x-payment-currency'), 'GBP');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const notify = await r.caller.request(out.dialog as Dialog, 'NOTIFY', {
    headers: { event: 'refer', 'subscription-state': 'terminated' },
    body: 'SIP/2.0 200 OK\r\n',
    contentType: 'message/sipfrag',
  });
  t.equal(notify?.status, 200);
  t.equal(await transfer, true);
  await r.caller.next('BYE');
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'transferred');
  t.ok(media.closed);
});

t.test('endpoint mode: hangup with result headers; INFO digits reach the media only', async (t) => {
  const r = await rig(t);
  const out = r.caller.invite(r.tg, 'sip:pay@127.0.0.1', { body: sdpBody(40000), headers: { 'X-Payment-Amount': '12,50' } });
  await out.final;
  t.same(r.payments[0].params.problems, ['X-Payment-Amount is not a decimal amount such as 125.50']);
  const res = await r.caller.request(out.dialog as Dialog, 'INFO', { body: '7', contentType: 'application/dtmf' });
  t.equal(res?.status, 200);
  t.same(r.medias[0].infoDigits, ['7']);
  r.payments[0].call.hangupWithResult({ result: 'payment-connector-error', reason: 'timeout' });
  const { req: bye } = await r.caller.next('BYE');
  t.equal(bye.headers.get('x-payment-result'), 'payment-connector-error');
  t.equal(bye.headers.get('x-payment-reason'), 'timeout');
  t.notOk(bye.headers.has('x-payment-card-last4'));
  t.doesNotThrow(() => r.payments[0].call.hangupWithResult({ result: 'success', cardLast4: '4111111111111111' }), 'a bad Card-Last4 is left out, never thrown');
});

t.test('early media: 183 with SDP configures media and reaches the caller; 200 keeps the same answer', async (t) => {
  const r = await rig(t, {}, (req, tx, pbx, dialogs) => {
    const body = sdpBody(30020, { address: '127.0.0.9' });
    answerInvite(pbx, req, tx, 183, { body, contentType: 'application/sdp' });
    setTimeout(() => {
      const d = answerInvite(pbx, req, tx, 200, { body, contentType: 'application/sdp' });
      if (d !== undefined) dialogs.push(d);
    }, 150);
  });
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) });
  const early = await out.provisional(183);
  const media = r.medias[0];
  t.equal(media.lastConfig('agent')?.remote?.rtpPort, 30020, 'media configured on the 183');
  t.equal(media.lastConfig('caller')?.remote?.rtpPort, 40000);
  t.equal(parseSdp(early.body.toString())!.media[0].port, media.local('caller').rtpPort);
  t.equal(r.manager.calls()[0].state, 'early');
  const final = await out.final;
  t.equal(final.status, 200);
  t.equal(final.body.toString(), early.body.toString(), 'the 200 repeats the early answer (RFC 3261 §13.2.1)');
});

t.test("SRTP per leg through the B2BUA: the caller's SAVP offer becomes ours with our own key", async (t) => {
  const callerKey = Buffer.alloc(30, 7).toString('base64');
  const pbxKey = Buffer.alloc(30, 9).toString('base64');
  const r = await rig(t, {}, (req, tx, pbx, dialogs) => {
    const d = answerInvite(pbx, req, tx, 200, {
      body: sdpBody(30030, { profile: 'RTP/SAVP', codecs: '8', attrs: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${pbxKey}`] }),
      contentType: 'application/sdp',
    });
    if (d !== undefined) dialogs.push(d);
  });
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000, { profile: 'RTP/SAVP', attrs: [`a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${callerKey}|2^31`] }) });
  const final = await out.final;
  t.equal(final.status, 200);
  const offer = (await r.pbx.next('INVITE')).req.body.toString();
  t.match(offer, /m=audio \d+ RTP\/SAVP/);
  t.notMatch(offer, callerKey, "the caller's key stays on its leg");
  t.notMatch(final.body.toString(), pbxKey, 'the PBX key stays on its leg');
  t.match(final.body.toString(), /a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:/);
  const media = r.medias[0];
  t.equal(media.lastConfig('caller')?.srtp?.remoteKeyBase64, callerKey);
  t.equal(media.lastConfig('agent')?.srtp?.remoteKeyBase64, pbxKey);
  t.not(media.lastConfig('caller')?.srtp?.localKeyBase64, media.lastConfig('agent')?.srtp?.localKeyBase64, 'a key per leg');
  t.equal(media.lastConfig('agent')?.codec, 'PCMA');
});

t.test('Request-URI rules pick the PBX; re-INVITE glare gets 491', async (t) => {
  const other = await Peer.start();
  t.teardown(() => other.close());
  let otherInvites = 0;
  other.handler = (req, tx) => {
    if (req.method === 'INVITE' && tx !== undefined) {
      otherInvites++;
      tx.respond(404);
    }
  };
  const r = await rig(t, { routes: [{ user: /^44/, upstream: other.uri }] });
  const final = await r.caller.invite(r.tg, r.uri('4420'), { body: sdpBody(40000) }).final;
  t.equal(final.status, 404);
  t.equal(otherInvites, 1, "the rule's PBX got it");
  t.equal(r.pbx.received.length, 0);

  const { dialog } = await connected(r);
  await r.pbx.next('INVITE');
  // The PBX sits on the re-INVITE; a second one from the caller meanwhile is glare.
  r.pbx.handler = (req, tx) => {
    if (req.method === 'INVITE') return;
    r.pbx.defaultHandler(req, tx);
  };
  void r.caller.request(dialog, 'INVITE', { body: sdpBody(40010, { attrs: ['a=sendonly'] }), contentType: 'application/sdp' });
  await r.pbx.next('INVITE');
  const glare = await r.caller.request(dialog, 'INVITE', { body: sdpBody(40012), contentType: 'application/sdp' });
  t.equal(glare?.status, 491);
});

t.test('a caller that never ACKs our 200: the call ends (64*T1) and the PBX gets a BYE', async (t) => {
  const r = await rig(t);
  const req = r.caller.stack.createRequest({
    method: 'INVITE',
    uri: r.uri('100'),
    from: `<sip:mute@127.0.0.1:${r.caller.port}>`,
    to: `<${r.uri('100')}>`,
    contact: r.caller.stack.contact('udp', 'mute'),
    body: sdpBody(40000),
    contentType: 'application/sdp',
  });
  const ctx = r.caller.stack.request(req, r.tg);
  let finals = 0;
  ctx.on('final', () => finals++);
  await waitFor(() => r.manager.calls()[0]?.state === 'confirmed');
  await r.pbx.next('BYE', 6000);
  t.equal(r.ends[0].reason, 'ack-timeout');
  t.ok(finals >= 1);
});

t.test('offerless INVITE: our offer to the PBX, its codec offered to the caller in the 200, answer in the ACK', async (t) => {
  const r = await rig(t, {}, (req, tx, pbx, dialogs) => {
    const d = answerInvite(pbx, req, tx, 200, { body: sdpBody(30040, { codecs: '8 101' }), contentType: 'application/sdp' });
    if (d !== undefined) dialogs.push(d);
  });
  const out = r.caller.invite(r.tg, r.uri('100'), { ackBody: sdpBody(40040, { codecs: '8 101' }) });
  const final = await out.final;
  t.equal(final.status, 200);
  const ours = parseSdp(final.body.toString())!.media[0];
  t.same(ours.formats, ['8', '101'], 'only the codec the PBX took, and telephone-event');
  const pbxOffer = parseSdp((await r.pbx.next('INVITE')).req.body.toString())!.media[0];
  t.same(
    pbxOffer.codecs.map((c) => c.encoding),
    ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event'],
    'our own offer to the PBX',
  );
  const media = r.medias[0];
  t.equal(media.lastConfig('agent')?.codec, 'PCMA');
  await waitFor(() => media.lastConfig('caller') !== undefined);
  t.same(media.lastConfig('caller')?.remote, { address: '127.0.0.1', rtpPort: 40040, rtcpPort: 40041 });
  t.equal(media.lastConfig('caller')?.codec, 'PCMA');
});

t.test('offerless INVITE whose ACK has no answer: the call ends', async (t) => {
  const r = await rig(t);
  const final = await r.caller.invite(r.tg, r.uri('100'), {}).final;
  t.equal(final.status, 200);
  await r.pbx.next('BYE');
  await r.caller.next('BYE');
  t.equal(r.ends[0].reason, 'negotiation-failed');
});

t.test('endpoint mode, offerless INVITE: offer in our 200, answer in the ACK', async (t) => {
  const r = await rig(t);
  const final = await r.caller.invite(r.tg, 'sip:pay@127.0.0.1', { ackBody: sdpBody(40050, { codecs: '0 101' }) }).final;
  t.equal(final.status, 200);
  // Endpoint mode plays its prompts in PCMU/PCMA/G722, so it never offers Opus.
  t.same(parseSdp(final.body.toString())!.media[0].formats, ['0', '8', '9', '101']);
  await waitFor(() => r.medias[0].lastConfig('caller') !== undefined);
  t.equal(r.medias[0].lastConfig('caller')?.remote?.rtpPort, 40050);
  t.equal(r.medias[0].lastConfig('caller')?.codec, 'PCMU');
  t.equal(r.payments.length, 1);
});

t.test('Require: 100rel is refused with 420 and Unsupported', async (t) => {
  const r = await rig(t);
  const final = await r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000), headers: { require: '100rel' } }).final;
  t.equal(final.status, 420);
  t.equal(final.headers.get('unsupported'), '100rel');
  t.equal(r.pbx.received.length, 0);
});
