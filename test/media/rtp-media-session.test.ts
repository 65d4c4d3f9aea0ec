// RtpMediaSession in B2BUA mode over loopback UDP: relay both ways byte for byte, latching
// (foreign sources dropped), RTCP relayed, PT rewriting, secure mode (no telephone-event and no
// tone reaches the agent, each key reported once), prompts replacing relayed audio, RTP timeout,
// garbage on the media ports, close releasing the ports.
import t from 'tap';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { generateDtmfSequence } from '../../native-free-dsp/tone-generator.js';
import type { DialogDigit } from '../../src/dialog/vocabulary.js';
import type { LegMediaConfig } from '../../src/media/media-session.js';
import { PortAllocator } from '../../src/media/relay/port-allocator.js';
import { RtpMediaSession, type RtpMediaSessionOptions } from '../../src/media/relay/rtp-media-session.js';
import { nativeUdpAvailability } from '../../src/media/udp/native-udp.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { decodeByTimestamp, parsed } from '../helpers/rtp-streams.js';
import { callerStream, pcmuLeg, sendStream, sleep, UdpPeer } from '../helpers/udp-peer.js';
import { testPortRange } from '../helpers/ports.js';

// rtp-media-session-dgram.test.ts runs these tests again on node:dgram, the I/O used where the
// native addon is not built.
const io = process.env.TONEGUARD_TEST_MEDIA_IO === 'dgram' ? 'dgram' : 'auto';
const ports = new PortAllocator({ address: '127.0.0.1', ports: testPortRange('30100-30499'), io });

const legConfig = pcmuLeg;

interface Call {
  readonly session: RtpMediaSession;
  readonly caller: UdpPeer;
  readonly agent: UdpPeer;
  readonly digits: DialogDigit[];
  close(): void;
}

async function call(options: Partial<RtpMediaSessionOptions> = {}, callerOver: Partial<LegMediaConfig> = {}, agentOver: Partial<LegMediaConfig> = {}): Promise<Call> {
  const session = await RtpMediaSession.open({ ports, mode: 'b2bua', ...options });
  const caller = await UdpPeer.bind();
  const agent = await UdpPeer.bind();
  session.configure('caller', legConfig(caller, callerOver));
  session.configure('agent', legConfig(agent, agentOver));
  const digits: DialogDigit[] = [];
  session.on('digit', (d) => digits.push(d));
  return {
    session,
    caller,
    agent,
    digits,
    close() {
      session.close();
      caller.close();
      agent.close();
    },
  };
}

function audioPacket(seq: number, ts: number, fill: number, pt = 0, ssrc = 0xabcdef01): Uint8Array {
  return serializeRtp({ payloadType: pt, sequence: seq, timestamp: ts, ssrc, payload: new Uint8Array(160).fill(fill) });
}

t.test('the media sockets use the I/O asked for', async (t) => {
  t.equal(ports.io, io === 'dgram' ? 'dgram' : nativeUdpAvailability().available ? 'native' : 'dgram');
});

t.test('relays both ways byte for byte outside secure mode', async (t) => {
  const c = await call();
  t.teardown(() => c.close());
  const up = [0, 1, 2, 3, 4].map((i) => audioPacket(100 + i, 8000 + i * 160, 0x20 + i));
  const down = [0, 1, 2].map((i) => audioPacket(500 + i, 9000 + i * 160, 0x60 + i, 0, 0x01020304));
  for (const p of up) await c.caller.send(p, c.session.local('caller').rtpPort);
  for (const p of down) await c.agent.send(p, c.session.local('agent').rtpPort);
  const atAgent = await c.agent.waitFor(up.length);
  const atCaller = await c.caller.waitFor(down.length);
  t.same(
    atAgent.map((r) => [...r.data]),
    up.map((p) => [...p]),
    'caller -> agent unchanged',
  );
  t.same(
    atCaller.map((r) => [...r.data]),
    down.map((p) => [...p]),
    'agent -> caller unchanged',
  );
  t.equal(atAgent[0].port, c.session.local('agent').rtpPort, 'sent from the agent leg port (symmetric RTP)');
  t.equal(atCaller[0].port, c.session.local('caller').rtpPort);
  t.equal(c.session.stats('caller').rtpIn, up.length);
  t.equal(c.session.stats('agent').rtpOut, up.length);
});

