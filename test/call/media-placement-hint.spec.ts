// What call control tells the media factory about a new call: whether its offer may settle on
// Opus (it lists opus, or there is no offer yet), so that the server keeps such calls' media on
// the main thread (the Opus binding loads in one thread only) and sends the others to workers;
// and a later offer the media plane refuses up front is answered 488 without ending the call.
import t from 'tap';
import type { MediaSessionRequest } from '../../src/call/call-manager.js';
import { MediaError } from '../../src/media/media-error.js';
import type { Dialog } from '../../src/sip/sip-stack.js';
import { FakeMediaSession } from '../helpers/fake-media-session.js';
import { b2buaRig } from '../helpers/b2bua-rig.js';
import { sdpBody } from '../helpers/call-sip-peers.js';

t.test('mayUseOpus: from the INVITE offer', async (t) => {
  const requests: MediaSessionRequest[] = [];
  const r = await b2buaRig(t, {
    createMedia: (request) => {
      requests.push(request);
      return new FakeMediaSession(request.mode);
    },
  });
  const g711 = await r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) }).final;
  t.equal(g711.status, 200);
  const opusOffer = sdpBody(40010, { codecs: '111 0 101' }).replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000');
  const opus = await r.caller.invite(r.tg, r.uri('101'), { body: opusOffer }).final;
  t.equal(opus.status, 200);
  await r.caller.invite(r.tg, r.uri('102'), {}).final;
  t.same(
    requests.map((q) => q.mayUseOpus),
    [false, true, true],
    'G.711 only: no; opus listed: yes; no offer: yes',
  );
});

t.test('a re-INVITE the media plane refuses up front (EOPTIONS) gets 488; the call goes on', async (t) => {
  // A worker's call refuses Opus in configure(): call control must answer 488, not end the call.
  class NoOpusMedia extends FakeMediaSession {
    override configure(leg: Parameters<FakeMediaSession['configure']>[0], config: Parameters<FakeMediaSession['configure']>[1]): void {
      if (config.codec === 'PCMA') throw new MediaError('EOPTIONS', 'not in this media plane');
      super.configure(leg, config);
    }
  }
  const medias: NoOpusMedia[] = [];
  const r = await b2buaRig(t, {
    createMedia: (request) => {
      const m = new NoOpusMedia(request.mode);
      medias.push(m);
      return m;
    },
  });
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000) });
  t.equal((await out.final).status, 200);
  const dialog = out.dialog as Dialog;
  const before = medias[0].configured.length;
  // The PBX answers the relayed re-INVITE with PCMA only: the media plane refuses it.
  r.pbx.handler = (req, tx) => {
    if (req.method === 'INVITE' && tx !== undefined) {
      tx.respond(200, undefined, { body: sdpBody(30002, { codecs: '8 101' }), contentType: 'application/sdp', headers: { contact: r.pbx.stack.contact('udp', 'pbx') } });
      return;
    }
    r.pbx.defaultHandler(req, tx);
  };
  const refused = await r.caller.request(dialog, 'INVITE', { body: sdpBody(40010, { codecs: '8 101' }), contentType: 'application/sdp' });
  t.equal(refused?.status, 488, 'refused with 488');
  t.equal(medias[0].configured.length, before, 'nothing applied');
  t.same(r.ends, [], 'the call goes on');
});
