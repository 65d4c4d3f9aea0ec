// Two real phones (Debian's baresip) call each other through the real server.
// The caller dials sip:agent@toneguard, toneguard (B2BUA, in-process) calls the agent phone
// (its `upstream`), which answers. Checked with the phones' own recordings, a dumpcap capture
// of the agent side, multimon-ng and the server's metrics and HTTP API:
// - audio flows both ways (each recording holds the other side's tone);
// - in secure mode (HTTP API, bearer token) the caller's in-band and RFC 4733 keys are seen by
//   toneguard while the agent's phone gets no telephone-event and its recording no digit;
// - after secure mode is switched off the same kinds of keys pass through;
// - hang-up from either side ends both legs; an SDES-SRTP call carries audio both ways.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { ToneguardServer } from '../../src/server/toneguard-server.js';
import { readAudio8k } from '../helpers/audio-files.js';
import { BaresipPhone, type BaresipEvent } from '../helpers/baresip.js';
import { apiClient, eventDigits, LoopbackCapture, missingInteropTool, readRtp, sleep, toneShare, until, writeSourceWav, type ApiClient } from '../helpers/interop.js';
import { runMultimon } from '../helpers/reference-decoders.js';
import { testPort, testPortRange } from '../helpers/ports.js';

// Ports given to this test (the other interop files use others): phones bind TLS on SIP + 1.
const CALLER = { sip: testPort(5730), ctrl: testPort(4730), rtp: testPortRange('33200-33219') };
const AGENT = { sip: testPort(5732), ctrl: testPort(4731), rtp: testPortRange('33220-33239') };
const AGENT_RTP_FIRST = testPort(33220);
const AGENT_RTP_LAST = testPort(33239);
const TONEGUARD_SIP = testPort(5734);
const TONEGUARD_RTP = testPortRange('33000-33199');
const TOKEN = 'interop-test-token-0123456789';

const CALLER_HZ = 400;
const AGENT_HZ = 2500;
// The same keys are sent in secure mode and after it: in-band in the caller's file at 5.0 s and
// 12.0 s (the recording is cut between the two at 9 s), RFC 4733 at 6.5 s and 13.5 s.
const INBAND = '150';
const RFC = '9*#';
const SECURE_INBAND = { digits: INBAND, atMs: 5000 };
const OPEN_INBAND = { digits: INBAND, atMs: 12000 };
const SECURE_RFC = RFC;
const OPEN_RFC = RFC;
const RECORDING_CUT_S = 9;

const missing = missingInteropTool();

interface Rig {
  dir: string;
  server: ToneguardServer;
  api: ApiClient;
  logs: string[];
  callerWav: string;
  agentWav: string;
}

async function startRig(t: Test): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-interop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const callerWav = join(dir, 'caller-source.wav');
  const agentWav = join(dir, 'agent-source.wav');
  writeSourceWav(callerWav, CALLER_HZ, -20, 20000, [SECURE_INBAND, OPEN_INBAND]);
  writeSourceWav(agentWav, AGENT_HZ, -20, 20000);
  const logs: string[] = [];
  const config = parseConfig({
    sip: { listen: `127.0.0.1:${TONEGUARD_SIP}` },
    http: { listen: '127.0.0.1:0', token: TOKEN },
    rtp: { ports: TONEGUARD_RTP },
    upstream: `sip:127.0.0.1:${AGENT.sip}`,
    // No payment in this test: a gateway that is never called (nothing listens there).
    gateway: { kind: 'xml', url: `https://127.0.0.1:${testPort(8543)}/xml/v1/request.api` },
    kpi: { sqlite: join(dir, 'kpi.sqlite') },
  });
  const server = await ToneguardServer.start(config, createLogger('info', { write: (line: string) => void logs.push(line) }));
  t.teardown(() => server.shutdown(0));
  return { dir, server, api: apiClient(server.httpUrl, TOKEN), logs, callerWav, agentWav };
}

