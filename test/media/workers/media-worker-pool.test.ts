// Calls whose media runs in worker threads (MediaWorkerPool, WorkerMediaSession): a call through
// a worker relays and clamps (no telephone-event and no tone reaches the agent, each key reported
// on the main thread once), calls spread over the workers, prompts play from the worker and the
// caller's buffer stays usable, a worker killed mid-call ends only its own calls and a new worker
// serves new ones, close() frees the ports in the worker, and sync errors stay sync.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { detectDtmf } from '../../../native-free-dsp/dtmf-detector.js';
import { decodeUlaw } from '../../../native-free-dsp/g711.js';
import { generateDtmfSequence } from '../../../native-free-dsp/tone-generator.js';
import type { DialogDigit } from '../../../src/dialog/vocabulary.js';
import { MediaWorkerPool, splitPortRange } from '../../../src/media/workers/media-worker-pool.js';
import type { WorkerMediaSession } from '../../../src/media/workers/worker-media-session.js';
import { serializeRtp } from '../../../src/rtp/rtp-packet.js';
import { decodeByTimestamp } from '../../helpers/rtp-streams.js';
import { callerStream, pcmuLeg, sendStream, sleep, UdpPeer } from '../../helpers/udp-peer.js';
import { testPort } from '../../helpers/ports.js';

// The pool binds from a fixed range (shares of it per worker): this file's block.
// From the tests' port plan (test/helpers/ports.ts), outside the kernel's ephemeral range.
const RANGE = { min: testPort(32000), max: testPort(32039) };

const legConfig = pcmuLeg;

interface Call {
  readonly session: WorkerMediaSession;
  readonly caller: UdpPeer;
  readonly agent: UdpPeer;
  readonly digits: DialogDigit[];
  readonly failures: unknown[];
  close(): void;
}

async function call(pool: MediaWorkerPool, secure: boolean): Promise<Call> {
  const session = await pool.open('b2bua', secure);
  const caller = await UdpPeer.bind();
  const agent = await UdpPeer.bind();
  session.configure('caller', legConfig(caller));
  session.configure('agent', legConfig(agent));
  const digits: DialogDigit[] = [];
  const failures: unknown[] = [];
  session.on('digit', (d) => digits.push(d));
  session.on('failure', (e) => failures.push(e));
  return {
    session,
    caller,
    agent,
    digits,
    failures,
    close() {
      session.close();
      caller.close();
      agent.close();
    },
  };
}

function audioPacket(seq: number, fill: number): Uint8Array {
  return serializeRtp({ payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 0xabcdef01, payload: new Uint8Array(160).fill(fill) });
}

/** Sends `n` caller packets and `n` agent packets; returns what each side got. */
async function exchange(c: Call, n: number, seq0: number): Promise<{ atAgent: number; atCaller: number }> {
  c.agent.received.length = 0;
  c.caller.received.length = 0;
  for (let i = 0; i < n; i++) {
    await c.caller.send(audioPacket(seq0 + i, 0x55), c.session.local('caller').rtpPort);
    await c.agent.send(audioPacket(seq0 + i, 0x66), c.session.local('agent').rtpPort);
  }
  await c.agent.waitFor(n, 2000);
  await c.caller.waitFor(n, 2000);
  return { atAgent: c.agent.received.length, atCaller: c.caller.received.length };
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: '127.0.0.1', exclusive: true }, () => {
      s.close();
      resolve(true);
    });
  });
}

t.test('the port range is split into whole pairs, one share per worker', async (t) => {
  t.same(splitPortRange({ min: 20000, max: 20011 }, 2), [
    { min: 20000, max: 20005 },
    { min: 20006, max: 20011 },
  ]);
  t.same(
    splitPortRange({ min: 20000, max: 20009 }, 2),
    [
      { min: 20000, max: 20005 },
      { min: 20006, max: 20009 },
    ],
    'five pairs: three and two',
  );
  t.throws(() => splitPortRange({ min: 20000, max: 20003 }, 3), { code: 'EWORKERS_OPTIONS' }, 'more workers than pairs');
});

