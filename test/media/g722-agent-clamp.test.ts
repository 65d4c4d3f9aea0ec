// The clamp stage on a G.722 leg (createClampStage, codec G722) in secure mode, every mode: generated DTMF
// (Q.24 corners, fast dialling, 15 dB SNR) after wideband speech, G.722-encoded into RTP (PT 9,
// 20 ms, 8000 Hz clock), and RFC 4733 events (telephone-event/8000) with leaked in-band tone
// around them. What the agent receives, decoded as a phone does: multimon-ng recovers no digit
// (digit mode: only '#'), residual at the DTMF frequencies under -45 dBm0 except 5 ms per digit,
// no telephone-event packet, seq contiguous, timestamps continuous, each digit reported once.
// Secure off: byte-identical. Speech: nothing clamped, same level, the 4-7 kHz band kept.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { resample } from '../../native-free-dsp/resample.js';
import { mixDtmf, toInt16 } from '../../native-free-dsp/tone-generator.js';
import type { ClampStage } from '../../src/media/clamp/clamp-stage.js';
import { createClampStage } from '../../src/media/clamp/create-clamp-stage.js';
import type { ClampMode } from '../../src/media/clamp/inband-clamp.js';
import { parseWav } from '../../src/audio-file/wav-parser.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { REQUIRE_ESPEAK, REQUIRE_MULTIMON, REQUIRE_SOX, REQUIRE_SPEECH, SPEECH_DIR, cacheDir, readAudio8k, requireTools } from '../helpers/audio-files.js';
import { residualReport } from '../helpers/clamp-leak.js';
import { bandPowerDb, buildG722Stream, checkG722Stream, decodeG722ByTimestamp, G722_EVENT_PT, G722_PT, G722_SSRC, to8k, type G722EventSpec } from '../helpers/g722-streams.js';
import { generatedSets, type Span } from '../helpers/leak-sets.js';
import { runMultimon } from '../helpers/reference-decoders.js';
import type { StreamPacket } from '../helpers/rtp-streams.js';
import { activeSpeechLevel, loadG711 } from '../helpers/signals.js';
import { PressClock, type RtpPress } from '../helpers/press-clock.js';

const MODES: readonly ClampMode[] = ['silence', 'noise', 'tone', 'digit'];
const FIXED = '#';

interface Run {
  readonly out: Uint8Array[];
  readonly digits: RtpPress[];
  readonly stage: ClampStage;
}

/** A G.722 leg's clamp stage; `switches`: secure mode set before these packet indices. */
function runG722(packets: readonly StreamPacket[], mode: ClampMode, secure = true, switches: ReadonlyMap<number, boolean> = new Map(), resyncMs?: number): Run {
  const out: Uint8Array[] = [];
  const digits: RtpPress[] = [];
  const clock = new PressClock(8000);
  const stage = createClampStage({
    codec: 'G722',
    audioPayloadType: G722_PT,
    eventPayloadType: G722_EVENT_PT,
    mode,
    secure,
    resyncMs,
    send: (p) => out.push(p.slice()),
    onDigit: (d) => digits.push(clock.rtp(d)),
  });
  packets.forEach((p, i) => {
    const on = switches.get(i);
    if (on !== undefined) stage.setSecure(on);
    clock.saw(p.bytes, p.atMs);
    stage.push(p.bytes.slice(), p.atMs);
  });
  stage.close();
  return { out, digits, stage };
}

function firstTs(packets: readonly StreamPacket[]): number {
  const b = packets[0].bytes;
  return ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
}

/** Wideband speech: espeak-ng (22.05 kHz) at 16 kHz, cached. */
function speech16k(): Int16Array {
  const path = join(cacheDir('g722'), 'espeak-stage.wav');
  if (!existsSync(path))
    execFileSync('espeak-ng', ['-v', 'en+f3', '-s', '150', '-w', path, 'Thank you. I will now take your payment. Please key in the long number across the front of your card.'], { stdio: 'ignore' });
  const audio = parseWav(readFileSync(path), 'espeak-stage.wav');
  return resample(audio.samples, audio.sampleRate, 16_000);
}