t.test('different payload type numbers on the two legs are rewritten', async (t) => {
  const c = await call({}, { payloadType: 0, eventPayloadType: 101 }, { payloadType: 0, eventPayloadType: 96 });
  t.teardown(() => c.close());
  await c.caller.send(audioPacket(1, 160, 0x33), c.session.local('caller').rtpPort);
  const ev = serializeRtp({ payloadType: 101, marker: true, sequence: 2, timestamp: 320, ssrc: 0xabcdef01, payload: new Uint8Array([5, 10, 0, 160]) });
  await c.caller.send(ev, c.session.local('caller').rtpPort);
  const got = await c.agent.waitFor(2);
  t.equal(got.length, 2);
  t.equal(parsed(got[0].data).payloadType, 0);
  t.equal(parsed(got[1].data).payloadType, 96, 'telephone-event PT mapped to the agent leg');
  t.equal(parsed(got[1].data).marker, true, 'marker kept');
  t.same([...got[1].data.subarray(2)], [...ev.subarray(2)], 'rest of the packet unchanged');
});

t.test('agent -> caller: relayed by the socket I/O itself (native) as relay() would: PT mapped, prompts to the caller, RTP timeout, counts', async (t) => {
  const c = await call({ rtpTimeoutMs: 400 }, { payloadType: 0, eventPayloadType: 101 }, { payloadType: 0, eventPayloadType: 96 });
  t.teardown(() => c.close());
  const timeouts: string[] = [];
  c.session.on('rtp-timeout', (leg) => timeouts.push(leg));
  const ends: { id: number; interrupted: boolean }[] = [];
  c.session.on('prompt-end', (e) => ends.push(e));
  const port = c.session.local('agent').rtpPort;
  // 700 ms of agent audio, longer than the RTP timeout, then an event.
  for (let i = 0; i < 35; i++) {
    await c.agent.send(audioPacket(i, i * 160, 0x55, 0, 0x0a0a0a0a), port);
    await sleep(20);
  }
  const ev = serializeRtp({ payloadType: 96, marker: true, sequence: 35, timestamp: 35 * 160, ssrc: 0x0a0a0a0a, payload: new Uint8Array([5, 10, 0, 160]) });
  await c.agent.send(ev, port);
  const got = (await c.caller.waitFor(36)).map((r) => parsed(r.data));
  t.equal(got.length, 36);
  t.ok(
    got.slice(0, 35).every((p) => p.payloadType === 0 && p.payload.every((b) => b === 0x55)),
    'audio unchanged',
  );
  t.equal(got[35].payloadType, 101, "the agent's telephone-event PT mapped to the caller's");
  t.equal(got[35].marker, true, 'marker kept');
  t.notOk(timeouts.includes('agent'), 'the agent leg does not time out while its RTP flows');
  const agentStats = c.session.stats('agent');
  t.equal(agentStats.rtpIn, 36);
  t.equal(c.session.stats('caller').rtpOut, 36);
  if (ports.io === 'native') t.ok(agentStats.rtpForwarded >= 30, `forwarded by the I/O: ${agentStats.rtpForwarded} of 36 (the first latches)`);
  else t.equal(agentStats.rtpForwarded, 0, 'dgram: every packet through relay()');

  // A prompt to the caller replaces the agent's audio, then the agent is heard again.
  const id = c.session.play('caller', new Int16Array(320).fill(8000));
  for (let i = 0; i < 4; i++) await c.agent.send(audioPacket(36 + i, (36 + i) * 160, 0x77, 0, 0x0a0a0a0a), port);
  const after = (await c.caller.waitFor(40)).slice(36).map((r) => parsed(r.data));
  t.same(
    after.map((p) => p.sequence),
    [36, 37, 38, 39],
  );
  t.ok(
    after.slice(0, 2).every((p) => p.payload.every((b) => b !== 0x77)),
    'the prompt in the first two frames',
  );
  t.ok(
    after.slice(2).every((p) => p.payload.every((b) => b === 0x77)),
    "the agent's audio after it",
  );
  t.same(ends, [{ id, interrupted: false }]);
  await sleep(600);
  t.ok(timeouts.includes('agent'), 'and times out once it stops');
});

