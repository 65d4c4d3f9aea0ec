// The joined clamp stage (createClampStage) on the recorded fixtures (fixtures/rtp, baresip
// calls with in-band and RFC 4733 digits, plus loss, duplicates and reordering) in every mode,
// on secure mode switched at random points, and outside secure mode (byte-identical, no delay).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { mixDtmf, toInt16 } from '../../native-free-dsp/tone-generator.js';
import { DTMF_DIGITS } from '../../native-free-dsp/dtmf-tones.js';
import { decodeAlaw, decodeUlaw, encodeUlaw } from '../../native-free-dsp/g711.js';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { readUdpDatagrams } from '../../src/capture/index.js';
import { createClampStage } from '../../src/media/clamp/create-clamp-stage.js';
import { PressClock, type RtpPress } from '../helpers/press-clock.js';
import { rfc4733DigitsOf } from '../helpers/rfc4733-oracle.js';
import { DEFAULT_INBAND_CLAMP_OPTIONS, type ClampMode } from '../../src/media/clamp/inband-clamp.js';
import { replayCapture } from '../../src/replay/replay.js';
import { looksLikeRtp, rtpSsrc } from '../../src/rtp/rtp-packet.js';
import { REQUIRE_MULTIMON, REQUIRE_SOX, requireTools } from '../helpers/audio-files.js';
import { LOOKAHEAD } from '../helpers/agent-stage.js';
import { residualReport } from '../helpers/clamp-leak.js';
import { runMultimon, runMultimonJoined } from '../helpers/reference-decoders.js';
import { buildStream, checkStream, EVENT_PT, FRAME, parsed, type Segment } from '../helpers/rtp-streams.js';
import { addWhiteNoise, pick, randomInt, seedBanner, streamRng } from '../helpers/signals.js';

t.comment(seedBanner());
const toolsPresent = requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON);
const MODES: readonly ClampMode[] = ['silence', 'noise', 'tone', 'digit'];
const FIXED = DEFAULT_INBAND_CLAMP_OPTIONS.replacementDigit;
const FILES = ['pcmu.pcapng', 'pcma.pcapng', 'pcma-info.pcapng', 'pcmu-loss.pcap', 'pcmu-dup.pcap', 'pcmu-reorder.pcap'];
const CLEAN = new Set(['pcmu.pcapng', 'pcma.pcapng', 'pcma-info.pcapng']);

/** Audio of `packets` laid out by timestamp from `ts0` (samples before it dropped). */
function decodeFrom(packets: readonly Uint8Array[], ts0: number, codec: 'PCMU' | 'PCMA', audioPt: number): Int16Array {
  const ps = packets.map(parsed).filter((p) => p.payloadType === audioPt);
  let end = 0;
  for (const p of ps) {
    const at = (p.timestamp - ts0) | 0;
    end = Math.max(end, at + p.payload.length);
  }
  const pcm = new Int16Array(Math.max(0, end));
  const tmp = new Int16Array(2048);
  for (const p of ps) {
    const at = (p.timestamp - ts0) | 0;
    (codec === 'PCMU' ? decodeUlaw : decodeAlaw)(p.payload, tmp, p.payload.length);
    for (let i = 0; i < p.payload.length; i++) if (at + i >= 0) pcm[at + i] = tmp[i];
  }
  return pcm;
}

function recovered(pcm: Int16Array, mode: ClampMode): string[] {
  const found = runMultimon(pcm).map((d) => d.digit);
  return mode === 'digit' ? found.filter((d) => d !== FIXED) : found;
}

