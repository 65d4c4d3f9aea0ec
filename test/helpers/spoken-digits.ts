// Spoken digit strings for the speech-input tests: FSDD recordings of one speaker
// (fixtures/speech-fsdd, CC BY-SA 4.0, see its README) joined with pauses, as 8 kHz PCM; and a
// stub word model whose every digit is unsure.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SEGMENT_VECTOR_LENGTH, type WordModel } from '../../native-free-dsp/speech-classifier.js';
import { parseWav } from '../../src/audio-file/wav-parser.js';

export const SPEECH_FIXTURES = fileURLToPath(new URL('../../fixtures/speech-fsdd/', import.meta.url));
/** The test-only word model trained without the fixtures' speaker. */
export const TEST_WORD_MODEL = `${SPEECH_FIXTURES}test-model-without-lucas.json`;
/** A Luhn-valid Discover number of digits the test model recognises for this speaker. */
export const SPOKEN_DISCOVER = '6011188128698088';

const TAKES: Readonly<Record<string, readonly string[]>> = {
  '0': ['0_lucas_0', '0_lucas_10'],
  '1': ['1_lucas_0', '1_lucas_1'],
  '2': ['2_lucas_1', '2_lucas_2'],
  '6': ['6_lucas_0', '6_lucas_1'],
  '8': ['8_lucas_11', '8_lucas_1'],
  '9': ['9_lucas_0', '9_lucas_1'],
};

function clip(name: string): Int16Array {
  const audio = parseWav(readFileSync(`${SPEECH_FIXTURES}${name}.wav`), name);
  return audio.samples;
}

/** The digits spoken one after another (alternating takes), `gapMs` of silence between, `tailMs` after. */
export function spokenDigits(digits: string, gapMs = 250, tailMs = 0): Int16Array {
  const parts: Int16Array[] = [];
  const used = new Map<string, number>();
  for (const d of digits) {
    const takes = TAKES[d];
    if (takes === undefined) throw new Error(`no recording of ${d} in the fixtures`);
    const n = used.get(d) ?? 0;
    used.set(d, n + 1);
    if (parts.length > 0) parts.push(new Int16Array((gapMs * 8) | 0));
    parts.push(clip(takes[n % takes.length]));
  }
  parts.push(new Int16Array((tailMs * 8) | 0));
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A stub word model that hears every segment as "4" (or "5") at a posterior of 0.5, under the
 * recogniser's 0.6 threshold: every spoken digit is an unsure one.
 */
export function unsureWordModel(): WordModel {
  return {
    labels: ['4', '5', 'garbage'],
    networks: [
      {
        inputMean: new Float32Array(SEGMENT_VECTOR_LENGTH),
        inputScale: new Float32Array(SEGMENT_VECTOR_LENGTH).fill(1),
        layers: [{ inputs: SEGMENT_VECTOR_LENGTH, outputs: 3, weights: new Float32Array(SEGMENT_VECTOR_LENGTH * 3), bias: Float32Array.from([0, 0, -1000]) }],
      },
    ],
  };
}