function up(pcm8k: Int16Array): Int16Array {
  return resample(pcm8k, 8000, 16_000);
}

function checkStreamOut(t: Test, name: string, out: readonly Uint8Array[]): void {
  const check = checkG722Stream(out);
  t.equal(check.eventPackets, 0, `${name}: no telephone-event packet reaches the agent`);
  t.same(check.seqBreaks, [], `${name}: sequence numbers contiguous`);
  t.same(check.tsBreaks, [], `${name}: timestamps continuous`);
  t.equal(check.ssrcs.size, 1, `${name}: one SSRC`);
  t.equal(check.markers, 1, `${name}: one marker, the talkspurt's first packet`);
}

t.test('ClampStage on a G.722 leg: static PT 9, 8000 Hz clock', async (t) => {
  const s = createClampStage({ codec: 'G722', eventPayloadType: 101, mode: 'silence', secure: false, send: () => {}, onDigit: () => {} });
  t.equal(s.audioPayloadType, 9, 'RFC 3551 static payload type');
  t.equal(s.clockRate, 8000, 'RFC 3551 §4.5.2: 8000 Hz RTP clock');
  t.equal(s.lookaheadSamples, 208, 'the lookahead in RTP ticks (26 ms)');
  t.equal(s.secure, false);
  s.setSecure(true);
  t.equal(s.clamping, true);
  s.tick(0);
  s.close();
  t.throws(() => s.push(new Uint8Array(12), 0), 'closed stage refuses packets');
});

t.test('generated digits after wideband speech through the G.722 stage, every mode', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON, REQUIRE_ESPEAK)) return;
  t.equal(await loadG711(), undefined, 'G.711 loaded for the generated sets');
  const sets = generatedSets();
  const talk = speech16k();
  const parts = [talk, ...sets.map((s) => up(s.cases[0].pcm))];
  const pcm16k = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  const offsets: number[] = []; // 16 kHz
  let at = 0;
  for (const p of parts) {
    offsets.push(at);
    pcm16k.set(p, at);
    at += p.length;
  }
  // Spans on the 8 kHz timeline (= RTP ticks from ts0).
  const spans: (Span & { digit?: string })[] = sets.flatMap((s, i) =>
    s.cases[0].spans.map((sp) => ({ startSample: sp.startSample + offsets[i + 1] / 2, endSample: sp.endSample + offsets[i + 1] / 2, digit: 'digit' in sp ? String(sp.digit) : undefined })),
  );
  const quietEnd = offsets[3] / 2; // Q.24 and fast dialling have a quiet background; 15 dB SNR does not
  const from = offsets[1] / 2;
  const packets = buildG722Stream({ pcm16k });
  const ts0 = firstTs(packets);
  const heardIn = to8k(
    decodeG722ByTimestamp(
      packets.map((p) => p.bytes),
      ts0,
    ),
  );
  const rawDigits = runMultimon(to8k(pcm16k).subarray(from)).length;
  const inDigits = runMultimon(heardIn.subarray(from)).length;
  t.ok(inDigits >= rawDigits * 0.9 && inDigits > 50, `multimon-ng finds ${inDigits} digits in the G.722 input, ${rawDigits} in the raw PCM (the test can fail)`);
  for (const mode of MODES) {
    const run = runG722(packets, mode);
    const name = `[${mode}]`;
    checkStreamOut(t, name, run.out);
    const heard = to8k(decodeG722ByTimestamp(run.out, ts0));
    const lag = run.stage.lookaheadSamples;
    const aligned = heard.subarray(lag, lag + heardIn.length);
    const found = runMultimon(aligned.subarray(from - 800)).map((d) => d.digit);
    if (mode === 'digit')
      t.ok(
        found.every((d) => d === FIXED),
        `${name} multimon-ng recovers only ${FIXED}`,
        { found: found.join('') },
      );
    else t.same(found, [], `${name} multimon-ng recovers no digit`);
    t.equal(run.stage.stats.notDecoded, 0, `${name} every packet decoded`);
    t.equal(run.stage.stats.decoded, packets.length, `${name} each packet decoded once`);
    if (mode !== 'digit') {
      const quiet = spans.filter((s) => s.endSample <= quietEnd).map((s) => ({ startSample: s.startSample - from, endSample: s.endSample - from }));
      const report = residualReport(aligned.subarray(from, quietEnd), quiet);
      const worst = Math.max(...report.leakMsPerDigit);
      t.ok(
        worst <= 5 && report.strayMs === 0 && report.maxBeyondAllowanceDbm0 < -45,
        `${name} residual: at most ${worst} ms per digit above -45 dBm0 (limit 5), ${report.strayMs} ms elsewhere, beyond allowance ${report.maxBeyondAllowanceDbm0.toFixed(1)} dBm0`,
      );
    }
    const hits = new Map<number, number>();
    let unmatched = 0;
    for (const d of run.digits) {
      const start = (d.startTs - ts0) >>> 0;
      const end = (d.endTs - ts0) >>> 0;
      const i = spans.findIndex((s) => s.digit === d.digit && s.startSample < end + 80 && s.endSample > start - 80);
      if (i < 0) unmatched++;
      else hits.set(i, (hits.get(i) ?? 0) + 1);
    }
    t.equal(unmatched, 0, `${name} every reported digit is one of the tones (8 kHz RTP timestamps)`);
    t.ok(
      [...hits.values()].every((n) => n === 1),
      `${name} no tone reported twice (${run.digits.length} reported, ${spans.length} tones)`,
    );
    t.ok(run.digits.length >= spans.length * 0.6, `${name} most digits reported (${run.digits.length} of ${spans.length})`);
  }
});

