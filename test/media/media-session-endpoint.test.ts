// RtpMediaSession in endpoint mode (toneguard is the far end): its own 20 ms-paced RTP with
// prompts and silence (one SSRC, continuous seq/ts, marker first), digits from the caller's
// RFC 4733 events and in-band tones, barge-in.
import t from 'tap';
import { ULAW_SILENCE } from '../../native-free-dsp/g711.js';
import { generateDtmfSequence } from '../../native-free-dsp/tone-generator.js';
import type { DialogDigit } from '../../src/dialog/vocabulary.js';
import { PortAllocator } from '../../src/media/relay/port-allocator.js';
import { RtpMediaSession } from '../../src/media/relay/rtp-media-session.js';
import { parsed } from '../helpers/rtp-streams.js';
import { callerStream, pcmuLeg, sendStream, sleep, UdpPeer } from '../helpers/udp-peer.js';
import { testPortRange } from '../helpers/ports.js';

const ports = new PortAllocator({ address: '127.0.0.1', ports: testPortRange('30500-30699') });

const config = pcmuLeg;

t.test('sends its own RTP every 20 ms: prompt then silence, continuous seq/ts, marker first', async (t) => {
  const session = await RtpMediaSession.open({ ports, mode: 'endpoint' });
  const caller = await UdpPeer.bind();
  t.teardown(() => {
    session.close();
    caller.close();
  });
  t.throws(() => session.local('agent'), { code: 'EOPTIONS' }, 'no agent leg in endpoint mode');
  const ends: { id: number; interrupted: boolean }[] = [];
  session.on('prompt-end', (e) => ends.push(e));
  const id = session.play('caller', new Int16Array(1600).fill(4000)); // 200 ms
  session.configure('caller', config(caller));
  session.dialogConfirmed('caller');
  await caller.send(callerStream(new Int16Array(160)).packets[0].bytes, session.local('caller').rtpPort); // the peer is verified
  await sleep(620);
  const got = caller.received;
  t.ok(got.length >= 27 && got.length <= 33, `about 30 packets in 600 ms (got ${got.length})`);
  const ps = got.map((r) => parsed(r.data));
  t.equal(new Set(ps.map((p) => p.ssrc)).size, 1, 'one SSRC');
  t.equal(ps[0].marker, true, 'marker on the first packet');
  t.equal(ps.filter((p) => p.marker).length, 1, 'marker only once');
  for (let i = 1; i < ps.length; i++) {
    if (ps[i].sequence !== ((ps[i - 1].sequence + 1) & 0xffff) || ps[i].timestamp !== (ps[i - 1].timestamp + 160) >>> 0) {
      t.fail(`discontinuity at packet ${i}`);
      break;
    }
  }
  t.ok(
    ps.every((p) => p.payloadType === 0 && p.payload.length === 160),
    'PCMU, 160 samples',
  );
  const prompt = ps.filter((p) => p.payload.some((b) => b !== ULAW_SILENCE)).length;
  t.equal(prompt, 10, '200 ms of prompt = 10 frames');
  t.ok(
    ps.slice(10).every((p) => p.payload.every((b) => b === ULAW_SILENCE)),
    'silence after the prompt',
  );
  t.same(ends, [{ id, interrupted: false }]);
  // Pacing: arrival intervals average 20 ms, none wildly off.
  // Pacing, past the start (a stalled loop at start-up is caught up with a short burst): media
  // time sent follows wall-clock time.
  const k = 6;
  const wall = got[got.length - 1].atMs - got[k].atMs;
  const media = (ps[ps.length - 1].timestamp - ps[k].timestamp) / 8;
  t.ok(Math.abs(wall - media) < 30, `${media} ms of media sent in ${wall.toFixed(1)} ms`);
  t.equal(got[0].port, session.local('caller').rtpPort, 'from the leg port (symmetric)');
});

