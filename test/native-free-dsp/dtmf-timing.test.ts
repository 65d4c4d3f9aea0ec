// DTMF detector timing rules: minimum duration (accept 40 ms, reject 20 ms), one digit per press
// however long, a 40 ms pause separates digits, a drop-out of 10 ms or less does not.
// Random phases and block alignment; linear PCM, mu-law and A-law.
import t from 'tap';
import { DTMF_DIGITS } from '../../native-free-dsp/dtmf-tones.js';
import { msToSamples } from '../../native-free-dsp/tone-generator.js';
import { layTones, type ToneSpec } from '../helpers/dtmf-cases.js';
import { draws, prepareCodecs, runDetectionCases, type DetectionCase } from '../helpers/run-cases.js';
import { randomInt, seedBanner, shuffle, silence, streamRng } from '../helpers/signals.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t);

/** Random draws (phases, block alignment) per condition; edges are where alignment matters. */
const DRAWS = 12;

t.test('tones of 40 ms or longer are detected (40, 45, 50 ms)', async (t) => {
  const rng = streamRng('timing/short-accept');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const durationMs of [40, 45, 50]) {
      for (const level of [-10, -20]) {
        cases.push(...draws(DRAWS, `${digit} ${durationMs} ms at ${level} dBm0`, () => ({ layout: layTones(rng, [{ digit, durationMs, lowDbm0: level }]), expected: digit })));
      }
    }
  }
  runDetectionCases(t, 'duration >= 40 ms accepted', cases, codecs);
});

t.test('tones of 20 ms or shorter are rejected (20, 15, 10 ms)', async (t) => {
  const rng = streamRng('timing/short-reject');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const durationMs of [20, 15, 10]) {
      for (const level of [-3, -10]) {
        cases.push(...draws(DRAWS, `${digit} ${durationMs} ms at ${level} dBm0`, () => ({ layout: layTones(rng, [{ digit, durationMs, lowDbm0: level }]), expected: '' })));
      }
    }
  }
  runDetectionCases(t, 'duration <= 20 ms rejected', cases, codecs);
});

t.test('a 2 s press is exactly one digit, with its true start and end', async (t) => {
  const rng = streamRng('timing/long-press');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    cases.push({ name: `${digit} 2 s at -10 dBm0`, layout: layTones(rng, [{ digit, durationMs: 2000 }]), expected: digit, measure: 'all' });
  }
  // The same press at the edges of the accepted ranges must not flicker into several digits.
  const corners: { name: string; tone: Omit<ToneSpec, 'digit' | 'durationMs'> }[] = [
    { name: '-25 dBm0', tone: { lowDbm0: -25 } },
    { name: 'both tones +1.5 %', tone: { lowOffset: 0.015, highOffset: 0.015 } },
    { name: 'both tones -1.5 %', tone: { lowOffset: -0.015, highOffset: -0.015 } },
    { name: 'normal twist 8 dB', tone: { lowDbm0: -8, highDbm0: -16 } },
    { name: 'reverse twist 4 dB', tone: { lowDbm0: -14, highDbm0: -10 } },
  ];
  for (const corner of corners) {
    for (const digit of ['1', '5', '9', 'D'] as const) {
      cases.push({ name: `${digit} 2 s, ${corner.name}`, layout: layTones(rng, [{ digit, durationMs: 2000, ...corner.tone }]), expected: digit, measure: 'timing' });
    }
  }
  runDetectionCases(t, '2 s press', cases, codecs);
});

t.test('a pause of 40 ms separates repeated digits', async (t) => {
  const rng = streamRng('timing/pause');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const gapMs of [40, 45, 60]) {
      const tones: ToneSpec[] = [
        { digit, durationMs: 100 },
        { digit, durationMs: 100, gapBeforeMs: gapMs },
      ];
      cases.push(...draws(DRAWS, `"${digit} ${digit}" 100 ms tones, ${gapMs} ms gap`, () => ({ layout: layTones(rng, tones), expected: digit + digit, measure: 'timing' })));
    }
  }
  runDetectionCases(t, '40 ms pause', cases, codecs);
});

t.test('fast dialling: 40 ms on / 40 ms off', async (t) => {
  const rng = streamRng('timing/fast-dialling');
  const sequences = [DTMF_DIGITS.join(''), '0123456789*#ABCD', '5555555555', '##**00DD11', ...Array.from({ length: 24 }, () => shuffle(rng, DTMF_DIGITS).join(''))];
  const cases: DetectionCase[] = sequences.map((digits) => {
    const tones = [...digits].map((digit, i): ToneSpec => ({ digit: digit as ToneSpec['digit'], durationMs: 40, gapBeforeMs: i === 0 ? 0 : 40 }));
    return { name: `"${digits}" 40/40 ms`, layout: layTones(rng, tones), expected: digits, measure: 'timing' };
  });
  runDetectionCases(t, 'fast dialling 40/40 ms', cases, codecs);
});

t.test('a drop-out of 5 or 10 ms of silence inside a 100-200 ms tone does not split it', async (t) => {
  const rng = streamRng('timing/dropout');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const gapMs of [5, 10]) {
      // Where the drop-out starts, as a fraction of the room between 20 ms after the tone's start
      // and 20 ms before its end; 'random' draws the position too. Tone length 100-200 ms.
      for (const where of [0, 0.25, 0.5, 0.75, 1, 'random'] as const) {
        cases.push(
          ...draws(4, `${digit} with a ${gapMs} ms drop-out at ${where === 'random' ? 'a random position' : `${where * 100}% of the tone`}`, () => {
            const durationMs = randomInt(rng, 100, 200);
            const layout = layTones(rng, [{ digit, durationMs }]);
            const tone = layout.truth[0];
            const atMs = 20 + Math.round((where === 'random' ? rng() : where) * (durationMs - 40 - gapMs));
            silence(layout.mix, tone.startSample + msToSamples(atMs), msToSamples(gapMs));
            return { layout, expected: digit, measure: 'timing', detail: `${durationMs} ms tone, drop-out at +${atMs} ms` };
          }),
        );
      }
    }
  }
  runDetectionCases(t, 'drop-out <= 10 ms bridged', cases, codecs);
});
