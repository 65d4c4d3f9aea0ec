// DTMF detector in white Gaussian noise: at 15 dB SNR (noise power 15 dB below the DTMF pair's
// total power, noise over the whole 0-4 kHz band and over the gaps) every digit is found and
// correct; noise alone gives no digit. Linear PCM, mu-law and A-law.
import t from 'tap';
import { DTMF_DIGITS } from '../../native-free-dsp/dtmf-tones.js';
import { layTones, type ToneSpec } from '../helpers/dtmf-cases.js';
import { prepareCodecs, runDetectionCases, type DetectionCase } from '../helpers/run-cases.js';
import { addWhiteNoise, powerSumDbm0, randomInt, seedBanner, shuffle, streamRng } from '../helpers/signals.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t);

const SNR_DB = 15;

t.test(`every digit found in white noise at ${SNR_DB} dB SNR`, async (t) => {
  const rng = streamRng('noise/snr15');
  const cases: DetectionCase[] = [];
  for (const toneDbm0 of [-5, -10, -20, -25]) {
    for (let draw = 0; draw < 3; draw++) {
      // All 16 digits in random order, 40-100 ms on, 40-100 ms off, equal levels per tone.
      const order = shuffle(rng, DTMF_DIGITS);
      const tones = order.map((digit): ToneSpec => ({
        digit,
        durationMs: randomInt(rng, 40, 100),
        gapBeforeMs: randomInt(rng, 40, 100),
        lowDbm0: toneDbm0,
        highDbm0: toneDbm0,
      }));
      const layout = layTones(rng, tones);
      const noiseDbm0 = powerSumDbm0(toneDbm0, toneDbm0) - SNR_DB;
      addWhiteNoise(layout.mix, rng, noiseDbm0);
      cases.push({ name: `"${order.join('')}" at ${toneDbm0} dBm0 per tone, noise ${noiseDbm0.toFixed(1)} dBm0 (draw ${draw})`, layout, expected: order.join('') });
    }
  }
  runDetectionCases(t, `noise ${SNR_DB} dB SNR`, cases, codecs);
});

t.test('noise alone gives no digit', async (t) => {
  const rng = streamRng('noise/alone');
  const cases: DetectionCase[] = [];
  for (const noiseDbm0 of [-5, -10, -20, -30, -40, -50]) {
    const layout = layTones(rng, [], { leadMs: 30_000, trailMs: 0 });
    addWhiteNoise(layout.mix, rng, noiseDbm0);
    cases.push({ name: `30 s of white noise at ${noiseDbm0} dBm0`, layout, expected: '' });
  }
  runDetectionCases(t, 'noise alone', cases, codecs);
});