async function startPhones(t: Test, rig: Rig, name: string, srtp: boolean): Promise<{ caller: BaresipPhone; agent: BaresipPhone }> {
  const agent = await BaresipPhone.start({
    name: 'agent',
    dir: join(rig.dir, `${name}-agent`),
    sipPort: AGENT.sip,
    ctrlPort: AGENT.ctrl,
    rtpPorts: AGENT.rtp,
    sourceWav: rig.agentWav,
    codecs: 'PCMU',
    record: true,
    srtp,
  });
  t.teardown(() => agent.close());
  const caller = await BaresipPhone.start({
    name: 'caller',
    dir: join(rig.dir, `${name}-caller`),
    sipPort: CALLER.sip,
    ctrlPort: CALLER.ctrl,
    rtpPorts: CALLER.rtp,
    sourceWav: rig.callerWav,
    codecs: 'PCMU',
    record: true,
    srtp,
  });
  t.teardown(() => caller.close());
  return { caller, agent };
}

interface CallList {
  calls: { id: string; secure: boolean; state: string }[];
}

async function liveCalls(api: ApiClient): Promise<CallList['calls']> {
  const r = await api.get('/calls');
  if (r.status !== 200) throw new Error(`GET /calls: ${r.status}`);
  return (r.body as CallList).calls;
}

/** Nth event of `type` (0-based) on a phone, waiting for it. */
async function nthEvent(phone: BaresipPhone, type: string, n: number, timeoutMs = 10000): Promise<BaresipEvent> {
  await until(() => phone.events.filter((e) => e.type === type).length > n, timeoutMs, `${phone.options.name} ${type} #${n + 1}; events: ${phone.events.map((e) => e.type).join(',')}`);
  return phone.events.filter((e) => e.type === type)[n];
}

