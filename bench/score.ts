// Digit accuracy of a detector on the fixture: its digits matched to truth.json by time.
import type { TruthDigit } from './fixture.js';

export interface FoundDigit {
  readonly digit: string;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * A detection matches a truth digit when it overlaps the tone widened by these margins, ms.
 * Detectors report late (confirmation blocks, 20 ms chunks), hardly ever early; with pauses of
 * at least 60 ms in the fixture, a 60 ms late margin cannot reach the tone after next.
 */
const EARLY_MARGIN_MS = 10;
const LATE_MARGIN_MS = 60;

export interface DigitScore {
  readonly truth: number;
  /** Truth digits detected (at least once, as the right digit). */
  readonly found: number;
  readonly missed: number;
  /** Detections over a tone that name another digit. */
  readonly wrongDigit: number;
  /** Extra detections of a tone already found (a split tone). */
  readonly duplicates: number;
  /** Detections over no tone at all (talk-off on speech or silence). */
  readonly falseAlarms: number;
  readonly overSpeech: { readonly truth: number; readonly found: number };
  /** missed + wrongDigit + duplicates + falseAlarms. */
  readonly errors: number;
}

export function scoreDigits(truth: readonly TruthDigit[], found: readonly FoundDigit[]): DigitScore {
  const tones = [...truth].sort((a, b) => a.startMs - b.startMs);
  const detections = [...found].sort((a, b) => a.startMs - b.startMs);
  const hits = new Array<number>(tones.length).fill(0);
  let wrongDigit = 0;
  let falseAlarms = 0;
  let duplicates = 0;
  let first = 0;
  for (const d of detections) {
    while (first < tones.length && tones[first].endMs + LATE_MARGIN_MS < d.startMs) first++;
    let best = -1;
    let bestOverlap = 0;
    let overlapsOther = false;
    for (let i = first; i < tones.length && tones[i].startMs - EARLY_MARGIN_MS <= d.endMs; i++) {
      const t = tones[i];
      const overlap = Math.min(d.endMs, t.endMs + LATE_MARGIN_MS) - Math.max(d.startMs, t.startMs - EARLY_MARGIN_MS);
      if (overlap <= 0) continue;
      if (t.digit !== d.digit) {
        overlapsOther = true;
      } else if (overlap > bestOverlap) {
        best = i;
        bestOverlap = overlap;
      }
    }
    if (best >= 0) {
      if (hits[best]++ > 0) duplicates++;
    } else if (overlapsOther) {
      wrongDigit++;
    } else {
      falseAlarms++;
    }
  }
  const foundCount = hits.filter((h) => h > 0).length;
  const over = tones.map((t, i) => ({ t, hit: hits[i] > 0 })).filter((x) => x.t.overSpeech);
  const missed = tones.length - foundCount;
  return {
    truth: tones.length,
    found: foundCount,
    missed,
    wrongDigit,
    duplicates,
    falseAlarms,
    overSpeech: { truth: over.length, found: over.filter((x) => x.hit).length },
    errors: missed + wrongDigit + duplicates + falseAlarms,
  };
}

export function formatScore(name: string, s: DigitScore): string {
  return `${name} ${s.found}/${s.truth} found (over speech ${s.overSpeech.found}/${s.overSpeech.truth}), ` + `${s.missed} missed, ${s.wrongDigit} wrong, ${s.duplicates} split, ${s.falseAlarms} false`;
}
