// DTMF detector acceptance: which tone pairs are digits (ITU-T Q.23/Q.24).
// All 16 digits; frequency deviation (accept +-1.5 %, reject +-3.5 %) on every one of the 8
// tones; twist; level range. Every case at random phases and random block alignment, through
// linear PCM, mu-law and A-law.
import t from 'tap';
import { DTMF_DIGITS, type DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { layTones, type ToneSpec } from '../helpers/dtmf-cases.js';
import { draws, prepareCodecs, runDetectionCases, type DetectionCase } from '../helpers/run-cases.js';
import { seedBanner, streamRng, type Rng } from '../helpers/signals.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t, true);

/** Accepted cases are 100 ms; rejected ones 500 ms, so a slow false accept has time to show. */
const ACCEPT_MS = 100;
const REJECT_MS = 500;

/**
 * Random draws (phases, block alignment) per condition. Near a limit the outcome can depend on
 * phase: a fault that shows in 1 draw of 13 is caught at 40 draws with 96 % probability.
 */
const DRAWS_ACCEPT = 40;
const DRAWS_REJECT = 24;

/** `n` draws of one tone condition. */
function single(rng: Rng, n: number, key: string, tone: ToneSpec, expected: string): DetectionCase[] {
  return draws(n, key, () => ({ layout: layTones(rng, [tone]), expected }));
}

const pct = (x: number): string => `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

t.test('all 16 digits, nominal frequencies, -10 dBm0 per tone, 100 ms', async (t) => {
  const rng = streamRng('digits/all16');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) cases.push(...single(rng, 8, `digit ${digit}`, { digit, durationMs: ACCEPT_MS }, digit));
  // And all 16 in one signal, 100 ms on / 100 ms off, each in its place.
  const sequence = DTMF_DIGITS.map((digit): ToneSpec => ({ digit, durationMs: 100, gapBeforeMs: 100 }));
  cases.push({ name: 'sequence 123A456B789C*0#D', layout: layTones(rng, sequence), expected: DTMF_DIGITS.join('') });
  runDetectionCases(t, 'all digits', cases, codecs);
});

/** The +-1.5 % (accept) / +-3.5 % (reject) combinations of one digit's two tones. */
function offsetCombos(deviation: number): { low: number; high: number }[] {
  return [
    { low: +deviation, high: 0 },
    { low: -deviation, high: 0 },
    { low: 0, high: +deviation },
    { low: 0, high: -deviation },
    { low: +deviation, high: +deviation },
    { low: +deviation, high: -deviation },
    { low: -deviation, high: +deviation },
    { low: -deviation, high: -deviation },
  ];
}

t.test('frequency deviation +-1.5 % on each tone (and both) is accepted (ITU-T Q.24)', async (t) => {
  const rng = streamRng('digits/offset-accept');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const { low, high } of offsetCombos(0.015)) {
      cases.push(...single(rng, DRAWS_ACCEPT, `${digit} low ${pct(low)} high ${pct(high)}`, { digit, durationMs: ACCEPT_MS, lowOffset: low, highOffset: high }, digit));
    }
  }
  const stats = runDetectionCases(t, 'offset +-1.5% accepted', cases, codecs);
  // The 1633 Hz column (A B C D) is where spandsp falls short at +-1.5 %; call it out.
  const column4 = stats.failures.filter((line) => /\] [ABCD] /.test(line));
  t.comment(`1633 Hz column (A, B, C, D) at +-1.5 %: ${column4.length} failed case(s) of ${(stats.total * 4) / 16}`);
});

t.test('frequency deviation +-3.5 % on each tone (and both) is rejected (ITU-T Q.24)', async (t) => {
  const rng = streamRng('digits/offset-reject');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const { low, high } of offsetCombos(0.035)) {
      cases.push(...single(rng, DRAWS_REJECT, `${digit} low ${pct(low)} high ${pct(high)}`, { digit, durationMs: REJECT_MS, lowOffset: low, highOffset: high }, ''));
    }
  }
  runDetectionCases(t, 'offset +-3.5% rejected', cases, codecs);
});

// Twist = low-group level minus high-group level (dB). Limits as spandsp and Asterisk default:
// 8 dB normal, 4 dB reverse. Rejection is tested 2 dB beyond each limit (10 / 6 dB) and 4 dB
// beyond (12 / 8 dB): 2 dB is twice the 1 dB twist measurement tolerance we require, and covers
// G.711 quantisation, so a detector whose threshold sits at the limit passes both sides.
// The stronger tone is at -5 or -12 dBm0, so the weaker one stays at or above -24 dBm0 and
// inside the accepted level range: a rejection is due to twist alone.
const TWIST_ACCEPT_DB = [0, 4, 8, -2, -4];
const TWIST_REJECT_DB = [10, 12, -6, -8];
const STRONG_DBM0 = [-5, -12];

function twistTone(digit: DtmfDigit, twistDb: number, strongDbm0: number, durationMs: number): ToneSpec {
  return twistDb >= 0 ? { digit, durationMs, lowDbm0: strongDbm0, highDbm0: strongDbm0 - twistDb } : { digit, durationMs, highDbm0: strongDbm0, lowDbm0: strongDbm0 + twistDb };
}

const twistName = (twistDb: number): string => (twistDb >= 0 ? `normal twist ${twistDb} dB` : `reverse twist ${-twistDb} dB`);

t.test('twist: normal up to 8 dB and reverse up to 4 dB accepted', async (t) => {
  const rng = streamRng('digits/twist-accept');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const twist of TWIST_ACCEPT_DB) {
      for (const strong of STRONG_DBM0) {
        cases.push(...single(rng, DRAWS_ACCEPT, `${digit} ${twistName(twist)}, stronger tone ${strong} dBm0`, twistTone(digit, twist, strong, ACCEPT_MS), digit));
      }
    }
  }
  runDetectionCases(t, 'twist accepted', cases, codecs);
});

t.test('twist: normal 10 dB+ and reverse 6 dB+ rejected', async (t) => {
  const rng = streamRng('digits/twist-reject');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const twist of TWIST_REJECT_DB) {
      for (const strong of STRONG_DBM0) {
        cases.push(...single(rng, DRAWS_REJECT, `${digit} ${twistName(twist)}, stronger tone ${strong} dBm0`, twistTone(digit, twist, strong, REJECT_MS), ''));
      }
    }
  }
  runDetectionCases(t, 'twist rejected', cases, codecs);
});

t.test('levels 0 .. -25 dBm0 per tone accepted', async (t) => {
  // At 0 dBm0 per tone the pair's peak (2 x 22730) exceeds 16-bit and G.711 full scale, so the
  // signal is clipped: it must still be detected (levels are not checked there, see accuracy).
  const rng = streamRng('digits/level-accept');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const level of [0, -10, -20, -25]) {
      cases.push(...single(rng, DRAWS_ACCEPT, `${digit} at ${level} dBm0 per tone`, { digit, durationMs: ACCEPT_MS, lowDbm0: level, highDbm0: level }, digit));
    }
  }
  runDetectionCases(t, 'levels accepted', cases, codecs);
});

t.test('levels -45 dBm0 per tone and below never reported', async (t) => {
  const rng = streamRng('digits/level-reject');
  const cases: DetectionCase[] = [];
  for (const digit of DTMF_DIGITS) {
    for (const level of [-45, -50, -60]) {
      cases.push(...single(rng, DRAWS_REJECT, `${digit} at ${level} dBm0 per tone`, { digit, durationMs: REJECT_MS, lowDbm0: level, highDbm0: level }, ''));
    }
  }
  runDetectionCases(t, 'levels rejected', cases, codecs);
});
