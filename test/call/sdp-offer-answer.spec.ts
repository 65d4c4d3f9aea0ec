import t from 'tap';
import { parseSdp, type SdpDescription } from '../../src/sip/sdp.js';
import { answerAsEndpoint, newSdesKey, relayAnswer, relayOffer, reverseDirection, SdpError, type RelayedOffer } from '../../src/call/sdp-offer-answer.js';
import type { LocalMediaAddress } from '../../src/media/media-session.js';

const CALLER_ADDR = '10.1.2.3';
const PBX_ADDR = '10.9.8.7';
const OUR_CALLER_SIDE: LocalMediaAddress = { address: '192.0.2.10', rtpPort: 20000, rtcpPort: 20001 };
const OUR_AGENT_SIDE: LocalMediaAddress = { address: '192.0.2.10', rtpPort: 20002, rtcpPort: 20003 };
const KEY_CALLER_LEG = newSdesKey();
const KEY_AGENT_LEG = newSdesKey();
const CALLER_KEY = newSdesKey();
const PBX_KEY = newSdesKey();

function sdp(lines: string[]): SdpDescription {
  const parsed = parseSdp(`${lines.join('\r\n')}\r\n`);
  if (parsed === undefined) throw new Error('test SDP did not parse');
  return parsed;
}

function callerOffer(extra: { m?: string; c?: string; attrs?: string[]; more?: string[] } = {}): SdpDescription {
  return sdp([
    'v=0',
    `o=caller 111 1 IN IP4 ${CALLER_ADDR}`,
    's=-',
    `c=${extra.c ?? `IN IP4 ${CALLER_ADDR}`}`,
    't=0 0',
    extra.m ?? 'm=audio 40000 RTP/AVP 96 0 8 18 101',
    'a=rtpmap:96 opus/48000/2',
    'a=fmtp:96 useinbandfec=1',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:18 G729/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    ...(extra.attrs ?? ['a=sendrecv']),
    ...(extra.more ?? []),
  ]);
}

function pbxAnswer(m: string, attrs: string[] = ['a=sendrecv'], c = `IN IP4 ${PBX_ADDR}`): SdpDescription {
  return sdp(['v=0', `o=pbx 222 1 IN IP4 ${PBX_ADDR}`, 's=-', `c=${c}`, 't=0 0', m, ...attrs]);
}

function offerToPbx(offer: SdpDescription, srtp: 'mirror' | 'never' | 'always' = 'mirror'): RelayedOffer {
  return relayOffer({ offer, local: OUR_AGENT_SIDE, origin: { id: '5', version: 1 }, localKeyBase64: KEY_AGENT_LEG, srtp });
}

function answerCaller(offer: SdpDescription, relayed: RelayedOffer, answer: SdpDescription) {
  return relayAnswer({ offer, relayed, answer, local: OUR_CALLER_SIDE, origin: { id: '6', version: 1 }, localKeyBase64: KEY_CALLER_LEG });
}

t.test('offer to the PBX: our address, supported codecs in the caller order and PTs, no caller trace', async (t) => {
  const offer = callerOffer();
  const relayed = offerToPbx(offer);
  const parsed = parseSdp(relayed.sdp);
  t.ok(parsed);
  const audio = parsed!.media[0];
  t.equal(audio.address, OUR_AGENT_SIDE.address);
  t.equal(audio.port, OUR_AGENT_SIDE.rtpPort);
  t.equal(audio.protocol, 'RTP/AVP');
  t.same(audio.formats, ['96', '0', '8', '101'], 'G729 dropped, order and PTs kept');
  t.same(
    audio.codecs.map((c) => `${c.payloadType} ${c.encoding}/${c.clockRate}/${c.channels}`),
    ['96 opus/48000/2', '0 PCMU/8000/1', '8 PCMA/8000/1', '101 telephone-event/8000/1'],
  );
  t.equal(audio.codecs.find((c) => c.payloadType === 101)?.fmtp, '0-16');
  t.equal(audio.ptimeMs, 20);
  t.equal(audio.direction, 'sendrecv');
  t.notMatch(relayed.sdp, CALLER_ADDR, 'no caller address');
  t.notMatch(relayed.sdp, '40000', 'no caller port');
  t.notMatch(relayed.sdp, 'caller', 'no caller origin');
  t.notMatch(relayed.sdp, 'crypto', 'no SRTP when the caller offered none');
});