/** A tone of `digit` at -10 dBm0 over [start, end) samples at 8 kHz, added to `mix`. */
function addTone(mix: Float64Array, digit: DtmfDigit, start: number, end: number): void {
  mixDtmf(mix, start, { digit, durationMs: (end - start) / 8, lowDbm0: -10, twistDb: 0 });
}

t.test('RFC 4733 events (telephone-event/8000) with leaked in-band tone around them: removed and muted', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON)) return;
  const keys: DtmfDigit[] = ['1', '5', '9', '0', '*', '#', 'A', 'D'];
  const frames = 30 + keys.length * 20;
  const mix = new Float64Array(frames * 160);
  const events: G722EventSpec[] = [];
  keys.forEach((digit, k) => {
    const startFrame = 25 + k * 20;
    const eventFrames = 4 + (k % 3);
    addTone(mix, digit, startFrame * 160 - [10, 20, 40][k % 3] * 8, (startFrame + eventFrames) * 160 + [40, 10, 30][k % 3] * 8);
    events.push({ digit, startFrame, frames: eventFrames });
  });
  const packets = buildG722Stream({ pcm16k: up(toInt16(mix)), events });
  const ts0 = firstTs(packets);
  t.ok(
    runMultimon(
      to8k(
        decodeG722ByTimestamp(
          packets.map((p) => p.bytes),
          ts0,
        ),
      ),
    ).length > 0,
    'the leaked tone alone is decodable in the input',
  );
  for (const mode of MODES) {
    const run = runG722(packets, mode);
    const name = `[${mode}]`;
    checkStreamOut(t, name, run.out);
    const heard = to8k(decodeG722ByTimestamp(run.out, ts0));
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
    t.equal((d0.endTs - d0.startTs) >>> 0, events[0].frames * 160, `${name} digit span in 8 kHz RTP time`);
    t.equal(run.stage.stats.eventsRemoved, packets.filter((p) => (p.bytes[1] & 0x7f) === G722_EVENT_PT).length, `${name} every event packet removed`);
    t.equal(run.stage.stats.resyncs, keys.length, `${name} the decoder's resynchronisation after each event's gap muted`);
  }
});

