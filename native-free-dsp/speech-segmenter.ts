// Energy segmenter (voice activity detector) for words spoken with pauses, on 10 ms MFCC frames.
//
// Input per frame is the frame's level (speech-features.ts mfccRx: natural log of the mean
// square in 16-bit units, before pre-emphasis). A noise floor tracks the quiet frames (falls
// fast, rises at most 3 dB/s); a word starts after 3 frames 9 dB over the floor and ends after
// 80 ms under floor + 5 dB; absolute levels keep digital silence and faint hiss out. The level
// and thresholds were chosen on spoken 16-digit numbers in white noise (docs/speech.md,
// "Segmentation in noise").
// Spoken card numbers have pauses of 100 ms or more between digits, so the
// 80 ms hangover splits them while bridging the stop closures inside a word ("six", "eight").
// Segments shorter than 80 ms of activity (clicks, a lone stop burst) are dropped; longer than
// 2 s are reported as too long (continuous talk is not a digit).

/** ln(mean square) to dB. */
const LN_TO_DB = 10 / Math.LN10;
export const SEGMENTER_ONSET_DB = 9;
export const SEGMENTER_HOLD_DB = 5;
/** Lowest level that holds a word open (dB, as SEGMENTER_MIN_SPEECH_DB). */
const HOLD_MIN_DB = 31;
/** Lowest word level, dB of mean square in 16-bit units (38 dB: about -52 dBFS). */
export const SEGMENTER_MIN_SPEECH_DB = 38;
/** Lowest noise floor, same units (a digital-silence pause must not pin it at minus infinity). */
const FLOOR_MIN_DB = 15;
const FLOOR_RISE_DB_PER_FRAME = 0.03;
const FLOOR_FALL = 0.3;
export const SEGMENTER_ONSET_FRAMES = 3;
export const SEGMENTER_HANGOVER_FRAMES = 8;
export const SEGMENTER_PAD_FRAMES = 3;
export const SEGMENTER_MIN_ACTIVE_FRAMES = 8;
export const SEGMENTER_MAX_FRAMES = 200;

export interface SpeechSegment {
  /** First frame (inclusive) and last frame (exclusive), padded. */
  startFrame: number;
  endFrame: number;
  /** More than SEGMENTER_MAX_FRAMES long: not a word. */
  tooLong: boolean;
}

export interface SegmenterState {
  floorDb: number;
  frame: number;
  inSpeech: boolean;
  onsetRun: number;
  startFrame: number;
  lastActiveFrame: number;
  activeFrames: number;
  /** Frame of the end of the last speech (segment or dropped burst), for end of utterance. */
  lastSpeechEndFrame: number;
}

export function createSegmenterState(): SegmenterState {
  return { floorDb: NaN, frame: 0, inSpeech: false, onsetRun: 0, startFrame: 0, lastActiveFrame: 0, activeFrames: 0, lastSpeechEndFrame: -1 };
}

export function resetSegmenterState(s: SegmenterState): void {
  Object.assign(s, createSegmenterState());
}

/**
 * One frame. Returns a finished segment when this frame ends one, else null. Frame numbers count
 * from the state's creation (or reset).
 */
export function segmenterRx(s: SegmenterState, logEnergy: number): SpeechSegment | null {
  const db = logEnergy * LN_TO_DB;
  const frame = s.frame++;
  if (Number.isNaN(s.floorDb)) s.floorDb = Math.max(FLOOR_MIN_DB, db);
  const over = db - s.floorDb;
  if (!s.inSpeech) {
    if (over >= SEGMENTER_ONSET_DB && db >= SEGMENTER_MIN_SPEECH_DB) {
      s.onsetRun++;
      if (s.onsetRun >= SEGMENTER_ONSET_FRAMES) {
        s.inSpeech = true;
        s.startFrame = Math.max(0, frame - SEGMENTER_ONSET_FRAMES + 1 - SEGMENTER_PAD_FRAMES);
        s.lastActiveFrame = frame;
        s.activeFrames = SEGMENTER_ONSET_FRAMES;
      }
    } else {
      s.onsetRun = 0;
      trackFloor(s, db);
    }
    return null;
  }
  if (over >= SEGMENTER_HOLD_DB && db >= HOLD_MIN_DB) {
    s.lastActiveFrame = frame;
    s.activeFrames++;
    // Even in speech the floor may rise slowly, so a step up in background noise ends the word.
    s.floorDb += FLOOR_RISE_DB_PER_FRAME;
    return null;
  }
  trackFloor(s, db);
  if (frame - s.lastActiveFrame < SEGMENTER_HANGOVER_FRAMES) return null;
  s.inSpeech = false;
  s.onsetRun = 0;
  const endFrame = s.lastActiveFrame + 1 + SEGMENTER_PAD_FRAMES;
  s.lastSpeechEndFrame = s.lastActiveFrame + 1;
  if (s.activeFrames < SEGMENTER_MIN_ACTIVE_FRAMES) return null;
  return { startFrame: s.startFrame, endFrame, tooLong: endFrame - s.startFrame > SEGMENTER_MAX_FRAMES };
}

function trackFloor(s: SegmenterState, db: number): void {
  if (db < s.floorDb) s.floorDb += FLOOR_FALL * (db - s.floorDb);
  else s.floorDb += Math.min(db - s.floorDb, FLOOR_RISE_DB_PER_FRAME);
  if (s.floorDb < FLOOR_MIN_DB) s.floorDb = FLOOR_MIN_DB;
}

/** Segments of a whole utterance given its per-frame log energies (offline use: training, tests). */
export function segmentEnergies(logEnergies: ArrayLike<number>): SpeechSegment[] {
  const s = createSegmenterState();
  const out: SpeechSegment[] = [];
  for (let i = 0; i < logEnergies.length; i++) {
    const seg = segmenterRx(s, logEnergies[i]);
    if (seg) out.push(seg);
  }
  // Close a word still open at the end of the audio.
  for (let i = 0; i < SEGMENTER_HANGOVER_FRAMES + 1 && s.inSpeech; i++) {
    const seg = segmenterRx(s, -Infinity);
    if (seg) out.push({ ...seg, endFrame: Math.min(seg.endFrame, logEnergies.length) });
  }
  return out;
}
