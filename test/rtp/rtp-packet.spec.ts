// RTP packets through werift-rtp behind our validating edge: round trips with padding, CSRCs and
// header extensions; malformed packets are error values; random bytes never throw.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { RtcpReceiverInfo, RtcpRrPacket, RtpPacket } from 'werift-rtp';
import { readUdpDatagrams } from '../../src/capture/index.js';
import { looksLikeRtcp, looksLikeRtp, parseRtcp, parseRtp, RtpParseError, rtpPayloadBounds, serializeRtcp, serializeRtp, type ParsedRtp } from '../../src/rtp/rtp-packet.js';

function ok(value: ParsedRtp | RtpParseError): ParsedRtp {
  if (value instanceof RtpParseError) throw value;
  return value;
}

t.test('round trip: fixed header, marker, CSRCs, one-byte extensions, padding', async (t) => {
  const payload = Uint8Array.from({ length: 160 }, (_, i) => i);
  const bytes = serializeRtp({
    payloadType: 101,
    marker: true,
    sequence: 65535,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    csrcs: [1, 0xffffffff],
    extensions: [
      { id: 1, payload: new Uint8Array([0xaa]) },
      { id: 3, payload: new Uint8Array([1, 2, 3, 4]) },
    ],
    padding: 4,
    payload,
  });
  const p = ok(parseRtp(bytes));
  t.equal(p.payloadType, 101);
  t.equal(p.marker, true);
  t.equal(p.sequence, 65535);
  t.equal(p.timestamp, 0xfffffff0);
  t.equal(p.ssrc, 0xdeadbeef);
  t.same(p.csrcs, [1, 0xffffffff]);
  t.equal(p.extensionProfile, 0xbede);
  t.same(
    p.extensions.map((e) => [e.id, [...e.payload]]),
    [
      [1, [0xaa]],
      [3, [1, 2, 3, 4]],
    ],
  );
  t.equal(p.paddingBytes, 4);
  t.same([...p.payload], [...payload]);
  t.ok(looksLikeRtp(bytes));
});

t.test('malformed packets are typed errors, where werift alone misreads or throws', async (t) => {
  const good = serializeRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(20) });
  const code = (bytes: Uint8Array): string | undefined => {
    const r = parseRtp(bytes);
    return r instanceof RtpParseError ? r.code : undefined;
  };
  t.equal(code(good.subarray(0, 4)), 'ESHORT');
  t.throws(() => RtpPacket.deSerialize(Buffer.from(good.subarray(0, 4))), 'werift throws on the same bytes');
  const v1 = good.slice();
  v1[0] = 0x40;
  t.equal(code(v1), 'EVERSION');
  const csrc = good.slice(0, 14);
  csrc[0] = 0x8f; // 15 CSRCs declared
  t.equal(code(csrc), 'ESHORT');
  const ext = good.slice();
  ext[0] |= 0x10;
  ext[12] = 0xbe;
  ext[13] = 0xde;
  ext[14] = 0x00;
  ext[15] = 0x40; // 256 bytes of extension
  t.equal(code(ext), 'EEXTENSION');
  const pad = good.slice();
  pad[0] |= 0x20;
  pad[pad.length - 1] = 200;
  t.equal(code(pad), 'EPADDING');
  // werift computes a negative payload end here and silently returns an empty payload.
  t.equal(RtpPacket.deSerialize(Buffer.from(pad)).payload.length, 0);
  const zeroPad = good.slice();
  zeroPad[0] |= 0x20;
  zeroPad[zeroPad.length - 1] = 0;
  t.equal(code(zeroPad), 'EPADDING');
  const rtcp = good.slice();
  rtcp[1] = 200;
  t.equal(code(rtcp), 'ERTCP');
  t.ok(looksLikeRtcp(rtcp));
  t.notOk(looksLikeRtp(rtcp));
});

t.test('RTCP through werift; garbage is undefined', async (t) => {
  // A receiver report with no report blocks: V=2, RC=0, PT=201, length 1, SSRC.
  const rr = new Uint8Array([0x80, 201, 0, 1, 0, 0, 0, 7]);
  const packets = parseRtcp(rr);
  t.equal(packets?.length, 1);
  t.equal(parseRtcp(new Uint8Array([0x80, 0, 0, 0])), undefined);
  t.doesNotThrow(() => parseRtcp(new Uint8Array([0x80, 200, 0xff, 0xff, 1, 2, 3, 4, 5])));
});

t.test('RTCP round trip, and the RTCP baresip sent in a recorded call', async (t) => {
  const rr = new RtcpRrPacket({ ssrc: 0x11223344, reports: [new RtcpReceiverInfo({ ssrc: 0x55667788, fractionLost: 3, packetsLost: 12, highestSequence: 70000, jitter: 40, lsr: 1, dlsr: 2 })] });
  const parsed = parseRtcp(serializeRtcp([rr, rr]));
  t.equal(parsed?.length, 2);
  const first = parsed?.[0];
  t.ok(first instanceof RtcpRrPacket);
  if (first instanceof RtcpRrPacket) t.same([first.ssrc, first.reports[0].packetsLost, first.reports[0].highestSequence], [0x11223344, 12, 70000]);
  const fixture = new URL('../../fixtures/rtp/pcmu.pcapng', import.meta.url);
  const types: number[] = [];
  readUdpDatagrams(readFileSync(fixture), 'pcmu.pcapng', (d) => {
    if (!looksLikeRtcp(d.payload)) return;
    for (const p of parseRtcp(d.payload) ?? []) types.push(p.type);
  });
  t.ok(types.length > 0, `${types.length} RTCP packets parsed`);
  t.ok(
    types.every((type) => type >= 200 && type <= 206),
    'SR, RR, SDES or feedback',
  );
});

t.test('fuzz: 20,000 random and mutated packets never throw', async (t) => {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const base = serializeRtp({ payloadType: 8, sequence: 9, timestamp: 10, ssrc: 11, csrcs: [5], extensions: [{ id: 2, payload: new Uint8Array([1, 2]) }], payload: new Uint8Array(40) });
  let errors = 0;
  let outside = 0;
  for (let i = 0; i < 20_000; i++) {
    const bytes = i % 2 === 0 ? Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)) : base.slice(0, Math.floor(random() * (base.length + 1)));
    if (i % 2 === 1) for (let k = 0; k < 3; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    bytes[0] = (bytes[0] & 0x3f) | 0x80;
    const r = parseRtp(bytes);
    if (r instanceof RtpParseError) errors++;
    else if (r.payload.byteOffset + r.payload.length > bytes.byteOffset + bytes.length || rtpPayloadBounds(bytes) instanceof RtpParseError) outside++;
  }
  t.ok(errors > 0, `${errors} rejected`);
  t.equal(outside, 0, 'every accepted payload lies inside its packet');
});
