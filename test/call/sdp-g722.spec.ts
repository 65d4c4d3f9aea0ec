// G.722 in SDP offer/answer (RFC 3551 §4.5.2: static PT 9, G722/8000, 16 kHz audio on an 8000 Hz
// RTP clock): a G.722-only offer is relayed and answered (not 488), in the caller's preference
// order; the endpoint (payment URI) answers G.722 when the caller prefers it; our own offers
// carry it; the media plane's check takes it at clock 8000 only.
import t from 'tap';
import { parseSdp, type SdpDescription } from '../../src/sip/sdp.js';
import { answerAsEndpoint, localOffer, newSdesKey, relayAnswer, relayOffer, type RelayedOffer } from '../../src/call/sdp-offer-answer.js';
import { legConfigProblem } from '../../src/media/leg-config-check.js';
import type { LegMediaConfig, LocalMediaAddress } from '../../src/media/media-session.js';

const CALLER = '10.1.2.3';
const PBX = '10.9.8.7';
const OUR_CALLER_SIDE: LocalMediaAddress = { address: '192.0.2.10', rtpPort: 20000, rtcpPort: 20001 };
const OUR_AGENT_SIDE: LocalMediaAddress = { address: '192.0.2.10', rtpPort: 20002, rtcpPort: 20003 };
const KEY = newSdesKey();

function sdp(lines: string[]): SdpDescription {
  const parsed = parseSdp(`${lines.join('\r\n')}\r\n`);
  if (parsed === undefined) throw new Error('test SDP did not parse');
  return parsed;
}

function offer(m: string, attrs: string[] = []): SdpDescription {
  return sdp(['v=0', `o=caller 1 1 IN IP4 ${CALLER}`, 's=-', `c=IN IP4 ${CALLER}`, 't=0 0', m, ...attrs, 'a=sendrecv']);
}

function answer(m: string, attrs: string[] = []): SdpDescription {
  return sdp(['v=0', `o=pbx 2 1 IN IP4 ${PBX}`, 's=-', `c=IN IP4 ${PBX}`, 't=0 0', m, ...attrs, 'a=sendrecv']);
}

function toPbx(o: SdpDescription): RelayedOffer {
  return relayOffer({ offer: o, local: OUR_AGENT_SIDE, origin: { id: '5', version: 1 }, localKeyBase64: KEY, srtp: 'never' });
}

function lines(sdpText: string): string[] {
  return (parseSdp(sdpText) as SdpDescription).media[0].codecs.map((c) => `${c.payloadType} ${c.encoding}/${c.clockRate}`);
}