t.test('recorded fixtures through the stage in secure mode, every mode', async (t) => {
  if (!toolsPresent) return;
  let inbandSeen = 0,
    eventSeen = 0,
    worstLeak = 0,
    maxBeyond = -Infinity;
  for (const file of FILES) {
    const bytes = readFileSync(new URL(`../../fixtures/rtp/${file}`, import.meta.url));
    const replay = await replayCapture(bytes, file);
    for (const s of replay.streams.filter((x) => x.codec === 'PCMU' || x.codec === 'PCMA')) {
      const codec = s.codec as 'PCMU' | 'PCMA';
      // A stream named after its codec has a main payload type (undefined only for SIP INFO digits).
      const audioPt = s.payloadType;
      if (audioPt === undefined) {
        t.fail(`${file} ${s.id.srcPort}: ${codec} stream without a payload type`);
        continue;
      }
      const packets: { bytes: Uint8Array; timeMs: number }[] = [];
      readUdpDatagrams(bytes, file, (d) => {
        if (d.src === s.id.src && d.srcPort === s.id.srcPort && d.dst === s.id.dst && d.dstPort === s.id.dstPort && looksLikeRtp(d.payload) && rtpSsrc(d.payload) === s.id.ssrc) {
          packets.push({ bytes: Uint8Array.from(d.payload), timeMs: d.timeMs });
        }
      });
      const expectedRfc = rfc4733DigitsOf(packets, s.eventPayloadType);
      const expectedInband = s.digits
        .filter((d) => d.source === 'inband')
        .map((d) => d.digit)
        .join('');
      const input = decodeFrom(
        packets.map((p) => p.bytes),
        parsed(packets[0].bytes).timestamp,
        codec,
        audioPt,
      );
      t.equal(recovered(input, 'silence').length > 0, expectedInband.length > 0, `${file} ${s.id.srcPort}: control, multimon-ng finds the in-band digits in the input (${expectedInband || 'none'})`);
      for (const mode of MODES) {
        const name = `${file} ${s.id.srcPort}->${s.id.dstPort} [${mode}]`;
        const out: Uint8Array[] = [];
        const digits: RtpPress[] = [];
        const clock = new PressClock();
        const stage = createClampStage({
          codec,
          audioPayloadType: audioPt,
          eventPayloadType: s.eventPayloadType,
          mode,
          secure: true,
          send: (p) => out.push(p.slice()),
          onDigit: (d) => digits.push(clock.rtp(d)),
        });
        for (const p of packets) {
          clock.saw(p.bytes, p.timeMs);
          stage.push(Uint8Array.from(p.bytes), p.timeMs);
        }
        stage.close();
        const c = checkStream(out, s.eventPayloadType);
        t.equal(c.eventPackets, 0, `${name}: no telephone-event packet out`);
        t.same([...c.ssrcs], [s.id.ssrc], `${name}: one SSRC`);
        if (CLEAN.has(file)) t.ok(c.seqBreaks.length === 0 && c.tsBreaks.length === 0, `${name}: seq contiguous, timestamps continuous`, { seq: c.seqBreaks, ts: c.tsBreaks });
        t.equal(
          digits
            .filter((d) => d.source === 'rfc4733')
            .map((d) => d.digit)
            .join(''),
          expectedRfc,
          `${name}: RFC 4733 digits to the listener`,
        );
        const inband = digits
          .filter((d) => d.source === 'inband')
          .map((d) => d.digit)
          .join('');
        if (CLEAN.has(file)) t.equal(inband, expectedInband, `${name}: in-band digits to the listener`);
        eventSeen += expectedRfc.length;
        inbandSeen += inband.length;
        // What the agent hears, aligned with the input (ts T carries input T - lookahead).
        const ts0 = parsed(out[0]).timestamp;
        const aligned = decodeFrom(out, ts0, codec, audioPt).subarray(LOOKAHEAD);
        t.same(recovered(aligned, mode), [], `${name}: multimon-ng recovers ${mode === 'digit' ? `only ${FIXED}` : 'no digit'}`);
        if (mode === 'digit') continue;
        const spans = digits.map((d) => ({ startSample: (d.startTs - ts0) | 0, endSample: (d.endTs - ts0) | 0 }));
        const report = residualReport(aligned, spans);
        const leak = Math.max(0, ...report.leakMsPerDigit);
        worstLeak = Math.max(worstLeak, leak);
        maxBeyond = Math.max(maxBeyond, report.maxBeyondAllowanceDbm0);
        t.ok(
          leak <= 5 && report.strayMs === 0 && report.maxBeyondAllowanceDbm0 < -45,
          `${name}: residual ${leak} ms per digit above -45 dBm0, ${report.strayMs} ms elsewhere, beyond allowance ${report.maxBeyondAllowanceDbm0.toFixed(1)} dBm0`,
        );
      }
    }
  }
  t.ok(inbandSeen > 0 && eventSeen > 0, `the fixtures hold both kinds (${inbandSeen} in-band, ${eventSeen} RFC 4733 digit reports)`);
  t.comment(`fixtures: worst ${worstLeak} ms per digit above -45 dBm0, strongest beyond allowance ${maxBeyond.toFixed(1)} dBm0`);
});