function recordingOf(files: readonly string[]): Int16Array {
  const parts = files.map((f) => readAudio8k(f));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function dtmfEventsOn(phone: BaresipPhone, from: number, to: number, stamps: Map<BaresipEvent, number>): BaresipEvent[] {
  return phone.events.filter((e) => e.type === 'CALL_DTMF_START' && (stamps.get(e) ?? 0) >= from && (stamps.get(e) ?? 0) < to);
}

t.test('baresip caller -> toneguard -> baresip agent', { skip: missing === undefined ? false : `${missing} not installed (npm test installs it as root)`, timeout: 120000 }, async (t) => {
  const rig = await startRig(t);
  const { api, server } = rig;

  t.test('token auth guards the call API', async (t) => {
    const anonymous = await fetch(`${server.httpUrl}/calls`);
    t.equal(anonymous.status, 401, 'no token: 401');
    t.equal((await api.get('/calls')).status, 200, 'bearer token: 200');
  });

  t.test('plain RTP: audio both ways, secure mode clamps, open mode passes, hang-up from each side', async (t) => {
    const { caller, agent } = await startPhones(t, rig, 'plain', false);
    // When each phone event arrived (wall clock), to place the agent's DTMF events in the secure window.
    const stamps = new Map<BaresipEvent, number>();
    const stampLoop = setInterval(() => {
      for (const e of agent.events) if (!stamps.has(e)) stamps.set(e, Date.now());
    }, 10);
    t.teardown(() => clearInterval(stampLoop));
    const capture = await LoopbackCapture.start(join(rig.dir, 'agent-side.pcapng'), `udp and portrange ${AGENT_RTP_FIRST}-${AGENT_RTP_LAST}`);
    t.teardown(() => capture.stop());

    const digitsBefore = await server.metrics.live();
    await caller.dial(`sip:agent@127.0.0.1:${TONEGUARD_SIP}`);
    await nthEvent(caller, 'CALL_ESTABLISHED', 0);
    await nthEvent(agent, 'CALL_ESTABLISHED', 0);
    const established = Date.now();
    const calls = await liveCalls(api);
    t.equal(calls.length, 1, 'GET /calls lists the call');
    const id = calls[0].id;
    t.equal(calls[0].secure, false, 'not secure at first');

    const on = await api.post(`/calls/${encodeURIComponent(id)}/secure`);
    t.equal(on.status, 200, 'POST /calls/:id/secure');
    const secureFrom = Date.now();
    t.equal((await liveCalls(api))[0].secure, true, 'the call is secure');
    // In-band keys play at 5.0-5.8 s of the caller's file; RFC 4733 keys after them.
    await sleep(Math.max(0, established + 6500 - Date.now()));
    await caller.sendDigits(SECURE_RFC, 300);
    await sleep(Math.max(0, established + 8500 - Date.now()));
    const duringSecure = await server.metrics.live();
    const off = await api.del(`/calls/${encodeURIComponent(id)}/secure`);
    t.equal(off.status, 200, 'DELETE /calls/:id/secure');
    const secureTo = Date.now();
    t.equal((await liveCalls(api))[0].secure, false, 'the call is open again');

    // The same keys again outside secure mode: in-band at 12.0-12.8 s, RFC 4733 after them.
    await sleep(Math.max(0, established + 13500 - Date.now()));
    await caller.sendDigits(OPEN_RFC, 300);
    await sleep(Math.max(0, established + 15500 - Date.now()));

    await caller.hangup();
    await nthEvent(caller, 'CALL_CLOSED', 0);
    await nthEvent(agent, 'CALL_CLOSED', 0);
    await until(async () => (await liveCalls(api)).length === 0, 5000, 'GET /calls empty');
    t.pass('caller hang-up: both phones closed the call and GET /calls is empty');
    await capture.stop();
    clearInterval(stampLoop);

    // Toneguard saw the caller's keys while secure: three in-band and three RFC 4733.
    const clamped = duringSecure.dtmfDigitsClamped - digitsBefore.dtmfDigitsClamped;
    t.equal(clamped, SECURE_INBAND.digits.length + SECURE_RFC.length, `toneguard kept ${clamped} keys from the agent in secure mode`);
    t.ok((duringSecure.dtmfDigits.inband ?? 0) >= SECURE_INBAND.digits.length, 'in-band keys seen');
    t.ok((duringSecure.dtmfDigits.rfc4733 ?? 0) >= SECURE_RFC.length, 'RFC 4733 keys seen');
    const metricsText = await (await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    t.match(metricsText, /toneguard_dtmf_digits_total\{source="rfc4733"\} [1-9]/, 'GET /metrics counts the RFC 4733 keys');

    // The agent side: recordings and capture.
    const agentRec = recordingOf(agent.receivedWavs());
    const callerRec = recordingOf(caller.receivedWavs());
    t.ok(agentRec.length > 8000 * 10, `the agent phone recorded ${(agentRec.length / 8000).toFixed(1)} s`);
    t.ok(callerRec.length > 8000 * 10, `the caller phone recorded ${(callerRec.length / 8000).toFixed(1)} s`);
    const callerToneAtAgent = toneShare(agentRec, CALLER_HZ);
    const agentToneAtCaller = toneShare(callerRec, AGENT_HZ);
    // The open-mode DTMF tones (-8 dBm0) carry about 40 % of the power of the agent's recording.
    t.ok(callerToneAtAgent > 0.35, `the agent hears the caller's ${CALLER_HZ} Hz tone (${(callerToneAtAgent * 100).toFixed(0)} % of its power)`);
    t.ok(agentToneAtCaller > 0.5, `the caller hears the agent's ${AGENT_HZ} Hz tone (${(agentToneAtCaller * 100).toFixed(0)} % of its power)`);
    // The agent's recording starts when its call does: secure mode spans about 0-8.5 s of it.
    const cut = RECORDING_CUT_S * 8000;
    const heardSecure = runMultimon(agentRec.subarray(0, cut))
      .map((d) => d.digit)
      .join('');
    const heardOpen = runMultimon(agentRec.subarray(cut))
      .map((d) => d.digit)
      .join('');
    t.equal(heardSecure, '', 'multimon-ng finds no key in the agent recording of the secure period');
    t.equal(heardOpen, OPEN_INBAND.digits, 'multimon-ng finds the in-band keys played after secure mode in the agent recording');

    const rtp = readRtp(
      capture.file,
      Array.from({ length: AGENT_RTP_LAST - AGENT_RTP_FIRST + 1 }, (_, i) => AGENT_RTP_FIRST + i),
      101,
    );
    const toAgent = rtp.filter((p) => p.dstPort >= AGENT_RTP_FIRST && p.dstPort <= AGENT_RTP_LAST);
    t.ok(toAgent.length > 500, `the capture holds ${toAgent.length} RTP packets towards the agent phone`);
    const events = toAgent.filter((p) => p.event !== undefined);
    const secureEvents = events.filter((p) => p.timeEpochMs >= secureFrom && p.timeEpochMs <= secureTo);
    t.equal(secureEvents.length, 0, 'no telephone-event packet reached the agent phone in secure mode');
    t.equal(eventDigits(events.filter((p) => p.timeEpochMs > secureTo)), OPEN_RFC, 'the telephone-events the agent phone got after secure mode are the keys sent then');
    t.equal(eventDigits(events), OPEN_RFC, 'and those are all the telephone-events it got');
    t.equal(dtmfEventsOn(agent, secureFrom, secureTo + 200, stamps).length, 0, 'the agent phone reported no DTMF in secure mode');
    t.equal(dtmfEventsOn(agent, secureTo, Date.now(), stamps).length, OPEN_RFC.length, 'the agent phone reported the open-mode keys');

    // Second call: the agent hangs up.
    await caller.dial(`sip:agent@127.0.0.1:${TONEGUARD_SIP}`);
    await nthEvent(caller, 'CALL_ESTABLISHED', 1);
    await nthEvent(agent, 'CALL_ESTABLISHED', 1);
    t.equal((await liveCalls(api)).length, 1, 'the second call is listed');
    await sleep(1000);
    await agent.hangup();
    await nthEvent(agent, 'CALL_CLOSED', 1);
    await nthEvent(caller, 'CALL_CLOSED', 1);
    await until(async () => (await liveCalls(api)).length === 0, 5000, 'GET /calls empty after the agent hang-up');
    t.pass('agent hang-up: both phones closed the call and GET /calls is empty');
  });

  t.test('SDES-SRTP on both legs: the call sets up, carries audio both ways, secure mode clamps RFC 4733', async (t) => {
    const { caller, agent } = await startPhones(t, rig, 'srtp', true);
    await caller.dial(`sip:agent@127.0.0.1:${TONEGUARD_SIP}`);
    await nthEvent(caller, 'CALL_ESTABLISHED', 0);
    await nthEvent(agent, 'CALL_ESTABLISHED', 0);
    // RFC 4733 keys inside SRTP: kept from the agent in secure mode, relayed after it.
    const id = (await liveCalls(api))[0].id;
    const dtmfAtAgent = (): number => agent.events.filter((e) => e.type === 'CALL_DTMF_START').length;
    t.equal((await api.post(`/calls/${encodeURIComponent(id)}/secure`)).status, 200, 'secure mode on');
    const clampedBefore = (await server.metrics.live()).dtmfDigitsClamped;
    await sleep(500);
    await caller.sendDigits(RFC, 300);
    await sleep(500);
    const inSecure = dtmfAtAgent();
    const clamped = (await server.metrics.live()).dtmfDigitsClamped - clampedBefore;
    t.equal((await api.del(`/calls/${encodeURIComponent(id)}/secure`)).status, 200, 'secure mode off');
    await caller.sendDigits(RFC, 300);
    await sleep(500);
    t.equal(clamped, RFC.length, 'toneguard decrypted and kept the RFC 4733 keys in secure mode');
    t.equal(inSecure, 0, 'the agent phone reported no DTMF in secure mode');
    t.equal(dtmfAtAgent(), RFC.length, 'the agent phone reported the keys sent after secure mode');
    await caller.hangup();
    await nthEvent(agent, 'CALL_CLOSED', 0);
    await until(async () => (await liveCalls(api)).length === 0, 5000, 'GET /calls empty');
    const agentRec = recordingOf(agent.receivedWavs());
    const callerRec = recordingOf(caller.receivedWavs());
    t.ok(agentRec.length > 8000 * 2, `the agent phone recorded ${(agentRec.length / 8000).toFixed(1)} s`);
    t.ok(toneShare(agentRec, CALLER_HZ) > 0.5, `the agent hears the caller's tone over SRTP (${(toneShare(agentRec, CALLER_HZ) * 100).toFixed(0)} %)`);
    t.ok(toneShare(callerRec, AGENT_HZ) > 0.5, `the caller hears the agent's tone over SRTP (${(toneShare(callerRec, AGENT_HZ) * 100).toFixed(0)} %)`);
  });

  t.test('the logs: no token, no warning or error', async (t) => {
    t.notMatch(rig.logs.join(''), TOKEN, 'the bearer token never appears in a log line');
    const problems = rig.logs.filter((line) => /"level":(40|50|60)/.test(line));
    if (process.env.TG_INTEROP_LOG === '1') t.comment(rig.logs.join(''));
    t.same(problems, [], 'no warning or error was logged');
  });
});