t.test('latching: foreign ports and addresses are dropped, NAT source latched', async (t) => {
  const c = await call();
  t.teardown(() => c.close());
  const intruder = await UdpPeer.bind();
  t.teardown(() => intruder.close());
  const port = c.session.local('caller').rtpPort;
  // NAT: the caller's packets come from another port of the negotiated IP; the first latches.
  const natted = await UdpPeer.bind();
  t.teardown(() => natted.close());
  await natted.send(audioPacket(1, 160, 0x41), port);
  await c.agent.waitFor(1);
  await intruder.send(audioPacket(2, 320, 0x42), port);
  await natted.send(audioPacket(3, 480, 0x43), port);
  const got = await c.agent.waitFor(2);
  await sleep(50);
  t.same(
    c.agent.received.map((r) => r.data[12]),
    [0x41, 0x43],
    'only the latched source is relayed',
  );
  t.equal(c.session.stats('caller').rtpForeign, 1, 'foreign packets counted');
  // Replies go to the latched source.
  await c.agent.send(audioPacket(9, 999, 0x55, 0, 0x77), c.session.local('agent').rtpPort);
  await natted.waitFor(1);
  t.equal(natted.received.length, 1, 'agent audio goes to the latched NAT source');
  t.equal(got.length >= 2, true);
  // The negotiated (SDP) source itself takes a NAT latch over: whoever latched first from the
  // peer's IP (here the NAT source, in an attack a third party) loses the leg to it.
  await c.caller.send(audioPacket(4, 640, 0x44), port);
  await natted.send(audioPacket(5, 800, 0x45), port);
  await c.agent.waitFor(3);
  await sleep(50);
  t.same(
    c.agent.received.map((r) => r.data[12]),
    [0x41, 0x43, 0x44],
    'the SDP source is relayed, the earlier latch no longer',
  );
  await c.agent.send(audioPacket(10, 1159, 0x56, 0, 0x77), c.session.local('agent').rtpPort);
  await c.caller.waitFor(1);
  t.equal(c.caller.received.length, 1, 'agent audio goes to the SDP source now');
});

t.test('a source on another address is never accepted', async (t) => {
  const c = await call({}, { remote: { address: '127.0.0.2', rtpPort: 4000, rtcpPort: 4001 } });
  t.teardown(() => c.close());
  await c.caller.send(audioPacket(1, 160, 0x41), c.session.local('caller').rtpPort);
  await sleep(80);
  t.equal(c.agent.received.length, 0);
  t.equal(c.session.stats('caller').rtpForeign, 1);
});

t.test('RTCP is relayed both ways', async (t) => {
  const c = await call();
  t.teardown(() => c.close());
  const callerRtcp = await UdpPeer.bind(c.caller.port + 1).catch(() => undefined);
  const agentRtcp = await UdpPeer.bind(c.agent.port + 1).catch(() => undefined);
  if (callerRtcp === undefined || agentRtcp === undefined) {
    t.plan(0, 'RTCP ports of the peers taken');
    return;
  }
  t.teardown(() => {
    callerRtcp.close();
    agentRtcp.close();
  });
  // RR from the caller (PT 201, no report blocks) and an SR from the agent.
  const rr = new Uint8Array([0x80, 201, 0, 1, 0xab, 0xcd, 0xef, 0x01]);
  const sr = new Uint8Array(28);
  sr.set([0x80, 200, 0, 6, 1, 2, 3, 4]);
  sr[27] = 160;
  await callerRtcp.send(rr, c.session.local('caller').rtcpPort);
  await agentRtcp.send(sr, c.session.local('agent').rtcpPort);
  const a = await agentRtcp.waitFor(1);
  const b = await callerRtcp.waitFor(1);
  t.same([...a[0].data], [...rr], 'caller RTCP reaches the agent');
  t.same([...b[0].data], [...sr], 'agent RTCP reaches the caller');
  t.equal(a[0].port, c.session.local('agent').rtcpPort, 'from the agent leg RTCP port');
});

