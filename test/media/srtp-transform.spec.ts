// SRTP (RFC 3711, SDES AES_CM_128_HMAC_SHA1_80) on a leg: a peer using werift-rtp directly talks
// SRTP/SRTCP to a B2BUA session whose other leg is plain; packets that do not authenticate are
// dropped and counted (and cannot latch the leg); keys are generated and validated.
import t from 'tap';
import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtcpSession, SrtpSession } from 'werift-rtp';
import type { LegMediaConfig } from '../../src/media/media-session.js';
import { PortAllocator } from '../../src/media/relay/port-allocator.js';
import { RtpMediaSession } from '../../src/media/relay/rtp-media-session.js';
import { generateSdesKey, SrtpTransform } from '../../src/media/relay/srtp-transform.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { sleep, UdpPeer } from '../helpers/udp-peer.js';
import { testPortRange } from '../helpers/ports.js';

const ports = new PortAllocator({ address: '127.0.0.1', ports: testPortRange('30700-30799') });

function werift(localB64: string, remoteB64: string): { srtp: SrtpSession; srtcp: SrtcpSession } {
  const l = Buffer.from(localB64, 'base64');
  const r = Buffer.from(remoteB64, 'base64');
  const config = {
    keys: { localMasterKey: l.subarray(0, 16), localMasterSalt: l.subarray(16), remoteMasterKey: r.subarray(0, 16), remoteMasterSalt: r.subarray(16) },
    profile: ProtectionProfileAes128CmHmacSha1_80,
  };
  return { srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) };
}

function protect(s: SrtpSession, plain: Uint8Array): Buffer {
  const buf = Buffer.from(plain);
  const header = RtpHeader.deSerialize(buf);
  return s.encrypt(buf.subarray(header.payloadOffset), header);
}

function leg(peer: UdpPeer, srtp: LegMediaConfig['srtp']): LegMediaConfig {
  return {
    remote: { address: '127.0.0.1', rtpPort: peer.port, rtcpPort: peer.port + 1 },
    codec: 'PCMA',
    payloadType: 8,
    clockRate: 8000,
    eventPayloadType: 101,
    ptimeMs: 20,
    direction: 'sendrecv',
    srtp,
  };
}

t.test('generateSdesKey: 30 random bytes, base64', async (t) => {
  const a = generateSdesKey();
  const b = generateSdesKey();
  t.equal(Buffer.from(a, 'base64').length, 30);
  t.not(a, b);
  t.throws(() => new SrtpTransform({ suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: 'c2hvcnQ=', remoteKeyBase64: a }), { code: 'EOPTIONS' });
  try {
    new SrtpTransform({ suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: a, remoteKeyBase64: a.slice(0, 20) });
    t.fail('accepted a short key');
  } catch (err) {
    t.notMatch(String((err as Error).message), a.slice(0, 20), 'the key is not in the error message');
  }
});

t.test('SRTP caller leg <-> plain agent leg, end to end with werift', async (t) => {
  const session = await RtpMediaSession.open({ ports, mode: 'b2bua' });
  const caller = await UdpPeer.bind();
  const agent = await UdpPeer.bind();
  t.teardown(() => {
    session.close();
    caller.close();
    agent.close();
  });
  const ourKey = generateSdesKey();
  const callerKey = generateSdesKey();
  session.configure('caller', leg(caller, { suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: ourKey, remoteKeyBase64: callerKey }));
  session.configure('agent', leg(agent, null));
  const phone = werift(callerKey, ourKey);
  const port = session.local('caller').rtpPort;

  // A forged packet (wrong key) from the caller's own address first: dropped, and no latch.
  const forger = await UdpPeer.bind();
  t.teardown(() => forger.close());
  const wrong = werift(generateSdesKey(), ourKey);
  await forger.send(protect(wrong.srtp, serializeRtp({ payloadType: 8, sequence: 1, timestamp: 0, ssrc: 77, payload: new Uint8Array(160).fill(1) })), port);
  await sleep(30);
  t.equal(agent.received.length, 0, 'forged packet not relayed');
  t.equal(session.stats('caller').srtpFailures, 1, 'counted');

  const plain = [0, 1, 2, 3].map((i) => serializeRtp({ payloadType: 8, sequence: 65534 + i, timestamp: 1000 + 160 * i, ssrc: 0xc0ffee, payload: new Uint8Array(160).fill(0x30 + i) }));
  for (const p of plain) {
    const wire = protect(phone.srtp, p);
    t.not(Buffer.compare(wire.subarray(12, 172), Buffer.from(p.subarray(12))), 0, 'payload encrypted on the wire');
    await caller.send(wire, port);
  }
  const got = await agent.waitFor(4);
  t.same(
    got.map((r) => [...r.data]),
    plain.map((p) => [...p]),
    'agent gets the plain packets (seq wrap included)',
  );

  const down = serializeRtp({ payloadType: 8, sequence: 9, timestamp: 5, ssrc: 0xa9e47, payload: new Uint8Array(160).fill(0x55) });
  await agent.send(down, session.local('agent').rtpPort);
  const back = await caller.waitFor(1);
  t.equal(back.length, 1);
  t.equal(back[0].data.length, down.length + 10, 'SRTP adds the 80-bit tag');
  t.same([...phone.srtp.decrypt(back[0].data)], [...down], 'phone decrypts what the agent sent');

  // SRTCP both ways.
  const callerRtcp = await UdpPeer.bind(caller.port + 1).catch(() => undefined);
  const agentRtcp = await UdpPeer.bind(agent.port + 1).catch(() => undefined);
  if (callerRtcp === undefined || agentRtcp === undefined) return;
  t.teardown(() => {
    callerRtcp.close();
    agentRtcp.close();
  });
  const rr = Buffer.from([0x80, 201, 0, 1, 0, 0xc0, 0xff, 0xee]);
  await callerRtcp.send(phone.srtcp.encrypt(rr), session.local('caller').rtcpPort);
  const a = await agentRtcp.waitFor(1);
  t.same([...a[0].data], [...rr], 'SRTCP from the phone reaches the agent as RTCP');
  const rr2 = Buffer.from([0x80, 201, 0, 1, 0, 0x0a, 0x9e, 0x47]);
  await agentRtcp.send(rr2, session.local('agent').rtcpPort);
  const b = await callerRtcp.waitFor(1);
  t.same([...phone.srtcp.decrypt(b[0].data)], [...rr2], 'RTCP from the agent reaches the phone as SRTCP');
});
