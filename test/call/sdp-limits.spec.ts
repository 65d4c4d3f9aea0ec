// Negotiation against what the media plane carries: refused offers say why (488 Warning), ptime
// is negotiated into 10-120 ms, and every config negotiation produces is one configure() takes.
import t from 'tap';
import { parseSdp, type SdpDescription } from '../../src/sip/sdp.js';
import { sdpWarning } from '../../src/call/sdp-error.js';
import { acceptAnswer, answerAsEndpoint, newSdesKey, relayAnswer, relayOffer } from '../../src/call/sdp-offer-answer.js';
import { legConfigProblem } from '../../src/media/leg-config-check.js';
import type { LocalMediaAddress } from '../../src/media/media-session.js';

const LOCAL: LocalMediaAddress = { address: '192.0.2.10', rtpPort: 20000, rtcpPort: 20001 };
const KEY = newSdesKey();

function sdp(m: string, attrs: string[] = [], c = 'IN IP4 10.1.2.3'): SdpDescription {
  const parsed = parseSdp(`${['v=0', 'o=x 1 1 IN IP4 10.1.2.3', 's=-', `c=${c}`, 't=0 0', m, ...attrs].join('\r\n')}\r\n`);
  if (parsed === undefined) throw new Error('test SDP did not parse');
  return parsed;
}

const endpoint = (offer: SdpDescription) => answerAsEndpoint({ offer, local: LOCAL, origin: { id: '1', version: 1 }, localKeyBase64: KEY });
const PCMU = ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000'];

t.test('Warning values name the RFC 3261 §20.43 code', async (t) => {
  t.equal(sdpWarning('sdp-no-common-codec'), '305 toneguard "Incompatible media format"');
  t.equal(sdpWarning('sdp-no-audio'), '304 toneguard "Media type not available"');
  t.equal(sdpWarning('sdp-address-unsupported'), '301 toneguard "Incompatible network address formats"');
  t.equal(sdpWarning('sdp-multicast'), '330 toneguard "Multicast not available"');
});

t.test('ptime outside 10-120 ms is answered with the nearest we packetise', async (t) => {
  for (const [offered, used] of [
    [1, 10],
    [5, 10],
    [10, 10],
    [30, 30],
    [120, 120],
    [200, 120],
    [1000, 120],
  ]) {
    const a = endpoint(sdp('m=audio 4000 RTP/AVP 0 101', [...PCMU, `a=ptime:${offered}`]));
    t.equal(a.config.ptimeMs, used, `${offered} ms`);
    t.equal(parseSdp(a.sdp)?.media[0].ptimeMs, used);
  }
  const offer = sdp('m=audio 4000 RTP/AVP 0 101', [...PCMU, 'a=ptime:5']);
  const relayed = relayOffer({ offer, local: LOCAL, origin: { id: '2', version: 1 }, localKeyBase64: KEY, srtp: 'never' });
  t.equal(parseSdp(relayed.sdp)?.media[0].ptimeMs, 10, 'relayed to the PBX as 10');
  const result = relayAnswer({ offer, relayed, answer: sdp('m=audio 3000 RTP/AVP 0', ['a=ptime:200'], 'IN IP4 10.9.8.7'), local: LOCAL, origin: { id: '3', version: 1 }, localKeyBase64: KEY });
  t.equal(result.offerLeg.ptimeMs, 10);
  t.equal(result.answerLeg.ptimeMs, 120);
});

t.test('endpoint mode answers G.711 and G.722 only: Opus is skipped, Opus-only refused', async (t) => {
  const both = endpoint(sdp('m=audio 4000 RTP/AVP 96 8', ['a=rtpmap:96 opus/48000/2', 'a=rtpmap:8 PCMA/8000']));
  t.equal(both.config.codec, 'PCMA');
  t.throws(() => endpoint(sdp('m=audio 4000 RTP/AVP 96', ['a=rtpmap:96 opus/48000/2'])), { code: 'sdp-no-common-codec' });
});