/** 20 s of quiet line with an in-band digit every 400 ms and an RFC 4733 event now and then. */
function switchingStream(seed: string) {
  const rng = streamRng(seed);
  const mix = new Float64Array(8000 * 20);
  addWhiteNoise(mix, rng, -60);
  const segments: Segment[] = [];
  let at = 0;
  let frames = 0;
  let i = 0;
  while (at + 8 * FRAME < mix.length) {
    if (i % 5 === 4) {
      if (frames > 0) segments.push({ kind: 'audio', frames });
      frames = 0;
      segments.push({ kind: 'digit', digit: DTMF_DIGITS[i % 16], samples: 4 * FRAME });
      at += 4 * FRAME;
    } else {
      mixDtmf(mix, at + randomInt(rng, 0, 160), { digit: DTMF_DIGITS[i % 16], durationMs: pick(rng, [40, 60, 100]), lowDbm0: pick(rng, [-20, -8]) });
      frames += 5;
      at += 5 * FRAME;
    }
    i++;
  }
  if (frames > 0) segments.push({ kind: 'audio', frames });
  return buildStream({ pcm: toInt16(mix), segments });
}

t.test('a caller whose timestamps skip ahead right after a digit, back onto the same history slots: no tone reaches the agent', async (t) => {
  // Consecutive sequence numbers; after a 200 ms '5', three forward skips that with the frames
  // between them add up to 2^32 samples (each under 2^31, so each is ahead, not a restart).
  const mix = new Float64Array(FRAME * 30);
  mixDtmf(mix, 1600, { digit: '5', durationMs: 200, lowDbm0: -6 });
  const pcm = toInt16(mix);
  const skips = [1431655765, 1431655765, 2 ** 32 - 2 * 1431655765 - 4 * FRAME];
  const out: Uint8Array[] = [];
  const stage = createClampStage({ codec: 'PCMU', eventPayloadType: EVENT_PT, mode: 'silence', secure: true, send: (p) => out.push(p.slice()), onDigit: () => {} });
  let ts = 123_456;
  let seq = 1000;
  let f = 0;
  const send = (): void => {
    const p = new Uint8Array(12 + FRAME);
    p[0] = 0x80;
    p[2] = (seq >> 8) & 0xff;
    p[3] = seq & 0xff;
    new DataView(p.buffer).setUint32(4, ts >>> 0);
    new DataView(p.buffer).setUint32(8, 0x5eed);
    encodeUlaw(pcm.subarray((f % 30) * FRAME, (f % 30) * FRAME + FRAME), p.subarray(12));
    stage.push(p, f * 20);
    seq = (seq + 1) & 0xffff;
    ts += FRAME;
    f++;
  };
  while (f < 15) send(); // the digit, up to 100 ms into it
  for (const skip of skips) {
    ts += skip;
    send();
    send();
  }
  stage.close();
  const heard = new Int16Array(out.length * FRAME);
  out.forEach((p, i) => decodeUlaw(p.subarray(12), heard.subarray(i * FRAME, i * FRAME + FRAME)));
  t.equal(out.length, f, 'every packet forwarded');
  t.same(detectDtmf(heard), [], 'no digit in what the agent heard');
  const afterSkips = heard.subarray(15 * FRAME);
  t.equal(
    afterSkips.findIndex((x) => x !== 0),
    -1,
    'the frames after the skips are silence',
  );
});