t.test('secure mode off: byte-identical pass-through (decoded all the same)', async (t) => {
  const mix = new Float64Array(60 * 160);
  addTone(mix, '7', 800, 2400);
  const packets = buildG722Stream({ pcm16k: up(toInt16(mix)), events: [{ digit: '3', startFrame: 40, frames: 5 }] });
  const run = runG722(packets, 'silence', false);
  t.equal(run.out.length, packets.length, 'every packet out');
  t.ok(
    run.out.every((p, i) => Buffer.compare(Buffer.from(p), Buffer.from(packets[i].bytes)) === 0),
    'byte for byte',
  );
  const audioPackets = packets.filter((p) => (p.bytes[1] & 0x7f) === G722_PT).length;
  t.equal(run.stage.stats.decoded, audioPackets, 'every audio packet decoded (the decoder is in step when secure mode starts)');
  t.same(
    run.digits.map((d) => d.digit),
    ['3'],
    'RFC 4733 digit still reported',
  );

  // Secure for the first half, then off: the tail passes untouched but for the sequence offset.
  const { out } = runG722(packets, 'silence', true, new Map([[packets.length - 5, false]]));
  t.same(checkG722Stream(out).seqBreaks, [], 'switch-off: sequence contiguous');
  const tail = out.slice(-4);
  t.ok(
    tail.every((p, i) => Buffer.compare(Buffer.from(p.subarray(4)), Buffer.from(packets[packets.length - 4 + i].bytes.subarray(4))) === 0),
    "after switch-off: the caller's bytes (only seq may differ)",
  );
});

t.test('secure mode switched on mid-stream just before a tone: nothing leaks', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON, REQUIRE_ESPEAK)) return;
  const talk = speech16k().subarray(0, 16_000 * 3);
  const mix = new Float64Array(talk.length / 2 + 8000);
  addTone(mix, '5', talk.length / 2 + 400, talk.length / 2 + 1200);
  const tone = up(toInt16(mix));
  tone.set(talk.map((x, i) => x + tone[i]).subarray(0, talk.length));
  const packets = buildG722Stream({ pcm16k: tone });
  const ts0 = firstTs(packets);
  const switchAt = Math.floor(talk.length / 320) - 2; // 40 ms before the tone's frame
  const { out, digits, stage } = runG722(packets, 'silence', false, new Map([[switchAt, true]]));
  t.equal(stage.stats.decoded, packets.length, 'every packet decoded, before the switch too');
  t.same(
    runMultimon(
      to8k(
        decodeG722ByTimestamp(
          packets.map((p) => p.bytes),
          ts0,
        ),
      ),
    ).map((d) => d.digit),
    ['5'],
    'the input has the tone',
  );
  t.same(
    runMultimon(to8k(decodeG722ByTimestamp(out, ts0))).map((d) => d.digit),
    [],
    'the agent does not',
  );
  t.same(
    digits.map((d) => d.digit),
    ['5'],
    'the digit is reported',
  );
});

/** Recorded speech (Asterisk prompts, 8 kHz) at 16 kHz with a 6 kHz whistle at -30 dBFS for the high band. */
function recordedSpeechWithHighBand(): Int16Array {
  const parts = ['digits/1.wav', 'vm-intro.wav', 'demo-congrats.wav'].map((f) => readAudio8k(join(SPEECH_DIR, f)));
  const pcm8k = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    pcm8k.set(p, at);
    at += p.length;
  }
  const pcm = up(pcm8k);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, pcm[i] + Math.round(1036 * Math.sin((2 * Math.PI * 6000 * i) / 16_000))));
  return pcm;
}

