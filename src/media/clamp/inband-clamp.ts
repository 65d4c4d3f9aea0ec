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
// crossfade (raised cosine) sits inside the span, so no original tone sample is mixed in.
//
// Streaming: any chunking of the input gives the same output (the clamp decides each output
// sample from the detector events of sub-blocks completed before that sample's input arrived).
// No allocation in push().
import { createDtmfDetector, dtmfFlush, dtmfRx, type DtmfDetector, type DtmfDigitEvent } from '../../../native-free-dsp/dtmf-detector.js';
import { dtmfFrequencies, isDtmfDigit, type DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import { amplitudeToDbm0, dbm0ToAmplitude } from '../../../native-free-dsp/levels.js';
import { CodedError } from '../../errors.js';

export type ClampMode = 'silence' | 'noise' | 'tone' | 'digit';
export const CLAMP_MODES: readonly ClampMode[] = ['silence', 'noise', 'tone', 'digit'];

export function isClampMode(value: string): value is ClampMode {
  return (CLAMP_MODES as readonly string[]).includes(value);
}

export type InbandClampErrorCode = 'ERR_CLAMP_OPTION' | 'ERR_CLAMP_CLOSED' | 'ERR_CLAMP_OUTPUT';

export class InbandClampError extends CodedError<InbandClampErrorCode> {
  override readonly name = 'InbandClampError';
}

export interface InbandClampOptions {
  readonly mode: ClampMode;
  /** Delay of the output, ms (whole samples at 8 kHz). */
  readonly lookaheadMs: number;
  /** Muted before the estimated onset, ms: covers the onset estimate's error (within 5 ms). */
  readonly prePadMs: number;
  /** Muted after the tone was last seen, ms. */
  readonly hangoverMs: number;
  /** Raised-cosine crossfade at each edge of a muted span, ms (inside the span). */
  readonly fadeMs: number;
  /** `tone` mode: the masking tone, Hz and dBm0. */
  readonly maskToneHz: number;
  readonly maskToneDbm0: number;
  /** `digit` mode: the key every digit is replaced with, and its level per tone, dBm0. */
  readonly replacementDigit: DtmfDigit;
  readonly replacementDigitDbm0: number;
  /** `noise` mode: comfort noise follows the background level but never exceeds this, dBm0. */
  readonly maxNoiseDbm0: number;
  /**
   * A candidate is muted from its onset only if its two tones hold at least this share of the
   * power of the window that raised it (0..1); speech raises a candidate about once a second,
   * almost all below this. A candidate below it is still muted from the moment the detector
   * confirms it as a digit.
   */
  readonly minCandidateShare: number;
}

/**
 * Defaults. The lookahead sweep (test/media/inband-clamp-leak.test.ts, docs/measurements.md "In-band clamp"), worst
 * ms of tone not fully replaced per digit on Q.24 corners, fast dialling and 15 dB SNR: 12 ms
 * 7 ms, 16 ms 3 ms, 17 ms 2 ms, 18 ms 1 ms, 20 ms and more 0. The default, 26 ms, is the worst
 * candidate latency measured (17.3 ms) plus the whole pre-pad (8 ms), rounded up: the mute
 * starts a full pre-pad before even the latest-reported onset.
 */
export const DEFAULT_INBAND_CLAMP_OPTIONS: InbandClampOptions = {
  mode: 'silence',
  lookaheadMs: 26,
  prePadMs: 8,
  hangoverMs: 25,
  fadeMs: 1.5,
  // Far from every DTMF tone (367 Hz above 1633 Hz): under -45 dBm0 at the DTMF frequencies
  // in a 5 ms Goertzel window at this level, and not a signalling frequency (2100, 2225, 2400, 2600 Hz).
  maskToneHz: 2800,
  maskToneDbm0: -28,
  replacementDigit: '#',
  replacementDigitDbm0: -10,
  // White noise at -40 dBm0 puts about -54 dBm0 (sine-equivalent) into a 5 ms DTMF bin.
  maxNoiseDbm0: -40,
  minCandidateShare: 0.7,
};

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
const GUARD_HZ: readonly number[] = [1020, 1130];
const CANDIDATE_MAX_GUARD_RATIO = 0.25;
/** Share a later window of an unconfirmed candidate needs (with the deviation and guard limits). */
const RECHECK_MIN_SHARE = 0.65;
const UNCONFIRMED_HANGOVER_MS = 10;
/** The detector's analysis window, samples: what raised a candidate. */
const CANDIDATE_WINDOW = 102;
const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;
/** Muted spans pending at once (within the lookahead); more merge into the last. */
const MAX_SPANS = 64;
/** Background level: 20 ms frames of unmuted output. */
const NOISE_FRAME = 160;
/** The background estimate rises at most this much per frame (about 10 dB/s); it drops at once. */
const NOISE_RISE_PER_FRAME = 1.05;
/** Starting background estimate, dBm0 (a quiet line), until the first frame is measured. */
const NOISE_INITIAL_DBM0 = -60;
/**
 * Floor of the background estimate, dBm0: digital silence (a lost packet, the line refilling
 * after a reset) must not pin the estimate at zero, from where a relative rise never recovers.
 */
const NOISE_FLOOR_DBM0 = -70;
/** Mute windows given from outside (mute()) pending at once; more merge into the last. */
const MAX_EXTERNAL = 16;

function checkOption(ok: boolean, message: string): void {
  if (!ok) throw new InbandClampError('ERR_CLAMP_OPTION', message);
}

export function validateClampOptions(options: InbandClampOptions): void {
  checkOption(isClampMode(options.mode), `mode must be one of ${CLAMP_MODES.join(', ')}`);
  checkOption(Number.isFinite(options.lookaheadMs) && options.lookaheadMs >= 0 && options.lookaheadMs <= 1000, 'lookaheadMs must be 0..1000');
  checkOption(Number.isFinite(options.prePadMs) && options.prePadMs >= 0 && options.prePadMs <= 100, 'prePadMs must be 0..100');
  checkOption(Number.isFinite(options.hangoverMs) && options.hangoverMs >= 0 && options.hangoverMs <= 500, 'hangoverMs must be 0..500');
  checkOption(Number.isFinite(options.fadeMs) && options.fadeMs >= 0 && options.fadeMs <= 10, 'fadeMs must be 0..10');
  checkOption(Number.isFinite(options.maskToneHz) && options.maskToneHz > 0 && options.maskToneHz < SAMPLE_RATE_HZ / 2, 'maskToneHz must be between 0 and 4000');
  checkOption(Number.isFinite(options.maskToneDbm0) && options.maskToneDbm0 <= 3, 'maskToneDbm0 must be at most 3');
  checkOption(isDtmfDigit(options.replacementDigit), 'replacementDigit must be a DTMF key');
  checkOption(Number.isFinite(options.replacementDigitDbm0) && options.replacementDigitDbm0 <= -3, 'replacementDigitDbm0 must be at most -3');
  checkOption(Number.isFinite(options.maxNoiseDbm0) && options.maxNoiseDbm0 <= 0, 'maxNoiseDbm0 must be at most 0');
  checkOption(Number.isFinite(options.minCandidateShare) && options.minCandidateShare >= 0 && options.minCandidateShare <= 1, 'minCandidateShare must be 0..1');
}

/** What the clamp reports besides its output. */
export interface InbandClampListener {
  /** A digit was confirmed (its tone is being muted). */
  readonly onDigitStart?: (digit: DtmfDigit, startMs: number) => void;
  /** A confirmed digit ended (as `toneguard detect` reports it). */
  readonly onDigit?: (event: DtmfDigitEvent) => void;
}

/**
 * The replacement signal, generated continuously at `sampleRate` (the offline CLI runs it at a
 * file's own rate). Two sines (tone: one of them silent) and a xorshift32 noise source.
 */
export interface ReplacementGenerator {
  readonly mode: ClampMode;
  readonly step1: number;
  readonly step2: number;
  readonly amp1: number;
  readonly amp2: number;
  phase1: number;
  phase2: number;
  seed: number;
  /** Comfort noise peak (uniform noise in [-a, a] has mean square a^2 / 3). */
  noisePeak: number;
}

export function createReplacementGenerator(options: InbandClampOptions, sampleRate: number = SAMPLE_RATE_HZ): ReplacementGenerator {
  let hz1 = 0, hz2 = 0, amp1 = 0, amp2 = 0;
  if (options.mode === 'tone') {
    hz1 = options.maskToneHz;
    amp1 = dbm0ToAmplitude(options.maskToneDbm0);
  } else if (options.mode === 'digit') {
    const { lowHz, highHz } = dtmfFrequencies(options.replacementDigit);
    hz1 = lowHz;
    hz2 = highHz;
    amp1 = amp2 = dbm0ToAmplitude(options.replacementDigitDbm0);
  }
  return {
    mode: options.mode,
    step1: (2 * Math.PI * hz1) / sampleRate,
    step2: (2 * Math.PI * hz2) / sampleRate,
    amp1,
    amp2,
    phase1: 0,
    phase2: 0,
    seed: 0x9e3779b9,
    noisePeak: noisePeakFor(NOISE_INITIAL_DBM0, options.maxNoiseDbm0),
  };
}

function noisePeakFor(meanSquareDbm0: number, maxDbm0: number): number {
  // dBm0 of a mean square m: that of a sine with peak sqrt(2 m); uniform noise: m = a^2 / 3.
  const rms = dbm0ToAmplitude(Math.min(meanSquareDbm0, maxDbm0)) / Math.SQRT2;
  return rms * Math.sqrt(3);
}

/** The next replacement sample. */
export function nextReplacement(gen: ReplacementGenerator): number {
  switch (gen.mode) {
    case 'silence':
      return 0;
    case 'noise': {
      let x = gen.seed;
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      gen.seed = x >>> 0;
      return (gen.seed / 2147483648 - 1) * gen.noisePeak;
    }
    default: {
      const value = gen.amp1 * Math.sin(gen.phase1) + gen.amp2 * Math.sin(gen.phase2);
      gen.phase1 += gen.step1;
      gen.phase2 += gen.step2;
      if (gen.phase1 > 2 * Math.PI) gen.phase1 -= 2 * Math.PI;
      if (gen.phase2 > 2 * Math.PI) gen.phase2 -= 2 * Math.PI;
      return value;
    }
  }
}

/** One streaming clamp (one direction of one call). */
export class InbandClamp {
  readonly options: InbandClampOptions;
  /** The output delay, samples. */
  readonly delaySamples: number;
  private readonly prePad: number;
  private readonly hangover: number;
  private readonly fade: number;
  /** fadeTable[k]: weight of the replacement k samples into a span (raised cosine, 1 from `fade` on). */
  private readonly fadeTable: Float64Array;
  private readonly detector: DtmfDetector;
  private readonly generator: ReplacementGenerator;
  private readonly listener: InbandClampListener;
  /** Delay line, indexed by absolute input sample modulo its length. */
  private readonly ring: Int16Array;
  private readonly ringMask: number;
  /** One detector sub-block of input (dtmfRx reads from index 0). */
  private readonly scratch: Int16Array;
  /** Samples pushed so far (the next input sample's index). */
  private inPos = 0;
  /** Muted spans [start, end) in absolute output samples, a queue in start order (end Infinity while open). */
  private readonly spanStart = new Float64Array(MAX_SPANS);
  private readonly spanEnd = new Float64Array(MAX_SPANS);
  private spanHead = 0;
  private spanCount = 0;
  /** Windows from mute() [start, end) in absolute input samples, sorted, disjoint. */
  private readonly extStart = new Float64Array(MAX_EXTERNAL);
  private readonly extEnd = new Float64Array(MAX_EXTERNAL);
  private extCount = 0;
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
    this.fade = Math.max(1, Math.round(full.fadeMs * SAMPLES_PER_MS));
    this.fadeTable = new Float64Array(this.fade + 1);
    for (let k = 0; k <= this.fade; k++) this.fadeTable[k] = 0.5 - 0.5 * Math.cos((Math.PI * k) / this.fade);
    let size = 1;
    while (size < Math.max(this.delaySamples + 1, CANDIDATE_WINDOW)) size <<= 1;
    this.ring = new Int16Array(size);
    this.ringMask = size - 1;
    this.generator = createReplacementGenerator(full);
    const initial = dbm0ToAmplitude(NOISE_INITIAL_DBM0);
    this.background = (initial * initial) / 2;
    const floor = dbm0ToAmplitude(NOISE_FLOOR_DBM0);
    this.backgroundFloor = (floor * floor) / 2;
    const unconfirmedCap = Math.round(UNCONFIRMED_MAX_MS * SAMPLES_PER_MS);
    const unconfirmedHangover = Math.min(this.hangover, Math.round(UNCONFIRMED_HANGOVER_MS * SAMPLES_PER_MS));
    this.unconfirmedHangover = unconfirmedHangover;
    this.detector = createDtmfDetector({
      onToneCandidate: (startMs, digit) => {
        this.candidateDigit = digit;
        this.candidateActive = true;
        this.candidateOnset = Math.round(startMs * SAMPLES_PER_MS);
        this.candidateConfirmed = false;
        this.candidateMuted = this.looksLikeTone(digit);
        if (!this.candidateMuted) return;
        // Until it is confirmed, a candidate is muted for at most UNCONFIRMED_MAX_MS: longer
        // than any tone the detector rejects as too short, shorter than most speech tracks.
        this.openSpan(this.candidateOnset - this.prePad);
        this.closeSpan(this.candidateOnset + unconfirmedCap + unconfirmedHangover);
      },
      onToneCandidateEnd: (endMs) => {
        const end = Math.round(endMs * SAMPLES_PER_MS);
        if (this.candidateConfirmed) this.closeSpan(end + this.hangover);
        else if (this.candidateMuted) this.closeSpan(Math.min(end, this.candidateOnset + unconfirmedCap) + unconfirmedHangover);
        this.candidateMuted = false;
        this.candidateConfirmed = false;
        this.candidateActive = false;
      },
      onDigitStart: (digit, startMs) => {
        // A confirmed digit is muted until it ends, whatever its first window looked like.
        this.candidateConfirmed = true;
        if (this.candidateMuted) this.reopenSpan();
        else this.openSpan(Math.round(startMs * SAMPLES_PER_MS) - this.prePad);
        this.candidateMuted = true;
        this.listener.onDigitStart?.(digit, startMs);
      },
      onDigit: (event) => this.listener.onDigit?.(event),
    });
    this.scratch = new Int16Array(this.detector.block.length);
  }

  /** The gate on the last analysis window: does it look like a generator's tone pair? */
  private looksLikeTone(digit: DtmfDigit): boolean {
    const share = this.candidateShare(digit);
    this.lastCandidateShare = share;
    return (
      share >= this.options.minCandidateShare ||
      (share >= PRECISE_MIN_SHARE && this.lastCandidateDeviation <= PRECISE_MAX_DEVIATION && this.lastCandidateGuard <= CANDIDATE_MAX_GUARD_RATIO)
    );
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
    this.openSpan(this.inPos - CANDIDATE_WINDOW - this.prePad);
    this.extendSpan(this.inPos + this.unconfirmedHangover);
  }

  /** Moves the end of the last span later (never earlier; an open span stays open). */
  private extendSpan(end: number): void {
    if (this.spanCount === 0) return;
    const last = (this.spanHead + this.spanCount - 1) % MAX_SPANS;
    if (this.spanEnd[last] < end) this.spanEnd[last] = end;
  }

  /**
   * Share of the power of the last CANDIDATE_WINDOW input samples (the window that raised the
   * candidate) held by the digit's two tones: 2 (|X_low|^2 + |X_high|^2) / N^2 over the mean square.
   */
  private candidateShare(digit: DtmfDigit): number {
    const { ring, ringMask } = this;
    const end = this.inPos;
    const n = Math.min(CANDIDATE_WINDOW, end);
    if (n < CANDIDATE_WINDOW) return 0;
    const { lowHz, highHz } = dtmfFrequencies(digit);
    const wl = (2 * Math.PI * lowHz) / SAMPLE_RATE_HZ;
    const wh = (2 * Math.PI * highHz) / SAMPLE_RATE_HZ;
    const half = CANDIDATE_WINDOW / 2;
    // DFT of each half at both tones, phase referred to the window's first sample.
    const wg1 = (2 * Math.PI * GUARD_HZ[0]) / SAMPLE_RATE_HZ;
    const wg2 = (2 * Math.PI * GUARD_HZ[1]) / SAMPLE_RATE_HZ;
    let l1r = 0, l1i = 0, l2r = 0, l2i = 0, h1r = 0, h1i = 0, h2r = 0, h2i = 0, energy = 0;
    let g1r = 0, g1i = 0, g2r = 0, g2i = 0;
    for (let k = 0; k < CANDIDATE_WINDOW; k++) {
      const x = ring[(end - CANDIDATE_WINDOW + k) & ringMask];
      energy += x * x;
      g1r += x * Math.cos(wg1 * k); g1i -= x * Math.sin(wg1 * k);
      g2r += x * Math.cos(wg2 * k); g2i -= x * Math.sin(wg2 * k);
      const lr = x * Math.cos(wl * k), li = -x * Math.sin(wl * k);
      const hr = x * Math.cos(wh * k), hi = -x * Math.sin(wh * k);
      if (k < half) { l1r += lr; l1i += li; h1r += hr; h1i += hi; } else { l2r += lr; l2i += li; h2r += hr; h2i += hi; }
    }
    if (energy === 0) return 0;
    const lr = l1r + l2r, li = l1i + l2i, hr = h1r + h2r, hi = h1i + h2i;
    const share = (2 * (lr * lr + li * li + hr * hr + hi * hi)) / (CANDIDATE_WINDOW * energy);
    // Phase step between the halves: (w' - w) * half for a tone at w'.
    const lowDev = Math.abs(Math.atan2(l2i * l1r - l2r * l1i, l2r * l1r + l2i * l1i) / (wl * half));
    const highDev = Math.abs(Math.atan2(h2i * h1r - h2r * h1i, h2r * h1r + h2i * h1i) / (wh * half));
    this.lastCandidateDeviation = Math.max(lowDev, highDev);
    const weaker = Math.min(lr * lr + li * li, hr * hr + hi * hi);
    this.lastCandidateGuard = weaker > 0 ? Math.max(g1r * g1r + g1i * g1i, g2r * g2r + g2i * g2i) / weaker : Infinity;
    return share;
  }

  /** The next output sample's index (= input index - delay). */
  private get outPos(): number {
    return this.inPos - this.delaySamples;
  }

  private openSpan(start: number): void {
    // The span cannot start before what is already out: with too small a lookahead the onset leaks.
    const from = Math.max(start, this.outPos);
    if (this.spanCount > 0) {
      const last = (this.spanHead + this.spanCount - 1) % MAX_SPANS;
      // Touching or overlapping the previous span (fast dialling, a drop-out): one span.
      if (from <= this.spanEnd[last] + this.fade) {
        this.spanEnd[last] = Infinity;
        return;
      }
      if (this.spanCount === MAX_SPANS) {
        this.spanEnd[last] = Infinity;
        return;
      }
    }
    const i = (this.spanHead + this.spanCount) % MAX_SPANS;
    this.spanStart[i] = from;
    this.spanEnd[i] = Infinity;
    this.spanCount++;
  }

  /** The last span stays open again (its candidate was confirmed). */
  private reopenSpan(): void {
    if (this.spanCount === 0) return;
    this.spanEnd[(this.spanHead + this.spanCount - 1) % MAX_SPANS] = Infinity;
  }

  private closeSpan(end: number): void {
    if (this.spanCount === 0) return;
    const last = (this.spanHead + this.spanCount - 1) % MAX_SPANS;
    // Never end before a full fade-out from what is already out (no step in the output).
    this.spanEnd[last] = Math.max(end, this.outPos + this.fade, this.spanStart[last] + 2 * this.fade);
  }

  /**
   * Pushes `length` input samples and writes `length` output samples (the input delayed by
   * delaySamples, clamped) to `output`, which may be `input` itself. The first delaySamples
   * outputs of a stream are silence. `weights`, when given, receives the replacement's weight
   * of each output sample (0: the input as it is, 1: fully replaced), e.g. to apply the same
   * spans to the audio at another rate.
   */
  push(input: Int16Array, output: Int16Array, length: number = input.length, weights?: Float32Array): void {
    if (this.closed) throw new InbandClampError('ERR_CLAMP_CLOSED', 'push() after close()');
    if (output.length < length || input.length < length || (weights !== undefined && weights.length < length)) {
      throw new InbandClampError('ERR_CLAMP_OUTPUT', `push(): input, output and weights need ${length} samples`);
    }
    const det = this.detector;
    const subBlock = det.block.length;
    let i = 0;
    while (i < length) {
      // Up to the detector's next sub-block boundary: every output here is decided on events
      // from sub-blocks completed before this piece, so the chunking does not matter.
      const n = Math.min(length - i, subBlock - det.subPos);
      this.emit(input, output, i, n, weights);
      const scratch = this.scratch;
      for (let j = 0; j < n; j++) scratch[j] = input[i + j];
      const hadCandidate = this.candidateActive && !this.candidateConfirmed;
      dtmfRx(det, scratch, n);
      if (hadCandidate && det.subPos === 0 && this.candidateActive && !this.candidateConfirmed) this.recheckCandidate();
      i += n;
    }
  }

  /** Writes the outputs for input[i, i + n) into output[i, i + n). */
  private emit(input: Int16Array, output: Int16Array, i: number, n: number, weights: Float32Array | undefined): void {
    const { ring, ringMask, delaySamples } = this;
    let outPos = this.inPos - delaySamples;
    if ((this.spanCount === 0 || this.spanStart[this.spanHead] >= outPos + n) && (this.extCount === 0 || this.extStart[0] >= outPos + n)) {
      // Fast path: no span reaches this piece (spans only appear after it, from the detector).
      let frameSum = this.frameSum;
      let frameCount = this.frameCount;
      for (let j = i; j < i + n; j++) {
        const delayed = outPos >= 0 ? ring[outPos & ringMask] : 0;
        ring[(outPos + delaySamples) & ringMask] = input[j];
        output[j] = delayed;
        if (weights !== undefined) weights[j] = 0;
        if (outPos >= 0) {
          frameSum += delayed * delayed;
          if (++frameCount === NOISE_FRAME) {
            this.endNoiseFrame(frameSum);
            frameSum = 0;
            frameCount = 0;
          }
        }
        outPos++;
      }
      this.frameSum = frameSum;
      this.frameCount = frameCount;
      this.inPos += n;
      return;
    }
    for (let j = i; j < i + n; j++) {
      const x = input[j];
      const delayed = outPos >= 0 ? ring[outPos & ringMask] : 0;
      // Read before write: with ring length > delay, this slot held sample inPos - ring length.
      ring[(outPos + delaySamples) & ringMask] = x;
      const w = this.weightAt(outPos);
      if (weights !== undefined) weights[j] = w;
      if (w === 0) {
        output[j] = delayed;
        if (outPos >= 0) this.measureBackground(delayed);
      } else {
        const y = delayed * (1 - w) + nextReplacement(this.generator) * w;
        output[j] = y > 32767 ? 32767 : y < -32768 ? -32768 : Math.round(y);
        this.mutedSamples++;
      }
      outPos++;
    }
    this.inPos += n;
  }

  /** Weight of the replacement at output sample n (0: the input as it is). */
  private weightAt(n: number): number {
    const external = this.extCount > 0 ? this.externalWeightAt(n) : 0;
    const own = this.spanWeightAt(n);
    return own > external ? own : external;
  }

  private externalWeightAt(n: number): number {
    while (this.extCount > 0 && this.extEnd[0] <= n) this.dropExternal(0);
    if (this.extCount === 0 || n < this.extStart[0]) return 0;
    return this.fadeTable[Math.min(n - this.extStart[0] + 1, this.extEnd[0] - n, this.fade)];
  }

  private dropExternal(i: number): void {
    this.extStart.copyWithin(i, i + 1, this.extCount);
    this.extEnd.copyWithin(i, i + 1, this.extCount);
    this.extCount--;
  }

  /**
   * Input samples [start, end) (absolute indices, as counted by push) must not reach the output,
   * whatever the detector says: e.g. an RFC 4733 event's span widened by the tone a gateway leaks
   * around it. Only what has not come out yet can be muted (start is clipped to the output
   * position). Windows that overlap or touch merge; the crossfades sit inside the window.
   */
  mute(start: number, end: number): void {
    if (this.closed) throw new InbandClampError('ERR_CLAMP_CLOSED', 'mute() after close()');
    let from = Math.max(start, this.outPos);
    let to = end;
    if (!(to > from)) return;
    // Merge every window that overlaps or touches [from, to) (within a fade) into it.
    let i = 0;
    while (i < this.extCount) {
      if (this.extStart[i] <= to + this.fade && this.extEnd[i] + this.fade >= from) {
        from = Math.min(from, this.extStart[i]);
        to = Math.max(to, this.extEnd[i]);
        this.dropExternal(i);
      } else i++;
    }
    if (this.extCount === MAX_EXTERNAL) {
      // Too many at once (cannot happen within a lookahead of real events): widen the last.
      const last = MAX_EXTERNAL - 1;
      this.extStart[last] = Math.min(this.extStart[last], from);
      this.extEnd[last] = Math.max(this.extEnd[last], to);
      return;
    }
    let at = this.extCount;
    while (at > 0 && this.extStart[at - 1] > from) at--;
    this.extStart.copyWithin(at + 1, at, this.extCount);
    this.extEnd.copyWithin(at + 1, at, this.extCount);
    this.extStart[at] = from;
    this.extEnd[at] = to;
    this.extCount++;
  }

  /** The background estimate comfort noise follows (before the maxNoiseDbm0 cap), dBm0. */
  get backgroundDbm0(): number {
    return amplitudeToDbm0(Math.sqrt(2 * this.background));
  }

  /** Input samples pushed so far (the next input sample's absolute index). */
  get position(): number {
    return this.inPos;
  }

  private spanWeightAt(n: number): number {
    while (this.spanCount > 0 && this.spanEnd[this.spanHead] <= n) {
      this.spanHead = (this.spanHead + 1) % MAX_SPANS;
      this.spanCount--;
    }
    if (this.spanCount === 0) return 0;
    const start = this.spanStart[this.spanHead];
    if (n < start) return 0;
    const k = Math.min(n - start + 1, this.spanEnd[this.spanHead] - n, this.fade);
    return this.fadeTable[k];
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
