// The optimised DTMF detector gives exactly the events of the detector before optimisation
// (test/helpers/dtmf-detector-oracle.ts, a frozen copy), with each Goertzel kernel (TypeScript
// and WebAssembly SIMD): every listener call (candidates, digit starts, digits with their
// times, levels, twist and frequencies) in the same order, on the benchmark fixture, the
// prompts, the speech and music corpus, and generated digits at the edges of acceptance, fed
// in 20 ms packets, in random chunks and in large ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadFixture, projectRoot } from '../../bench/fixture.js';
import { createDtmfDetector, DEFAULT_GOERTZEL_KERNEL, isGoertzelKernelAvailable, type GoertzelKernel } from '../../native-free-dsp/dtmf-detector.js';
import { DTMF_DIGITS } from '../../native-free-dsp/dtmf-tones.js';
import { decodeUlaw } from '../../native-free-dsp/g711.js';
import { layTones, onTheLine, type ToneSpec } from '../helpers/dtmf-cases.js';
import { currentLog, firstDifference, oracleLog, type DetectorLog } from '../helpers/dtmf-identity.js';
import { loadCorpus, MUSIC_DIR, REQUIRE_MUSIC, REQUIRE_SPEECH, requireTools, SPEECH_DIR } from '../helpers/audio-files.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { addWhiteNoise, mulberry32, pick, randomInt, type Codec, type Rng } from '../helpers/signals.js';

const KERNELS: readonly GoertzelKernel[] = ['typescript', 'wasm'];
const codecs: readonly Codec[] = await prepareCodecs(t);

interface Signal {
  readonly name: string;
  readonly pcm: Int16Array;
}

/**
 * Compares every kernel with the oracle on `signals`, one assertion per kernel, and checks the
 * corpus is not trivially empty (at least `minCalls` listener calls in all).
 */
function compareAll(t: Test, group: string, signals: readonly Signal[], minCalls: number, chunk: () => number | (() => number) = () => 160): void {
  const expected: DetectorLog[] = signals.map((s) => oracleLog(s.pcm, chunk()));
  const calls = expected.reduce((sum, log) => sum + log.length, 0);
  t.ok(calls >= minCalls, `${group}: the oracle makes ${calls} listener calls over ${signals.length} signal(s) (at least ${minCalls})`);
  for (const kernel of KERNELS) {
    const differences: string[] = [];
    signals.forEach((s, i) => {
      const difference = firstDifference(expected[i], currentLog(s.pcm, { kernel }, chunk()));
      if (difference !== undefined) differences.push(`${s.name}: ${difference}`);
    });
    t.same(differences, [], `${group}: ${kernel} kernel, identical listener calls to the oracle`);
  }
}

t.test('both kernels are available here, wasm by default (Node >= 20 has WebAssembly SIMD)', async (t) => {
  t.ok(isGoertzelKernelAvailable('wasm'));
  t.equal(DEFAULT_GOERTZEL_KERNEL, 'wasm');
  t.equal(createDtmfDetector({ onDigit: () => {} }).kernel, 'wasm');
  t.equal(createDtmfDetector({ onDigit: () => {} }, {}, { kernel: 'typescript' }).kernel, 'typescript');
});

t.test('benchmark fixture (11 min of prompts with 266 digits), 20 ms packets', async (t) => {
  const { samples } = loadFixture(projectRoot());
  compareAll(t, 'speech-with-digits', [{ name: 'speech-with-digits.wav', pcm: samples }], 266 * 4);
});

t.test('benchmark fixture in random chunks of 1 to 400 samples', async (t) => {
  const { samples } = loadFixture(projectRoot());
  const rng = mulberry32(0x5eed);
  // The oracle and each kernel get their own chunk sequence: any chunking gives the same events.
  compareAll(t, 'speech-with-digits, random chunks', [{ name: 'speech-with-digits.wav', pcm: samples }], 266 * 4, () => () => randomInt(rng, 1, 400));
});