t.test('RTCP from another port of the peer IP: refused unless the leg RTP came through a NAT', async (t) => {
  const c = await call();
  t.teardown(() => c.close());
  const agentRtcp = await UdpPeer.bind(c.agent.port + 1).catch(() => undefined);
  if (agentRtcp === undefined) {
    t.plan(0, 'RTCP port of the agent peer taken');
    return;
  }
  const intruder = await UdpPeer.bind();
  t.teardown(() => {
    agentRtcp.close();
    intruder.close();
  });
  const rtcpPort = c.session.local('caller').rtcpPort;
  const rr = (tag: number): Uint8Array => new Uint8Array([0x80, 201, 0, 1, 0xab, 0xcd, 0xef, tag]);
  // A third party on the peer's IP, before the peer's first RTP and after it (from its SDP port).
  await intruder.send(rr(1), rtcpPort);
  await c.caller.send(audioPacket(1, 160, 0x41), c.session.local('caller').rtpPort);
  await c.agent.waitFor(1);
  await intruder.send(rr(2), rtcpPort);
  await sleep(80);
  t.equal(agentRtcp.received.length, 0, 'no intruder RTCP relayed');
  t.equal(c.session.stats('caller').rtcpForeign, 2, 'both counted as foreign');

  // Behind a NAT (RTP latched to another port), RTCP from another port is accepted and latches.
  const d = await call();
  t.teardown(() => d.close());
  const dAgentRtcp = await UdpPeer.bind(d.agent.port + 1).catch(() => undefined);
  if (dAgentRtcp === undefined) return;
  const nattedRtp = await UdpPeer.bind();
  const nattedRtcp = await UdpPeer.bind();
  t.teardown(() => {
    dAgentRtcp.close();
    nattedRtp.close();
    nattedRtcp.close();
  });
  await nattedRtp.send(audioPacket(1, 160, 0x41), d.session.local('caller').rtpPort);
  await d.agent.waitFor(1);
  await nattedRtcp.send(rr(3), d.session.local('caller').rtcpPort);
  const got = await dAgentRtcp.waitFor(1);
  t.equal(got[0]?.data[7], 3, 'NAT RTCP relayed');
});

t.test('secure mode: no telephone-event and no tone reaches the agent, the key is reported once', async (t) => {
  const c = await call({ secure: true });
  t.teardown(() => c.close());
  // A phone that sends the key both ways: a 120 ms tone in the audio and RFC 4733 events.
  const pcm = generateDtmfSequence(
    [
      { digit: '7', durationMs: 120, gapBeforeMs: 400 },
      { digit: '#', durationMs: 100, gapBeforeMs: 300 },
    ],
    600,
  );
  const stream = callerStream(pcm, [
    { digit: '7', startSample: 3200, samples: 960 },
    { digit: '#', startSample: 3200 + 960 + 2400, samples: 800 },
  ]);
  await sendStream(c.caller, stream, c.session.local('caller').rtpPort, 'media');
  const audioPackets = stream.packets.filter((p) => (p.bytes[1] & 0x7f) === 0).length;
  const got = await c.agent.waitFor(audioPackets + 10, 1500);
  await sleep(100);
  const pts = got.map((r) => r.data[1] & 0x7f);
  t.equal(pts.filter((pt) => pt === 101).length, 0, 'no telephone-event packet at the agent');
  t.ok(got.length >= audioPackets, `agent got ${got.length} packets for ${audioPackets} audio packets`);
  const heard = decodeByTimestamp(got.map((r) => r.data));
  t.same(
    detectDtmf(heard).map((d) => d.digit),
    [],
    'no tone the detector can find in what the agent heard',
  );
  t.same(
    c.digits.map((d) => d.digit),
    ['7', '#'],
    'each key once (RFC 4733 and in-band merged)',
  );
  // Tone inside an RFC 4733 event's window is the event's (the clamp stage folds it): one report each.
  t.equal(c.session.mergedDigitReports, 0, 'keys sent both ways were reported once by the clamp stage');
  // A key's time is the arrival of the newest packet less the media time since the key began:
  // each report is anchored to an arrival, so a busy machine's late packet moves it (by up to
  // 90 ms seen under a full CI run), while a wrong clock rate or unit is off by hundreds.
  const gap = c.digits[1].atMs - c.digits[0].atMs;
  t.ok(Math.abs(gap - 420) < 150, `digit start times follow the media clock (${gap.toFixed(1)} ms apart, expected 420)`);
});

