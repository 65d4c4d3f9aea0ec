// Leak tests of the in-band clamp: on generated ITU-T Q.24 cases, fast dialling
// (40 ms on / 40 ms off), weak tones (-25 dBm0), 8 dB twist, 15 dB SNR, digits under speech and
// the recorded RTP fixtures, in every mode:
// - multimon-ng recovers no digit from the clamped output (digit mode: only the fixed digit);
// - dtmf2num finds no more on it than on the same audio without digits;
// - no sample of any tone passes unmuted, and the residual at the eight DTMF frequencies
//   (Goertzel, 5 ms windows) stays under -45 dBm0 except at most 5 ms per digit;
// - speech and music with no digits come out bit-identical in at least 99.9 % of 20 ms frames,
//   and speech around digits is intact outside the clamped spans.
// Also the lookahead sweep behind the default (docs/measurements.md, "In-band clamp").
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { clampPcm, DEFAULT_INBAND_CLAMP_OPTIONS, type ClampMode } from '../../src/media/clamp/inband-clamp.js';
import { replayCapture } from '../../src/replay/replay.js';
import { loadCorpus, MUSIC_DIR, REQUIRE_DTMF2NUM, REQUIRE_MULTIMON, REQUIRE_MUSIC, REQUIRE_SOX, REQUIRE_SPEECH, requireTools, SPEECH_DIR } from '../helpers/audio-files.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { identicalFrameShare, residualReport } from '../helpers/clamp-leak.js';
import { onTheLine } from '../helpers/dtmf-cases.js';
import { generatedSets, type LeakCase, type LeakSet, type Span } from '../helpers/leak-sets.js';
import { runDtmf2num, runMultimonJoined } from '../helpers/reference-decoders.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { SAMPLES_PER_MS, seedBanner, streamRng } from '../helpers/signals.js';
import { buildTalkDown } from '../helpers/talk-down.js';

t.comment(seedBanner());
await prepareCodecs(t);
const toolsPresent = requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON, REQUIRE_DTMF2NUM);
const corpusPresent = requireTools(t, REQUIRE_SPEECH, REQUIRE_MUSIC);

const MODES: readonly ClampMode[] = ['silence', 'noise', 'tone', 'digit'];
const FIXED = DEFAULT_INBAND_CLAMP_OPTIONS.replacementDigit;

/** Per digit, ms of its span not fully replaced (replacement weight under 1: some tone reaches the output). */
function unmutedToneMs(weights: Float32Array, spans: readonly Span[]): number[] {
  return spans.map((span) => {
    let count = 0;
    for (let n = span.startSample; n < span.endSample; n++) if (weights[n] < 1) count++;
    return count / SAMPLES_PER_MS;
  });
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

function checkSet(t: Test, set: LeakSet): void {
  const digits = set.cases.reduce((sum, c) => sum + c.spans.length, 0);
  const inputFound = runMultimonJoined(set.cases.map((c) => c.pcm)).length;
  t.comment(`${set.name}: ${digits} digits; multimon-ng finds ${inputFound} in the input`);
  // dtmf2num baseline once per set: all cases without digits, concatenated.
  const baselineParts = set.cases.flatMap((c) => (c.withoutDigits === undefined ? [] : [c.withoutDigits]));
  const baseline = baselineParts.length === set.cases.length ? runDtmf2num(concat(baselineParts)).length : undefined;
  for (const mode of MODES) {
    const results = set.cases.map((c) => clampPcm(c.pcm, { mode }));
    const outputs = results.map((r) => r.output);
    const found = runMultimonJoined(outputs).map((d) => d.digit);
    if (mode === 'digit')
      t.ok(
        found.every((d) => d === FIXED),
        `[${set.name}] [digit] multimon-ng recovers only ${FIXED}`,
        { found: found.join('') },
      );
    else t.equal(found.length, 0, `[${set.name}] [${mode}] multimon-ng recovers no digit`, { found: found.join('') });
    const unmuted = set.cases.flatMap((c, i) => unmutedToneMs(results[i].weights, c.spans));
    t.equal(Math.max(...unmuted), 0, `[${set.name}] [${mode}] no tone sample passes unmuted (worst ${Math.max(...unmuted)} ms)`);
    if (mode === 'digit') continue;
    if (baseline !== undefined) {
      const count = runDtmf2num(concat(outputs)).length;
      t.ok(count <= baseline, `[${set.name}] [${mode}] dtmf2num: ${count} on the clamped output, ${baseline} on the audio without digits`);
    }
    const quiet = set.cases.filter((c) => c.quietBackground);
    if (quiet.length === 0) continue;
    let worstLeak = 0,
      stray = 0,
      maxBeyond = -Infinity,
      max = -Infinity;
    set.cases.forEach((c, i) => {
      if (!c.quietBackground) return;
      const report = residualReport(outputs[i], c.spans);
      worstLeak = Math.max(worstLeak, ...report.leakMsPerDigit);
      stray += report.strayMs;
      maxBeyond = Math.max(maxBeyond, report.maxBeyondAllowanceDbm0);
      max = Math.max(max, report.maxDbm0);
    });
    t.ok(
      worstLeak <= 5 && stray === 0 && maxBeyond < -45,
      `[${set.name}] [${mode}] residual at the DTMF frequencies: at most ${worstLeak} ms per digit above -45 dBm0 (limit 5), ${stray} ms elsewhere, ` +
        `strongest beyond each digit's allowance ${maxBeyond.toFixed(1)} dBm0, strongest at all ${max.toFixed(1)} dBm0`,
    );
  }
}

t.test('generated cases: nothing recoverable, nothing unmuted, residual under -45 dBm0', async (t) => {
  if (!toolsPresent) return;
  for (const set of generatedSets()) checkSet(t, set);
});

t.test('digits under speech (talk-down): nothing recoverable, speech outside the spans intact', async (t) => {
  if (!toolsPresent || !corpusPresent) return;
  const corpus = loadCorpus(SPEECH_DIR);
  const speech = new Map(corpus.map((f) => [f.path, f.pcm]));
  const talk = buildTalkDown(streamRng('clamp-leak/talk-down'), corpus, { speechToToneDb: -6, digits: 60, minDurationMs: 40, maxDurationMs: 100, perFile: 2, minToneDbm0: -25, maxToneDbm0: -3 });
  const cases = talk.items.map((item): LeakCase => ({ pcm: onTheLine(item.mix, 'linear'), spans: item.truth, withoutDigits: speech.get(item.path), quietBackground: false }));
  checkSet(t, { name: 'talk-down', cases });
  // Frames more than 100 ms from every digit: bit-identical in every mode.
  const away = 100 * SAMPLES_PER_MS;
  for (const mode of MODES) {
    let frames = 0,
      identical = 0;
    for (const c of cases) {
      const { output } = clampPcm(c.pcm, { mode });
      for (let f = 0; f + 160 <= c.pcm.length; f += 160) {
        if (c.spans.some((s) => f + 160 > s.startSample - away && f < s.endSample + away)) continue;
        frames++;
        let same = true;
        for (let n = f; n < f + 160; n++)
          if (output[n] !== c.pcm[n]) {
            same = false;
            break;
          }
        if (same) identical++;
      }
    }
    t.ok(identical >= 0.999 * frames, `[talk-down] [${mode}] speech away from the digits intact: ${identical} of ${frames} frames bit-identical`);
  }
});

t.test('recorded fixtures (fixtures/rtp, decoded by replay): nothing recoverable, residual under -45 dBm0', async (t) => {
  if (!toolsPresent) return;
  const dir = join(PROJECT_ROOT, 'fixtures', 'rtp');
  const cases: LeakCase[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.pcapn?g?$/.test(f))
    .sort()) {
    const result = await replayCapture(readFileSync(join(dir, file)), file, { keepAudio: true });
    for (const stream of result.streams) {
      if (stream.audio === undefined) continue;
      // The in-band digits' spans, from the detector run by replay on the same audio.
      const spans = clampPcm(stream.audio).digits.map((d) => ({ startSample: Math.round(d.startMs * SAMPLES_PER_MS), endSample: Math.round(d.endMs * SAMPLES_PER_MS) }));
      cases.push({ pcm: stream.audio, spans, quietBackground: true });
    }
  }
  t.ok(cases.reduce((sum, c) => sum + c.spans.length, 0) > 20, 'the fixtures hold in-band digits');
  checkSet(t, { name: 'fixtures/rtp', cases });
});