t.test('benchmark fixture in one call, and in calls of 5000 samples (more than one kernel call each)', async (t) => {
  const { samples } = loadFixture(projectRoot());
  compareAll(t, 'speech-with-digits, one call', [{ name: 'speech-with-digits.wav', pcm: samples }], 266 * 4, () => samples.length);
  compareAll(t, 'speech-with-digits, 5000-sample calls', [{ name: 'speech-with-digits.wav', pcm: samples }], 266 * 4, () => 5000);
});

t.test('the prompts (fixtures/prompts, mu-law)', async (t) => {
  const dir = join(projectRoot(), 'fixtures/prompts/en');
  const signals = readdirSync(dir)
    .filter((name) => name.endsWith('.ul'))
    .sort()
    .map((name): Signal => {
      const ulaw = readFileSync(join(dir, name));
      const pcm = new Int16Array(ulaw.length);
      decodeUlaw(ulaw, pcm);
      return { name, pcm };
    });
  // Speech raises candidates but no digits: the candidate calls are what is compared.
  compareAll(t, 'prompts', signals, 1);
});

t.test('speech and music corpus (talk-off), 20 ms packets', async (t) => {
  if (!requireTools(t, REQUIRE_SPEECH, REQUIRE_MUSIC)) return;
  const signals = [...loadCorpus(SPEECH_DIR), ...loadCorpus(MUSIC_DIR)].map((f): Signal => ({ name: f.path, pcm: f.pcm }));
  compareAll(t, 'speech and music', signals, 100);
});

/** Digits drawn across and beyond the acceptance limits, with noise, through a codec. */
function edgeSignal(rng: Rng, index: number): Signal {
  const tones: ToneSpec[] = [];
  for (let k = randomInt(rng, 1, 8); k > 0; k--) {
    const level = -randomInt(rng, 0, 45);
    tones.push({
      digit: pick(rng, DTMF_DIGITS),
      durationMs: randomInt(rng, 10, 120),
      gapBeforeMs: randomInt(rng, 5, 60),
      lowDbm0: level,
      highDbm0: level - randomInt(rng, -10, 12),
      lowOffset: (rng() - 0.5) * 0.08,
      highOffset: (rng() - 0.5) * 0.08,
    });
  }
  const layout = layTones(rng, tones);
  if (rng() < 0.5) addWhiteNoise(layout.mix, rng, -randomInt(rng, 20, 60));
  const codec = pick(rng, codecs);
  return { name: `edge case ${index} (${codec})`, pcm: onTheLine(layout.mix, codec) };
}

t.test('generated digits at and beyond the Q.24 limits (level, twist, offset, duration, gaps, noise)', async (t) => {
  const rng = mulberry32(0xd7f);
  const signals = Array.from({ length: 400 }, (_, i) => edgeSignal(rng, i));
  compareAll(t, 'edge cases', signals, 1000);
});

t.test('full-scale and clipped input (sample energies at the 16-bit extremes)', async (t) => {
  const rng = mulberry32(0xc11b);
  const signals: Signal[] = [];
  for (let i = 0; i < 40; i++) {
    // Digits 10-20 dB above full scale, hard-clipped: runs of -32768 and 32767.
    const digits: ToneSpec[] = Array.from({ length: 4 }, () => ({
      digit: pick(rng, DTMF_DIGITS),
      durationMs: randomInt(rng, 30, 90),
      gapBeforeMs: randomInt(rng, 20, 80),
      lowDbm0: randomInt(rng, 10, 20),
      twistDb: randomInt(rng, -3, 3),
    }));
    signals.push({ name: `clipped digits ${i}`, pcm: onTheLine(layTones(rng, digits).mix, 'linear') });
  }
  const square = new Int16Array(8000);
  for (let i = 0; i < square.length; i++) square[i] = (i >> randomInt(rng, 0, 4)) & 1 ? -32768 : 32767;
  signals.push({ name: 'full-scale square waves', pcm: square });
  compareAll(t, 'full scale', signals, 40);
});
