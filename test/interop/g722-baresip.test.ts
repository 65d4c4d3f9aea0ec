// G.722 (HD voice) end to end with real phones: two Debian baresip phones offering G722 only call
// each other through toneguard (B2BUA); before G.722 support such an offer got 488. Secure mode
// on (HTTP API): the caller keys digits in-band (in its 16 kHz microphone file) and as RFC 4733
// (telephone-event/8000). Checked: both legs are G.722 (tshark: PT 9 towards the agent phone),
// toneguard sees every key, the agent phone gets no telephone-event (tshark) and its recording
// (decoded by baresip's own G.722) holds no digit (multimon-ng) while the caller's voice tone is
// there. Then the payment URI (endpoint mode) answers a G.722-only phone and plays its prompt.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isDtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { mixDtmf, mixSine, msToSamples, toInt16 } from '../../native-free-dsp/tone-generator.js';
import { parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { ToneguardServer } from '../../src/server/toneguard-server.js';
import { readAudio8k, writeWav } from '../helpers/audio-files.js';
import { BaresipPhone, type BaresipEvent } from '../helpers/baresip.js';
import { Peer } from '../helpers/call-sip-peers.js';
import { apiClient, eventDigits, LoopbackCapture, missingInteropTool, readRtp, sleep, toneShare, until } from '../helpers/interop.js';
import { runMultimon } from '../helpers/reference-decoders.js';
import { testPort, testPortRange } from '../helpers/ports.js';

// This file's ports, from the tests' plan (test/helpers/ports.ts: outside the kernel's ephemeral
// range, where a socket bound to port 0 could take one; once, baresip found its control port
// 56022 taken); phones bind TLS on SIP + 1.
const CALLER = { sip: testPort(5810), ctrl: testPort(4780), rtp: testPortRange('31600-31619') };
const AGENT = { sip: testPort(5812), ctrl: testPort(4781), rtp: testPortRange('31620-31639') };
const PAYER = { sip: testPort(5814), ctrl: testPort(4782), rtp: testPortRange('31640-31659') };
const AGENT_RTP_FIRST = testPort(31620);
const AGENT_RTP_LAST = testPort(31639);
const TONEGUARD_SIP = testPort(5816);
const TONEGUARD_RTP = testPortRange('31400-31599');
const TOKEN = 'interop-g722-token-0123456789';

const RATE = 16_000;
const CALLER_HZ = 400;
const AGENT_HZ = 2500;
const INBAND = { digits: '150', atMs: 5000 };
const RFC = '9*#';

const missing = missingInteropTool();

/** A 16 kHz microphone: a sine of `hz` at -20 dBm0 with DTMF (120 ms on, 150 ms off, -8 dBm0) at `digits.atMs`. */
function writeSource16k(path: string, hz: number, totalMs: number, digits?: { digits: string; atMs: number }): void {
  const mix = new Float64Array(msToSamples(totalMs, RATE));
  mixSine(mix, 0, mix.length, hz, -20, 0, RATE);
  if (digits !== undefined) {
    let at = msToSamples(digits.atMs, RATE);
    for (const digit of digits.digits) {
      if (!isDtmfDigit(digit)) throw new Error(`not a DTMF key: ${digit}`);
      at = mixDtmf(mix, at, { digit, durationMs: 120, lowDbm0: -8, twistDb: 2, sampleRate: RATE }) + msToSamples(150, RATE);
    }
  }
  writeWav(path, toInt16(mix), RATE);
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

async function nthEvent(phone: BaresipPhone, type: string, n: number, timeoutMs = 10000): Promise<BaresipEvent> {
  await until(() => phone.events.filter((e) => e.type === type).length > n, timeoutMs, `${phone.options.name} ${type} #${n + 1}; events: ${phone.events.map((e) => e.type).join(',')}`);
  return phone.events.filter((e) => e.type === type)[n];
}

t.test('G.722-only baresip phones through toneguard', { skip: missing === undefined ? false : `${missing} not installed`, timeout: 120000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-g722-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const idv = await Peer.start(0);
  t.teardown(() => idv.close());
  idv.handler = (req, tx) => tx?.respond(req.method === 'INVITE' ? 486 : 200);
  const logs: string[] = [];
  const config = parseConfig({
    sip: { listen: `127.0.0.1:${TONEGUARD_SIP}` },
    http: { listen: '127.0.0.1:0', token: TOKEN },
    rtp: { ports: TONEGUARD_RTP },
    upstream: `sip:127.0.0.1:${AGENT.sip}`,
    payment: { uri: 'sip:pay@127.0.0.1', returnUri: `sip:ivr@127.0.0.1:${AGENT.sip}`, idvUri: `sip:idv@127.0.0.1:${idv.port}` },
    gateway: { kind: 'xml', url: 'https://127.0.0.1:8543/xml/v1/request.api' },
    kpi: { sqlite: join(dir, 'kpi.sqlite') },
    log: { level: 'debug' },
  });
  const server = await ToneguardServer.start(config, createLogger('debug', { write: (line: string) => void logs.push(line) }));
  t.teardown(() => server.shutdown(0));
  const api = apiClient(server.httpUrl, TOKEN);

  t.test('B2BUA, secure mode: keys seen by toneguard, none at the agent, voice passes', async (t) => {
    const callerWav = join(dir, 'caller.wav');
    const agentWav = join(dir, 'agent.wav');
    writeSource16k(callerWav, CALLER_HZ, 20000, INBAND);
    writeSource16k(agentWav, AGENT_HZ, 20000);
    const agent = await BaresipPhone.start({
      name: 'agent',
      dir: join(dir, 'agent'),
      sipPort: AGENT.sip,
      ctrlPort: AGENT.ctrl,
      rtpPorts: AGENT.rtp,
      sourceWav: agentWav,
      codecs: 'G722/16000/1',
      record: true,
    });
    t.teardown(() => agent.close());
    const caller = await BaresipPhone.start({
      name: 'caller',
      dir: join(dir, 'caller'),
      sipPort: CALLER.sip,
      ctrlPort: CALLER.ctrl,
      rtpPorts: CALLER.rtp,
      sourceWav: callerWav,
      codecs: 'G722/16000/1',
      record: true,
    });
    t.teardown(() => caller.close());
    const capture = await LoopbackCapture.start(join(dir, 'agent-side.pcapng'), `udp and portrange ${AGENT_RTP_FIRST}-${AGENT_RTP_LAST}`);
    t.teardown(() => capture.stop());

    const before = await server.metrics.live();
    await caller.dial(`sip:agent@127.0.0.1:${TONEGUARD_SIP}`);
    await nthEvent(caller, 'CALL_ESTABLISHED', 0);
    await nthEvent(agent, 'CALL_ESTABLISHED', 0);
    const established = Date.now();
    const calls = (await api.get('/calls')).body as { calls: { id: string }[] };
    t.equal(calls.calls.length, 1, 'the G.722-only call is set up (no 488)');
    t.equal((await api.post(`/calls/${encodeURIComponent(calls.calls[0].id)}/secure`)).status, 200, 'secure mode on');
    // In-band keys play at 5.0-5.8 s of the caller's file; RFC 4733 keys after them.
    await sleep(Math.max(0, established + 6500 - Date.now()));
    await caller.sendDigits(RFC, 300);
    await sleep(Math.max(0, established + 9000 - Date.now()));
    const during = await server.metrics.live();
    await caller.hangup();
    await nthEvent(agent, 'CALL_CLOSED', 0);
    await until(async () => ((await api.get('/calls')).body as { calls: unknown[] }).calls.length === 0, 5000, 'GET /calls empty');
    await capture.stop();

    t.equal(during.dtmfDigitsClamped - before.dtmfDigitsClamped, INBAND.digits.length + RFC.length, 'toneguard kept every key (3 in-band, 3 RFC 4733) from the agent');
    t.ok((during.dtmfDigits.inband ?? 0) - (before.dtmfDigits.inband ?? 0) >= INBAND.digits.length, 'in-band keys found in the decoded G.722');
    t.ok((during.dtmfDigits.rfc4733 ?? 0) - (before.dtmfDigits.rfc4733 ?? 0) >= RFC.length, 'RFC 4733 keys seen');

    const rtp = readRtp(
      capture.file,
      Array.from({ length: AGENT_RTP_LAST - AGENT_RTP_FIRST + 1 }, (_, i) => AGENT_RTP_FIRST + i),
      101,
    );
    const toAgent = rtp.filter((p) => p.dstPort >= AGENT_RTP_FIRST && p.dstPort <= AGENT_RTP_LAST);
    t.ok(toAgent.length > 300, `${toAgent.length} RTP packets towards the agent phone`);
    t.ok(
      toAgent.filter((p) => p.event === undefined).every((p) => p.payloadType === 9),
      'all audio towards the agent is G.722 (PT 9)',
    );
    t.equal(eventDigits(toAgent), '', 'no telephone-event reached the agent phone');
    t.equal(agent.events.filter((e) => e.type === 'CALL_DTMF_START').length, 0, 'the agent phone reported no DTMF');

    const agentRec = recordingOf(agent.receivedWavs());
    t.ok(agentRec.length > 8000 * 6, `the agent phone recorded ${(agentRec.length / 8000).toFixed(1)} s`);
    t.same(
      runMultimon(agentRec).map((d) => d.digit),
      [],
      'multimon-ng finds no key in the agent recording',
    );
    const share = toneShare(agentRec, CALLER_HZ);
    t.ok(share > 0.5, `the agent hears the caller's ${CALLER_HZ} Hz tone (${(share * 100).toFixed(0)} % of its power)`);
    const callerRec = recordingOf(caller.receivedWavs());
    t.ok(toneShare(callerRec, AGENT_HZ) > 0.5, `the caller hears the agent's ${AGENT_HZ} Hz tone (${(toneShare(callerRec, AGENT_HZ) * 100).toFixed(0)} %)`);
  });

  t.test('payment URI (endpoint mode) answers G.722 and plays its prompt in G.722', async (t) => {
    const silent = join(dir, 'payer.wav');
    writeWav(silent, new Int16Array(RATE * 30), RATE);
    const payer = await BaresipPhone.start({
      name: 'payer',
      dir: join(dir, 'payer'),
      sipPort: PAYER.sip,
      ctrlPort: PAYER.ctrl,
      rtpPorts: PAYER.rtp,
      sourceWav: silent,
      codecs: 'G722/16000/1',
      record: true,
    });
    t.teardown(() => payer.close());
    await payer.dial(`sip:pay@127.0.0.1:${TONEGUARD_SIP}`);
    await nthEvent(payer, 'CALL_ESTABLISHED', 0);
    t.pass('the payment URI answered a G.722-only offer');
    await nthEvent(payer, 'TRANSFER', 0, 15000);
    t.pass('the not-identified call was referred to ID&V after its prompt');
    await payer.hangup();
    await sleep(300);
    const heard = recordingOf(payer.receivedWavs());
    let energy = 0;
    for (const x of heard) energy += x * x;
    const rmsDbfs = 10 * Math.log10(energy / Math.max(1, heard.length) / 32768 ** 2);
    t.ok(heard.length > 8000 && rmsDbfs > -40, `the phone heard the prompt (${(heard.length / 8000).toFixed(1)} s at ${rmsDbfs.toFixed(1)} dBFS RMS)`);
  });

  t.test('the logs: no warning or error', async (t) => {
    t.same(
      logs.filter((line) => /"level":(40|50|60)/.test(line)),
      [],
      'no warning or error was logged',
    );
  });
});
