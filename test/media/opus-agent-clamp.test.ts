// The Opus clamp stage (createClampStage with the Opus port) in secure mode, every mode: generated DTMF
// (Q.24 corners, fast dialling, 15 dB SNR) after real speech, Opus-encoded at 48 kHz into RTP
// (PT 111, 20 ms), and RFC 4733 events with leaked in-band tone around them. What the agent
// receives, decoded: multimon-ng recovers no digit (digit mode: only '#'), residual at the DTMF
// frequencies under -45 dBm0 except 5 ms per digit, no telephone-event packet, seq contiguous,
// timestamps continuous, each digit reported once. Secure off: byte-identical. Speech: nothing
// clamped, same level. The recorded baresip Opus call (fixtures/rtp/opus.pcapng): no digit out.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mixDtmf, toInt16 } from '../../native-free-dsp/tone-generator.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import type { ClampStage } from '../../src/media/clamp/clamp-stage.js';
import { createClampStage, opusFrameMs } from '../../src/media/clamp/create-clamp-stage.js';
import { PressClock, type RtpPress } from '../helpers/press-clock.js';
import type { ClampMode } from '../../src/media/clamp/inband-clamp.js';
import { opusPacketSamples48 } from '../../src/media/codecs/opus-toc.js';
import { createOpusCodec, opusDecode } from '../../src/media/codecs/opus-codec.js';
import { readUdpDatagrams } from '../../src/capture/index.js';
import { REQUIRE_MULTIMON, REQUIRE_SOX, REQUIRE_SPEECH, readAudio8k, requireTools, SPEECH_DIR } from '../helpers/audio-files.js';
import { residualReport } from '../helpers/clamp-leak.js';
import { generatedSets, type Span } from '../helpers/leak-sets.js';
import { runMultimon } from '../helpers/reference-decoders.js';
import type { StreamPacket } from '../helpers/rtp-streams.js';
import { activeSpeechLevel, loadG711 } from '../helpers/signals.js';
import { bestLag, buildOpusStream, checkOpusStream, decodeOpusByTimestamp, FRAME_8K, OPUS_EVENT_PT, OPUS_PT, type OpusEventSpec } from '../helpers/opus-streams.js';

const MODES: readonly ClampMode[] = ['silence', 'noise', 'tone', 'digit'];
const FIXED = '#';
const SPEECH_FILES = ['digits/1.wav', 'vm-intro.wav', 'demo-congrats.wav'];

interface Run {
  readonly out: Uint8Array[];
  readonly digits: RtpPress[];
  readonly stage: ClampStage;
  readonly ms: number;
}

function runOpus(packets: readonly StreamPacket[], mode: ClampMode, opts: { secure?: boolean; eventClockRate?: 8000 | 48000; audioPt?: number; eventPt?: number } = {}): Run {
  const out: Uint8Array[] = [];
  const digits: RtpPress[] = [];
  const clock = new PressClock(48_000);
  const stage = createClampStage({
    codec: 'opus',
    audioPayloadType: opts.audioPt ?? OPUS_PT,
    eventPayloadType: opts.eventPt ?? OPUS_EVENT_PT,
    eventClockRate: opts.eventClockRate,
    mode,
    secure: opts.secure ?? true,
    send: (p) => out.push(p.slice()),
    onDigit: (d) => digits.push(clock.rtp(d)),
  });
  const started = performance.now();
  for (const p of packets) {
    clock.saw(p.bytes, p.atMs);
    stage.push(p.bytes.slice(), p.atMs);
  }
  const ms = performance.now() - started;
  stage.close();
  return { out, digits, stage, ms };
}

function firstTs(packets: readonly StreamPacket[]): number {
  const b = packets[0].bytes;
  return ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
}

function speech(): Int16Array {
  const parts = SPEECH_FILES.map((f) => readAudio8k(join(SPEECH_DIR, f)));
  const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    pcm.set(p, at);
    at += p.length;
  }
  return pcm;
}

function concat(parts: readonly Int16Array[]): { pcm: Int16Array; offsets: number[] } {
  const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const p of parts) {
    offsets.push(at);
    pcm.set(p, at);
    at += p.length;
  }
  return { pcm, offsets };
}

