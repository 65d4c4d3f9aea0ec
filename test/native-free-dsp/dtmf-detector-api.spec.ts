// The detector's API for streaming callers: decision points and candidate measurement, so a clamp
// needs none of the detector's state.
import t from 'tap';
import { DTMF_CANDIDATE_WINDOW, measureDtmfCandidate, newCandidateMeasure } from '../../native-free-dsp/dtmf-candidate.js';
import {
  createDtmfDetector,
  dtmfAtDecision,
  dtmfFlush,
  dtmfRx,
  dtmfSamplesToDecision,
  DTMF_SUB_BLOCK_SAMPLES,
  resetDtmfDetector,
  type DtmfDetector,
  type DtmfDigitEvent,
} from '../../native-free-dsp/dtmf-detector.js';
import { generateDtmfSequence } from '../../native-free-dsp/tone-generator.js';

t.test('decision points: samples to the next one, and whether a feed ended on one', async (t) => {
  const det = createDtmfDetector({ onDigit: () => {} });
  t.equal(dtmfSamplesToDecision(det), DTMF_SUB_BLOCK_SAMPLES);
  dtmfRx(det, new Int16Array(20));
  t.equal(dtmfSamplesToDecision(det), DTMF_SUB_BLOCK_SAMPLES - 20);
  t.notOk(dtmfAtDecision(det));
  dtmfRx(det, new Int16Array(DTMF_SUB_BLOCK_SAMPLES - 20));
  t.ok(dtmfAtDecision(det));
  t.equal(dtmfSamplesToDecision(det), DTMF_SUB_BLOCK_SAMPLES);
});

t.test('candidate measure: a clean pair holds the window, silence and a wrong key do not', async (t) => {
  const ring = new Int16Array(1024);
  const pcm = generateDtmfSequence([{ digit: '5', durationMs: 50, lowDbm0: -10 }]);
  ring.set(pcm.subarray(0, 300));
  const m = newCandidateMeasure();
  t.ok(measureDtmfCandidate(ring, 1023, 300, '5', m) > 0.9, `5: share ${m.share.toFixed(3)}`);
  t.ok(m.deviation < 0.012, `deviation ${m.deviation}`);
  t.ok(m.guardRatio < 0.25, `guard ${m.guardRatio}`);
  t.ok(measureDtmfCandidate(ring, 1023, 300, '9', m) < 0.5, 'another key: low share');
  t.equal(measureDtmfCandidate(new Int16Array(1024), 1023, 300, '5', m), 0, 'silence: 0');
  t.equal(measureDtmfCandidate(ring, 1023, DTMF_CANDIDATE_WINDOW - 1, '5', m), 0, 'less than a window: 0');
});

/** Everything a detector computes with, but its listener and the kernel's entry points. */
function state(det: DtmfDetector): unknown {
  const slot = (view: Float64Array): number => det.slotsRe.indexOf(view) + det.slotsIm.indexOf(view) + 1;
  return {
    buffer: Buffer.from(det.history.buffer).toString('base64'),
    slots: [det.x0Re, det.x0Im, det.x1Re, det.x1Im, det.x2Re, det.x2Im, det.winRe, det.winIm, det.prevWinRe, det.prevWinIm].map(slot),
    scalars: [det.subPos, det.energy, det.samplesIn, det.blockStart, det.blocksSeen, det.prevWindowDigit],
    arrays: [det.s1, det.s2, det.spanHz, det.spanCoef, det.spanRe, det.spanIm].map((a) => Array.from(a)),
    track: { ...det.track },
    measurement: { ...det.measurement },
    span: { ...det.span },
  };
}

t.test('a reset detector is a new one: same state, same events, nothing reported for what came before', async (t) => {
  // Digits with gaps, then cut inside a tone and inside a sub-block, so a digit is in progress.
  const before = generateDtmfSequence([
    { digit: '1', durationMs: 80, lowDbm0: -8 },
    { digit: '#', durationMs: 120, gapBeforeMs: 60, lowDbm0: -12, highDbm0: -9 },
    { digit: 'D', durationMs: 200, gapBeforeMs: 70 },
  ]);
  const after = generateDtmfSequence(
    [
      { digit: '7', durationMs: 60, gapBeforeMs: 13 },
      { digit: '0', durationMs: 90, gapBeforeMs: 45, lowDbm0: -20, highDbm0: -17 },
    ],
    40,
  );
  for (const kernel of ['wasm', 'typescript'] as const) {
    const fresh: DtmfDigitEvent[] = [];
    const reference = createDtmfDetector({ onDigit: (e) => fresh.push(e) }, {}, { kernel });
    const reported: DtmfDigitEvent[] = [];
    const det = createDtmfDetector({ onDigit: (e) => reported.push(e) }, {}, { kernel });
    dtmfRx(det, before, before.length - 837);
    t.same(reported.map((e) => e.digit).join(''), '1#', `${kernel}: two digits reported, D in progress`);
    t.ok(det.track.digit >= 0 && det.subPos > 0, `${kernel}: cut inside a tone and a sub-block`);
    t.notSame(state(det), state(reference), `${kernel}: the fed detector differs from a new one`);
    resetDtmfDetector(det);
    t.same(state(det), state(reference), `${kernel}: reset, the state is a new detector's`);
    reported.length = 0;
    for (const d of [det, reference]) {
      dtmfRx(d, after);
      dtmfFlush(d);
    }
    t.same(reported, fresh, `${kernel}: the same events as a new detector`);
    t.equal(fresh.map((e) => e.digit).join(''), '70', `${kernel}: only the digits fed after the reset`);
    t.same(state(det), state(reference), `${kernel}: and the same state after them`);
  }
});

t.test('feeding from an offset: the same events as feeding that piece, and a range outside the samples is refused', async (t) => {
  const pcm = generateDtmfSequence([
    { digit: '7', durationMs: 60, gapBeforeMs: 40, lowDbm0: -12 },
    { digit: '#', durationMs: 60, gapBeforeMs: 60, lowDbm0: -12 },
  ]);
  const lead = 37;
  const padded = new Int16Array(lead + pcm.length + 11);
  padded.set(pcm, lead);
  for (const kernel of ['wasm', 'typescript'] as const) {
    const direct: DtmfDigitEvent[] = [];
    const fromOffset: DtmfDigitEvent[] = [];
    const a = createDtmfDetector({ onDigit: (e) => direct.push(e) }, {}, { kernel });
    const b = createDtmfDetector({ onDigit: (e) => fromOffset.push(e) }, {}, { kernel });
    for (let i = 0; i < pcm.length; i += 53) {
      const n = Math.min(53, pcm.length - i);
      dtmfRx(a, pcm.subarray(i, i + n));
      dtmfRx(b, padded, n, lead + i);
    }
    dtmfFlush(a);
    dtmfFlush(b);
    t.same(fromOffset, direct, `${kernel}: same events`);
    t.equal(direct.map((e) => e.digit).join(''), '7#', `${kernel}: both digits`);
    t.throws(() => dtmfRx(b, padded, 20, padded.length - 10), RangeError, `${kernel}: past the end`);
    t.throws(() => dtmfRx(b, padded, 5, -1), RangeError, `${kernel}: negative offset`);
  }
});
