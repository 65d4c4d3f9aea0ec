// In-band DTMF clamp for 8 kHz 16-bit PCM: the output is the input delayed by a lookahead of L
// samples, with every span that may hold a DTMF tone replaced by what the listener should hear
// instead (modes named as rtpengine's DTMF-security: silence, comfort noise, a masking tone, or
// one fixed digit). Outside those spans the output is the input, sample for sample.
//
// Why a lookahead: the detector can only say a tone may be DTMF once a 12.75 ms analysis window
// holds it (onToneCandidate, 11-17 ms after the onset), and other decoders accept tones as short
// as 20 ms (multimon-ng). Delaying the output by L lets the clamp mute from before the onset (the
// onset estimate minus a pre-pad) as long as L >= candidate latency + pre-pad.
//
// Which candidates: speech and music raise a candidate about once a second. Muting them all
// would cut 13 % of speech, so a candidate is muted from its onset when its first window looks
// like a generator's pair (the two tones hold most of its power, or they sit within 1.2 % of
// nominal with little between the groups); later windows of the track are gated again (a tone
// that starts inside a track speech began); and every confirmed digit is muted until it ends.
// An unconfirmed candidate is muted for at most 40 ms + 10 ms hangover.
//
// A candidate's span is [onset - prePad, end + hangover): the end is where the detector last saw
// the tone, and the hangover covers the decaying tail and the sub-block the end falls in. The
// crossfade (raised cosine) sits inside the span, so no original tone sample is mixed in. The
// spans and the windows given from outside (mute()) are the clamp's MuteSchedule.
//
// Streaming: any chunking of the input gives the same output (the clamp decides each output
// sample from the detector events of sub-blocks completed before that sample's input arrived).
// No allocation in push().
import { measureDtmfCandidate, newCandidateMeasure, DTMF_CANDIDATE_WINDOW } from '../../../native-free-dsp/dtmf-candidate.js';
import {
  createDtmfDetector,
  dtmfAtDecision,
  dtmfFlush,
  dtmfHistory,
  dtmfRx,
  dtmfSamplesToDecision,
  resetDtmfDetector,
  DTMF_SUB_BLOCK_SAMPLES,
  type DtmfDetector,
  type DtmfDigitEvent,
  type GoertzelKernel,
} from '../../../native-free-dsp/dtmf-detector.js';
import type { DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import { amplitudeToDbm0, dbm0ToAmplitude } from '../../../native-free-dsp/levels.js';
import { DEFAULT_INBAND_CLAMP_OPTIONS, InbandClampError, validateClampOptions, type InbandClampOptions } from './inband-clamp-options.js';
import { MuteSchedule } from './mute-schedule.js';
import { createReplacementGenerator, nextReplacement, NOISE_INITIAL_DBM0, type ReplacementGenerator } from './replacement-signal.js';

export * from './inband-clamp-options.js';
export * from './replacement-signal.js';

const SAMPLE_RATE_HZ = 8000;
/**
 * A candidate whose first window falls short of minCandidateShare is still muted from its onset
 * when its tones hold this share and both sit within this relative deviation of nominal (a
 * generator's tone under speech); speech harmonics are rarely both.
 */
const PRECISE_MIN_SHARE = 0.3;
const PRECISE_MAX_DEVIATION = 0.012;
/** An unconfirmed candidate is muted for at most this long after its onset, ms, plus this hangover. */
const UNCONFIRMED_MAX_MS = 40;
/**
 * Voiced speech with a pitch under about 230 Hz has a harmonic between the groups (the
 * detector's guard test, at -10 dB, and -8 dB for digits under speech): a candidate below
 * minCandidateShare with more than -6 dB there, relative to its weaker tone, is left to
 * confirmation. (Not applied above minCandidateShare: at 8 dB twist a clean 941 Hz tone 1.5 %
 * high leaks -6 dB of the weaker tone into the 1020 Hz bin of a 102-sample window.)
 */
const CANDIDATE_MAX_GUARD_RATIO = 0.25;
/** Share a later window of an unconfirmed candidate needs (with the deviation and guard limits). */
const RECHECK_MIN_SHARE = 0.65;
const UNCONFIRMED_HANGOVER_MS = 10;
/** The detector's analysis window, samples: what raised a candidate. */
const CANDIDATE_WINDOW = DTMF_CANDIDATE_WINDOW;
const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;
/** Background level: 20 ms frames of unmuted output. */
const NOISE_FRAME = 160;
/** The background estimate rises at most this much per frame (about 10 dB/s); it drops at once. */
const NOISE_RISE_PER_FRAME = 1.05;
/**
 * Floor of the background estimate, dBm0: digital silence (a lost packet, the line refilling
 * after a reset) must not pin the estimate at zero, from where a relative rise never recovers.
 */
const NOISE_FLOOR_DBM0 = -70;

/** The background estimate (mean square) a line starts from. */
function initialBackground(): number {
  const initial = dbm0ToAmplitude(NOISE_INITIAL_DBM0);
  return (initial * initial) / 2;
}

/** What the clamp reports besides its output. */
export interface InbandClampListener {
  /** A digit was confirmed (its tone is being muted). */
  readonly onDigitStart?: (digit: DtmfDigit, startMs: number) => void;
  /** A confirmed digit ended (as `toneguard detect` reports it). */
  readonly onDigit?: (event: DtmfDigitEvent) => void;
}

/**
 * Whether output[0, length) is input[0, length) through another view (in place); throws when
 * the two overlap otherwise, where outputs would overwrite inputs not yet read.
 */
function sharesSamples(input: Int16Array, output: Int16Array, length: number): boolean {
  if (input.buffer !== output.buffer) return false;
  const a = input.byteOffset;
  const b = output.byteOffset;
  if (a === b) return true;
  const bytes = length * Int16Array.BYTES_PER_ELEMENT;
  if (a < b + bytes && b < a + bytes) throw new InbandClampError('ERR_CLAMP_OUTPUT', 'push(): output overlaps input at another offset');
  return false;
}

/** One streaming clamp (one direction of one call). */
export class InbandClamp {
  readonly options: InbandClampOptions;
  /** The output delay, samples. */
  readonly delaySamples: number;
  private readonly prePad: number;
  private readonly hangover: number;
  /** What is replaced at which output sample: the candidates' and digits' spans, mute()'s windows. */
  private readonly schedule: MuteSchedule;
  private readonly detector: DtmfDetector;
  private readonly generator: ReplacementGenerator;
  private readonly listener: InbandClampListener;
  /**
   * The delay line: the detector's sample history (dtmfHistory), indexed by absolute input
   * sample; the clamp keeps no copy of its input.
   */
  private readonly history: Int16Array;
  private readonly historyMask: number;
  /** options.replacedOnly: unreplaced output samples are not written. */
  private readonly replacedOnly: boolean;
  /** Only comfort noise follows the background: the other modes do not measure it. */
  private readonly measuresBackground: boolean;
  /** Samples pushed so far (the next input sample's index). */
  private inPos = 0;
  /** One detector sub-block of input, for push() in place (made on first use). */
  private inPlaceCopy: Int16Array | undefined;
  private readonly backgroundFloor: number;
  /** Background estimate (mean square) for comfort noise, and the frame being summed. */
  private background: number;
  private frameSum = 0;
  private frameCount = 0;
  private framesMeasured = 0;
  private closed = false;
  /** Samples muted so far (any weight above 0). */
  mutedSamples = 0;
  /** The current candidate: muted, confirmed, its onset (samples); its first window's share and deviation. */
  private candidateMuted = false;
  private candidateConfirmed = false;
  private candidateOnset = 0;
  private candidateActive = false;
  private candidateDigit: DtmfDigit = '0';
  private readonly unconfirmedHangover: number;
  private readonly candidate = newCandidateMeasure();
  lastCandidateShare = 0;
  lastCandidateDeviation = 0;
  /** Power between the groups (1020, 1130 Hz) over the weaker tone's, in the candidate's window. */
  lastCandidateGuard = 0;

  constructor(options: Partial<InbandClampOptions> = {}, listener: InbandClampListener = {}) {
    const full: InbandClampOptions = { ...DEFAULT_INBAND_CLAMP_OPTIONS, ...options };
    validateClampOptions(full);
    this.options = full;
    this.listener = listener;
    this.delaySamples = Math.round(full.lookaheadMs * SAMPLES_PER_MS);
    this.prePad = Math.round(full.prePadMs * SAMPLES_PER_MS);
    this.hangover = Math.round(full.hangoverMs * SAMPLES_PER_MS);
    this.schedule = new MuteSchedule(Math.max(1, Math.round(full.fadeMs * SAMPLES_PER_MS)));
    this.generator = createReplacementGenerator(full);
    this.replacedOnly = full.replacedOnly;
    this.measuresBackground = full.mode === 'noise';
    this.background = initialBackground();
    const floor = dbm0ToAmplitude(NOISE_FLOOR_DBM0);
    this.backgroundFloor = (floor * floor) / 2;
    const unconfirmedCap = Math.round(UNCONFIRMED_MAX_MS * SAMPLES_PER_MS);
    const unconfirmedHangover = Math.min(this.hangover, Math.round(UNCONFIRMED_HANGOVER_MS * SAMPLES_PER_MS));
    this.unconfirmedHangover = unconfirmedHangover;
    this.detector = createDtmfDetector(
      {
        onToneCandidate: (startMs, digit) => {
          this.candidateDigit = digit;
          this.candidateActive = true;
          this.candidateOnset = Math.round(startMs * SAMPLES_PER_MS);
          this.candidateConfirmed = false;
          this.candidateMuted = this.looksLikeTone(digit);
          if (!this.candidateMuted) return;
          // Until it is confirmed, a candidate is muted for at most UNCONFIRMED_MAX_MS: longer
          // than any tone the detector rejects as too short, shorter than most speech tracks.
          this.schedule.openSpan(this.candidateOnset - this.prePad, this.outPos);
          this.schedule.closeSpan(this.candidateOnset + unconfirmedCap + unconfirmedHangover, this.outPos);
        },
        onToneCandidateEnd: (endMs) => {
          const end = Math.round(endMs * SAMPLES_PER_MS);
          if (this.candidateConfirmed) this.schedule.closeSpan(end + this.hangover, this.outPos);
          else if (this.candidateMuted) this.schedule.closeSpan(Math.min(end, this.candidateOnset + unconfirmedCap) + unconfirmedHangover, this.outPos);
          this.candidateMuted = false;
          this.candidateConfirmed = false;
          this.candidateActive = false;
        },
        onDigitStart: (digit, startMs) => {
          // A confirmed digit is muted until it ends, whatever its first window looked like.
          this.candidateConfirmed = true;
          if (this.candidateMuted) this.schedule.reopenSpan();
          else this.schedule.openSpan(Math.round(startMs * SAMPLES_PER_MS) - this.prePad, this.outPos);
          this.candidateMuted = true;
          this.listener.onDigitStart?.(digit, startMs);
        },
        onDigit: (event) => this.listener.onDigit?.(event),
      },
      {},
      { kernel: full.detectorKernel },
    );
    this.history = dtmfHistory(this.detector);
    this.historyMask = this.history.length - 1;
  }

  /** The Goertzel kernel the clamp's detector runs (options.detectorKernel). */
  get detectorKernel(): GoertzelKernel {
    return this.detector.kernel;
  }

  /** The gate on the last analysis window: does it look like a generator's tone pair? */
  private looksLikeTone(digit: DtmfDigit): boolean {
    const share = this.candidateShare(digit);
    this.lastCandidateShare = share;
    return share >= this.options.minCandidateShare || (share >= PRECISE_MIN_SHARE && this.lastCandidateDeviation <= PRECISE_MAX_DEVIATION && this.lastCandidateGuard <= CANDIDATE_MAX_GUARD_RATIO);
  }

  /**
   * While an unconfirmed candidate goes on, each new window is gated again: a tone that starts
   * inside a track speech began (same key) is muted from its window, not from its confirmation.
   */
  private recheckCandidate(): void {
    // Stricter than the first window's gate (every test at once): a track goes on for many
    // windows, and music holds notes steady.
    const share = this.candidateShare(this.candidateDigit);
    if (share < RECHECK_MIN_SHARE || this.lastCandidateDeviation > PRECISE_MAX_DEVIATION || this.lastCandidateGuard > CANDIDATE_MAX_GUARD_RATIO) return;
    this.candidateMuted = true;
    this.schedule.openSpan(this.inPos - CANDIDATE_WINDOW - this.prePad, this.outPos);
    this.schedule.extendSpan(this.inPos + this.unconfirmedHangover);
  }

  /** The digit's share of the last analysis window (measureDtmfCandidate), its deviation and guard kept for the gates. */
  private candidateShare(digit: DtmfDigit): number {
    const m = this.candidate;
    const share = measureDtmfCandidate(this.history, this.historyMask, this.inPos, digit, m);
    this.lastCandidateDeviation = m.deviation;
    this.lastCandidateGuard = m.guardRatio;
    return share;
  }

  /** The next output sample's index (= input index - delay). */
  private get outPos(): number {
    return this.inPos - this.delaySamples;
  }

  /**
   * Pushes `length` input samples and writes `length` output samples (the input delayed by
   * delaySamples, clamped) to `output`, which may be `input` itself. The first delaySamples
   * outputs of a stream are silence. `weights`, when given, receives the replacement's weight
   * of each output sample (0: the input as it is, 1: fully replaced), e.g. to apply the same
   * spans to the audio at another rate. With options.replacedOnly only the output samples whose
   * weight is not 0 are written.
   */
  push(input: Int16Array, output: Int16Array, length: number = input.length, weights?: Float32Array): void {
    if (this.closed) throw new InbandClampError('ERR_CLAMP_CLOSED', 'push() after close()');
    if (output.length < length || input.length < length || (weights !== undefined && weights.length < length)) {
      throw new InbandClampError('ERR_CLAMP_OUTPUT', `push(): input, output and weights need ${length} samples`);
    }
    const det = this.detector;
    // In place, emit() overwrites the input: the detector gets a copy taken before.
    const inPlace = output === input || sharesSamples(input, output, length);
    const copy = inPlace ? (this.inPlaceCopy ??= new Int16Array(DTMF_SUB_BLOCK_SAMPLES)) : undefined;
    let i = 0;
    while (i < length) {
      // Up to the detector's next sub-block boundary: every output here is decided on events
      // from sub-blocks completed before this piece, so the chunking does not matter.
      const n = Math.min(length - i, dtmfSamplesToDecision(det));
      if (copy !== undefined) copy.set(input.subarray(i, i + n));
      this.emit(output, i, n, weights);
      const hadCandidate = this.candidateActive && !this.candidateConfirmed;
      if (copy === undefined) dtmfRx(det, input, n, i);
      else dtmfRx(det, copy, n);
      if (hadCandidate && dtmfAtDecision(det) && this.candidateActive && !this.candidateConfirmed) this.recheckCandidate();
      i += n;
    }
  }

  /**
   * Writes the outputs for input[i, i + n) into output[i, i + n) (with replacedOnly, those it
   * replaces), before the detector takes the piece: they are the input of delaySamples earlier
   * (delaySamples >= n, validateClampOptions), which the detector's history holds.
   */
  private emit(output: Int16Array, i: number, n: number, weights: Float32Array | undefined): void {
    const { history, historyMask, delaySamples, schedule, replacedOnly, measuresBackground } = this;
    let outPos = this.inPos - delaySamples;
    if (schedule.clearOver(outPos, n)) {
      // Fast path: no span reaches this piece (spans only appear after it, from the detector).
      const end = i + n;
      if (weights !== undefined) weights.fill(0, i, end);
      if (!replacedOnly) {
        let j = i;
        // The stream's first delaySamples outputs are silence.
        for (; j < end && outPos < 0; j++, outPos++) output[j] = 0;
        for (; j < end; j++, outPos++) output[j] = history[outPos & historyMask];
      }
      if (measuresBackground) this.measureUnmuted(this.inPos - delaySamples, n);
      this.inPos += n;
      return;
    }
    for (let j = i; j < i + n; j++) {
      const delayed = outPos >= 0 ? history[outPos & historyMask] : 0;
      const w = schedule.weightAt(outPos);
      if (weights !== undefined) weights[j] = w;
      if (w === 0) {
        if (!replacedOnly) output[j] = delayed;
        if (outPos >= 0 && measuresBackground) this.measureBackground(delayed);
      } else {
        const y = delayed * (1 - w) + nextReplacement(this.generator) * w;
        output[j] = y > 32767 ? 32767 : y < -32768 ? -32768 : Math.round(y);
        this.mutedSamples++;
      }
      outPos++;
    }
    this.inPos += n;
  }

  /**
   * Input samples [start, end) (absolute indices, as counted by push) must not reach the output,
   * whatever the detector says: e.g. an RFC 4733 event's span widened by the tone a gateway leaks
   * around it. Only what has not come out yet can be muted (start is clipped to the output
   * position). Windows that overlap or touch merge; the crossfades sit inside the window.
   */
  mute(start: number, end: number): void {
    if (this.closed) throw new InbandClampError('ERR_CLAMP_CLOSED', 'mute() after close()');
    this.schedule.addWindow(start, end, this.outPos);
  }

  /** The background estimate comfort noise follows (before the maxNoiseDbm0 cap), dBm0; noise mode only (the others keep the initial estimate). */
  get backgroundDbm0(): number {
    return amplitudeToDbm0(Math.sqrt(2 * this.background));
  }

  /** Input samples pushed so far (the next input sample's absolute index). */
  get position(): number {
    return this.inPos;
  }

  /** Output samples [from, from + n) went out unmuted: the background takes those of the stream (from 0 on; before, silence). */
  private measureUnmuted(from: number, n: number): void {
    const { history, historyMask } = this;
    for (let p = Math.max(from, 0); p < from + n; p++) this.measureBackground(history[p & historyMask]);
  }

  private measureBackground(sample: number): void {
    this.frameSum += sample * sample;
    if (++this.frameCount < NOISE_FRAME) return;
    const sum = this.frameSum;
    this.frameSum = 0;
    this.frameCount = 0;
    this.endNoiseFrame(sum);
  }

  /** A 20 ms frame of unmuted output ended with this sum of squares: update the background. */
  private endNoiseFrame(sum: number): void {
    const meanSquare = Math.max(sum / NOISE_FRAME, this.backgroundFloor);
    // The first frame sets the estimate; then it follows drops at once and rises slowly.
    this.background = this.framesMeasured++ === 0 || meanSquare < this.background ? meanSquare : Math.min(meanSquare, this.background * NOISE_RISE_PER_FRAME);
    if (this.generator.mode === 'noise') {
      const rms = Math.sqrt(this.background);
      const cap = dbm0ToAmplitude(this.options.maxNoiseDbm0) / Math.SQRT2;
      this.generator.noisePeak = Math.min(rms, cap) * Math.sqrt(3);
    }
  }

  /**
   * End of stream: pushes delaySamples of silence, so that `output` (delaySamples long) gets
   * the last input samples, and reports a digit still in progress.
   */
  flush(output: Int16Array, weights?: Float32Array): void {
    const zeros = new Int16Array(this.delaySamples);
    this.push(zeros, output, this.delaySamples, weights);
    dtmfFlush(this.detector);
  }

  /**
   * A fresh line: from here the clamp works as a new one with the same options would (the line
   * refills from silence, no span, the background and the detector start over), without making
   * a new detector, whose WebAssembly instance costs about as much as a hundred packets: a
   * sender that keeps jumping between timelines makes the audio clamp start over at each jump.
   */
  reset(): void {
    if (this.closed) throw new InbandClampError('ERR_CLAMP_CLOSED', 'reset() after close()');
    resetDtmfDetector(this.detector);
    this.schedule.clear();
    Object.assign(this.generator, createReplacementGenerator(this.options));
    this.inPos = 0;
    this.background = initialBackground();
    this.frameSum = 0;
    this.frameCount = 0;
    this.framesMeasured = 0;
    this.mutedSamples = 0;
    this.candidateMuted = false;
    this.candidateConfirmed = false;
    this.candidateOnset = 0;
    this.candidateActive = false;
    this.candidateDigit = '0';
    this.lastCandidateShare = 0;
    this.lastCandidateDeviation = 0;
    this.lastCandidateGuard = 0;
  }

  close(): void {
    this.closed = true;
  }
}

export interface ClampResult {
  /** Same length as the input, time-aligned with it (the lookahead removed). */
  readonly output: Int16Array;
  /** Replacement weight per output sample (0: input, 1: replaced). */
  readonly weights: Float32Array;
  /** Confirmed digits, as `toneguard detect` reports them. */
  readonly digits: DtmfDigitEvent[];
  readonly mutedSamples: number;
}

/** Offline clamp of a whole 8 kHz buffer: output aligned with the input. */
export function clampPcm(pcm: Int16Array, options: Partial<InbandClampOptions> = {}): ClampResult {
  const digits: DtmfDigitEvent[] = [];
  const clamp = new InbandClamp(options, { onDigit: (event) => digits.push(event) });
  const delay = clamp.delaySamples;
  const delayed = new Int16Array(pcm.length + delay);
  const weights = new Float32Array(pcm.length + delay);
  clamp.push(pcm, delayed, pcm.length, weights);
  clamp.flush(delayed.subarray(pcm.length), weights.subarray(pcm.length));
  clamp.close();
  return { output: delayed.slice(delay), weights: weights.slice(delay), digits, mutedSamples: clamp.mutedSamples };
}