function checkStreamOut(t: Test, name: string, out: readonly Uint8Array[]): void {
  const check = checkOpusStream(out);
  t.equal(check.eventPackets, 0, `${name}: no telephone-event packet reaches the agent`);
  t.same(check.seqBreaks, [], `${name}: sequence numbers contiguous`);
  t.same(check.tsBreaks, [], `${name}: timestamps continuous`);
  t.equal(check.ssrcs.size, 1, `${name}: one SSRC`);
  t.equal(check.markers, 1, `${name}: one marker, the talkspurt's first packet (none on replacement frames)`);
}

// One stage for every codec.
const asShared = (s: ClampStage): ClampStage => s;

t.test('one ClampStage surface for G.711 and Opus', async (t) => {
  const g711 = asShared(createClampStage({ codec: 'PCMU', eventPayloadType: 101, mode: 'silence', secure: false, send: () => {}, onDigit: () => {} }));
  const opus = asShared(createClampStage({ codec: 'opus', audioPayloadType: 111, eventPayloadType: 101, mode: 'silence', secure: false, send: () => {}, onDigit: () => {} }));
  for (const s of [g711, opus]) {
    t.equal(s.secure, false);
    s.setSecure(true);
    t.equal(s.clamping, true);
    s.tick(0);
    s.close();
    t.throws(() => s.push(new Uint8Array(12), 0), 'closed stage refuses packets');
  }
  t.throws(
    () => createClampStage({ codec: 'opus', audioPayloadType: 101, eventPayloadType: 101, mode: 'silence', secure: false, send: () => {}, onDigit: () => {} }),
    'audio and event payload types must differ',
  );
});

t.test('an Opus leg whose negotiated ptime is no Opus frame size (SDP allows up to 120 ms) still gets a stage', async (t) => {
  t.same([120, 64, 30, 20, 2.5, 1].map(opusFrameMs), [60, 60, 20, 20, 2.5, 2.5]);
  for (const ptimeMs of [120, 64, 30]) {
    const stage = createClampStage({ codec: 'opus', audioPayloadType: 111, eventPayloadType: 101, mode: 'silence', secure: true, ptimeMs, send: () => {}, onDigit: () => {} });
    stage.tick(0);
    stage.close();
    t.pass(`ptime ${ptimeMs}`);
  }
});

