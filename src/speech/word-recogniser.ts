// Streaming recogniser of spoken card digits and menu words on one call's 8 kHz audio.
//
// push() takes 16-bit PCM (any length; 20 ms = 160 samples per RTP packet is the usual), runs
// the MFCC front end and the energy segmenter per 10 ms frame, classifies each finished word
// (a pause of 80 ms ends it) and reports tokens: digits 0-9 ("zero" and "oh" are both 0; "double
// five" / "triple five" expand to two / three 5s), menu words, or a rejection with no content.
// End of utterance is reported once 400 ms pass with no speech after the last word, so within
// 500 ms of the caller stopping (80 ms of it is the segmenter's hangover). By default an
// utterance's tokens are held until it ends and dropped if any of its words was rejected: most
// false digits in non-digit speech are short phrases next to words that are not digits, and a
// card number with a rejected word in it is wrong anyway. Hypotheses are never logged; every
// buffer that held audio or features is zeroed on reset() and close().

import { createMfccState, mfccRx, MFCC_COEFFS, MFCC_HOP_SAMPLES, resetMfccState } from '../../native-free-dsp/speech-features.js';
import {
  createSegmenterState,
  resetSegmenterState,
  segmenterRx,
  SEGMENTER_HANGOVER_FRAMES,
  SEGMENTER_MAX_FRAMES,
  SEGMENTER_PAD_FRAMES,
  type SpeechSegment,
} from '../../native-free-dsp/speech-segmenter.js';
import { classifySegment, segmentVector, SEGMENT_VECTOR_LENGTH, type WordModel } from '../../native-free-dsp/speech-classifier.js';
import { CodedError } from '../errors.js';

export const DIGIT_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
export const MENU_WORDS = ['pay the balance', 'yes', 'no', 'correct', 'change'] as const;
export type MenuWord = (typeof MENU_WORDS)[number];
/** The label for everything that is not a word of the vocabulary (speech, noise). */
export const GARBAGE_LABEL = 'garbage';

/** The most probable other digit for a spoken digit ("oh" counted as 0), and its posterior over the chosen word's (at most 1). */
export interface DigitRunnerUp {
  digit: string;
  odds: number;
}

export type WordToken =
  { kind: 'digit'; digit: string; startMs: number; endMs: number; confidence: number; runnerUp: DigitRunnerUp } | { kind: 'word'; word: MenuWord; startMs: number; endMs: number; confidence: number };

export interface RejectedSpan {
  startMs: number;
  endMs: number;
  reason: 'not-in-vocabulary' | 'low-confidence' | 'too-long' | 'dangling-multiplier' | 'rejected-utterance';
}

export interface WordRecogniserListener {
  onToken?(token: WordToken): void;
  /** Something was said that is not a word of the vocabulary; no content is given (PCI). */
  onRejected?(span: RejectedSpan): void;
  /**
   * A word of the vocabulary was heard (no content): the caller is speaking, e.g. to stop a
   * prompt. With whole utterances its token comes at the utterance's end, or never.
   */
  onWord?(atMs: number): void;
  onEndOfUtterance?(atMs: number): void;
}

export interface WordRecogniserOptions {
  /** A word is accepted only if its posterior is at least this. */
  minConfidence?: number;
  /** Silence after the last word that ends the utterance, ms (at most 500 - 80 hangover). */
  endOfUtteranceMs?: number;
  /**
   * Hold an utterance's tokens until it ends and drop them all (one 'rejected-utterance' span)
   * if any of its words was rejected (a segment under minRejectedWordMs aside); default
   * true. False reports each token as its word ends.
   */
  wholeUtterances?: boolean;
  /** Whole utterances: a rejected segment shorter than this does not drop its utterance, ms (0..1000). */
  minRejectedWordMs?: number;
  /**
   * Whole utterances: a digit under the confidence threshold is kept (not rejected) when its
   * utterance holds at least this many digits and nothing rejected; 0 rejects it always.
   * Default MIN_DIGITS_FOR_UNSURE.
   */
  minDigitsForUnsure?: number;
}

