// DTMF detector streaming contract: any chunking of the same audio gives deep-equal events;
// onDigitStart fires once per digit, before its onDigit, with the same startMs, while a long tone
// is still on; dtmfFlush reports a digit still in progress; detectors share no state.
import t from 'tap';
import { createDtmfDetector, detectDtmf, dtmfFlush, dtmfRx, type DtmfDigitEvent } from '../../native-free-dsp/dtmf-detector.js';
import { DTMF_DIGITS, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { generateDtmf, msToSamples } from '../../native-free-dsp/tone-generator.js';
import { describeEvents, digitsOf, layTones, onTheLine, TIME_TOLERANCE_MS, type Layout, type ToneSpec } from '../helpers/dtmf-cases.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { addWhiteNoise, pick, randomInt, SAMPLES_PER_MS, seedBanner, silence, streamRng, type Rng } from '../helpers/signals.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t);

type Logged =
  { readonly kind: 'start'; readonly digit: DtmfDigit; readonly startMs: number; readonly atSample: number } | { readonly kind: 'digit'; readonly event: DtmfDigitEvent; readonly atSample: number };

type Chunking = { readonly name: string; readonly next: () => number; readonly viaLength: boolean };

/**
 * Feeds `pcm` in chunks. With `viaLength`, each chunk is copied into a reused buffer whose tail
 * holds a loud '0' tone, and only `length` samples are passed: the detector must not read past it.
 */
function feed(pcm: Int16Array, chunking: Chunking): Logged[] {
  const log: Logged[] = [];
  let pushed = 0;
  const detector = createDtmfDetector({
    onDigitStart: (digit, startMs) => log.push({ kind: 'start', digit, startMs, atSample: pushed }),
    onDigit: (event) => log.push({ kind: 'digit', event, atSample: pushed }),
  });
  const garbage = generateDtmf({ digit: '0', durationMs: 500, lowDbm0: -3, highDbm0: -3 });
  const scratch = new Int16Array(4000);
  let offset = 0;
  while (offset < pcm.length) {
    const n = Math.min(Math.max(1, chunking.next()), pcm.length - offset);
    pushed = offset + n;
    if (chunking.viaLength) {
      scratch.set(garbage.subarray(0, scratch.length));
      scratch.set(pcm.subarray(offset, offset + n));
      dtmfRx(detector, scratch, n);
    } else {
      dtmfRx(detector, pcm.subarray(offset, offset + n));
    }
    offset += n;
  }
  dtmfFlush(detector);
  return log;
}

const eventsOf = (log: readonly Logged[]): DtmfDigitEvent[] => log.flatMap((entry) => (entry.kind === 'digit' ? [entry.event] : []));

/** Problems with the callback order: start, then its digit, alternating, same digit and startMs. */
function callbackOrderProblems(log: readonly Logged[]): string[] {
  const problems: string[] = [];
  let open: { digit: DtmfDigit; startMs: number } | undefined;
  for (const entry of log) {
    if (entry.kind === 'start') {
      if (open !== undefined) problems.push(`onDigitStart(${entry.digit}, ${entry.startMs}) while ${open.digit}@${open.startMs} has no onDigit yet`);
      open = { digit: entry.digit, startMs: entry.startMs };
    } else {
      const e = entry.event;
      if (open === undefined) problems.push(`onDigit ${e.digit}@${e.startMs} without onDigitStart before it`);
      else if (open.digit !== e.digit || open.startMs !== e.startMs) problems.push(`onDigitStart(${open.digit}, ${open.startMs}) then onDigit ${e.digit}@${e.startMs}`);
      open = undefined;
    }
  }
  if (open !== undefined) problems.push(`onDigitStart(${open.digit}, ${open.startMs}) never followed by onDigit, even after dtmfFlush`);
  return problems;
}

/**
 * About 40 s: all digits at varied durations, gaps, levels, twists and deviations, a 2 s press,
 * drop-outs, borderline tones (25-35 ms, +-2.5 %) whose outcome is the detector's choice but must
 * not depend on chunking, quiet background noise, and a last tone cut off by the end of stream.
 */
