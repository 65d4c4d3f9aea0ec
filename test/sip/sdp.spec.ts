import t from 'tap';
import { parseSdp, plainAudioSdp, writeSdp } from '../../src/sip/sdp.js';

const lines = (...l: string[]): string => `${l.join('\r\n')}\r\n`;

t.test('SDP: session-level c= and direction apply to every m= line that has none of its own', async (t) => {
  const sdp = parseSdp(
    lines('v=0', 'o=- 3747474747474747474 7 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 224.2.1.1/127', 't=0 0', 'a=sendonly', 'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/AVP 8', 'c=IN IP6 ::1', 'a=inactive'),
  );
  t.equal(sdp?.originId, '3747474747474747474', 'an origin id past 2^53 is kept as written');
  t.equal(sdp?.originVersion, '7');
  t.same(
    sdp?.media.map((m) => [m.address, m.direction]),
    [
      ['224.2.1.1', 'sendonly'],
      ['::1', 'inactive'],
    ],
    'multicast TTL dropped; media level over session level',
  );
});

t.test('SDP: rtpmap, fmtp, ptime, rtcp and SDES crypto of an audio line', async (t) => {
  const sdp = parseSdp(
    lines(
      'v=0',
      'o=x 1 1 IN IP4 10.0.0.1',
      'm=audio 4000 RTP/SAVP 96 9 101',
      'a=rtpmap:96 opus/48000/2',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16   ',
      'a=ptime:30',
      'a=rtcp:4011 IN IP4 10.0.0.1',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    ),
  );
  const m = sdp?.media[0];
  t.same(
    m?.codecs.map((c) => [c.payloadType, c.encoding, c.clockRate, c.channels, c.fmtp]),
    [
      [96, 'opus', 48000, 2, undefined],
      [9, 'G722', 8000, 1, undefined],
      [101, 'telephone-event', 8000, 1, '0-16'],
    ],
  );
  t.equal(m?.protocol, 'RTP/SAVP');
  t.equal(m?.ptimeMs, 30);
  t.equal(m?.rtcpPort, 4011);
  t.same(m?.crypto, [{ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR' }], 'the key without lifetime and MKI');
});

t.test('SDP: values out of range are dropped, not believed', async (t) => {
  const m = parseSdp(
    lines(
      'v=0',
      'o=x 1 1 IN IP4 10.0.0.1',
      'm=audio 4000 RTP/AVP 0 128 96 97 x',
      'a=rtpmap:96 PCMU',
      'a=rtpmap:97 PCMA/notarate',
      'a=rtpmap:128 L16/8000',
      'a=ptime:0',
      'a=rtcp:70000',
      'a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:AAAA',
      'a=crypto:2 AES_CM_128_HMAC_SHA1_80 key:AAAA',
      'a=sideways',
    ),
  )?.media[0];
  t.same(
    m?.codecs.map((c) => c.payloadType),
    [0],
    'only the static type: no rate, a bad rate, a type past 127',
  );
  t.same(m?.formats, ['0', '128', '96', '97', 'x'], 'the format list as written');
  t.equal(m?.ptimeMs, undefined);
  t.equal(m?.rtcpPort, undefined);
  t.same(m?.crypto, []);
  t.equal(m?.direction, 'sendrecv');
});

t.test('SDP: a body that is not SDP, or an m= line without a port, is refused whole', async (t) => {
  t.equal(parseSdp(''), undefined);
  t.equal(parseSdp('hello\r\nworld'), undefined);
  t.equal(parseSdp(lines('v=0', 'o=x 1 1 IN IP4 1.2.3.4', 'm=audio 4000 RTP/AVP 0', 'm=audio 99999 RTP/AVP 0')), undefined);
  t.equal(parseSdp(lines('v=0', 'o=x 1 1 IN IP4 1.2.3.4', 'm=audio')), undefined);
  t.ok(parseSdp(lines('v=0', 'o=x 1 1 IN IP4 1.2.3.4', 's=-')), 'a session without media is SDP');
  t.equal(parseSdp(lines('  v=0', '  o=x 1 1 IN IP4 1.2.3.4', '  m=audio 4000 RTP/AVP 0'))?.media[0].port, 4000, 'indented lines are read');
});

t.test('SDP: what writeSdp writes reads back the same', async (t) => {
  const written = plainAudioSdp('2001:db8::7', 5004, [{ payloadType: 9, encoding: 'G722' }], 101);
  const back = parseSdp(written);
  t.equal(back?.media[0].address, '2001:db8::7');
  t.same(
    back?.media[0].codecs.map((c) => `${c.payloadType} ${c.encoding}/${c.clockRate} ${c.fmtp ?? ''}`),
    ['9 G722/8000 ', '101 telephone-event/8000 0-16'],
  );
  const again = writeSdp({ originId: back!.originId, originVersion: 2, address: '2001:db8::7', media: back!.media });
  t.same(parseSdp(again)?.media, back?.media, 'a second round trip changes nothing');
});

t.test('SDP: random damage to a valid body never throws', async (t) => {
  const base = plainAudioSdp('10.0.0.1', 4000, [{ payloadType: 0, encoding: 'PCMU' }], 101) + 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^20\r\na=rtcp:4001\r\n';
  const junk = ['', ' ', '=', ':', '/', '\r\n', 'a=', 'm=', '__proto__', 'constructor', '9'.repeat(400), '\u0000', '-1', 'NaN'];
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    let s = base;
    for (let k = 0; k < 1 + rand(4); k++) {
      const at = rand(s.length);
      s = s.slice(0, at) + junk[rand(junk.length)] + s.slice(at + rand(6));
    }
    const sdp = parseSdp(s);
    if (sdp === undefined) continue;
    parsed++;
    for (const m of sdp.media) {
      t.ok(Number.isInteger(m.port) && m.port >= 0 && m.port <= 65535, 'port in range');
      for (const c of m.codecs) if (!(c.payloadType >= 0 && c.payloadType <= 127 && c.clockRate > 0)) t.fail(`codec ${c.payloadType}/${c.clockRate}`);
    }
  }
  t.ok(parsed > 1000, `${parsed} of 3000 damaged bodies still parsed`);
});

t.test('SDP: a body past what any call has is refused before it is tokenised', async (t) => {
  const head = ['v=0', 'o=x 1 1 IN IP4 10.0.0.1'];
  const audio = 'm=audio 4000 RTP/AVP 0';
  t.ok(parseSdp(lines(...head, ...Array<string>(64).fill(audio))), '64 m= lines');
  t.equal(parseSdp(lines(...head, ...Array<string>(65).fill(audio))), undefined, '65 m= lines');
  const formats = (n: number): string => `m=audio 4000 RTP/AVP ${Array.from({ length: n }, (_, i) => String(i % 128)).join(' ')}`;
  t.same(
    parseSdp(lines(...head, formats(256)))?.media[0].codecs.map((c) => c.payloadType),
    [0, 3, 8, 9, 13, 18],
    '256 formats; each payload type once',
  );
  t.equal(parseSdp(lines(...head, formats(257))), undefined, '257 formats');
  t.equal(parseSdp(lines(...head, `   ${formats(300)}`)), undefined, 'an indented line is counted too');
  t.ok(parseSdp(lines(...head, audio, ...Array<string>(1000).fill('a=x'))), 'a thousand lines');
  t.equal(parseSdp(lines(...head, audio, ...Array<string>(1030).fill('a=x'))), undefined, 'past 1024 lines');
});

t.test('SDP: lines ended by a lone CR are read, and counted against the limits', async (t) => {
  t.equal(parseSdp('v=0\ro=x 1 1 IN IP4 10.0.0.1\rm=audio 4000 RTP/AVP 8\r')?.media[0].codecs[0]?.encoding, 'PCMA');
  t.equal(parseSdp(`v=0\ro=x 1 1 IN IP4 10.0.0.1\r${'m=audio 4000 RTP/AVP 0\r'.repeat(65)}`), undefined);
});