t.test('payment types 64-95 are not negotiated (the clamp stages refuse them, RFC 5761 §4)', async (t) => {
  const a = endpoint(sdp('m=audio 4000 RTP/AVP 70 8 72', ['a=rtpmap:70 PCMU/8000', 'a=rtpmap:72 telephone-event/8000']));
  t.equal(a.config.payloadType, 8);
  t.equal(a.config.eventPayloadType, null);
  t.throws(() => endpoint(sdp('m=audio 4000 RTP/AVP 70', ['a=rtpmap:70 PCMU/8000'])), { code: 'sdp-no-common-codec' });
});

t.test('addresses: IP literals of our family, unicast; hold and port 0 pass', async (t) => {
  t.throws(() => endpoint(sdp('m=audio 4000 RTP/AVP 0', [], 'IN IP4 host.example')), { code: 'sdp-address-unsupported' });
  t.throws(() => endpoint(sdp('m=audio 4000 RTP/AVP 0', [], 'IN IP6 ::1')), { code: 'sdp-address-unsupported' });
  t.throws(() => endpoint(sdp('m=audio 4000 RTP/AVP 0', [], 'IN IP4 224.2.1.1/127')), { code: 'sdp-multicast' });
  t.equal(endpoint(sdp('m=audio 4000 RTP/AVP 0', [], 'IN IP4 0.0.0.0')).config.remote, null, 'c=0.0.0.0 is hold');
  t.throws(() => endpoint(sdp('m=audio 0 RTP/AVP 0')), { code: 'sdp-no-audio' });
});

t.test('port 65535 needs a=rtcp; SDES keys must be exactly 30 bytes of canonical base64', async (t) => {
  t.throws(() => endpoint(sdp('m=audio 65535 RTP/AVP 0')), { code: 'sdp-media-unsupported' });
  t.equal(endpoint(sdp('m=audio 65535 RTP/AVP 0', ['a=rtcp:65534'])).config.remote?.rtcpPort, 65534);
  t.equal(endpoint(sdp('m=audio 1 RTP/AVP 0')).config.remote?.rtpPort, 1);
  // 41 base64 characters decode to 30 bytes but are not what an encoder writes: SRTP would refuse the key.
  t.throws(() => endpoint(sdp('m=audio 4000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${'A'.repeat(41)}`])), { code: 'sdp-srtp-unsupported' });
  t.equal(endpoint(sdp('m=audio 4000 RTP/AVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${'A'.repeat(41)}`])).config.srtp, null, 'optional SRTP with a bad key: plain RTP');
});

t.test('every config negotiation hands out is one the media plane takes', async (t) => {
  const offer = sdp('m=audio 4000 RTP/AVP 0 101', [...PCMU, 'a=ptime:1']);
  const a = endpoint(offer);
  t.equal(legConfigProblem('endpoint', 'caller', a.config), undefined);
  const relayed = relayOffer({ offer, local: LOCAL, origin: { id: '2', version: 1 }, localKeyBase64: KEY, srtp: 'never' });
  t.throws(() => acceptAnswer(relayed, sdp('m=audio 3000 RTP/AVP 70', ['a=rtpmap:70 PCMU/8000']), 'b2bua', 'agent'), { code: 'sdp-no-common-codec' });
  const ok = acceptAnswer(relayed, sdp('m=audio 3000 RTP/AVP 0', ['a=ptime:500']), 'b2bua', 'agent');
  t.equal(legConfigProblem('b2bua', 'agent', ok), undefined);
});

t.test('Opus: a ptime that is not an Opus frame size is refused in negotiation, not by the media plane later', async (t) => {
  const opus = { remote: null, codec: 'opus', payloadType: 111, clockRate: 48000, eventPayloadType: null, ptimeMs: 20, direction: 'sendrecv', srtp: null } as const;
  t.equal(legConfigProblem('b2bua', 'caller', opus), undefined, '20 ms');
  t.equal(legConfigProblem('b2bua', 'caller', { ...opus, ptimeMs: 60 }), undefined, '60 ms');
  t.match(legConfigProblem('b2bua', 'caller', { ...opus, ptimeMs: 30 }), /Opus frame size/, '30 ms');
  t.match(legConfigProblem('b2bua', 'agent', { ...opus, ptimeMs: 120 }), /Opus frame size/, '120 ms');
});