t.test('answer to the caller: chosen codec first common, our address, both leg configs', async (t) => {
  const offer = callerOffer();
  const relayed = offerToPbx(offer);
  // The PBX prefers PCMA and numbers telephone-event differently.
  const answer = pbxAnswer('m=audio 30000 RTP/AVP 8 110', ['a=rtpmap:8 PCMA/8000', 'a=rtpmap:110 telephone-event/8000', 'a=ptime:30', 'a=sendrecv']);
  const result = answerCaller(offer, relayed, answer);
  const ours = parseSdp(result.sdp)!.media[0];
  t.equal(ours.address, OUR_CALLER_SIDE.address);
  t.equal(ours.port, OUR_CALLER_SIDE.rtpPort);
  t.same(ours.formats, ['8', '101'], "PCMA and the caller's telephone-event PT");
  t.equal(ours.ptimeMs, 30, 'the ptime the far end asked for');
  t.notMatch(result.sdp, PBX_ADDR);
  t.notMatch(result.sdp, /(^|[^0-9])30000([^0-9]|$)/m);
  t.notMatch(result.sdp, 'pbx');
  t.same(result.offerLeg, {
    remote: { address: CALLER_ADDR, rtpPort: 40000, rtcpPort: 40001 },
    codec: 'PCMA',
    payloadType: 8,
    clockRate: 8000,
    eventPayloadType: 101,
    ptimeMs: 20,
    direction: 'sendrecv',
    srtp: null,
  });
  t.same(result.answerLeg, {
    remote: { address: PBX_ADDR, rtpPort: 30000, rtcpPort: 30001 },
    codec: 'PCMA',
    payloadType: 8,
    clockRate: 8000,
    eventPayloadType: 110,
    ptimeMs: 30,
    direction: 'sendrecv',
    srtp: null,
  });
});

t.test('opus when both sides take it; dynamic PT mapped per leg', async (t) => {
  const offer = callerOffer();
  const relayed = offerToPbx(offer);
  const answer = pbxAnswer('m=audio 30000 RTP/AVP 111', ['a=rtpmap:111 opus/48000/2', 'a=rtcp:30011']);
  const result = answerCaller(offer, relayed, answer);
  t.equal(result.offerLeg.codec, 'opus');
  t.equal(result.offerLeg.payloadType, 96);
  t.equal(result.offerLeg.clockRate, 48000);
  t.equal(result.answerLeg.payloadType, 111);
  t.equal(result.answerLeg.eventPayloadType, null, 'PBX took no telephone-event');
  t.equal(result.offerLeg.eventPayloadType, 101, 'the caller leg keeps its events (digits are detected there)');
  t.same(result.answerLeg.remote, { address: PBX_ADDR, rtpPort: 30000, rtcpPort: 30011 }, 'a=rtcp honoured');
  t.match(result.sdp, /a=rtpmap:96 opus\/48000\/2/);
  t.match(result.sdp, /a=fmtp:96 useinbandfec=1/);
});

t.test('488 cases: no common codec, no audio, unsupported SRTP, refused stream', async (t) => {
  const g729 = sdp(['v=0', 'o=c 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 18 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000']);
  t.throws(() => offerToPbx(g729), { code: 'sdp-no-common-codec' });
  const videoOnly = sdp(['v=0', 'o=c 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=video 4000 RTP/AVP 96', 'a=rtpmap:96 H264/90000']);
  t.throws(() => offerToPbx(videoOnly), { code: 'sdp-no-audio' });
  const dtls = callerOffer({ m: 'm=audio 40000 UDP/TLS/RTP/SAVPF 0' });
  t.throws(() => offerToPbx(dtls), { code: 'sdp-srtp-unsupported' });
  const savpNoKey = callerOffer({ m: 'm=audio 40000 RTP/SAVP 0 8', more: ['a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:AAAA'] });
  t.throws(() => offerToPbx(savpNoKey), { code: 'sdp-srtp-unsupported' });
  const offer = callerOffer();
  const relayed = offerToPbx(offer);
  t.throws(() => answerCaller(offer, relayed, pbxAnswer('m=audio 0 RTP/AVP 0')), { code: 'sdp-no-common-codec' });
  t.throws(() => answerCaller(offer, relayed, pbxAnswer('m=audio 3000 RTP/AVP 9', ['a=rtpmap:9 G722/8000'])), { code: 'sdp-no-common-codec' });
  try {
    offerToPbx(g729);
  } catch (error) {
    t.ok(error instanceof SdpError);
  }
});

