// Sender reports for the agent leg after the clamp stage: packet and octet counts are what was
// actually sent; NTP and RTP timestamp pass unchanged (the stage keeps the sender's timestamps).
import t from 'tap';
import { RtcpReceiverInfo, RtcpRrPacket, RtcpSenderInfo, RtcpSrPacket } from 'werift-rtp';
import { adjustSenderReports, RtcpError } from '../../src/media/relay/rtcp-sender-report.js';
import { ClampStage } from '../../src/media/clamp/clamp-stage.js';
import { parseRtcp, serializeRtcp } from '../../src/rtp/rtp-packet.js';
import { buildStream, parsed, SSRC } from '../helpers/rtp-streams.js';

function sr(ssrc: number, packetCount: number, octetCount: number, rtpTimestamp: number): RtcpSrPacket {
  return new RtcpSrPacket({ ssrc, senderInfo: new RtcpSenderInfo({ ntpTimestamp: 0xe0000000_80000000n, rtpTimestamp, packetCount, octetCount }) });
}

t.test('the SR after a clamped digit counts the packets and payload octets actually sent', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 10 },
      { kind: 'digit', digit: '5', samples: 1000 },
      { kind: 'audio', frames: 10 },
    ],
  });
  const sentPackets: Uint8Array[] = [];
  const stage = new ClampStage({ codec: 'PCMU', secure: true, send: (p) => sentPackets.push(p.slice()) });
  for (const p of input) stage.push(p.bytes.slice(), p.atMs);
  // What the sender's own SR says about the input stream:
  const inOctets = input.reduce((n, p) => n + parsed(p.bytes).payload.length, 0);
  const lastTs = parsed(input[input.length - 1].bytes).timestamp;
  const rr = new RtcpRrPacket({ ssrc: 0x99, reports: [new RtcpReceiverInfo({ ssrc: 0x77, fractionLost: 0, packetsLost: 0, highestSequence: 5, jitter: 0, lsr: 0, dlsr: 0 })] });
  const compound = serializeRtcp([sr(SSRC, input.length, inOctets, lastTs), rr, sr(0x1234, 7, 700, 1)]);
  const before = compound.slice();
  t.equal(adjustSenderReports(compound, SSRC, stage.adjustment), 1, 'one SR of this SSRC');
  const back = parseRtcp(compound);
  t.ok(back !== undefined);
  const ours = back?.[0] as RtcpSrPacket;
  const outOctets = sentPackets.reduce((n, b) => n + parsed(b).payload.length, 0);
  t.equal(ours.senderInfo.packetCount, sentPackets.length, 'packets sent');
  t.equal(ours.senderInfo.octetCount, outOctets, 'payload octets sent');
  t.equal(ours.senderInfo.rtpTimestamp, lastTs, 'RTP timestamp unchanged...');
  t.equal(ours.senderInfo.ntpTimestamp, 0xe0000000_80000000n, '...and NTP: the mapping still holds');
  t.ok(
    sentPackets.some((b) => parsed(b).timestamp === lastTs),
    'the SR timestamp is one the agent received',
  );
  t.same([...compound.subarray(28)], [...before.subarray(28)], "the RR and the other SSRC's SR are untouched");
});

t.test('counts wrap modulo 2^32; nothing changed means byte-identical', async (t) => {
  const c = serializeRtcp([sr(SSRC, 1, 2, 3)]);
  t.equal(adjustSenderReports(c, SSRC, { packets: -2, octets: -5 }), 1);
  const p = parseRtcp(c)?.[0] as RtcpSrPacket;
  t.equal(p.senderInfo.packetCount, 0xffffffff);
  t.equal(p.senderInfo.octetCount, 0xfffffffd);
  const d = serializeRtcp([sr(SSRC, 10, 20, 30)]);
  const copy = d.slice();
  adjustSenderReports(d, SSRC, { packets: 0, octets: 0 });
  t.same([...d], [...copy]);
});

t.test('malformed compounds are RtcpError values and are left unchanged', async (t) => {
  const good = serializeRtcp([sr(SSRC, 1, 2, 3), sr(SSRC, 1, 2, 3)]);
  const cases: [string, Uint8Array, string][] = [
    ['short', new Uint8Array([0x80, 200]), 'ESHORT'],
    ['version', Uint8Array.from(good, (b, i) => (i === 0 ? 0x40 : b)), 'EVERSION'],
    ['length past the end', good.subarray(0, good.length - 4), 'ELENGTH'],
    ['SR too short for sender info', new Uint8Array([0x80, 200, 0, 1, 0x11, 0x22, 0x33, 0x44]), 'ESHORT'],
  ];
  for (const [name, bytes, code] of cases) {
    const copy = bytes.slice();
    const r = adjustSenderReports(bytes, SSRC, { packets: 5, octets: 5 });
    t.ok(r instanceof RtcpError && r.code === code, name);
    t.same([...bytes], [...copy], `${name}: unchanged`);
  }
});
