// Energy segmenter on synthetic per-frame energies (10 ms frames): words split at 100 ms pauses,
// short closures inside a word bridged, clicks dropped, continuous talk flagged, and the noise
// floor followed so words are found at 20 dB SNR.
import t from 'tap';
import { segmentEnergies, SEGMENTER_MAX_FRAMES } from '../../native-free-dsp/speech-segmenter.js';

/** Frames of ln(mean square) for a level in dB (of mean square, 16-bit units). */
const ln = (db: number): number => db / (10 / Math.LN10);
function energies(spans: Array<[frames: number, db: number]>): number[] {
  return spans.flatMap(([n, db]) => new Array<number>(n).fill(ln(db)));
}

t.test('words separated by 100 ms pauses are separate segments, padded by 30 ms', async (t) => {
  const e = energies([
    [50, 30],
    [40, 70],
    [10, 30],
    [35, 70],
    [10, 30],
    [45, 70],
    [60, 30],
  ]);
  const segs = segmentEnergies(e);
  // Onset confirmed on the third loud frame, start back-dated to the first and padded by 3.
  t.same(
    segs.map((s) => [s.startFrame, s.endFrame, s.tooLong]),
    [
      [47, 93, false],
      [97, 138, false],
      [142, 193, false],
    ],
  );
});

t.test('a 60 ms closure inside a word is bridged', async (t) => {
  const segs = segmentEnergies(
    energies([
      [30, 30],
      [25, 70],
      [6, 32],
      [20, 65],
      [40, 30],
    ]),
  );
  t.equal(segs.length, 1);
});

t.test('a 50 ms click is dropped, a 2.5 s sound is too long to be a word', async (t) => {
  t.equal(
    segmentEnergies(
      energies([
        [30, 30],
        [5, 80],
        [60, 30],
      ]),
    ).length,
    0,
  );
  const long = segmentEnergies(
    energies([
      [30, 30],
      [250, 70],
      [40, 30],
    ]),
  );
  t.equal(long.length, 1);
  t.ok(long[0].tooLong && long[0].endFrame - long[0].startFrame > SEGMENTER_MAX_FRAMES);
});

t.test('words 20 dB over a noise floor are found; the noise alone is not a word', async (t) => {
  t.equal(
    segmentEnergies(
      energies([
        [100, 55],
        [40, 75],
        [20, 55],
        [40, 75],
        [100, 55],
      ]),
    ).length,
    2,
  );
  t.equal(segmentEnergies(energies([[300, 55]])).length, 0);
  // A step up in background noise is absorbed by the floor, not taken as a word forever.
  t.equal(
    segmentEnergies(
      energies([
        [100, 30],
        [600, 50],
      ]),
    ).filter((s) => !s.tooLong).length,
    0,
  );
});

t.test('speech below about -52 dBFS is not a word even over digital silence', async (t) => {
  t.equal(
    segmentEnergies(
      energies([
        [50, 0],
        [40, 30],
        [50, 0],
      ]),
    ).length,
    0,
  );
});