t.test('other m= lines rejected with port 0 in our answer, audio only towards the PBX', async (t) => {
  const offer = callerOffer({ more: ['m=video 40002 RTP/AVP 97', 'a=rtpmap:97 H264/90000'] });
  const relayed = offerToPbx(offer);
  t.equal(parseSdp(relayed.sdp)!.media.length, 1);
  const result = answerCaller(offer, relayed, pbxAnswer('m=audio 30000 RTP/AVP 0'));
  const media = parseSdp(result.sdp)!.media;
  t.equal(media.length, 2);
  t.equal(media[1].media, 'video');
  t.equal(media[1].port, 0);
});

t.test('hold: sendonly and c=0.0.0.0 passed through as directions; unhold', async (t) => {
  const hold = callerOffer({ attrs: ['a=sendonly'] });
  const relayed = offerToPbx(hold);
  t.equal(parseSdp(relayed.sdp)!.media[0].direction, 'sendonly');
  const result = answerCaller(hold, relayed, pbxAnswer('m=audio 30000 RTP/AVP 0', ['a=recvonly']));
  t.equal(parseSdp(result.sdp)!.media[0].direction, 'recvonly');
  t.equal(result.offerLeg.direction, 'recvonly', 'we only receive from the holding caller');
  t.equal(result.answerLeg.direction, 'sendonly', 'we only send to the PBX');

  const oldHold = callerOffer({ c: 'IN IP4 0.0.0.0' });
  const relayedOld = offerToPbx(oldHold);
  const offered = parseSdp(relayedOld.sdp)!.media[0];
  t.equal(offered.direction, 'sendonly', 'c=0.0.0.0 offered on as sendonly');
  t.equal(offered.address, OUR_AGENT_SIDE.address, 'never 0.0.0.0 towards the PBX');
  const oldResult = answerCaller(oldHold, relayedOld, pbxAnswer('m=audio 30000 RTP/AVP 0', ['a=recvonly']));
  t.equal(oldResult.offerLeg.remote, null, 'no address to send to');

  const inactive = callerOffer({ attrs: ['a=inactive'] });
  const r3 = answerCaller(inactive, offerToPbx(inactive), pbxAnswer('m=audio 30000 RTP/AVP 0', ['a=inactive']));
  t.equal(r3.offerLeg.direction, 'inactive');
  t.equal(r3.answerLeg.direction, 'inactive');

  const unhold = callerOffer({ m: 'm=audio 40100 RTP/AVP 0 101' });
  const r4 = answerCaller(unhold, offerToPbx(unhold), pbxAnswer('m=audio 30100 RTP/AVP 0', ['a=sendrecv']));
  t.equal(r4.offerLeg.direction, 'sendrecv');
  t.equal(r4.offerLeg.remote?.rtpPort, 40100, 'new caller port');
  t.equal(r4.answerLeg.remote?.rtpPort, 30100, 'new PBX port');
  t.equal(reverseDirection('recvonly'), 'sendonly');
});