t.test('secure mode: an in-band tone alone (no RFC 4733) is muted for the agent and reported', async (t) => {
  const c = await call({ secure: true });
  t.teardown(() => c.close());
  const pcm = generateDtmfSequence(
    [
      { digit: '2', durationMs: 90, gapBeforeMs: 300 },
      { digit: '8', durationMs: 60, gapBeforeMs: 200 },
    ],
    400,
  );
  const stream = callerStream(pcm);
  await sendStream(c.caller, stream, c.session.local('caller').rtpPort);
  const got = await c.agent.waitFor(stream.packets.length, 1500);
  t.equal(got.length, stream.packets.length, 'every audio packet relayed');
  const heard = decodeByTimestamp(got.map((r) => r.data));
  t.same(
    detectDtmf(heard).map((d) => d.digit),
    [],
    'the agent hears no digit',
  );
  t.same(
    c.digits.map((d) => [d.digit, d.source]),
    [
      ['2', 'inband'],
      ['8', 'inband'],
    ],
  );
  // The session turned secure off: the same audio passes untouched, no in-band detection.
  c.session.setSecure(false);
  c.agent.received.length = 0;
  const again = callerStream(pcm, [], 0x5eed1234, 50000, 999999);
  await sendStream(c.caller, again, c.session.local('caller').rtpPort);
  const plain = await c.agent.waitFor(again.packets.length, 1500);
  t.same(
    plain.map((r) => [...r.data]),
    again.packets.map((p) => [...p.bytes]),
    'not secure: byte for byte',
  );
  t.equal(c.digits.length, 2, 'no in-band detection outside secure mode (b2bua)');
});

t.test('not secure: events pass to the agent and digits are still reported', async (t) => {
  const c = await call();
  t.teardown(() => c.close());
  const pcm = new Int16Array(8000);
  const stream = callerStream(pcm, [{ digit: '3', startSample: 1600, samples: 800 }]);
  await sendStream(c.caller, stream, c.session.local('caller').rtpPort);
  const got = await c.agent.waitFor(stream.packets.length);
  t.equal(got.length, stream.packets.length);
  t.ok(
    got.some((r) => (r.data[1] & 0x7f) === 101),
    'telephone-events relayed',
  );
  await sleep(50);
  t.same(
    c.digits.map((d) => [d.digit, d.source]),
    [['3', 'rfc4733']],
  );
});

t.test('SIP INFO digits are merged with RTP digits', async (t) => {
  const c = await call();
  t.teardown(() => c.close());
  c.session.injectSipInfoDigit('5', 1000);
  c.session.injectSipInfoDigit('5', 1020); // same source again: a second press
  c.session.injectSipInfoDigit('6', 2000);
  t.same(
    c.digits.map((d) => d.digit),
    ['5', '5', '6'],
  );
  t.throws(() => c.session.injectSipInfoDigit('x', 1), { code: 'EOPTIONS' });
});

t.test('prompts replace the relayed audio on a leg, continuity kept; barge-in and stop', async (t) => {
  const c = await call();
  t.teardown(() => c.close());
  const ends: { id: number; interrupted: boolean }[] = [];
  c.session.on('prompt-end', (e) => ends.push(e));
  const prompt = new Int16Array(320).fill(8000);
  const id = c.session.play('agent', prompt);
  const port = c.session.local('caller').rtpPort;
  for (let i = 0; i < 4; i++) await c.caller.send(audioPacket(10 + i, 1600 + 160 * i, 0x99), port);
  const got = await c.agent.waitFor(4);
  const ps = got.map((r) => parsed(r.data));
  t.same(
    ps.map((p) => p.sequence),
    [10, 11, 12, 13],
    'seq unchanged',
  );
  t.same(
    ps.map((p) => p.timestamp),
    [1600, 1760, 1920, 2080],
    'ts unchanged',
  );
  t.ok(
    ps.slice(0, 2).every((p) => p.payload.every((b) => b !== 0x99)),
    'prompt audio in the first two frames',
  );
  t.ok(
    ps.slice(2).every((p) => p.payload.every((b) => b === 0x99)),
    'relayed audio after the prompt',
  );
  t.same(ends, [{ id, interrupted: false }]);
  const id2 = c.session.play('agent', new Int16Array(8000), { bargeIn: true });
  const id3 = c.session.play('caller', new Int16Array(8000));
  c.session.injectSipInfoDigit('1', Date.now());
  c.session.stopPlayback('caller');
  t.same(ends.slice(1), [
    { id: id2, interrupted: true },
    { id: id3, interrupted: true },
  ]);
});

