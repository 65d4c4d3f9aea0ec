// Leak tests of the joined clamp stage, end to end through RTP: generated G.711
// streams (Q.24 corners, fast 40/40 ms dialling, -25 dBm0, 8 dB twist, 15 dB SNR, digits under
// speech, a gateway leaking 10-40 ms of in-band tone before its RFC 4733 events and a tail after)
// go through createClampStage in secure mode, in every mode; what the agent receives is
// decoded and checked:
// - multimon-ng recovers no digit (digit mode: only the fixed replacement digit);
// - dtmf2num finds no more than on the same audio without digits;
// - residual at the eight DTMF frequencies under -45 dBm0 except at most 5 ms per digit;
// - no telephone-event packet, sequence numbers contiguous, one SSRC, timestamps continuous;
// - every digit reaches the listener once, from its source.
import t, { type Test } from 'tap';
import { DEFAULT_INBAND_CLAMP_OPTIONS, type ClampMode } from '../../src/media/clamp/inband-clamp.js';
import { mixDtmf, toInt16 } from '../../native-free-dsp/tone-generator.js';
import { DTMF_DIGITS, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { loadCorpus, REQUIRE_DTMF2NUM, REQUIRE_MULTIMON, REQUIRE_SOX, REQUIRE_SPEECH, requireTools, SPEECH_DIR } from '../helpers/audio-files.js';
import { audioStream, runAgent, type AgentRun } from '../helpers/agent-stage.js';
import { residualReport } from '../helpers/clamp-leak.js';
import { onTheLine } from '../helpers/dtmf-cases.js';
import { generatedSets, type LeakCase, type LeakSet, type Span } from '../helpers/leak-sets.js';
import { runDtmf2num, runMultimon, runMultimonJoined } from '../helpers/reference-decoders.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { FRAME, buildStream, type Segment } from '../helpers/rtp-streams.js';
import { addWhiteNoise, pick, randomInt, seedBanner, streamRng } from '../helpers/signals.js';
import { buildTalkDown } from '../helpers/talk-down.js';

t.comment(seedBanner());
await prepareCodecs(t);
const toolsPresent = requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON, REQUIRE_DTMF2NUM);
const speechPresent = requireTools(t, REQUIRE_SPEECH);

const MODES: readonly ClampMode[] = ['silence', 'noise', 'tone', 'digit'];
const FIXED = DEFAULT_INBAND_CLAMP_OPTIONS.replacementDigit;

/** Figures per mode for docs/measurements.md, printed at the end. */
const figures = new Map<ClampMode, { worstLeakMs: number; maxBeyondDbm0: number; maxDbm0: number }>();