t.test('SRTP per leg: caller SAVP, PBX plain by policy, or SRTP mirrored', async (t) => {
  const secure = callerOffer({ m: 'm=audio 40000 RTP/SAVP 0 8 101', more: [`a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${CALLER_KEY}|2^20|1:4`] });
  // Mirrored: SAVP with our own fresh key towards the PBX.
  const relayed = offerToPbx(secure);
  const offered = parseSdp(relayed.sdp)!.media[0];
  t.equal(offered.protocol, 'RTP/SAVP');
  t.same(offered.crypto, [{ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: KEY_AGENT_LEG }]);
  t.notMatch(relayed.sdp, CALLER_KEY, 'the caller key never reaches the PBX');
  const answer = pbxAnswer('m=audio 30000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${PBX_KEY}`]);
  const result = answerCaller(secure, relayed, answer);
  const ours = parseSdp(result.sdp)!.media[0];
  t.equal(ours.protocol, 'RTP/SAVP');
  t.same(ours.crypto, [{ tag: 3, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: KEY_CALLER_LEG }], "the caller's tag, our key");
  t.notMatch(result.sdp, PBX_KEY, 'the PBX key never reaches the caller');
  t.same(result.offerLeg.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: KEY_CALLER_LEG, remoteKeyBase64: CALLER_KEY });
  t.same(result.answerLeg.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: KEY_AGENT_LEG, remoteKeyBase64: PBX_KEY });

  // Plain towards the PBX, SRTP with the caller.
  const plain = offerToPbx(secure, 'never');
  t.equal(parseSdp(plain.sdp)!.media[0].protocol, 'RTP/AVP');
  t.notMatch(plain.sdp, 'crypto');
  const r2 = answerCaller(secure, plain, pbxAnswer('m=audio 30000 RTP/AVP 0'));
  t.equal(r2.answerLeg.srtp, null);
  t.not(r2.offerLeg.srtp, null);

  // SRTP offered to the PBX for a plain caller, answered without a key: invalid.
  const plainCaller = callerOffer();
  const forced = offerToPbx(plainCaller, 'always');
  t.equal(parseSdp(forced.sdp)!.media[0].protocol, 'RTP/SAVP');
  t.throws(() => answerCaller(plainCaller, forced, pbxAnswer('m=audio 30000 RTP/SAVP 0')), { code: 'sdp-answer-invalid' });
  const r3 = answerCaller(plainCaller, forced, pbxAnswer('m=audio 30000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${PBX_KEY}`]));
  t.equal(r3.offerLeg.srtp, null, 'caller leg stays plain');
  t.equal(r3.answerLeg.srtp?.remoteKeyBase64, PBX_KEY);

  // Optional SRTP (RTP/AVP with a=crypto, as baresip's mediaenc=srtp offers).
  const optional = callerOffer({ more: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${CALLER_KEY}`] });
  const relOpt = offerToPbx(optional);
  t.equal(parseSdp(relOpt.sdp)!.media[0].protocol, 'RTP/AVP');
  const r4 = answerCaller(optional, relOpt, pbxAnswer('m=audio 30000 RTP/AVP 0'));
  t.equal(r4.answerLeg.srtp, null, 'PBX declined optional SRTP');
  t.equal(r4.offerLeg.srtp?.remoteKeyBase64, CALLER_KEY);
});

t.test('SDES keys are 30 random bytes', async (t) => {
  const a = newSdesKey();
  t.equal(Buffer.from(a, 'base64').length, 30);
  t.not(a, newSdesKey());
});

t.test('endpoint answer: first supported codec of the caller, hold reversed', async (t) => {
  const offer = callerOffer({ m: 'm=audio 40000 RTP/AVP 18 8 0 101' });
  const result = answerAsEndpoint({ offer, local: OUR_CALLER_SIDE, origin: { id: '7', version: 1 }, localKeyBase64: KEY_CALLER_LEG });
  t.equal(result.config.codec, 'PCMA');
  t.equal(result.config.eventPayloadType, 101);
  t.same(parseSdp(result.sdp)!.media[0].formats, ['8', '101']);
  const hold = answerAsEndpoint({ offer: callerOffer({ attrs: ['a=sendonly'] }), local: OUR_CALLER_SIDE, origin: { id: '7', version: 2 }, localKeyBase64: KEY_CALLER_LEG });
  t.equal(hold.config.direction, 'recvonly');
  t.throws(() => answerAsEndpoint({ offer: callerOffer({ m: 'm=audio 40000 RTP/AVP 18' }), local: OUR_CALLER_SIDE, origin: { id: '7', version: 1 }, localKeyBase64: KEY_CALLER_LEG }), {
    code: 'sdp-no-common-codec',
  });
});

t.test('malformed SDP is undefined or a bad m= line, never a crash', async (t) => {
  t.equal(parseSdp('hello'), undefined);
  t.equal(parseSdp('v=0\r\nm=audio notaport RTP/AVP 0\r\n'), undefined);
  const weird = parseSdp('v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 0 abc 300\r\na=rtpmap:abc\r\na=crypto:x\r\n');
  t.ok(weird);
  t.same(
    weird!.media[0].codecs.map((c) => c.payloadType),
    [0],
  );
  t.equal(weird!.media[0].address, undefined);
});