t.test('calls through workers', async (t) => {
  const pool = await MediaWorkerPool.start({ workers: 2, address: '127.0.0.1', range: RANGE, clampMode: 'silence', rtpTimeoutMs: 30_000, reportIntervalMs: 100 });
  t.teardown(() => pool.close());

  await t.test('a secure call relays and clamps: no event and no tone reaches the agent, each key once', async (t) => {
    const c = await call(pool, true);
    t.teardown(() => c.close());
    t.ok(c.session.local('caller').rtpPort >= RANGE.min && c.session.local('agent').rtpPort <= RANGE.max, 'ports from the range, known before any SDP');
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
    t.equal(got.filter((r) => (r.data[1] & 0x7f) === 101).length, 0, 'no telephone-event packet at the agent');
    t.ok(got.length >= audioPackets, `agent got ${got.length} packets for ${audioPackets} audio packets`);
    t.same(
      detectDtmf(decodeByTimestamp(got.map((r) => r.data))).map((d) => d.digit),
      [],
      'no tone the detector can find in what the agent heard',
    );
    t.same(
      c.digits.map((d) => d.digit),
      ['7', '#'],
      'each key once, reported on the main thread',
    );
    t.same(c.failures, []);
  });

  await t.test('not secure: relayed both ways; secure switched on from the main thread takes effect in the worker', async (t) => {
    const c = await call(pool, false);
    t.teardown(() => c.close());
    t.same(await exchange(c, 5, 100), { atAgent: 5, atCaller: 5 });
    t.equal(c.session.secure, false);
    const events = callerStream(new Int16Array(4000), [{ digit: '3', startSample: 800, samples: 800 }], 0x1234, 2000, 50_000);
    await sendStream(c.caller, events, c.session.local('caller').rtpPort);
    await sleep(200);
    t.ok(
      c.agent.received.some((r) => (r.data[1] & 0x7f) === 101),
      'not secure: telephone-events reach the agent',
    );
    c.session.setSecure(true);
    t.equal(c.session.secure, true);
    c.agent.received.length = 0;
    const more = callerStream(new Int16Array(4000), [{ digit: '4', startSample: 800, samples: 800 }], 0x1234, 3000, 90_000);
    await sendStream(c.caller, more, c.session.local('caller').rtpPort);
    await sleep(200);
    t.ok(c.agent.received.length > 0, 'audio still relayed');
    t.equal(c.agent.received.filter((r) => (r.data[1] & 0x7f) === 101).length, 0, 'secure: no telephone-event at the agent');
    t.same(
      c.digits.map((d) => d.digit),
      ['3', '4'],
    );
  });

  await t.test("SIP INFO digits and prompts run in the worker; the prompt buffer stays the caller's", async (t) => {
    const c = await call(pool, false);
    t.teardown(() => c.close());
    const ends: { id: number; interrupted: boolean }[] = [];
    c.session.on('prompt-end', (e) => ends.push(e));
    const whole = new Int16Array(1000).fill(8000);
    const prompt = whole.subarray(0, 320);
    const id = c.session.play('agent', prompt);
    t.equal(prompt.length, 320, "the caller's view is not detached");
    for (let i = 0; i < 4; i++) await c.caller.send(audioPacket(10 + i, 0x99), c.session.local('caller').rtpPort);
    const got = await c.agent.waitFor(4);
    t.ok(
      got.slice(0, 2).every((r) => r.data.subarray(12).every((b) => b !== 0x99)),
      'prompt audio in the first two frames',
    );
    t.ok(
      got.slice(2, 4).every((r) => r.data.subarray(12).every((b) => b === 0x99)),
      'relayed audio after the prompt',
    );
    await sleep(50);
    t.same(ends, [{ id, interrupted: false }], 'prompt-end with the id play() returned');
    const id2 = c.session.play('agent', new Int16Array(8000), { bargeIn: true });
    c.session.injectSipInfoDigit('5', Date.now());
    await sleep(100);
    t.same(
      c.digits.map((d) => [d.digit, d.source]),
      [['5', 'sip-info']],
    );
    t.same(ends.slice(1), [{ id: id2, interrupted: true }], 'barge-in by the digit');
    t.throws(() => c.session.injectSipInfoDigit('x', 1), { code: 'EOPTIONS' }, 'a bad digit is refused at once');
    t.throws(() => c.session.configure('caller', legConfig(c.caller, { ptimeMs: 1000 })), { code: 'EOPTIONS' }, 'a config the media plane cannot carry is refused at once');
    // The Opus binding loads in one thread only: a worker's call refuses Opus (call control: 488).
    t.throws(() => c.session.configure('caller', legConfig(c.caller, { codec: 'opus', payloadType: 111, clockRate: 48000 })), { code: 'EOPTIONS' }, 'Opus refused at once');
    t.same(await exchange(c, 2, 700), { atAgent: 2, atCaller: 2 }, 'the call goes on as it was');
  });

  await t.test('calls spread over the workers; a killed worker ends only its calls, and new calls work', async (t) => {
    const a = await call(pool, true);
    const b = await call(pool, true);
    t.teardown(() => {
      a.close();
      b.close();
    });
    t.not(a.session.worker, b.session.worker, 'two calls, two workers (least calls)');
    t.same(
      pool.state().map((w) => w.calls),
      [1, 1],
    );
    await sleep(250);
    t.ok(
      pool.state().every((w) => Number.isFinite(w.lagMs)),
      'each worker reported its event-loop lag',
    );
    t.same(await exchange(a, 3, 200), { atAgent: 3, atCaller: 3 });
    const killed = a.session.worker;
    const aPort = a.session.local('caller').rtpPort;
    const bFailed = b.failures.length;
    await pool.terminate(killed);
    await sleep(100);
    t.equal(a.failures.length, 1, "the killed worker's call failed");
    t.match(a.failures[0], { code: 'EWORKER_EXIT' });
    t.equal(b.failures.length, bFailed, "the other worker's call did not");
    t.same(await exchange(b, 3, 300), { atAgent: 3, atCaller: 3 }, 'the other call still relays');
    t.ok(await canBind(aPort), "the dead worker's sockets are closed");
    t.doesNotThrow(() => a.session.close(), 'closing a session of a dead worker is harmless');
    const c = await call(pool, true);
    t.teardown(() => c.close());
    t.same(await exchange(c, 3, 400), { atAgent: 3, atCaller: 3 }, 'a new call after the death relays');
    t.equal(pool.state()[killed].restarts, 1, 'the worker was replaced');
    const d = await call(pool, true);
    t.teardown(() => d.close());
    t.equal(d.session.worker, killed, 'the replacement takes new calls');
    t.same(await exchange(d, 3, 500), { atAgent: 3, atCaller: 3 });
  });

  await t.test("speech input: an endpoint call in a worker taps the caller's decoded audio to the main thread until the tap is off", async (t) => {
    const session = await pool.open('endpoint', true);
    const caller = await UdpPeer.bind();
    t.teardown(() => {
      session.close();
      caller.close();
    });
    session.configure('caller', legConfig(caller));
    const heard: Int16Array[] = [];
    const handed: Int16Array[] = [];
    session.setCallerAudioSink((pcm) => {
      handed.push(pcm);
      heard.push(pcm.slice());
    });
    const port = session.local('caller').rtpPort;
    const level = new Int16Array(1);
    decodeUlaw(new Uint8Array([0x8f]), level);
    for (let i = 0; i < 5; i++) await caller.send(audioPacket(900 + i, i % 2 === 0 ? 0x8f : 0xff), port);
    for (let i = 0; i < 50 && heard.length < 5; i++) await sleep(20);
    t.equal(heard.length, 5, 'one PCM frame per packet');
    t.ok(
      heard.every((f) => f.length === 160),
      '160 samples each',
    );
    t.same([...new Set(heard[0])], [level[0]], 'decoded audio of the first packet');
    t.not(level[0], 0);
    t.same([...new Set(heard[1])], [0]);
    t.ok(
      handed.every((f) => f.every((s) => s === 0)),
      'each frame handed over is zeroed once the sink returned',
    );
    session.setCallerAudioSink(null);
    await sleep(50);
    for (let i = 0; i < 3; i++) await caller.send(audioPacket(910 + i, 0x8f), port);
    await sleep(150);
    t.equal(heard.length, 5, 'nothing once the tap is off');
    t.doesNotThrow(() => session.setCallerAudioSink(null), 'turning it off twice is harmless');
  });

  await t.test('close() frees the ports in the worker, reports the final counters, and is idempotent', async (t) => {
    const c = await call(pool, false);
    await exchange(c, 4, 600);
    const ports = [c.session.local('caller').rtpPort, c.session.local('caller').rtcpPort, c.session.local('agent').rtpPort, c.session.local('agent').rtcpPort];
    c.close();
    c.session.close();
    const stats = await c.session.finalStats();
    t.equal(stats?.caller?.rtpIn, 4, 'caller leg counters from the worker');
    t.equal(stats?.agent?.rtpOut, 4);
    for (const p of ports) t.ok(await canBind(p), `port ${p} free again`);
    t.throws(() => c.session.setSecure(true), { code: 'ECLOSED' });
    t.same(
      pool.state().map((w) => w.calls),
      [0, 0],
      'no call left on any worker',
    );
  });

  await t.test('settled(): every command posted before it has been carried out by its worker', async (t) => {
    const sessions = await Promise.all([pool.open('b2bua', false), pool.open('b2bua', false), pool.open('b2bua', false)]);
    const before = pool.portPairsInUse;
    for (const s of sessions) s.close();
    t.ok(before >= 6, `${before} port pairs in use`);
    t.equal(pool.portPairsInUse, before, 'closing posts the command: the workers still hold the ports');
    await pool.settled();
    t.equal(pool.portPairsInUse, before - 6, 'after settled() every worker has closed its calls and said so');
    await pool.settled(); // nothing posted meanwhile: resolves all the same
  });
});

t.test('closing the pool fails the calls still open and stops the workers', async (t) => {
  const pool = await MediaWorkerPool.start({ workers: 1, address: '127.0.0.1', range: { min: testPort(32040), max: testPort(32047) }, clampMode: 'silence', rtpTimeoutMs: 30_000 });
  const c = await call(pool, true);
  const port = c.session.local('caller').rtpPort;
  const settling = pool.settled(); // settled by the worker's pong or by its exit, whichever comes first
  await pool.close();
  await settling;
  await pool.settled(); // no worker left: nothing to wait for
  t.equal(c.failures.length, 1, 'the open call failed (call control ends it)');
  t.ok(await canBind(port), 'its sockets are gone');
  await t.rejects(pool.open('b2bua', true), { code: 'EWORKERS_CLOSED' });
  c.close();
});
