// Options, defaults and errors of the in-band clamp (config `clamp.*`), validated in one place.
import { DTMF_CANDIDATE_WINDOW } from '../../../native-free-dsp/dtmf-candidate.js';
import { DTMF_HISTORY_SAMPLES, DTMF_SUB_BLOCK_SAMPLES, isGoertzelKernelAvailable, type GoertzelKernel } from '../../../native-free-dsp/dtmf-detector.js';
import { isDtmfDigit, type DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
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
  /**
   * The detector's Goertzel kernel (not a config key). The clamp feeds the detector up to each
   * sub-block boundary, pieces of at most 51 samples, so the wasm kernel's entry and staging
   * copy are paid three or four times per 20 ms packet and its 64 KiB memory per detector
   * crowds the caches: the TypeScript kernel is 10-20 % faster here (`bench --only
   * clamp-stage`), with identical events. `toneguard detect`, which feeds whole seconds, keeps
   * the wasm kernel.
   */
  readonly detectorKernel: GoertzelKernel;
  /**
   * push() writes only the output samples it replaces (not a config key): for a caller that
   * passes the input through itself wherever nothing was replaced (the G.711 path, which sends
   * the caller's own bytes there), so the clamp need not copy the delayed input out. The other
   * output samples are left as they were; the weights are written for every sample.
   */
  readonly replacedOnly: boolean;
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
  detectorKernel: 'typescript',
  replacedOnly: false,
};

const SAMPLE_RATE_HZ = 8000;
/** The lookahead's range, samples: one detector sub-block up to the detector's history less the candidate window. */
const MIN_DELAY = DTMF_SUB_BLOCK_SAMPLES;
const MAX_DELAY = DTMF_HISTORY_SAMPLES - DTMF_CANDIDATE_WINDOW;

function checkOption(ok: boolean, message: string): void {
  if (!ok) throw new InbandClampError('ERR_CLAMP_OPTION', message);
}

export function validateClampOptions(options: InbandClampOptions): void {
  checkOption(isClampMode(options.mode), `mode must be one of ${CLAMP_MODES.join(', ')}`);
  // The delay line is the detector's history: a piece the clamp emits before the detector takes
  // it (up to one sub-block) must come from samples already fed, and the oldest sample read, with
  // the candidate window the clamp measures, must still be held.
  const delay = Math.round(options.lookaheadMs * (SAMPLE_RATE_HZ / 1000));
  checkOption(
    Number.isFinite(options.lookaheadMs) && delay >= MIN_DELAY && delay <= MAX_DELAY,
    `lookaheadMs must be ${((MIN_DELAY * 1000) / SAMPLE_RATE_HZ).toFixed(3)}..${(MAX_DELAY * 1000) / SAMPLE_RATE_HZ} (${MIN_DELAY}..${MAX_DELAY} samples)`,
  );
  checkOption(Number.isFinite(options.prePadMs) && options.prePadMs >= 0 && options.prePadMs <= 100, 'prePadMs must be 0..100');
  checkOption(Number.isFinite(options.hangoverMs) && options.hangoverMs >= 0 && options.hangoverMs <= 500, 'hangoverMs must be 0..500');
  checkOption(Number.isFinite(options.fadeMs) && options.fadeMs >= 0 && options.fadeMs <= 10, 'fadeMs must be 0..10');
  checkOption(Number.isFinite(options.maskToneHz) && options.maskToneHz > 0 && options.maskToneHz < SAMPLE_RATE_HZ / 2, 'maskToneHz must be between 0 and 4000');
  checkOption(Number.isFinite(options.maskToneDbm0) && options.maskToneDbm0 <= 3, 'maskToneDbm0 must be at most 3');
  checkOption(isDtmfDigit(options.replacementDigit), 'replacementDigit must be a DTMF key');
  checkOption(Number.isFinite(options.replacementDigitDbm0) && options.replacementDigitDbm0 <= -3, 'replacementDigitDbm0 must be at most -3');
  checkOption(Number.isFinite(options.maxNoiseDbm0) && options.maxNoiseDbm0 <= 0, 'maxNoiseDbm0 must be at most 0');
  checkOption(Number.isFinite(options.minCandidateShare) && options.minCandidateShare >= 0 && options.minCandidateShare <= 1, 'minCandidateShare must be 0..1');
  checkOption(typeof options.replacedOnly === 'boolean', 'replacedOnly must be true or false');
  checkOption(isGoertzelKernelAvailable(options.detectorKernel), 'detectorKernel must be typescript or wasm (where this runtime has WebAssembly SIMD)');
}