function streamingSignal(rng: Rng): { layout: Layout; sure: string } {
  const tones: ToneSpec[] = [];
  let sure = '';
  for (let round = 0; round < 6; round++) {
    for (const digit of DTMF_DIGITS) {
      const borderline = rng() < 0.15;
      tones.push({
        digit,
        durationMs: borderline ? randomInt(rng, 25, 35) : pick(rng, [40, 50, 80, 150, 300]),
        gapBeforeMs: pick(rng, [40, 60, 100, 250]),
        lowDbm0: pick(rng, [-5, -12, -20]),
        twistDb: pick(rng, [-3, 0, 4]),
        lowOffset: borderline ? pick(rng, [-0.025, 0.025]) : 0,
      });
      if (!borderline) sure += digit;
    }
  }
  tones.push({ digit: '7', durationMs: 2000, gapBeforeMs: 200 });
  tones.push({ digit: '#', durationMs: 300, gapBeforeMs: 200 });
  sure += '7#';
  const layout = layTones(rng, tones, { trailMs: 0 });
  // Drop-outs of 5-10 ms inside the 2 s press.
  const press = layout.truth[layout.truth.length - 2];
  for (const atMs of [300, 900, 1500]) silence(layout.mix, press.startSample + msToSamples(atMs), msToSamples(randomInt(rng, 5, 10)));
  addWhiteNoise(layout.mix, rng, -45);
  return { layout, sure };
}

t.test('any chunking gives the same events, and callbacks in order', async (t) => {
  const rng = streamRng('streaming/chunks');
  const { layout, sure } = streamingSignal(rng);
  t.comment(`signal: ${(layout.mix.length / 8000).toFixed(1)} s, ${layout.truth.length} tones, ${sure.length} of them clearly valid`);
  for (const codec of codecs) {
    const pcm = onTheLine(layout.mix, codec);
    const whole = feed(pcm, { name: 'whole', next: () => pcm.length, viaLength: false });
    const reference = eventsOf(whole);
    t.same(detectDtmf(pcm), reference, `[${codec}] detectDtmf equals one dtmfRx of the whole buffer + dtmfFlush`);
    // Every clearly valid tone must be there (the borderline ones may or may not be).
    const got = digitsOf(reference);
    let i = 0;
    for (const digit of got) if (i < sure.length && digit === sure[i]) i++;
    t.ok(i === sure.length, `[${codec}] whole-buffer events contain every clearly valid digit in order`, { wanted: sure, found: got });
    t.same(callbackOrderProblems(whole), [], `[${codec}] whole buffer: onDigitStart once per digit, before onDigit, same startMs`);

    const chunkRng = streamRng(`streaming/chunk-sizes/${codec}`);
    const chunkings: Chunking[] = [
      ...[1, 7, 80, 160, 1000].map((size): Chunking => ({ name: `chunks of ${size}`, next: () => size, viaLength: false })),
      { name: 'random chunks 1-500', next: () => randomInt(chunkRng, 1, 500), viaLength: false },
      { name: 'random chunks 1-2000 via length argument', next: () => randomInt(chunkRng, 1, 2000), viaLength: true },
      { name: 'chunks of 160 via length argument', next: () => 160, viaLength: true },
    ];
    for (const chunking of chunkings) {
      const log = feed(pcm, chunking);
      const events = eventsOf(log);
      t.same(events, reference, `[${codec}] ${chunking.name}: events deep-equal the whole-buffer events`, {
        diagnostic: true,
        gotDigits: digitsOf(events),
        wantedDigits: digitsOf(reference),
      });
      t.same(callbackOrderProblems(log), [], `[${codec}] ${chunking.name}: onDigitStart once per digit, before onDigit, same startMs`);
    }
  }
});