t.test('rtp-timeout fires for a silent leg, not for a leg on hold', async (t) => {
  const c = await call({ rtpTimeoutMs: 600 }, {}, { direction: 'sendonly' });
  t.teardown(() => c.close());
  const timeouts: string[] = [];
  c.session.on('rtp-timeout', (leg) => timeouts.push(leg));
  const port = c.session.local('caller').rtpPort;
  for (let i = 0; i < 4; i++) {
    await c.caller.send(audioPacket(i, i * 160, 1), port);
    await sleep(100);
  }
  t.same(timeouts, [], 'no timeout while RTP flows');
  await sleep(1000);
  t.same(timeouts, ['caller'], 'caller timed out once; agent leg on hold is exempt');
});

t.test('garbage on the media ports is dropped and never crashes', async (t) => {
  const c = await call({ secure: true });
  t.teardown(() => c.close());
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x100000000;
  const s = c.session.local('caller');
  const a = c.session.local('agent');
  // Both legs latched first; then junk from the peers on their own legs and from an intruder.
  await c.caller.send(audioPacket(1, 160, 0x10), s.rtpPort);
  await c.agent.send(audioPacket(1, 160, 0x11, 0, 0x31), a.rtpPort);
  await c.agent.waitFor(1);
  await c.caller.waitFor(1);
  const intruder = await UdpPeer.bind();
  t.teardown(() => intruder.close());
  for (let i = 0; i < 600; i++) {
    const n = Math.floor(rnd() * 200);
    const junk = new Uint8Array(n);
    for (let j = 0; j < n; j++) junk[j] = Math.floor(rnd() * 256);
    if (i % 3 === 0 && n > 12) junk[0] = 0x80 | (junk[0] & 0x3f); // looks like RTP v2
    const k = i % 6;
    if (k < 2) await c.caller.send(junk, k === 0 ? s.rtpPort : s.rtcpPort);
    else if (k < 4) await c.agent.send(junk, k === 2 ? a.rtpPort : a.rtcpPort);
    else await intruder.send(junk, [s.rtpPort, a.rtpPort][k - 4]);
  }
  // Until the session has read all of it (a loaded machine may still be working through the
  // junk): the intruder's 100 packets per leg are the last to be counted.
  const settled = Date.now() + 10_000;
  while ((c.session.stats('caller').rtpForeign < 100 || c.session.stats('agent').rtpForeign < 100) && Date.now() < settled) await sleep(20);
  await sleep(100);
  // Still relaying afterwards.
  await c.agent.send(audioPacket(2, 320, 0x12, 0, 0x31), a.rtpPort);
  const relayed = (): boolean => c.caller.received.some((r) => r.data.length === 172 && r.data[12] === 0x12);
  const deadline = Date.now() + 5000;
  while (!relayed() && Date.now() < deadline) await c.caller.waitFor(c.caller.received.length + 1, Math.max(1, deadline - Date.now()));
  t.ok(relayed(), 'session still relays');
  const st = c.session.stats('caller');
  t.ok(st.malformed > 0, 'junk counted as malformed');
  t.ok(st.rtpForeign >= 100 && c.session.stats('agent').rtpForeign >= 100, 'intruder packets counted as foreign');
  t.equal(intruder.received.length, 0, 'nothing sent to the intruder');
  t.equal(c.agent.received.filter((r) => r.data.length > 0 && r.data[0] >> 6 !== 2).length, 0, 'nothing that is not RTP/RTCP v2 reached the agent');
});

t.test('close releases the ports: the same pair binds again; close is idempotent', async (t) => {
  const small = new PortAllocator({ address: '127.0.0.1', ports: testPortRange('30480-30483') });
  const s1 = await RtpMediaSession.open({ ports: small, mode: 'b2bua' });
  const used = [s1.local('caller').rtpPort, s1.local('agent').rtpPort];
  await t.rejects(RtpMediaSession.open({ ports: small, mode: 'endpoint' }), { code: 'EPORTS_EXHAUSTED' });
  s1.close();
  s1.close();
  t.throws(() => s1.setSecure(true), { code: 'ECLOSED' });
  await sleep(10);
  const s2 = await RtpMediaSession.open({ ports: small, mode: 'b2bua' });
  t.same([s2.local('caller').rtpPort, s2.local('agent').rtpPort].sort(), [...used].sort(), 'same ports again');
  t.equal(s2.local('caller').rtcpPort, s2.local('caller').rtpPort + 1);
  t.equal(s2.local('caller').rtpPort % 2, 0, 'RTP port even');
  s2.close();
  t.equal(small.used, 0);
});
