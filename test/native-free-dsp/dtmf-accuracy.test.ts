// DTMF detector measurements: start and end within 5 ms of truth, each tone's level within 1 dB
// of the generated level, twist within 1 dB. Over the accepted ranges of level, twist, duration
// and frequency deviation; random phases and block alignment; linear PCM, mu-law and A-law.
import t from 'tap';
import { DTMF_DIGITS } from '../../native-free-dsp/dtmf-tones.js';
import { layTones, type ToneSpec } from '../helpers/dtmf-cases.js';
import { draws, prepareCodecs, runDetectionCases, type DetectionCase } from '../helpers/run-cases.js';
import { pick, seedBanner, streamRng } from '../helpers/signals.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t);

/** Random draws (phases, block alignment) per condition. */
const DRAWS = 4;

t.test('levels and twist across the accepted range, 100 ms tones', async (t) => {
  // Stronger tone from 0 to -25 dBm0, twist from 4 dB reverse to 8 dB normal, weaker tone never
  // below -25 dBm0. Pairs whose peak exceeds G.711 full scale (e.g. 0 dBm0 on both tones) are
  // clipped: digit and timing are still checked, levels are not (truth.clipped).
  const rng = streamRng('accuracy/levels');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const strong of [0, -3, -10, -17, -25]) {
      for (const twist of [-4, -2, 0, 2, 4, 6, 8]) {
        const weak = strong - Math.abs(twist);
        if (weak < -25) continue;
        const tone: ToneSpec = twist >= 0 ? { digit, durationMs: 100, lowDbm0: strong, highDbm0: weak } : { digit, durationMs: 100, lowDbm0: weak, highDbm0: strong };
        cases.push(...draws(DRAWS, `${digit} low ${tone.lowDbm0} / high ${tone.highDbm0} dBm0`, () => ({ layout: layTones(rng, [tone]), expected: digit, measure: 'all' })));
      }
    }
  }
  const clipped = cases.filter((c) => c.layout.truth[0].clipped).length;
  t.comment(`${clipped} of ${cases.length} pairs clip at G.711 full scale: levels not checked for those`);
  runDetectionCases(t, 'level/twist measurement', cases, codecs);
});

t.test('start and end times across durations 40 ms .. 2 s', async (t) => {
  const rng = streamRng('accuracy/durations');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const durationMs of [40, 45, 50, 63, 80, 117, 250, 777, 2000]) {
      for (const level of [-5, -15, -25]) {
        cases.push(...draws(DRAWS, `${digit} ${durationMs} ms at ${level} dBm0`, () => ({ layout: layTones(rng, [{ digit, durationMs, lowDbm0: level }]), expected: digit, measure: 'all' })));
      }
    }
  }
  runDetectionCases(t, 'duration measurement', cases, codecs);
});

t.test('measurements hold at +-1.5 % frequency deviation', async (t) => {
  const rng = streamRng('accuracy/offsets');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const lowOffset of [-0.015, 0, 0.015]) {
      for (const highOffset of [-0.015, 0, 0.015]) {
        if (lowOffset === 0 && highOffset === 0) continue;
        const tone: ToneSpec = { digit, durationMs: 100, lowDbm0: -10, highDbm0: -12, lowOffset, highOffset };
        cases.push(...draws(DRAWS, `${digit} low ${lowOffset * 100}% high ${highOffset * 100}%, -10/-12 dBm0`, () => ({ layout: layTones(rng, [tone]), expected: digit, measure: 'all' })));
      }
    }
  }
  runDetectionCases(t, 'offset measurement', cases, codecs);
});

t.test('each digit of a sequence is measured on its own', async (t) => {
  // Levels and twist change from digit to digit; each event must carry its own tone's values.
  const rng = streamRng('accuracy/sequence');
  const cases: DetectionCase[] = [];
  for (let draw = 0; draw < 6; draw++) {
    const tones = DTMF_DIGITS.map((digit): ToneSpec => ({
      digit,
      durationMs: pick(rng, [50, 70, 100, 150]),
      gapBeforeMs: pick(rng, [50, 80, 120]),
      lowDbm0: pick(rng, [-6, -12, -18]),
      twistDb: pick(rng, [-3, 0, 3, 6]),
    }));
    cases.push({ name: `sequence draw ${draw}`, layout: layTones(rng, tones), expected: DTMF_DIGITS.join(''), measure: 'all' });
  }
  runDetectionCases(t, 'sequence measurement', cases, codecs);
});