export const DEFAULT_MIN_CONFIDENCE = 0.6;
export const DEFAULT_END_OF_UTTERANCE_MS = 400;
const FRAME_MS = (MFCC_HOP_SAMPLES / 8000) * 1000;
/** Frames of MFCCs kept: the longest word plus the hangover and padding that follow it. */
const RING_FRAMES = SEGMENTER_MAX_FRAMES + SEGMENTER_HANGOVER_FRAMES + 2 * SEGMENTER_PAD_FRAMES + 8;
/** Tokens one utterance may hold: the longest card number and then some; more is not a field. */
export const MAX_UTTERANCE_TOKENS = 32;
/**
 * A rejected segment shorter than this (a click, a breath, a consonant's release) does not drop
 * its utterance. Measured on six held-out speakers: every rejected segment in ten minutes of
 * non-digit speech was longer than 300 ms, and the few under 200 ms cost right numbers.
 */
export const DEFAULT_MIN_REJECTED_WORD_MS = 200;
/**
 * An utterance of at least this many digits (the shortest card number) keeps its digits heard
 * under the confidence threshold: non-digit speech does not give twelve digits in a row, and a
 * card number's check digit catches a wrong one (the dialog's Luhn repair may even fix it).
 */
export const MIN_DIGITS_FOR_UNSURE = 12;
/**
 * minDigitsForUnsure while the field being collected has a check digit (the card number): any
 * utterance keeps its unsure digits. A number said in several breaths is several utterances, and
 * an unsure digit would drop its part of the number; the check digit catches a wrong one as it
 * does in one breath. Measured on six held-out speakers: 16-digit numbers right after the Luhn
 * repair 38.5 -> 42.3 % clean and 34.5 -> 44.7 % at 20 dB; wrong numbers passing Luhn 75 -> 110
 * of 1,200 (docs/speech.md).
 */
export const MIN_DIGITS_FOR_UNSURE_CHECKED = 1;

function checkMinDigitsForUnsure(n: number): number {
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_UTTERANCE_TOKENS)) throw new WordRecogniserError('ERR_SPEECH_OPTIONS', `minDigitsForUnsure must be an integer within 0..${MAX_UTTERANCE_TOKENS}`);
  return n;
}

export class WordRecogniserError extends CodedError<'ERR_SPEECH_CLOSED' | 'ERR_SPEECH_OPTIONS'> {}

export class WordRecogniser {
  private readonly mfcc = createMfccState();
  private readonly segmenter = createSegmenterState();
  private readonly frame = new Float32Array(MFCC_COEFFS);
  private readonly ring = new Float32Array(RING_FRAMES * MFCC_COEFFS);
  private readonly segmentFrames = new Float32Array(RING_FRAMES * MFCC_COEFFS);
  private readonly vector = new Float32Array(SEGMENT_VECTOR_LENGTH);
  private readonly minConfidence: number;
  private readonly endFrames: number;
  private readonly wholeUtterances: boolean;
  private readonly minRejectedWordMs: number;
  private minDigitsForUnsure: number;
  /** Whole utterances: the open utterance has a digit heard under the confidence threshold. */
  private unsureDigit = false;
  /** Tokens of the open utterance not yet reported (whole utterances only). */
  private readonly held: WordToken[] = [];
  private utteranceRejected = false;
  private frames = 0;
  private multiplier = 1;
  private multiplierSpan: RejectedSpan | null = null;
  private utteranceOpen = false;
  private closed = false;
  private readonly onFrame = (c: Float32Array, level: number): void => this.frameRx(c, level);