t.test('onDigitStart fires while a long tone is still on', async (t) => {
  // Clamping needs the start early: for tones of 100 ms and more, onDigitStart must come before
  // the tone ends (measured with 1-sample chunks). The latency itself is reported.
  const rng = streamRng('streaming/latency');
  for (const codec of codecs) {
    const tones = DTMF_DIGITS.map((digit): ToneSpec => ({ digit, durationMs: pick(rng, [100, 150, 300]), gapBeforeMs: 100 }));
    const layout = layTones(rng, tones);
    const log = feed(onTheLine(layout.mix, codec), { name: 'chunks of 1', next: () => 1, viaLength: false });
    const starts = log.filter((entry) => entry.kind === 'start');
    if (!t.equal(starts.length, tones.length, `[${codec}] one onDigitStart per tone`, { found: describeEvents(eventsOf(log)) })) continue;
    const latencies: number[] = [];
    const late: string[] = [];
    starts.forEach((entry, i) => {
      const truth = layout.truth[i];
      latencies.push((entry.atSample - truth.startSample) / SAMPLES_PER_MS);
      if (entry.atSample > truth.endSample)
        late.push(`${truth.digit} (${truth.endMs - truth.startMs} ms tone): onDigitStart ${((entry.atSample - truth.endSample) / SAMPLES_PER_MS).toFixed(1)} ms after the tone ended`);
    });
    t.same(late, [], `[${codec}] onDigitStart before the end of every tone of 100 ms or more`);
    t.comment(`[${codec}] onDigitStart latency after tone start: min ${Math.min(...latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
  }
});

t.test('dtmfFlush reports a digit still in progress', async (t) => {
  const rng = streamRng('streaming/flush');
  for (const codec of codecs) {
    const layout = layTones(rng, [{ digit: '9', durationMs: 300 }], { trailMs: 0 });
    const pcm = onTheLine(layout.mix, codec);
    const log: Logged[] = [];
    const detector = createDtmfDetector({
      onDigitStart: (digit, startMs) => log.push({ kind: 'start', digit, startMs, atSample: pcm.length }),
      onDigit: (event) => log.push({ kind: 'digit', event, atSample: pcm.length }),
    });
    dtmfRx(detector, pcm);
    t.same(
      log.map((entry) => entry.kind),
      ['start'],
      `[${codec}] tone still on at the end of the pushed audio: started, not ended`,
    );
    dtmfFlush(detector);
    const events = eventsOf(log);
    t.equal(digitsOf(events), '9', `[${codec}] dtmfFlush reports the digit`);
    if (events.length === 1) {
      const endMs = pcm.length / SAMPLES_PER_MS;
      t.ok(Math.abs(events[0].endMs - endMs) <= TIME_TOLERANCE_MS, `[${codec}] its endMs is the end of the stream (${endMs} ms)`, { found: events[0].endMs });
    }
  }
});

t.test('two detectors fed interleaved share no state', async (t) => {
  const rng = streamRng('streaming/independent');
  const a = onTheLine(
    layTones(
      rng,
      [...'1234567890'].map((digit): ToneSpec => ({ digit: digit as DtmfDigit, durationMs: 80, gapBeforeMs: 60 })),
    ).mix,
    'linear',
  );
  const b = onTheLine(
    layTones(
      rng,
      [...'*#ABCD'].map((digit): ToneSpec => ({ digit: digit as DtmfDigit, durationMs: 120, gapBeforeMs: 90 })),
    ).mix,
    'linear',
  );
  const gotA: DtmfDigitEvent[] = [];
  const gotB: DtmfDigitEvent[] = [];
  const detA = createDtmfDetector({ onDigit: (e) => gotA.push(e) });
  const detB = createDtmfDetector({ onDigit: (e) => gotB.push(e) });
  for (let offset = 0; offset < Math.max(a.length, b.length); offset += 80) {
    if (offset < a.length) dtmfRx(detA, a.subarray(offset, Math.min(a.length, offset + 80)));
    if (offset < b.length) dtmfRx(detB, b.subarray(offset, Math.min(b.length, offset + 80)));
  }
  dtmfFlush(detA);
  dtmfFlush(detB);
  t.same(gotA, detectDtmf(a), 'detector A alone and interleaved agree');
  t.same(gotB, detectDtmf(b), 'detector B alone and interleaved agree');
  t.equal(digitsOf(gotA), '1234567890');
  t.equal(digitsOf(gotB), '*#ABCD');
});
