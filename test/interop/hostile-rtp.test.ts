// Hostile RTP at a live call: while two real phones (baresip) talk through the real
// server, a third party sends random garbage and forged RTP (the phones' own SSRC and payload
// type, the right address but another source port) at toneguard's media ports on both legs.
// The server must not crash, the call must keep working, no forged packet may reach either
// phone (dumpcap on the phones' ports, the forged payload is a marker pattern), the packets
// must be counted as dropped, and the heap must stay bounded.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { ToneguardServer } from '../../src/server/toneguard-server.js';
import { readAudio8k } from '../helpers/audio-files.js';
import { BaresipPhone } from '../helpers/baresip.js';
import { apiClient, LoopbackCapture, udpWithPayload, missingInteropTool, readRtp, sleep, toneShare, until, writeSourceWav, type CapturedRtp } from '../helpers/interop.js';
import { mulberry32 } from '../helpers/signals.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const CALLER = { sip: testPort(5736), ctrl: testPort(4735), rtp: testPortRange('33600-33619') };
const AGENT = { sip: testPort(5738), ctrl: testPort(4736), rtp: testPortRange('33620-33639') };
const PHONE_RTP_FIRST = testPort(33600);
const PHONE_RTP_LAST = testPort(33639);
const CALLER_RTP_LAST = testPort(33619);
const TONEGUARD_SIP = testPort(5735);
const TONEGUARD_RTP = { first: testPort(33500), last: testPort(33599) };
const TOKEN = 'hostile-rtp-test-token-42';
const CALLER_HZ = 400;
const AGENT_HZ = 2500;
// The forged packets' payload: a pattern the codec output of a steady tone does not contain.
const MARKER = Buffer.from('deadbeefcafef00d', 'hex');
const FORGED_PAYLOAD = Buffer.concat(Array.from({ length: 20 }, () => MARKER));

const missing = missingInteropTool();

/** Heap in use after a full collection (V8's gc exposed at run time for this measurement). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function forgedRtp(pt: number, ssrc: number, seq: number, timestamp: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = pt & 0x7f;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([header, FORGED_PAYLOAD]);
}

/**
 * A valid compound RTCP packet (RFC 3550 §6.1): an empty receiver report from `ssrc`, then an
 * APP packet carrying the marker, so that it passes any RTCP parser and can be found in a capture.
 */
function forgedRtcp(ssrc: number): Buffer {
  const rr = Buffer.alloc(8);
  rr[0] = 0x80;
  rr[1] = 201;
  rr.writeUInt16BE(1, 2);
  rr.writeUInt32BE(ssrc >>> 0, 4);
  const app = Buffer.alloc(12 + MARKER.length * 2);
  app[0] = 0x80;
  app[1] = 204;
  app.writeUInt16BE(app.length / 4 - 1, 2);
  app.writeUInt32BE(ssrc >>> 0, 4);
  app.write('TGHK', 8, 'ascii');
  MARKER.copy(app, 12);
  MARKER.copy(app, 12 + MARKER.length);
  return Buffer.concat([rr, app]);
}

function send(socket: Socket, packet: Buffer, port: number): Promise<void> {
  return new Promise((resolve) => socket.send(packet, port, '127.0.0.1', () => resolve()));
}

/** The last packet of the stream from a phone's port range to toneguard (its RTP port on that leg). */
function streamFrom(packets: readonly CapturedRtp[], first: number, last: number): CapturedRtp {
  const from = packets.filter((p) => p.srcPort >= first && p.srcPort <= last && p.dstPort >= TONEGUARD_RTP.first && p.dstPort <= TONEGUARD_RTP.last && p.event === undefined);
  if (from.length === 0) throw new Error(`no RTP from ports ${first}-${last} to toneguard in the probe capture`);
  return from[from.length - 1];
}