t.test('a G.722-only offer is relayed and answered, both legs G722 at clock 8000', async (t) => {
  // Static PT 9 without an rtpmap (RFC 3551 Table 4), as many phones send it.
  const o = offer('m=audio 40000 RTP/AVP 9 101', ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16']);
  const relayed = toPbx(o);
  t.same(lines(relayed.sdp), ['9 G722/8000', '101 telephone-event/8000'], 'offered to the PBX as G722/8000 with events');
  t.match(relayed.sdp, /a=rtpmap:9 G722\/8000/, 'the rtpmap written out');
  const result = relayAnswer({
    offer: o,
    relayed,
    answer: answer('m=audio 30000 RTP/AVP 9 110', ['a=rtpmap:9 G722/8000', 'a=rtpmap:110 telephone-event/8000']),
    local: OUR_CALLER_SIDE,
    origin: { id: '6', version: 1 },
    localKeyBase64: KEY,
  });
  t.same(lines(result.sdp), ['9 G722/8000', '101 telephone-event/8000'], 'answered to the caller: G722 and its events');
  for (const leg of [result.offerLeg, result.answerLeg]) {
    t.equal(leg.codec, 'G722');
    t.equal(leg.payloadType, 9);
    t.equal(leg.clockRate, 8000, 'RTP clock 8000 (the RFC 3551 quirk: audio is 16 kHz)');
  }
  t.equal(result.offerLeg.eventPayloadType, 101);
  t.equal(result.answerLeg.eventPayloadType, 110);
});

t.test("the caller's preference order is kept; the PBX's choice decides", async (t) => {
  const o = offer('m=audio 40000 RTP/AVP 9 0 8 101', ['a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000']);
  const relayed = toPbx(o);
  t.same(lines(relayed.sdp), ['9 G722/8000', '0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000'], 'G722 first, as the caller offered');
  const pcmu = relayAnswer({ offer: o, relayed, answer: answer('m=audio 30000 RTP/AVP 0'), local: OUR_CALLER_SIDE, origin: { id: '6', version: 1 }, localKeyBase64: KEY });
  t.equal(pcmu.offerLeg.codec, 'PCMU', 'a PBX without G.722 gets PCMU on both legs');
  const late = toPbx(offer('m=audio 40000 RTP/AVP 0 9 101', ['a=rtpmap:101 telephone-event/8000']));
  t.same(lines(late.sdp).slice(0, 2), ['0 PCMU/8000', '9 G722/8000'], 'G722 second when the caller put it second');
  t.throws(
    () =>
      relayAnswer({
        offer: offer('m=audio 40000 RTP/AVP 0'),
        relayed: toPbx(offer('m=audio 40000 RTP/AVP 0')),
        answer: answer('m=audio 30000 RTP/AVP 9'),
        local: OUR_CALLER_SIDE,
        origin: { id: '6', version: 1 },
        localKeyBase64: KEY,
      }),
    { code: 'sdp-no-common-codec' },
    'G722 in an answer to an offer without it is refused',
  );
  t.throws(() => toPbx(offer('m=audio 40000 RTP/AVP 9', ['a=rtpmap:9 G722/16000'])), { code: 'sdp-no-common-codec' }, 'G722/16000 (a wrong clock) is not G.722 as RTP carries it');
});

t.test('payment URI (endpoint mode): G.722 answered when the caller prefers it', async (t) => {
  const only = answerAsEndpoint({ offer: offer('m=audio 40000 RTP/AVP 9 101', ['a=rtpmap:101 telephone-event/8000']), local: OUR_CALLER_SIDE, origin: { id: '7', version: 1 }, localKeyBase64: KEY });
  t.equal(only.config.codec, 'G722');
  t.equal(only.config.clockRate, 8000);
  t.same(lines(only.sdp), ['9 G722/8000', '101 telephone-event/8000']);
  const second = answerAsEndpoint({ offer: offer('m=audio 40000 RTP/AVP 8 9'), local: OUR_CALLER_SIDE, origin: { id: '7', version: 1 }, localKeyBase64: KEY });
  t.equal(second.config.codec, 'PCMA', "the caller's first choice wins");
});

t.test('our own offers carry G722/8000 on PT 9', async (t) => {
  const ours = localOffer({ local: OUR_CALLER_SIDE, origin: { id: '8', version: 1 }, localKeyBase64: KEY, srtp: false });
  t.ok(lines(ours.sdp).includes('9 G722/8000'), 'default list');
  const only = localOffer({ local: OUR_CALLER_SIDE, origin: { id: '8', version: 1 }, localKeyBase64: KEY, srtp: false, codecs: ['G722'] });
  t.same(lines(only.sdp), ['9 G722/8000', '101 telephone-event/8000']);
});

t.test('leg config check: G722 at 8000 in both modes, any other clock refused', async (t) => {
  const config: LegMediaConfig = { remote: null, codec: 'G722', payloadType: 9, clockRate: 8000, eventPayloadType: 101, ptimeMs: 20, direction: 'sendrecv', srtp: null };
  t.equal(legConfigProblem('b2bua', 'caller', config), undefined);
  t.equal(legConfigProblem('endpoint', 'caller', config), undefined);
  t.match(legConfigProblem('b2bua', 'agent', { ...config, clockRate: 16_000 }) ?? '', /G\.722 clock rate must be 8000/);
});