t.test('generated digits after speech through the Opus stage, every mode', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON, REQUIRE_SPEECH)) return;
  t.equal(await loadG711(), undefined, 'G.711 loaded for the generated sets');
  const sets = generatedSets();
  const talk = speech();
  const { pcm, offsets } = concat([talk, ...sets.map((s) => s.cases[0].pcm)]);
  // (The layouts' spans are ToneTruth records: they carry the key too.)
  const spans: (Span & { digit?: string })[] = sets.flatMap((s, i) =>
    s.cases[0].spans.map((sp) => ({ startSample: sp.startSample + offsets[i + 1], endSample: sp.endSample + offsets[i + 1], digit: 'digit' in sp ? String(sp.digit) : undefined })),
  );
  t.ok(
    spans.every((s) => s.digit !== undefined),
    'every tone has its key',
  );
  const quietEnd = offsets[3]; // Q.24 and fast dialling have a quiet background; 15 dB SNR does not
  const packets = buildOpusStream({ pcm });
  const ts0 = firstTs(packets);
  const heardIn = decodeOpusByTimestamp(
    packets.map((p) => p.bytes),
    ts0,
  );
  // multimon-ng takes fewer than half of these corners even on the raw PCM: the yardstick is that.
  const rawDigits = runMultimon(pcm.subarray(offsets[1])).length;
  const inDigits = runMultimon(heardIn.subarray(offsets[1])).length;
  t.ok(inDigits >= rawDigits * 0.9 && inDigits > 50, `multimon-ng finds ${inDigits} digits in the Opus input, ${rawDigits} in the raw PCM (the test can fail)`);
  let lag = -1;
  for (const mode of MODES) {
    const run = runOpus(packets, mode);
    const name = `[${mode}]`;
    checkStreamOut(t, name, run.out);
    const heard = decodeOpusByTimestamp(run.out, ts0);
    if (lag < 0) lag = bestLag(heardIn.subarray(0, offsets[1]), heard.subarray(0, offsets[1] + 800), 800);
    const aligned = heard.subarray(lag, lag + pcm.length);
    const found = runMultimon(aligned.subarray(offsets[1] - 800)).map((d) => d.digit);
    if (mode === 'digit')
      t.ok(
        found.every((d) => d === FIXED),
        `${name} multimon-ng recovers only ${FIXED}`,
        { found: found.join('') },
      );
    else t.same(found, [], `${name} multimon-ng recovers no digit`);
    t.equal(run.stage.stats.decodeErrors, 0, `${name} every packet decoded`);
    if (mode !== 'digit') {
      // The digit sections with a quiet background (speech before them is not a residual).
      const from = offsets[1];
      const quiet = spans.filter((s) => s.endSample <= quietEnd).map((s) => ({ startSample: s.startSample - from, endSample: s.endSample - from }));
      const report = residualReport(aligned.subarray(from, quietEnd), quiet);
      const worst = Math.max(...report.leakMsPerDigit);
      t.ok(
        worst <= 5 && report.strayMs === 0 && report.maxBeyondAllowanceDbm0 < -45,
        `${name} residual: at most ${worst} ms per digit above -45 dBm0 (limit 5), ${report.strayMs} ms elsewhere, beyond allowance ${report.maxBeyondAllowanceDbm0.toFixed(1)} dBm0`,
      );
    }
    // Each reported digit matches one tone (same key, overlapping in time), no tone twice.
    const hits = new Map<number, number>();
    let unmatched = 0;
    for (const d of run.digits) {
      t.equal(d.source, 'inband', `${name} in-band source`);
      const start = ((d.startTs - ts0) >>> 0) / 6;
      const end = ((d.endTs - ts0) >>> 0) / 6;
      const i = spans.findIndex((s) => s.digit === d.digit && s.startSample < end + 80 && s.endSample > start - 80);
      if (i < 0) unmatched++;
      else hits.set(i, (hits.get(i) ?? 0) + 1);
    }
    t.equal(unmatched, 0, `${name} every reported digit is one of the tones`);
    t.ok(
      [...hits.values()].every((n) => n === 1),
      `${name} no tone reported twice (${run.digits.length} reported, ${spans.length} tones)`,
    );
    t.ok(run.digits.length >= spans.length * 0.6, `${name} most digits reported (${run.digits.length} of ${spans.length}; Q.24's 20-25 ms tones are below the detector's 30 ms)`);
  }
});

/** A tone of `digit` at -10 dBm0 over [start, end) samples, added to `mix`. */
function addTone(mix: Float64Array, digit: DtmfDigit, start: number, end: number): void {
  mixDtmf(mix, start, { digit, durationMs: (end - start) / 8, lowDbm0: -10, twistDb: 0 });
}

t.test('RFC 4733 events with leaked in-band tone around them: removed and muted', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON)) return;
  const keys: DtmfDigit[] = ['1', '5', '9', '0', '*', '#', 'A', 'D'];
  for (const clockRate of [48000, 8000] as const) {
    const frames = 30 + keys.length * 20;
    const mix = new Float64Array(frames * FRAME_8K);
    const events: OpusEventSpec[] = [];
    keys.forEach((digit, k) => {
      const startFrame = 25 + k * 20;
      const eventFrames = 4 + (k % 3);
      const lead = [10, 20, 40][k % 3] * 8;
      const tail = [40, 10, 30][k % 3] * 8;
      addTone(mix, digit, startFrame * FRAME_8K - lead, (startFrame + eventFrames) * FRAME_8K + tail);
      events.push({ digit, startFrame, frames: eventFrames, clockRate });
    });
    const pcm = toInt16(mix);
    const packets = buildOpusStream({ pcm, events });
    const ts0 = firstTs(packets);
    const leakedIn = runMultimon(
      decodeOpusByTimestamp(
        packets.map((p) => p.bytes),
        ts0,
      ),
    ).length;
    t.ok(leakedIn > 0, `clock ${clockRate}: the leaked tone alone is decodable in the input (${leakedIn} digits)`);
    for (const mode of MODES) {
      const run = runOpus(packets, mode, { eventClockRate: clockRate });
      const name = `[${clockRate}] [${mode}]`;
      checkStreamOut(t, name, run.out);
      const heard = decodeOpusByTimestamp(run.out, ts0);
      const found = runMultimon(heard).map((d) => d.digit);
      if (mode === 'digit')
        t.ok(
          found.every((d) => d === FIXED),
          `${name} multimon-ng recovers only ${FIXED}`,
          { found: found.join('') },
        );
      else t.same(found, [], `${name} multimon-ng recovers no digit`);
      if (mode === 'silence') {
        const report = residualReport(heard, []);
        t.ok(report.maxDbm0 < -45, `${name} residual everywhere under -45 dBm0 (${report.maxDbm0.toFixed(1)})`);
      }
      t.same(
        run.digits.map((d) => `${d.digit}/${d.source}`),
        keys.map((k) => `${k}/rfc4733`),
        `${name} each digit reported once, from its events`,
      );
      const d0 = run.digits[0];
      t.equal((d0.endTs - d0.startTs) >>> 0, events[0].frames * 960, `${name} digit span in 48 kHz RTP time`);
      t.equal(run.stage.stats.eventsRemoved, packets.filter((p) => (p.bytes[1] & 0x7f) === OPUS_EVENT_PT).length, `${name} every event packet removed`);
    }
  }
});