  constructor(
    private readonly model: WordModel,
    private readonly listener: WordRecogniserListener,
    options: WordRecogniserOptions = {},
  ) {
    this.minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
    const eouMs = options.endOfUtteranceMs ?? DEFAULT_END_OF_UTTERANCE_MS;
    if (!(this.minConfidence >= 0 && this.minConfidence <= 1)) throw new WordRecogniserError('ERR_SPEECH_OPTIONS', 'minConfidence must be within 0..1');
    if (!(eouMs >= 100 && eouMs <= 500 - SEGMENTER_HANGOVER_FRAMES * FRAME_MS)) throw new WordRecogniserError('ERR_SPEECH_OPTIONS', 'endOfUtteranceMs must be within 100..420');
    this.endFrames = Math.round(eouMs / FRAME_MS);
    this.wholeUtterances = options.wholeUtterances ?? true;
    this.minRejectedWordMs = options.minRejectedWordMs ?? DEFAULT_MIN_REJECTED_WORD_MS;
    if (!(this.minRejectedWordMs >= 0 && this.minRejectedWordMs <= 1000)) throw new WordRecogniserError('ERR_SPEECH_OPTIONS', 'minRejectedWordMs must be within 0..1000');
    this.minDigitsForUnsure = checkMinDigitsForUnsure(options.minDigitsForUnsure ?? MIN_DIGITS_FOR_UNSURE);
  }

  /**
   * The minDigitsForUnsure option from the next utterance's end on: the dialog sets it per field
   * (MIN_DIGITS_FOR_UNSURE_CHECKED for a field with a check digit).
   */
  setMinDigitsForUnsure(n: number): void {
    this.minDigitsForUnsure = checkMinDigitsForUnsure(n);
  }

  /** 8 kHz 16-bit mono samples, any length. */
  push(samples: Int16Array): void {
    if (this.closed) throw new WordRecogniserError('ERR_SPEECH_CLOSED', 'recogniser is closed');
    mfccRx(this.mfcc, samples, samples.length, this.frame, this.onFrame);
  }

  /** Forgets everything heard so far (buffers zeroed); the next push starts at time 0. */
  reset(): void {
    resetMfccState(this.mfcc);
    resetSegmenterState(this.segmenter);
    this.frame.fill(0);
    this.ring.fill(0);
    this.segmentFrames.fill(0);
    this.vector.fill(0);
    this.frames = 0;
    this.multiplier = 1;
    this.multiplierSpan = null;
    this.utteranceOpen = false;
    this.held.length = 0;
    this.utteranceRejected = false;
    this.unsureDigit = false;
  }

  close(): void {
    if (this.closed) return;
    this.reset();
    this.closed = true;
  }

  private frameRx(c: Float32Array, level: number): void {
    const index = this.frames++;
    this.ring.set(c, (index % RING_FRAMES) * MFCC_COEFFS);
    const segment = segmenterRx(this.segmenter, level);
    if (segment) this.word(segment);
    const lastEnd = this.segmenter.lastSpeechEndFrame;
    if (this.utteranceOpen && !this.segmenter.inSpeech && lastEnd >= 0 && index + 1 - lastEnd >= this.endFrames) {
      this.utteranceOpen = false;
      this.dropMultiplier();
      this.endUtterance();
      this.listener.onEndOfUtterance?.((index + 1) * FRAME_MS);
    }
  }

  /** Whole utterances: report what the utterance held, or drop it all if a word was rejected. */
  private endUtterance(): void {
    const held = this.held;
    if (this.unsureDigit && held.filter((t) => t.kind === 'digit').length < this.minDigitsForUnsure) this.utteranceRejected = true;
    this.unsureDigit = false;
    if (held.length > 0) {
      if (this.utteranceRejected) this.listener.onRejected?.({ startMs: held[0].startMs, endMs: held[held.length - 1].endMs, reason: 'rejected-utterance' });
      else for (const token of held) this.listener.onToken?.(token);
    }
    held.length = 0;
    this.utteranceRejected = false;
  }

  private accept(token: WordToken): void {
    this.listener.onWord?.(token.endMs);
    if (!this.wholeUtterances) return this.listener.onToken?.(token);
    if (this.held.length >= MAX_UTTERANCE_TOKENS) this.utteranceRejected = true;
    else this.held.push(token);
  }