t.test('garbage and forged RTP at a live call', { skip: missing === undefined ? false : `${missing} not installed (npm test installs it as root)`, timeout: 90000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-hostile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const callerWav = join(dir, 'caller.wav');
  const agentWav = join(dir, 'agent.wav');
  writeSourceWav(callerWav, CALLER_HZ, -20, 20000);
  writeSourceWav(agentWav, AGENT_HZ, -20, 20000);
  const logs: string[] = [];
  const server = await ToneguardServer.start(
    parseConfig({
      sip: { listen: `127.0.0.1:${TONEGUARD_SIP}` },
      http: { listen: '127.0.0.1:0', token: TOKEN },
      rtp: { ports: `${TONEGUARD_RTP.first}-${TONEGUARD_RTP.last}` },
      upstream: `sip:127.0.0.1:${AGENT.sip}`,
      gateway: { kind: 'xml', url: `https://127.0.0.1:${testPort(8543)}/xml/v1/request.api` },
      kpi: { sqlite: join(dir, 'kpi.sqlite') },
    }),
    createLogger('info', { write: (line: string) => void logs.push(line) }),
  );
  t.teardown(() => server.shutdown(0));
  const api = apiClient(server.httpUrl, TOKEN);
  const liveCalls = async (): Promise<unknown[]> => ((await api.get('/calls')).body as { calls: unknown[] }).calls;

  const agent = await BaresipPhone.start({ name: 'agent', dir: join(dir, 'agent'), sipPort: AGENT.sip, ctrlPort: AGENT.ctrl, rtpPorts: AGENT.rtp, sourceWav: agentWav, codecs: 'PCMU', record: true });
  t.teardown(() => agent.close());
  const caller = await BaresipPhone.start({
    name: 'caller',
    dir: join(dir, 'caller'),
    sipPort: CALLER.sip,
    ctrlPort: CALLER.ctrl,
    rtpPorts: CALLER.rtp,
    sourceWav: callerWav,
    codecs: 'PCMU',
    record: true,
  });
  t.teardown(() => caller.close());
  const phonePorts = Array.from({ length: PHONE_RTP_LAST - PHONE_RTP_FIRST + 1 }, (_, i) => PHONE_RTP_FIRST + i);
  const capture = await LoopbackCapture.start(join(dir, 'phones.pcapng'), `udp and portrange ${PHONE_RTP_FIRST}-${PHONE_RTP_LAST}`);
  t.teardown(() => capture.stop());
  const probe = await LoopbackCapture.start(join(dir, 'probe.pcapng'), `udp and portrange ${PHONE_RTP_FIRST}-${PHONE_RTP_LAST}`);
  t.teardown(() => probe.stop());

  const attacker = createSocket('udp4');
  await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.1', () => resolve()));
  t.teardown(() => attacker.close());
  // From the moment the call is set up, before the phones' first RTCP: forged RTP and valid
  // RTCP with the marker sprayed at the RTP and RTCP ports of toneguard's first pairs, from another port of
  // the phones' IP, as a third party sharing that IP (NAT) could.
  let spraying = true;
  let sprayed = 0;
  const spray = (async () => {
    while (spraying) {
      for (let port = TONEGUARD_RTP.first; port < TONEGUARD_RTP.first + 12; port += 2) {
        await send(attacker, forgedRtp(0, 0x12345678, sprayed, sprayed * 160), port);
        await send(attacker, forgedRtcp(0x12345678), port + 1);
      }
      sprayed += 12;
      await sleep(20);
    }
  })();
  await caller.dial(`sip:agent@127.0.0.1:${TONEGUARD_SIP}`);
  await caller.waitEvent('CALL_ESTABLISHED');
  await agent.waitEvent('CALL_ESTABLISHED');
  await sleep(1500);
  spraying = false;
  await spray;
  const sprayEnd = Date.now();
  t.comment(`sprayed ${sprayed} forged RTP and RTCP packets while the call was set up`);
  await probe.stop();
  // Toneguard's media ports and the phones' streams, as an attacker on the path would see them.
  const seen = readRtp(probe.file, phonePorts, 101);
  const fromCaller = streamFrom(seen, PHONE_RTP_FIRST, CALLER_RTP_LAST);
  const fromAgent = streamFrom(seen, CALLER_RTP_LAST + 1, PHONE_RTP_LAST);
  t.not(fromCaller.dstPort, fromAgent.dstPort, `toneguard's caller leg ${fromCaller.dstPort}, agent leg ${fromAgent.dstPort}`);

  const heapBefore = heapAfterGc();
  const rng = mulberry32(0x70e6a4d);
  const targets = [fromCaller.dstPort, fromCaller.dstPort + 1, fromAgent.dstPort, fromAgent.dstPort + 1];
  const ROUNDS = 4000;
  let sent = 0;
  const floodFrom = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    // Garbage: random lengths 0-1400, sometimes with a valid RTP version so deeper parsing runs.
    const garbage = Buffer.alloc(Math.floor(rng() * 1400));
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rng() * 256);
    if (garbage.length > 0 && rng() < 0.5) garbage[0] = (garbage[0] & 0x3f) | 0x80;
    await send(attacker, garbage, targets[round % targets.length]);
    // Forged: the phone's SSRC and payload type, sequence numbers just ahead of the real ones.
    const ahead = 1 + (round % 50);
    await send(attacker, forgedRtp(fromCaller.payloadType, fromCaller.ssrc, fromCaller.seq + ahead + round, fromCaller.timestamp + 160 * (ahead + round)), fromCaller.dstPort);
    await send(attacker, forgedRtp(fromAgent.payloadType, fromAgent.ssrc, fromAgent.seq + ahead + round, fromAgent.timestamp + 160 * (ahead + round)), fromAgent.dstPort);
    sent += 3;
    if (round % 200 === 199) await sleep(20);
  }
  const floodTo = Date.now();
  t.comment(`sent ${sent} hostile packets in ${floodTo - floodFrom} ms`);
  const heapAfter = heapAfterGc();
  const growth = (heapAfter - heapBefore) / (1 << 20);
  t.ok(growth < 16, `heap after GC grew ${growth.toFixed(1)} MiB over ${sent} hostile packets (bound 16 MiB)`);

  // The call keeps working after the flood.
  await sleep(2000);
  t.equal((await liveCalls()).length, 1, 'the call is still up');
  const beforeHangup = Date.now();
  await caller.hangup();
  await caller.waitEvent('CALL_CLOSED');
  await agent.waitEvent('CALL_CLOSED');
  await until(async () => (await liveCalls()).length === 0, 5000, 'GET /calls empty');
  await capture.stop();

  const packets = readRtp(capture.file, phonePorts, 101);
  const toPhones = packets.filter((p) => p.dstPort >= PHONE_RTP_FIRST && p.dstPort <= PHONE_RTP_LAST);
  const marker = MARKER.toString('hex');
  // Before a phone's first packet, a source on its IP may latch the leg (NAT); its packets are
  // relayed until the phone's own, from its negotiated port, take the leg back.
  const forged = udpWithPayload(capture.file, marker);
  const forgedInSetup = forged.filter((p) => p.timeEpochMs <= sprayEnd);
  t.comment(`forged datagrams relayed to a phone during call setup, before its own media: ${forgedInSetup.length}`);
  t.same(
    forged.filter((p) => p.timeEpochMs > sprayEnd),
    [],
    'once the call is up, no forged RTP or RTCP datagram reaches a phone',
  );
  t.ok(toPhones.length > 300, `${toPhones.length} RTP packets towards the phones captured`);
  const toAgentAfter = toPhones.filter((p) => p.dstPort > CALLER_RTP_LAST && p.timeEpochMs > floodTo && p.timeEpochMs < beforeHangup);
  const toCallerAfter = toPhones.filter((p) => p.dstPort <= CALLER_RTP_LAST && p.timeEpochMs > floodTo && p.timeEpochMs < beforeHangup);
  t.ok(toAgentAfter.length > 50, `the agent phone still gets the caller's audio after the flood (${toAgentAfter.length} packets in ~2 s)`);
  t.ok(toCallerAfter.length > 50, `the caller phone still gets the agent's audio after the flood (${toCallerAfter.length} packets in ~2 s)`);
  const agentRec = readAudio8k(agent.receivedWavs()[0]);
  const callerRec = readAudio8k(caller.receivedWavs()[0]);
  // The few forged packets relayed during setup (full-scale noise) may be in the recordings.
  t.ok(toneShare(agentRec, CALLER_HZ) > 0.6, `the agent's recording is the caller's tone (${(toneShare(agentRec, CALLER_HZ) * 100).toFixed(0)} %)`);
  t.ok(toneShare(callerRec, AGENT_HZ) > 0.6, `the caller's recording is the agent's tone (${(toneShare(callerRec, AGENT_HZ) * 100).toFixed(0)} %)`);

  const live = await server.metrics.live();
  t.ok(live.rtpPacketsDropped >= 2 * ROUNDS, `toneguard counted ${live.rtpPacketsDropped} dropped packets (at least the ${2 * ROUNDS} forged RTP)`);
  t.notMatch(logs.join(''), /uncaught|unhandled/i, 'no uncaught error logged');
});