t.test('secure mode off: byte-identical pass-through, nothing decoded', async (t) => {
  const mix = new Float64Array(60 * FRAME_8K);
  addTone(mix, '7', 800, 2400);
  const packets = buildOpusStream({ pcm: toInt16(mix), events: [{ digit: '3', startFrame: 40, frames: 5 }] });
  const run = runOpus(packets, 'silence', { secure: false });
  t.equal(run.out.length, packets.length, 'every packet out');
  t.ok(
    run.out.every((p, i) => Buffer.compare(Buffer.from(p), Buffer.from(packets[i].bytes)) === 0),
    'byte for byte',
  );
  t.equal(run.stage.stats.decoded, 0, 'nothing decoded');
  t.same(
    run.digits.map((d) => d.digit),
    ['3'],
    'RFC 4733 digit still reported',
  );
  const secureRun = runOpus(packets, 'silence');
  const audioPackets = packets.filter((p) => (p.bytes[1] & 0x7f) === OPUS_PT).length;
  t.equal(secureRun.stage.stats.decoded, audioPackets, 'secure mode: every audio packet decoded once');

  // Secure for the first half, then off: the tail passes untouched but for the sequence offset.
  const out: Uint8Array[] = [];
  const stage = createClampStage({ codec: 'opus', audioPayloadType: OPUS_PT, eventPayloadType: OPUS_EVENT_PT, mode: 'silence', secure: true, send: (p) => out.push(p.slice()), onDigit: () => {} });
  packets.forEach((p, i) => {
    if (i === packets.length - 5) stage.setSecure(false);
    stage.push(p.bytes.slice(), p.atMs);
  });
  stage.close();
  const check = checkOpusStream(out);
  t.same(check.seqBreaks, [], 'switch-off: sequence contiguous');
  const tail = out.slice(-4);
  t.ok(
    tail.every((p, i) => Buffer.compare(Buffer.from(p.subarray(4)), Buffer.from(packets[packets.length - 4 + i].bytes.subarray(4))) === 0),
    "after switch-off: the caller's bytes (only seq may differ)",
  );
});

t.test('speech without digits: nothing clamped, same level', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_SPEECH)) return;
  const talk = speech();
  const packets = buildOpusStream({ pcm: talk });
  const ts0 = firstTs(packets);
  const run = runOpus(packets, 'silence');
  checkStreamOut(t, 'speech', run.out);
  t.equal(run.stage.mutedMs, 0, 'no ms clamped on speech');
  t.same(run.digits, [], 'no digit on speech');
  const heardIn = decodeOpusByTimestamp(
    packets.map((p) => p.bytes),
    ts0,
  );
  const heard = decodeOpusByTimestamp(run.out, ts0);
  const lag = bestLag(heardIn, heard, 800);
  const lookahead = run.stage.lookaheadSamples / 6;
  t.ok(lag >= lookahead && lag <= lookahead + 160, `delay ${lag / 8} ms: the lookahead (${lookahead / 8} ms) plus codec delay`);
  const a = activeSpeechLevel(talk).levelDbm0;
  const b = activeSpeechLevel(heard.subarray(lag, lag + talk.length)).levelDbm0;
  t.ok(Math.abs(a - b) <= 1, `active speech level ${b.toFixed(2)} dBm0 out, ${a.toFixed(2)} in (within 1 dB)`);
  const pps = packets.length / (run.ms / 1000);
  t.comment(`throughput (secure, decode + clamp + encode): ${Math.round(pps)} packets/s on one core = ${Math.floor(pps / 50)} streams of 20 ms`);
});