t.test('speech without digits: nothing clamped, same level, wideband kept', async (t) => {
  if (!requireTools(t, REQUIRE_SOX, REQUIRE_SPEECH)) return;
  const talk = recordedSpeechWithHighBand();
  const packets = buildG722Stream({ pcm16k: talk });
  const ts0 = firstTs(packets);
  const run = runG722(packets, 'silence');
  checkStreamOut(t, 'speech', run.out);
  t.equal(run.stage.mutedMs, 0, 'no ms clamped on speech');
  t.same(run.digits, [], 'no digit on speech');
  const heardIn = decodeG722ByTimestamp(
    packets.map((p) => p.bytes),
    ts0,
  );
  const heard = decodeG722ByTimestamp(run.out, ts0);
  const lag = 2 * run.stage.lookaheadSamples; // 16 kHz
  const aligned = heard.subarray(lag, lag + heardIn.length);
  const a = activeSpeechLevel(to8k(heardIn)).levelDbm0;
  const b = activeSpeechLevel(to8k(aligned)).levelDbm0;
  t.ok(Math.abs(a - b) <= 0.5, `active speech level ${b.toFixed(2)} dBm0 out, ${a.toFixed(2)} in (within 0.5 dB)`);
  const n = aligned.length - 1000;
  const highIn = bandPowerDb(heardIn, 0, n, 5800, 6300);
  const highOut = bandPowerDb(aligned, 0, n, 5800, 6300);
  t.ok(highIn > -40 && Math.abs(highIn - highOut) <= 1.5, `the 6 kHz whistle: ${highOut.toFixed(1)} dB out, ${highIn.toFixed(1)} dB in (secure mode keeps wideband)`);
  let signal = 0,
    error = 0;
  for (let i = 0; i < n; i++) {
    signal += heardIn[i] ** 2;
    error += (heardIn[i] - aligned[i]) ** 2;
  }
  t.ok(10 * Math.log10(signal / error) > 20, `SNR of the re-encoded speech against the caller's: ${(10 * Math.log10(signal / error)).toFixed(1)} dB`);
});

t.test('hostile packets: oversized, truncated, late, duplicate, foreign payload types', async (t) => {
  const base = buildG722Stream({ pcm16k: new Int16Array(320 * 20) });
  const packet = (seq: number, ts: number, payload: Uint8Array, pt = G722_PT): StreamPacket => ({
    bytes: serializeRtp({ payloadType: pt, marker: false, sequence: seq, timestamp: ts, ssrc: G722_SSRC, payload }),
    atMs: 0,
  });
  const ts0 = firstTs(base);
  const hostile: StreamPacket[] = [
    ...base.slice(0, 5),
    packet(8000, (ts0 + 800) >>> 0, new Uint8Array(1400).fill(0x55)), // oversized
    base[3], // duplicate
    base[2], // late
    { bytes: base[6].bytes.subarray(0, 7), atMs: 0 }, // truncated header
    packet(8001, (ts0 + 960) >>> 0, new Uint8Array(160), 18), // G.729: not negotiated
    ...base.slice(6),
  ];
  for (const secure of [true, false]) {
    const run = runG722(hostile, 'silence', secure);
    const pts = run.out.map((p) => p[1] & 0x7f);
    if (secure) {
      t.ok(
        run.out.every((p) => p.length <= 12 + 960),
        'secure: nothing oversized reaches the agent',
      );
      t.notOk(pts.includes(18), 'secure: the foreign payload type is dropped');
      t.ok(run.stage.stats.notDecoded >= 1, `secure: undecodable packets counted (${run.stage.stats.notDecoded})`);
    } else {
      t.ok(pts.includes(18), 'not secure: everything passes as it is');
    }
  }
});

t.test('a late packet is not decoded (the decoder stays on the stream); its gap is muted', async (t) => {
  const base = buildG722Stream({ pcm16k: up(toInt16(new Float64Array(40 * 160).fill(0))) });
  const reordered = [...base.slice(0, 10), base[11], base[10], ...base.slice(12)];
  const run = runG722(reordered, 'silence');
  t.equal(run.stage.stats.notDecoded, 1, 'the late packet is not decoded');
  t.equal(run.stage.stats.resyncs, 1, 'the packet after the hole counts as a gap (its resynchronisation muted)');
  t.equal(run.stage.stats.decoded, base.length - 1, 'every other packet decoded once');
});
