// Containment: an error inside one call (its media refusing a config, a media-plane failure, a
// listener that throws) ends that call with `error` (500 on an open transaction, BYE on the legs
// that are up, media closed, call-end emitted) while the other calls go on and the process lives.
import t, { type Test } from 'tap';
import { CallManager } from '../../src/call/call-manager.js';
import type { Call } from '../../src/call/call.js';
import type { CallEndReason } from '../../src/call/call-types.js';
import type { LegMediaConfig, LegName } from '../../src/media/media-session.js';
import { SipStack, type Destination, type Dialog } from '../../src/sip/sip-stack.js';
import { answerInvite, FAST_TIMERS, Peer, sdpBody, waitFor } from '../helpers/call-sip-peers.js';
import { FakeMediaSession } from '../helpers/fake-media-session.js';

/** A media session whose configure() throws what a broken media plane would. */
class ThrowingMedia extends FakeMediaSession {
  override configure(leg: LegName, config: LegMediaConfig): void {
    super.configure(leg, config);
    throw new TypeError('media plane bug');
  }
}

interface Rig {
  readonly manager: CallManager;
  readonly caller: Peer;
  readonly pbx: Peer;
  readonly tg: Destination;
  readonly medias: FakeMediaSession[];
  readonly ends: { call: Call; reason: CallEndReason }[];
  readonly errors: unknown[];
  readonly pbxDialogs: Dialog[];
  /** Media of the next call throws in configure(). */
  throwNext: boolean;
}

async function rig(t: Test): Promise<Rig> {
  const stack = await SipStack.listen({ address: '127.0.0.1', port: 0, transports: ['udp'], timers: FAST_TIMERS, trying100DelayMs: 0 });
  const caller = await Peer.start();
  const pbx = await Peer.start();
  const r: Rig = {
    manager: undefined as unknown as CallManager,
    caller,
    pbx,
    medias: [],
    ends: [],
    errors: [],
    pbxDialogs: [],
    throwNext: false,
    tg: { transport: 'udp', address: '127.0.0.1', port: stack.localAddress('udp')?.port ?? 0 },
  };
  const manager = new CallManager({
    stack,
    upstream: pbx.uri,
    paymentUri: 'sip:pay@127.0.0.1',
    createMedia: ({ mode }) => {
      const media = r.throwNext ? new ThrowingMedia(mode) : new FakeMediaSession(mode);
      r.throwNext = false;
      r.medias.push(media);
      return media;
    },
  });
  (r as { manager: CallManager }).manager = manager;
  manager.on('call-end', (call, reason) => r.ends.push({ call, reason }));
  manager.on('internal-error', (error) => r.errors.push(error));
  pbx.handler = (req, tx) => {
    if (tx === undefined) return;
    if (req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      const d = answerInvite(pbx, req, tx, 200, { body: sdpBody(30000), contentType: 'application/sdp' });
      if (d !== undefined) r.pbxDialogs.push(d);
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  t.teardown(async () => {
    manager.close();
    await Promise.all([stack.close(), caller.close(), pbx.close()]);
  });
  return r;
}

async function call(r: Rig, uri: string) {
  const out = r.caller.invite(r.tg, uri, { body: sdpBody(40000 + r.medias.length * 2) });
  return { out, final: await out.final };
}

t.test('a media configure() that throws ends that B2BUA call with 500 and BYE to the PBX; the call before it goes on', async (t) => {
  const r = await rig(t);
  const first = await call(r, `sip:100@127.0.0.1:${r.tg.port}`);
  t.equal(first.final.status, 200, 'a healthy call is up');

  r.throwNext = true;
  const broken = await call(r, `sip:101@127.0.0.1:${r.tg.port}`);
  t.equal(broken.final.status, 500, 'the caller of the broken call gets 500');
  await r.pbx.next('BYE'); // the PBX leg it had answered is hung up
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'error');
  t.ok(r.medias[1].closed, 'its media (ports) released');
  t.equal(r.errors.length, 1, 'reported once as an internal error');
  t.equal(r.manager.calls().length, 1, 'one call left');
  t.not(r.manager.calls()[0].id, r.ends[0].call.id, 'the healthy one');

  // The first call still works end to end: re-INVITE (hold) and BYE.
  const dialog = first.out.dialog as Dialog;
  const hold = await r.caller.request(dialog, 'INVITE', { body: sdpBody(40000, { attrs: ['a=sendonly'] }), contentType: 'application/sdp' });
  t.equal(hold?.status, 200, 'the other call still re-negotiates');
  const bye = await r.caller.request(dialog, 'BYE');
  t.equal(bye?.status, 200);
  await waitFor(() => r.ends.length === 2);
  t.equal(r.ends[1].reason, 'caller-hangup');
  t.same(r.manager.calls(), []);
});

t.test('endpoint mode: configure() throwing answers 500, nothing left behind', async (t) => {
  const r = await rig(t);
  r.throwNext = true;
  const broken = await call(r, 'sip:pay@127.0.0.1');
  t.equal(broken.final.status, 500);
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'error');
  t.ok(r.medias[0].closed);
  t.same(r.manager.calls(), []);
  const next = await call(r, 'sip:pay@127.0.0.1');
  t.equal(next.final.status, 200, 'the next caller is served');
});

t.test('a media-plane failure (a throw while handling a packet) ends only its call with BYE on both legs', async (t) => {
  const r = await rig(t);
  const a = await call(r, `sip:100@127.0.0.1:${r.tg.port}`);
  const b = await call(r, `sip:100@127.0.0.1:${r.tg.port}`);
  t.equal(a.final.status, 200);
  t.equal(b.final.status, 200);
  r.medias[0].emit('failure', new RangeError('stage bug'));
  await r.caller.next('BYE');
  await r.pbx.next('BYE');
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'error');
  t.ok(r.medias[0].closed);
  t.notOk(r.medias[1].closed, 'the other call keeps its media');
  t.equal(r.manager.calls().length, 1);
  const bye = await r.caller.request(b.out.dialog as Dialog, 'BYE');
  t.equal(bye?.status, 200, 'the other call ends normally');
});

t.test('an in-dialog handler that throws (a digit listener) answers 500 and ends that call only', async (t) => {
  const r = await rig(t);
  const a = await call(r, 'sip:pay@127.0.0.1');
  const b = await call(r, 'sip:pay@127.0.0.1');
  t.equal(a.final.status, 200);
  t.equal(b.final.status, 200);
  // The first call's SIP INFO digit reaches a listener that throws.
  const media = r.medias[0];
  media.injectSipInfoDigit = () => {
    throw new Error('listener bug');
  };
  const info = await r.caller.request(a.out.dialog as Dialog, 'INFO', { body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
  t.equal(info?.status, 500);
  await r.caller.next('BYE');
  await waitFor(() => r.ends.length === 1);
  t.equal(r.ends[0].reason, 'error');
  const ok = await r.caller.request(b.out.dialog as Dialog, 'INFO', { body: 'Signal=6\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
  t.equal(ok?.status, 200, 'the other call still takes requests');
  t.same(r.medias[1].infoDigits, ['6']);
});
