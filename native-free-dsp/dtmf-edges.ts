// Edges to the sample: a sub-block only partly covered by the tone has a Goertzel magnitude
// proportional to the covered part, so how many samples of a sub-block the tracked tone covers
// follows from the pair's magnitude against the tone's full-sub-block reference, and the onset
// from the two sub-blocks that may hold it. Pure functions of the track.
import { SUB_BLOCK } from './goertzel-bank.js';
import type { ToneTrack } from './dtmf-state.js';

/** A sub-block whose tone magnitude is below this fraction of the full-tone magnitude counts as empty. */
const PRESENCE_FLOOR = 0.1;

/** Samples of a sub-block covered by the tracked tone, from the pair's summed magnitude in it. */
export function coveredSamples(track: ToneTrack, magnitudeSum: number): number {
  const fraction = magnitudeSum / (track.refSum / track.refCount);
  if (fraction < PRESENCE_FLOOR) return 0;
  return fraction >= 1 ? SUB_BLOCK : fraction * SUB_BLOCK;
}

/** The tone's first sample (absolute index), estimated from the onset sub-blocks' magnitudes. */
export function startSampleOf(track: ToneTrack): number {
  const covered1 = coveredSamples(track, track.onsetMag1);
  // The tone covers the tail of the onset sub-block, and reaches into the one before only if
  // it covers all of it.
  const reach = covered1 >= 0.9 * SUB_BLOCK ? SUB_BLOCK + coveredSamples(track, track.onsetMag0) : covered1;
  return Math.max(0, track.onsetBlockEnd - reach);
}