  private word(segment: SpeechSegment): void {
    this.utteranceOpen = true;
    // Frame k starts at k * 10 ms; its window is 25 ms.
    const startMs = segment.startFrame * FRAME_MS;
    const endMs = segment.endFrame * FRAME_MS + 15;
    if (segment.tooLong) {
      this.reject({ startMs, endMs, reason: 'too-long' });
      return;
    }
    const n = segment.endFrame - segment.startFrame;
    for (let f = 0; f < n; f++) {
      const src = ((segment.startFrame + f) % RING_FRAMES) * MFCC_COEFFS;
      this.segmentFrames.set(this.ring.subarray(src, src + MFCC_COEFFS), f * MFCC_COEFFS);
    }
    segmentVector(this.segmentFrames, n, this.vector);
    const posterior = classifySegment(this.model, this.vector);
    let best = 0;
    for (let i = 1; i < posterior.length; i++) if (posterior[i] > posterior[best]) best = i;
    const label = this.model.labels[best];
    const confidence = posterior[best];
    const digit = label === 'oh' ? '0' : label;
    const isDigit = (DIGIT_LABELS as readonly string[]).includes(digit);
    // Read before the posterior is zeroed; only a digit has one.
    const runnerUp = isDigit ? this.runnerUp(posterior, digit, confidence) : null;
    posterior.fill(0);
    if (label === GARBAGE_LABEL) return this.reject({ startMs, endMs, reason: 'not-in-vocabulary' });
    if (confidence < this.minConfidence) {
      // A segment too short to drop its utterance (a breath, a split-off release) stays a rejection.
      const unsure = isDigit && this.wholeUtterances && this.minDigitsForUnsure > 0 && endMs - startMs >= this.minRejectedWordMs;
      if (!unsure) return this.reject({ startMs, endMs, reason: 'low-confidence' });
      this.unsureDigit = true;
    }
    if (label === 'double' || label === 'triple') {
      this.dropMultiplier();
      this.multiplier = label === 'double' ? 2 : 3;
      this.multiplierSpan = { startMs, endMs, reason: 'dangling-multiplier' };
      return;
    }
    if (runnerUp !== null) {
      const times = this.multiplier;
      this.multiplier = 1;
      this.multiplierSpan = null;
      for (let i = 0; i < times; i++) this.accept({ kind: 'digit', digit, startMs, endMs, confidence, runnerUp });
      return;
    }
    if ((MENU_WORDS as readonly string[]).includes(label)) {
      this.dropMultiplier();
      this.accept({ kind: 'word', word: label as MenuWord, startMs, endMs, confidence });
      return;
    }
    this.reject({ startMs, endMs, reason: 'not-in-vocabulary' });
  }

  /** The best digit other than `digit` by posterior, "oh" added to 0. */
  private runnerUp(posterior: Float32Array, digit: string, confidence: number): DigitRunnerUp {
    let best = '';
    let bestP = -1;
    for (const d of DIGIT_LABELS) {
      if (d === digit) continue;
      const i = this.model.labels.indexOf(d);
      let p = i < 0 ? 0 : posterior[i];
      if (d === '0') {
        const oh = this.model.labels.indexOf('oh');
        if (oh >= 0) p += posterior[oh];
      }
      if (p > bestP) {
        best = d;
        bestP = p;
      }
    }
    return { digit: best, odds: confidence > 0 ? Math.min(1, bestP / confidence) : 0 };
  }

  private reject(span: RejectedSpan): void {
    this.dropMultiplier();
    if (span.reason === 'too-long' || span.endMs - span.startMs >= this.minRejectedWordMs) this.utteranceRejected = true;
    this.listener.onRejected?.(span);
  }

  private dropMultiplier(): void {
    if (this.multiplierSpan) {
      this.utteranceRejected = true;
      this.listener.onRejected?.({ ...this.multiplierSpan, reason: 'dangling-multiplier' });
    }
    this.multiplier = 1;
    this.multiplierSpan = null;
  }
}