t.test('recorded baresip Opus call (fixtures/rtp/opus.pcapng): no digit reaches the agent', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON)) return;
  const bytes = readFileSync(join(import.meta.dirname, '../../fixtures/rtp/opus.pcapng'));
  const packets: StreamPacket[] = [];
  let t0 = -1;
  readUdpDatagrams(bytes, 'opus.pcapng', (d) => {
    if (d.srcPort !== 10000 || d.dstPort !== 10020) return;
    if (t0 < 0) t0 = d.timeMs;
    packets.push({ bytes: d.payload.slice(), atMs: d.timeMs - t0 });
  });
  t.ok(packets.length > 300, `${packets.length} packets of the caller's stream`);
  const ts0 = firstTs(packets);
  const heardIn = decodeOpusByTimestamp(
    packets.map((p) => p.bytes),
    ts0,
    96,
  );
  const inDigits = runMultimon(heardIn)
    .map((d) => d.digit)
    .join('');
  t.ok(inDigits.length > 0, `multimon-ng finds in-band tone in the caller's Opus audio ("${inDigits}"): the check below can fail`);
  for (const mode of ['silence', 'noise'] as const) {
    const run = runOpus(packets, mode, { audioPt: 96, eventPt: 101 });
    const check = checkOpusStream(run.out, 101);
    t.equal(check.eventPackets, 0, `[${mode}] no telephone-event packet`);
    t.same(check.seqBreaks, [], `[${mode}] sequence contiguous`);
    const heard = decodeOpusByTimestamp(run.out, ts0, 96);
    t.same(
      runMultimon(heard).map((d) => d.digit),
      [],
      `[${mode}] multimon-ng recovers no digit`,
    );
    t.equal(run.stage.stats.decodeErrors, 0, `[${mode}] every packet decoded`);
    t.equal(run.digits.map((d) => d.digit).join(''), '3690123', `[${mode}] the call's digits reported, each once`);
  }
});

t.test('loss and reordering in secure mode: no digit leaks, every packet placed', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON)) return;
  t.equal(await loadG711(), undefined);
  const fast = generatedSets()[1].cases[0].pcm;
  const packets = buildOpusStream({ pcm: fast });
  const ts0 = firstTs(packets);
  // Every 9th packet lost, every 13th swapped with the next one.
  const lossy: StreamPacket[] = packets.filter((_, i) => i % 9 !== 4);
  for (let i = 6; i + 1 < lossy.length; i += 13) [lossy[i], lossy[i + 1]] = [lossy[i + 1], lossy[i]];
  for (const mode of ['silence', 'digit'] as const) {
    const run = runOpus(lossy, mode);
    t.equal(run.out.length, lossy.length, `[${mode}] one packet out per packet in`);
    const heard = decodeOpusByTimestamp(run.out, ts0);
    const found = runMultimon(heard).map((d) => d.digit);
    if (mode === 'digit')
      t.ok(
        found.every((d) => d === FIXED),
        `[${mode}] multimon-ng recovers only ${FIXED}`,
        { found: found.join('') },
      );
    else t.same(found, [], `[${mode}] multimon-ng recovers no digit`);
    const seqs = run.out.map((p) => (p[2] << 8) | p[3]);
    t.equal(new Set(seqs).size, seqs.length, `[${mode}] no sequence number used twice`);
  }
});

t.test('secure mode switched every 37 packets: one continuous stream', async (t) => {
  if (!requireTools(t, REQUIRE_SOX)) return;
  t.equal(await loadG711(), undefined);
  const fast = generatedSets()[1].cases[0].pcm;
  const packets = buildOpusStream({
    pcm: fast,
    events: [
      { digit: '4', startFrame: 30, frames: 6 },
      { digit: '8', startFrame: 70, frames: 5 },
    ],
  });
  const out: Uint8Array[] = [];
  const stage = createClampStage({ codec: 'opus', audioPayloadType: OPUS_PT, eventPayloadType: OPUS_EVENT_PT, mode: 'noise', secure: true, send: (p) => out.push(p.slice()), onDigit: () => {} });
  let passed = 0;
  packets.forEach((p, i) => {
    if (i > 0 && i % 37 === 0) stage.setSecure(!stage.secure);
    const before = out.length;
    const copy = p.bytes.slice();
    stage.push(copy, p.atMs);
    if (!stage.clamping && out.length === before + 1 && Buffer.compare(Buffer.from(out[before].subarray(4)), Buffer.from(p.bytes.subarray(4))) === 0) passed++;
  });
  stage.close();
  const check = checkOpusStream(out);
  t.same(check.seqBreaks, [], 'sequence contiguous across switches');
  t.same(check.tsBreaks, [], 'timestamps continuous across switches');
  t.ok(passed > packets.length / 3, `${passed} packets passed untouched (but for seq) while secure mode was off`);
});

