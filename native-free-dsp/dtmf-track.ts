// The tone being tracked, window by window: the event state machine. A valid window begins a
// track (onToneCandidate), later ones add to its measurement (levels, phase steps), each
// sub-block's coverage keeps its end to the sample and ends it after a drop-out longer than the
// limit; the track is confirmed once the acceptance tests pass (onDigitStart) and reported when
// it ends (onDigit, then onToneCandidateEnd).
import { DTMF_KEYPAD } from './dtmf-tones.js';
import { SUB_BLOCK } from './goertzel-bank.js';
import { isAcceptable, measure, MIN_VALID_WINDOWS } from './dtmf-acceptance.js';
import { colOf, pairMagnitude, rowOf, stepIm, stepRe } from './dtmf-bins.js';
import { coveredSamples, startSampleOf } from './dtmf-edges.js';
import { FREQUENCIES_HZ, newToneTrack, SAMPLE_RATE_HZ, type DtmfDetector, type ToneTrack } from './dtmf-state.js';

function magnitude(re: Float64Array, im: Float64Array, k: number): number {
  return Math.sqrt(re[k] * re[k] + im[k] * im[k]);
}

/** Takes the newest window's classification (`digit`, or -1) into the track. */
export function trackWindow(det: DtmfDetector, digit: number): void {
  const track = det.track;
  if (track.digit >= 0 && digit >= 0 && digit !== track.digit) endTrack(det);
  if (track.digit < 0) {
    if (digit >= 0) beginTrack(det, digit);
    return;
  }
  const tracked = track.digit;
  updatePresence(det, rowOf(tracked), colOf(tracked));
  if (track.digit < 0) {
    // A gap long enough to split ended the tone; this window may start the next press.
    if (digit >= 0) beginTrack(det, digit);
    return;
  }
  if (digit === tracked) addValidWindow(det, rowOf(tracked), colOf(tracked));
  if (!track.confirmed) tryConfirm(det);
}

function beginTrack(det: DtmfDetector, digit: number): void {
  const row = rowOf(digit);
  const col = colOf(digit);
  Object.assign(det.track, newToneTrackValues);
  const track = det.track;
  track.digit = digit;
  // The window's older sub-block may be cut by the onset, and the one before may hold its start.
  track.onsetMag0 = pairMagnitude(det, det.x2Re, det.x2Im, row, col);
  track.onsetMag1 = pairMagnitude(det, det.x1Re, det.x1Im, row, col);
  track.onsetBlockEnd = det.blockStart;
  track.lastEndSample = det.blockStart + SUB_BLOCK;
  addValidWindow(det, row, col);
  det.listener.onToneCandidate?.(samplesToMs(startSampleOf(track)), DTMF_KEYPAD[digit]);
}

const newToneTrackValues: ToneTrack = newToneTrack();

function addValidWindow(det: DtmfDetector, row: number, col: number): void {
  const track = det.track;
  const { winRe, winIm, prevWinRe, prevWinIm } = det;
  track.validWindows++;
  track.refSum += pairMagnitude(det, det.x0Re, det.x0Im, row, col);
  track.refCount++;
  track.sumMagLow += magnitude(winRe, winIm, row);
  track.sumMagHigh += magnitude(winRe, winIm, col);
  if (det.prevWindowDigit === track.digit) {
    // Phase step between overlapping windows (S samples apart), summed over the tone.
    const lowRe = stepRe(det, row, winRe, winIm, prevWinRe, prevWinIm);
    const lowIm = stepIm(det, row, winRe, winIm, prevWinRe, prevWinIm);
    const highRe = stepRe(det, col, winRe, winIm, prevWinRe, prevWinIm);
    const highIm = stepIm(det, col, winRe, winIm, prevWinRe, prevWinIm);
    track.phaseLowRe += lowRe;
    track.phaseLowIm += lowIm;
    track.phaseHighRe += highRe;
    track.phaseHighIm += highIm;
    track.phaseLowAbs += Math.sqrt(lowRe * lowRe + lowIm * lowIm);
    track.phaseHighAbs += Math.sqrt(highRe * highRe + highIm * highIm);
    track.phasePairs++;
  }
}

function updatePresence(det: DtmfDetector, row: number, col: number): void {
  const track = det.track;
  const covered = coveredSamples(track, pairMagnitude(det, det.x0Re, det.x0Im, row, col));
  const blockEnd = det.blockStart + SUB_BLOCK;
  if (covered >= SUB_BLOCK / 2) {
    // The tone is (back) on: the uncovered part of this block belongs to the gap before it.
    if (track.absentSamples > 0 && track.absentSamples + (SUB_BLOCK - covered) > det.maxDropoutSamples) {
      endTrack(det);
      return;
    }
    track.absentSamples = 0;
    track.lastEndSample = blockEnd;
    return;
  }
  // Mostly gone: the tone ran `covered` samples into this block.
  if (track.absentSamples === 0) track.lastEndSample = det.blockStart + covered;
  track.absentSamples += SUB_BLOCK - covered;
  if (track.absentSamples > det.maxDropoutSamples) endTrack(det);
}

function tryConfirm(det: DtmfDetector): void {
  const track = det.track;
  if (track.validWindows < MIN_VALID_WINDOWS || track.phasePairs === 0) return;
  if (!isAcceptable(det, measure(det))) return;
  track.confirmed = true;
  track.startSample = startSampleOf(track);
  det.listener.onDigitStart?.(DTMF_KEYPAD[track.digit], samplesToMs(track.startSample));
}

export function endTrack(det: DtmfDetector): void {
  const track = det.track;
  if (!track.confirmed) tryConfirm(det);
  if (track.confirmed) {
    const m = measure(det);
    const row = rowOf(track.digit);
    const col = colOf(track.digit);
    det.listener.onDigit({
      digit: DTMF_KEYPAD[track.digit],
      startMs: samplesToMs(track.startSample),
      endMs: samplesToMs(track.lastEndSample),
      lowDbm0: round2(m.lowDbm0),
      highDbm0: round2(m.highDbm0),
      twistDb: round2(m.lowDbm0 - m.highDbm0),
      lowHz: round2(FREQUENCIES_HZ[row] * (1 + m.lowDeviation)),
      highHz: round2(FREQUENCIES_HZ[col] * (1 + m.highDeviation)),
    });
  }
  track.digit = -1;
  track.confirmed = false;
  det.listener.onToneCandidateEnd?.(samplesToMs(track.lastEndSample));
}

function samplesToMs(samples: number): number {
  return Math.round((samples * 1000 * 10) / SAMPLE_RATE_HZ) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