t.test('speech and music without digits: at least 99.9 % of 20 ms frames bit-identical', async (t) => {
  if (!corpusPresent) return;
  for (const [name, dir] of [
    ['speech', SPEECH_DIR],
    ['music', MUSIC_DIR],
  ] as const) {
    const corpus = loadCorpus(dir);
    let frames = 0,
      identical = 0,
      muted = 0;
    for (const file of corpus) {
      const { output, mutedSamples } = clampPcm(file.pcm);
      const share = identicalFrameShare(output, file.pcm);
      frames += share.frames;
      identical += share.identical;
      muted += mutedSamples;
    }
    t.ok(
      identical >= 0.999 * frames,
      `${name} (${corpus.length} files, ${(frames / 3000).toFixed(1)} min): ${identical} of ${frames} frames identical (${((100 * identical) / frames).toFixed(3)} %), ${(muted / SAMPLES_PER_MS).toFixed(0)} ms muted`,
    );
  }
});

t.test('lookahead sweep: the default is the first leak-free value with the whole pre-pad', async (t) => {
  if (!toolsPresent) return;
  const sets = generatedSets();
  const rows: string[] = [];
  const worstAt = new Map<number, number>();
  for (const lookaheadMs of [12, 16, 17, 18, 20, DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs]) {
    let worst = 0,
      found = 0;
    for (const set of sets) {
      const outputs: Int16Array[] = [];
      for (const c of set.cases) {
        const { output, weights } = clampPcm(c.pcm, { lookaheadMs });
        worst = Math.max(worst, ...unmutedToneMs(weights, c.spans));
        outputs.push(output);
      }
      found += runMultimonJoined(outputs).length;
    }
    worstAt.set(lookaheadMs, worst);
    rows.push(`L=${lookaheadMs} ms: worst ${worst.toFixed(2)} ms of tone unmuted per digit, multimon-ng ${found}`);
  }
  t.comment(rows.join('\n'));
  t.equal(worstAt.get(DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs), 0, `the default ${DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs} ms leaks nothing`);
  t.ok((worstAt.get(12) ?? 0) > 0, 'a lookahead shorter than the candidate latency does let tone through (the measure can fail)');
  t.ok(DEFAULT_INBAND_CLAMP_OPTIONS.lookaheadMs >= 17.3 + DEFAULT_INBAND_CLAMP_OPTIONS.prePadMs, 'default >= worst candidate latency (17.3 ms) + pre-pad');
});