t.test('malformed and hostile packets: never a crash, nothing unexamined out in secure mode', async (t) => {
  const mix = new Float64Array(50 * FRAME_8K);
  addTone(mix, '2', 1600, 3200);
  const good = buildOpusStream({ pcm: toInt16(mix) });
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
  const hostile: StreamPacket[] = [];
  good.forEach((p, i) => {
    hostile.push(p);
    const junk = new Uint8Array(Math.floor(rnd() * 40));
    for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rnd() * 256);
    hostile.push({ bytes: junk, atMs: p.atMs }); // random bytes
    const corrupt = p.bytes.slice();
    for (let k = 13; k < corrupt.length; k++) corrupt[k] = Math.floor(rnd() * 256); // valid TOC, garbage frame
    hostile.push({ bytes: corrupt, atMs: p.atMs });
    const empty = p.bytes.slice(0, 12);
    empty[2] = (i * 7) & 0xff;
    hostile.push({ bytes: empty, atMs: p.atMs }); // no payload at all
    const badCount = p.bytes.slice(0, 14);
    badCount[12] = (3 << 3) | 3; // code 3, 60 ms frames
    badCount[13] = 63; // far over 120 ms
    hostile.push({ bytes: badCount, atMs: p.atMs });
  });
  const out: Uint8Array[] = [];
  const stage = createClampStage({ codec: 'opus', audioPayloadType: OPUS_PT, eventPayloadType: OPUS_EVENT_PT, mode: 'silence', secure: true, send: (p) => out.push(p.slice()), onDigit: () => {} });
  t.doesNotThrow(() => {
    for (const p of hostile) stage.push(p.bytes.slice(), p.atMs);
    stage.tick(1e6);
    stage.close();
  }, 'no exception');
  t.ok(out.length > 0 && out.every((p) => p.length >= 12 && (p[1] & 0x7f) === OPUS_PT && p[0] === 0x80), `${out.length} packets out, all plain RTP with the Opus payload type`);
  t.ok(stage.stats.malformed > 0 && stage.stats.unknownPayload > 0, `malformed ${stage.stats.malformed}, unreadable Opus dropped ${stage.stats.unknownPayload}`);
});

t.test('120 ms packets (two 60 ms frames): clamped and re-encoded as 120 ms', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON)) return;
  const mix = new Float64Array(120 * FRAME_8K);
  const keys: DtmfDigit[] = ['6', '2', 'B'];
  keys.forEach((k, i) => addTone(mix, k, 2000 + i * 5000, 2000 + i * 5000 + 800));
  const pcm = toInt16(mix);
  const packets = buildOpusStream({ pcm, packetMs: 120 });
  const ts0 = firstTs(packets);
  t.ok(
    runMultimon(
      decodeOpusByTimestamp(
        packets.map((p) => p.bytes),
        ts0,
      ),
    ).length >= 2,
    'the digits are decodable in the input',
  );
  const run = runOpus(packets, 'silence');
  checkStreamOut(t, '120 ms', run.out);
  t.equal(run.out.length, packets.length, 'one packet out per packet in');
  t.ok(
    run.out.every((p) => opusPacketSamples48(p.subarray(12)) === 5760),
    'every packet out carries 120 ms',
  );
  const decoder = createOpusCodec(1, 8000);
  t.ok(
    run.out.every((p) => opusDecode(decoder, p.subarray(12))?.length === 960),
    'libopus decodes every one to 120 ms',
  );
  t.same(runMultimon(decodeOpusByTimestamp(run.out, ts0)), [], 'multimon-ng recovers no digit');
  t.same(
    run.digits.map((d) => d.digit),
    keys,
    'each digit reported once',
  );
});