t.test('secure mode switched on and off at random points: no seq/ts jump, no digit while on', async (t) => {
  if (!toolsPresent) return;
  for (const mode of MODES) {
    const rng = streamRng(`agent-clamp/switch/${mode}`);
    const packets = switchingStream(`agent-clamp/switch-stream/${mode}`);
    const toggles = new Set<number>();
    while (toggles.size < 10) toggles.add(randomInt(rng, 1, packets.length - 1));
    const out: { bytes: Uint8Array; clamped: boolean }[] = [];
    let secure = false;
    const stage = createClampStage({ codec: 'PCMU', eventPayloadType: EVENT_PT, mode, secure, send: (p) => out.push({ bytes: p.slice(), clamped: stage.clamping }), onDigit: () => {} });
    packets.forEach((p, i) => {
      if (toggles.has(i)) stage.setSecure((secure = !secure));
      stage.push(p.bytes.slice(), p.atMs);
    });
    stage.close();
    const c = checkStream(out.map((o) => o.bytes));
    t.same(c.seqBreaks, [], `[${mode}] sequence numbers contiguous across ${toggles.size} switches`);
    // Timestamps: consecutive audio packets continue each other (event packets passed outside
    // secure mode carry their event's start, as the sender sent them).
    const ps = out.map((o) => parsed(o.bytes));
    const tsBreaks: number[] = [];
    for (let k = 1; k < ps.length; k++) {
      if (ps[k].payloadType !== 0 || ps[k - 1].payloadType !== 0) continue;
      if (ps[k].timestamp !== (ps[k - 1].timestamp + ps[k - 1].payload.length) >>> 0) tsBreaks.push(k);
    }
    t.same(tsBreaks, [], `[${mode}] timestamps continuous`);
    // Each run of packets sent in secure mode: nothing recoverable in it.
    const runs: Uint8Array[][] = [];
    const openRuns: Uint8Array[][] = [];
    let current: Uint8Array[] = [];
    let currentClamped = out[0].clamped;
    const close = (): void => {
      if (current.length === 0) return;
      (currentClamped ? runs : openRuns).push(current);
    };
    for (const o of out) {
      if (o.clamped !== currentClamped) {
        close();
        current = [];
        currentClamped = o.clamped;
      }
      current.push(o.bytes);
    }
    close();
    t.ok(runs.length >= 4, `[${mode}] ${runs.length} secure periods`);
    t.ok(
      runs.every((r) => r.every((b) => parsed(b).payloadType !== EVENT_PT)),
      `[${mode}] no telephone-event packet in a secure period`,
    );
    const decodeRun = (r: Uint8Array[]): Int16Array => decodeFrom(r, parsed(r[0]).timestamp, 'PCMU', 0);
    const offRecovered = runMultimonJoined(openRuns.map(decodeRun)).length;
    const leaked = runMultimonJoined(runs.map(decodeRun))
      .map((d) => d.digit)
      .filter((d) => mode !== 'digit' || d !== FIXED);
    t.same(leaked, [], `[${mode}] multimon-ng recovers nothing from the secure periods`);
    t.ok(offRecovered > 0, `[${mode}] control: it does find digits outside them (${offRecovered})`);
  }
});

t.test('outside secure mode: the same bytes, sent at once; after events were replaced, only the sequence number shifts', async (t) => {
  const packets = switchingStream('agent-clamp/off');
  const sent: Uint8Array[] = [];
  const stage = createClampStage({ codec: 'PCMU', eventPayloadType: EVENT_PT, mode: 'noise', secure: false, send: (p) => sent.push(p.slice()), onDigit: () => {} });
  let identical = 0;
  let immediate = 0;
  for (const p of packets) {
    const before = sent.length;
    stage.push(p.bytes.slice(), p.atMs);
    if (sent.length === before + 1) immediate++;
    if (sent.length > before && Buffer.compare(Buffer.from(sent[sent.length - 1]), Buffer.from(p.bytes)) === 0) identical++;
  }
  t.equal(immediate, packets.length, 'one packet out per packet in, during push() (no delay)');
  t.equal(identical, packets.length, 'every packet byte-identical');
  // A secure period that replaced events leaves a constant sequence offset (kept on purpose: a
  // jump back would look like a restart or loss to the agent's receiver).
  const half = Math.floor(packets.length / 2);
  const out: Uint8Array[] = [];
  const stage2 = createClampStage({ codec: 'PCMU', eventPayloadType: EVENT_PT, mode: 'silence', secure: true, send: (p) => out.push(p.slice()), onDigit: () => {} });
  packets.forEach((p, i) => {
    if (i === half) stage2.setSecure(false);
    stage2.push(p.bytes.slice(), p.atMs);
  });
  stage2.close();
  const tail = packets.slice(packets.length - 50).map((p) => p.bytes);
  const tailOut = out.slice(out.length - 50);
  const offsets = new Set(tail.map((b, k) => (parsed(tailOut[k]).sequence - parsed(b).sequence) & 0xffff));
  t.equal(offsets.size, 1, 'after secure mode: one constant sequence offset');
  t.ok(
    tail.every((b, k) => Buffer.compare(Buffer.from(b.subarray(4)), Buffer.from(tailOut[k].subarray(4))) === 0 && b[0] === tailOut[k][0] && b[1] === tailOut[k][1]),
    'every other byte identical',
  );
  t.same(checkStream(out).seqBreaks, [], 'and the sequence stays contiguous across the switch');
});
