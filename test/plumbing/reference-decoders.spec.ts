// runMultimonJoined (one multimon-ng run over many signals) reports what runMultimon reports on
// each signal, in order, including digits at a signal's very start or end and the same digit
// ending one signal and starting the next: the leak tests rely on that when they decode all of a
// set's outputs in one run.
import t from 'tap';
import { generateDtmfSequence, type DtmfSequenceItem } from '../../native-free-dsp/tone-generator.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { REQUIRE_MULTIMON, REQUIRE_SOX, requireTools } from '../helpers/audio-files.js';
import { runMultimon, runMultimonJoined } from '../helpers/reference-decoders.js';

const toolsPresent = requireTools(t, REQUIRE_SOX, REQUIRE_MULTIMON);

function tones(digits: string, gapBeforeMs: number, trailingMs: number): Int16Array {
  const items: DtmfSequenceItem[] = [...digits].map((digit, i) => ({ digit: digit as DtmfDigit, durationMs: 80, gapBeforeMs: i === 0 ? gapBeforeMs : 80, lowDbm0: -10, twistDb: 2 }));
  return generateDtmfSequence(items, trailingMs);
}

t.test('joined: the digits of every signal, in order, as when each is decoded alone', async (t) => {
  if (!toolsPresent) return;
  const signals = [
    tones('159', 0, 0), // a digit at sample 0 and one ending at the last sample
    tones('9', 0, 0), // the same digit again, right after the previous signal's last one
    new Int16Array(4000), // silence
    tones('#0*', 200, 300),
    tones('D', 0, 0), // a signal of one short tone, nothing else
  ];
  const alone = signals.map((s) =>
    runMultimon(s)
      .map((d) => d.digit)
      .join(''),
  );
  t.same(alone, ['159', '9', '', '#0*', 'D'], 'multimon-ng decodes each signal alone (the control)');
  t.equal(
    runMultimonJoined(signals)
      .map((d) => d.digit)
      .join(''),
    alone.join(''),
    'the joined run reports the same digits in the same order',
  );
  t.same(runMultimonJoined([]), [], 'no signals: no digits');
});
