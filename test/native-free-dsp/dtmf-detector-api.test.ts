// The detector's API for streaming callers: decision points and candidate measurement, so a clamp
// needs none of the detector's state.
import t from 'tap';
import { DTMF_CANDIDATE_WINDOW, measureDtmfCandidate, newCandidateMeasure } from '../../native-free-dsp/dtmf-candidate.js';
import { createDtmfDetector, dtmfAtDecision, dtmfRx, dtmfSamplesToDecision, DTMF_SUB_BLOCK_SAMPLES } from '../../native-free-dsp/dtmf-detector.js';
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