t.test("no reflection: nothing is sent before the ACK and the peer's own RTP; the prompt waits and is heard whole", async (t) => {
  const session = await RtpMediaSession.open({ ports, mode: 'endpoint' });
  const victim = await UdpPeer.bind();
  t.teardown(() => {
    session.close();
    victim.close();
  });
  const ends: { id: number; interrupted: boolean }[] = [];
  session.on('prompt-end', (e) => ends.push(e));
  session.play('caller', new Int16Array(1600).fill(4000)); // 200 ms
  session.configure('caller', config(victim));
  await sleep(400);
  t.equal(victim.received.length, 0, 'answered but not ACKed: no packet to the SDP address');
  session.dialogConfirmed('caller');
  await sleep(300);
  t.equal(victim.received.length, 0, 'ACKed, but the address never sent us RTP: still nothing');
  t.same(ends, [], 'the prompt has not been played into the void');
  await victim.send(callerStream(new Int16Array(160)).packets[0].bytes, session.local('caller').rtpPort);
  await sleep(400);
  const ps = victim.received.map((r) => parsed(r.data));
  t.ok(ps.length >= 15, `verified: RTP flows (${ps.length} packets)`);
  t.equal(ps.filter((p) => p.payload.some((b) => b !== ULAW_SILENCE)).length, 10, 'the whole 200 ms prompt, from its start');

  // A peer whose SDP says it sends nothing (we are sendonly) cannot verify by RTP: the ACK is the proof.
  const listener = await RtpMediaSession.open({ ports, mode: 'endpoint' });
  const quiet = await UdpPeer.bind();
  t.teardown(() => {
    listener.close();
    quiet.close();
  });
  listener.configure('caller', config(quiet, { direction: 'sendonly' }));
  await sleep(200);
  t.equal(quiet.received.length, 0, 'sendonly, not ACKed: nothing');
  listener.dialogConfirmed('caller');
  await sleep(200);
  t.ok(quiet.received.length >= 5, `sendonly, ACKed: RTP flows (${quiet.received.length})`);
});

t.test('receives digits from RFC 4733 and in-band, merged; barge-in stops the prompt', async (t) => {
  const session = await RtpMediaSession.open({ ports, mode: 'endpoint' });
  const caller = await UdpPeer.bind();
  t.teardown(() => {
    session.close();
    caller.close();
  });
  session.configure('caller', config(caller));
  const digits: DialogDigit[] = [];
  const ends: { id: number; interrupted: boolean }[] = [];
  session.on('digit', (d) => digits.push(d));
  session.on('prompt-end', (e) => ends.push(e));
  const id = session.play('caller', new Int16Array(80000).fill(3000), { bargeIn: true });
  // '4' in-band only, '9' as RFC 4733 only, '0' both ways.
  const pcm = generateDtmfSequence(
    [
      { digit: '4', durationMs: 100, gapBeforeMs: 200 },
      { digit: '0', durationMs: 100, gapBeforeMs: 600 },
    ],
    400,
  );
  const zeroStart = (200 + 100 + 600) * 8;
  const stream = callerStream(pcm, [
    { digit: '9', startSample: 400 * 8, samples: 800 },
    { digit: '0', startSample: zeroStart, samples: 800 },
  ]);
  await sendStream(caller, stream, session.local('caller').rtpPort, 'media');
  await sleep(150);
  t.same(
    digits.map((d) => d.digit),
    ['4', '9', '0'],
    'every key once, in order',
  );
  t.same(digits.map((d) => d.source).slice(0, 2), ['inband', 'rfc4733']);
  // The clamp stage itself attributes tone inside an RFC 4733 event's window to the event (the
  // gateway's leaked tone), so the '0' sent both ways reaches the session's merger once.
  t.equal(session.mergedDigitReports, 0, "the '0' seen both ways was reported once, by the stage");
  t.same(ends, [{ id, interrupted: true }], 'barge-in');
});

t.test('endpoint mode refuses Opus (prompts are G.711) with a clear error', async (t) => {
  const session = await RtpMediaSession.open({ ports, mode: 'endpoint' });
  const caller = await UdpPeer.bind();
  t.teardown(() => {
    session.close();
    caller.close();
  });
  t.throws(() => session.configure('caller', config(caller, { codec: 'opus', payloadType: 111, clockRate: 48000 })), { code: 'EOPTIONS' });
  t.throws(() => session.configure('caller', config(caller, { ptimeMs: 0 })), { code: 'EOPTIONS' });
});
