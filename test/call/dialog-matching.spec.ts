// In-dialog requests must match the whole dialog ID (Call-ID, our tag and the peer's tag) and,
// over UDP, come from the dialog's peer: a forged re-INVITE or BYE gets 481 and changes nothing.
import t, { type Test } from 'tap';
import { Dialog, SipStack, type Destination, type SipRequest } from '../../src/sip/sip-stack.js';
import { FAST_TIMERS, sdpBody } from '../helpers/call-sip-peers.js';
import { b2buaRig, connectedCall } from '../helpers/b2bua-rig.js';

/** A copy of the caller's dialog with another From tag (what a forger who saw only the Call-ID and our tag has). */
function forged(d: Dialog, localTag: string): Dialog {
  return new Dialog({ ...d, localTag, localCSeq: d.localCSeq + 1000, state: 'confirmed' });
}

/** Sends a request from `stack` and resolves with the final status. */
function send(stack: SipStack, req: SipRequest, to: Destination): Promise<number | undefined> {
  return new Promise((resolve) => {
    const ctx = stack.request(req, to);
    ctx.on('final', (res) => resolve(res.status));
    ctx.on('timeout', () => resolve(undefined));
  });
}

async function attacker(t: Test): Promise<SipStack> {
  const stack = await SipStack.listen({ address: '127.0.0.2', port: 0, transports: ['udp'], timers: FAST_TIMERS, trying100DelayMs: 0 });
  t.teardown(() => stack.close());
  return stack;
}

t.test('a re-INVITE with a wrong From tag from another address: 481, media not moved, nothing relayed', async (t) => {
  const r = await b2buaRig(t);
  const { dialog, media } = await connectedCall(r);
  const evil = await attacker(t);
  const configured = media.configured.length;
  const reinvite = forged(dialog, 'evil-tag').createRequest('INVITE', { body: sdpBody(41000, { address: '127.0.0.66' }), contentType: 'application/sdp' });
  t.equal(await send(evil, reinvite, r.tg), 481);
  t.equal(media.configured.length, configured, 'no media reconfigured');
  t.same(media.lastConfig('caller')?.remote, { address: '127.0.0.5', rtpPort: 40000, rtcpPort: 40001 });
  t.equal(r.pbx.received.filter((x) => x.req.method === 'INVITE').length, 1, 'no re-INVITE reached the PBX');
});

t.test('the right tags from another address over UDP: 481 too', async (t) => {
  const r = await b2buaRig(t);
  const { dialog, media } = await connectedCall(r);
  const evil = await attacker(t);
  const copy = new Dialog({ ...dialog, localCSeq: dialog.localCSeq + 1000, state: 'confirmed' });
  const configured = media.configured.length;
  t.equal(await send(evil, copy.createRequest('INVITE', { body: sdpBody(41000, { address: '127.0.0.66' }), contentType: 'application/sdp' }), r.tg), 481);
  t.equal(await send(evil, copy.createRequest('BYE'), r.tg), 481);
  t.equal(media.configured.length, configured);
  t.equal(r.manager.size, 1, 'the call is up');
});

t.test('a forged BYE with the wrong From tag: 481 and the call stays up; the genuine BYE still ends it', async (t) => {
  const r = await b2buaRig(t);
  const { dialog } = await connectedCall(r);
  const bye = forged(dialog, 'not-the-caller').createRequest('BYE');
  t.equal(await send(r.caller.stack, bye, r.tg), 481, "forged BYE from the caller's own address");
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(r.manager.size, 1, 'the call is up');
  t.equal(r.pbx.received.filter((x) => x.req.method === 'BYE').length, 0, 'no BYE to the PBX');
  const res = await r.caller.request(dialog, 'BYE');
  t.equal(res?.status, 200, 'the genuine BYE (lower CSeq than the forged one) is taken');
  await r.pbx.next('BYE');
  t.equal(r.manager.size, 0);
  t.same(
    r.ends.map((e) => e.reason),
    ['caller-hangup'],
  );
});

t.test("a forged BYE towards the PBX leg (wrong PBX tag) gets 481; the PBX's own BYE works", async (t) => {
  const r = await b2buaRig(t);
  await connectedCall(r);
  const pbxDialog = r.pbxDialogs[0];
  t.equal(await send(r.pbx.stack, forged(pbxDialog, 'x').createRequest('BYE'), r.tg), 481);
  t.equal(r.manager.size, 1);
  t.equal((await r.pbx.request(pbxDialog, 'BYE'))?.status, 200);
  await r.caller.next('BYE');
  t.same(
    r.ends.map((e) => e.reason),
    ['agent-hangup'],
  );
});