function record(mode: ClampMode, worstLeakMs: number, maxBeyondDbm0: number, maxDbm0: number): void {
  const f = figures.get(mode) ?? { worstLeakMs: 0, maxBeyondDbm0: -Infinity, maxDbm0: -Infinity };
  figures.set(mode, { worstLeakMs: Math.max(f.worstLeakMs, worstLeakMs), maxBeyondDbm0: Math.max(f.maxBeyondDbm0, maxBeyondDbm0), maxDbm0: Math.max(f.maxDbm0, maxDbm0) });
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function checkRun(t: Test, name: string, run: AgentRun): void {
  const c = run.check;
  t.ok(
    c.eventPackets === 0 && c.seqBreaks.length === 0 && c.tsBreaks.length === 0 && c.ssrcs.size === 1,
    `${name}: stream valid (events out ${c.eventPackets}, seq breaks ${c.seqBreaks.length}, ts breaks ${c.tsBreaks.length}, SSRCs ${c.ssrcs.size})`,
  );
}

function checkRecovered(t: Test, name: string, mode: ClampMode, found: readonly string[]): void {
  if (mode === 'digit')
    t.ok(
      found.every((d) => d === FIXED),
      `${name}: multimon-ng recovers only ${FIXED}`,
      { found: found.join('') },
    );
  else t.equal(found.length, 0, `${name}: multimon-ng recovers no digit`, { found: found.join('') });
}

/** One set through the stage in every mode, with every leak check. */
function checkSet(t: Test, set: LeakSet, opts: { baseline?: number; gateway?: readonly { bytes: Uint8Array; atMs: number }[][] } = {}): void {
  for (const mode of MODES) {
    const runs = set.cases.map((c, i) => runAgent(opts.gateway?.[i] ?? audioStream(c.pcm), { mode }));
    runs.forEach((r, i) => checkRun(t, `[${set.name}] [${mode}] case ${i}`, r));
    const outputs = runs.map((r, i) => r.aligned.subarray(0, set.cases[i].pcm.length - r.lookahead));
    checkRecovered(
      t,
      `[${set.name}] [${mode}]`,
      mode,
      runMultimonJoined(outputs).map((d) => d.digit),
    );
    if (mode === 'digit') continue;
    if (opts.baseline !== undefined) {
      const count = runDtmf2num(concat(outputs)).length;
      t.ok(count <= opts.baseline, `[${set.name}] [${mode}] dtmf2num: ${count} on what the agent hears, ${opts.baseline} on the audio without digits`);
    }
    let worstLeak = 0,
      stray = 0,
      maxBeyond = -Infinity,
      max = -Infinity,
      quiet = 0;
    set.cases.forEach((c, i) => {
      if (!c.quietBackground) return;
      quiet++;
      const report = residualReport(outputs[i], c.spans);
      worstLeak = Math.max(worstLeak, ...report.leakMsPerDigit);
      stray += report.strayMs;
      maxBeyond = Math.max(maxBeyond, report.maxBeyondAllowanceDbm0);
      max = Math.max(max, report.maxDbm0);
    });
    if (quiet === 0) continue;
    record(mode, worstLeak, maxBeyond, max);
    t.ok(
      worstLeak <= 5 && stray === 0 && maxBeyond < -45,
      `[${set.name}] [${mode}] residual: at most ${worstLeak} ms per digit above -45 dBm0 (limit 5), ${stray} ms elsewhere, ` +
        `strongest beyond each digit's allowance ${maxBeyond.toFixed(1)} dBm0, strongest at all ${max.toFixed(1)} dBm0`,
    );
  }
}

t.test('generated streams (Q.24 corners, fast dialling, 15 dB SNR) through the stage, every mode', async (t) => {
  if (!toolsPresent) return;
  for (const set of generatedSets()) {
    const baseline = runDtmf2num(concat(set.cases.map((c) => c.withoutDigits ?? new Int16Array(0)))).length;
    // Every digit reaches the listener as in-band, in order (the detector's own acceptance: Q.24
    // corners shorter than 40 ms or off by 1.5 % may be rejected, so only a subsequence is asked).
    const run = runAgent(audioStream(set.cases[0].pcm), { mode: 'silence' });
    t.ok(
      run.digits.every((d) => d.source === 'inband'),
      `[${set.name}] digits reported as in-band (${run.digits.length} of ${set.cases[0].spans.length})`,
    );
    checkSet(t, set, { baseline });
  }
});

t.test('gateway leaking in-band tone around its RFC 4733 events (10-40 ms before, a tail after)', async (t) => {
  if (!toolsPresent) return;
  const rng = streamRng('agent-clamp/gateway');
  const segments: Segment[] = [{ kind: 'audio', frames: 10 }];
  const spans: Span[] = [];
  const keys: DtmfDigit[] = [];
  const mix = new Float64Array(8000 * 20);
  let at = 10 * FRAME;
  for (let i = 0; i < 32; i++) {
    const digit = DTMF_DIGITS[i % 16];
    const samples = pick(rng, [5, 8, 10, 12]) * FRAME;
    const before = randomInt(rng, 10, 40) * 8;
    const after = randomInt(rng, 10, 40) * 8;
    const level = pick(rng, [-25, -10, -3]);
    mixDtmf(mix, at - before, { digit, durationMs: (before + samples + after) / 8, lowDbm0: level, highDbm0: level - pick(rng, [0, 4]) });
    segments.push({ kind: 'digit', digit, samples }, { kind: 'audio', frames: 10 });
    spans.push({ startSample: at - before, endSample: at + samples + after });
    keys.push(digit);
    at += samples + 10 * FRAME;
  }
  const withoutDigits = new Float64Array(at);
  addWhiteNoise(mix, streamRng('agent-clamp/gateway-noise'), -65);
  addWhiteNoise(withoutDigits, streamRng('agent-clamp/gateway-noise'), -65);
  const pcm = toInt16(mix.subarray(0, at));
  const stream = buildStream({ pcm, segments });
  // Control: the leaked tone alone (the audio packets) is recoverable by multimon-ng.
  const audioOnly = new Int16Array(pcm);
  let offset = 0;
  for (const s of segments) {
    if (s.kind === 'digit') audioOnly.fill(0, offset, offset + s.samples);
    offset += s.kind === 'digit' ? s.samples : s.frames * FRAME;
  }
  t.ok(runMultimon(audioOnly).length >= 8, `control: multimon-ng finds ${runMultimon(audioOnly).length} digits in the leaked tone alone`);
  const run = runAgent(stream, { mode: 'silence' });
  t.equal(run.digits.map((d) => d.digit).join(''), keys.join(''), 'each key reported once, in order');
  t.ok(
    run.digits.every((d) => d.source === 'rfc4733'),
    'from its RFC 4733 events (the leaked tone is not a second digit)',
  );
  const set: LeakSet = { name: 'gateway leak', cases: [{ pcm, spans, withoutDigits: toInt16(withoutDigits), quietBackground: true }] };
  checkSet(t, set, { baseline: runDtmf2num(toInt16(withoutDigits)).length, gateway: [stream] });
});

t.test('digits under speech (talk-down) through the stage', async (t) => {
  if (!toolsPresent || !speechPresent) return;
  const corpus = loadCorpus(SPEECH_DIR);
  const speech = new Map(corpus.map((f) => [f.path, f.pcm]));
  const talk = buildTalkDown(streamRng('agent-clamp/talk-down'), corpus, { speechToToneDb: -6, digits: 40, minDurationMs: 40, maxDurationMs: 100, perFile: 2, minToneDbm0: -25, maxToneDbm0: -3 });
  const cases = talk.items.map((item): LeakCase => ({ pcm: onTheLine(item.mix, 'ulaw'), spans: item.truth, withoutDigits: speech.get(item.path), quietBackground: false }));
  const baseline = runDtmf2num(concat(cases.map((c) => c.withoutDigits ?? new Int16Array(0)))).length;
  checkSet(t, { name: 'talk-down', cases }, { baseline });
});

t.teardown(() => {
  const rows = [...figures].map(
    ([mode, f]) => `${mode}: worst ${f.worstLeakMs} ms per digit above -45 dBm0, strongest beyond allowance ${f.maxBeyondDbm0.toFixed(1)} dBm0, strongest at all ${f.maxDbm0.toFixed(1)} dBm0`,
  );
  if (rows.length > 0) console.log(`# agent stage residual figures (quiet sets):\n# ${rows.join('\n# ')}`);
});
