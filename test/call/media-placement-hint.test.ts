// What call control tells the media factory about a new call: whether its offer may settle on
// Opus (it lists opus, or there is no offer yet), so that the server keeps such calls' media on
// the main thread (the Opus binding loads in one thread only) and sends the others to workers.
import t from 'tap';
import type { MediaSessionRequest } from '../../src/call/call-manager.js';
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
  t.same(requests.map((q) => q.mayUseOpus), [false, true, true], 'G.711 only: no; opus listed: yes; no offer: yes');
});
