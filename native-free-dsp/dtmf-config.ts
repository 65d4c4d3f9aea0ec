// What the DTMF detector accepts: the acceptance limits as a config with their units, and the
// defaults with the measurement each was set on (ITU-T Q.24 and the talk-off corpus). The
// detector turns them once into the units it compares (dtmf-state.ts createDtmfDetector).
export interface DtmfDetectorConfig {
  /** Largest accepted relative frequency deviation of each tone (ITU-T Q.24: accept 1.5 %, reject 3.5 %). */
  readonly maxFrequencyDeviation: number;
  /** Largest accepted normal twist (low group stronger), dB. */
  readonly maxNormalTwistDb: number;
  /** Largest accepted reverse twist (high group stronger), dB. */
  readonly maxReverseTwistDb: number;
  /** Weakest accepted level of each tone, dBm0. */
  readonly minToneLevelDbm0: number;
  /** Shortest tone reported, ms. */
  readonly minDurationMs: number;
  /** Longest gap inside a tone that does not split it, ms. */
  readonly maxDropoutMs: number;
  /** A tone must exceed every other tone of its group in the window by this much, dB. */
  readonly minRelativePeakDb: number;
  /**
   * Smallest share of the signal power, over the tone, that the two tones must hold (0..1).
   * Vowel formants near a DTMF pair hold up to about 0.5 of the speech power; a digit at
   * 15 dB SNR holds 0.97, and one 6 dB above speech about 0.8.
   */
  readonly minToneShare: number;
  /**
   * Smallest phase coherence of each tone over the digit (0..1): |sum of phase steps| over
   * the sum of their magnitudes. A generator's tone stays at one frequency; speech harmonics
   * follow the pitch and music vibrato.
   */
  readonly minCoherence: number;
  /** Largest power between the groups (at 1020 and 1130 Hz) relative to the weaker tone, dB. */
  readonly maxGuardDb: number;
  /**
   * Largest power at the harmonic-comb frequencies of the pair (f_high - f_low, 2 f_low - f_high,
   * 2 f_high - f_low) relative to the weaker tone, dB. Two harmonics n F0 and m F0 of a voice
   * imply harmonics at those three frequencies too; a DTMF pair leaves them empty (hard
   * clipping puts third-order products there at about -20 dB).
   */
  readonly maxCombDb: number;
  /**
   * A digit whose tones are both within this relative deviation of nominal is held to the
   * precise-tone limits below instead of the three above. Crystal DTMF generators are within
   * 0.1 %; speech harmonics that mimic a digit were 0.6 % to 2 % off on the Asterisk prompts.
   */
  readonly preciseToneDeviation: number;
  readonly preciseToneMinShare: number;
  readonly preciseToneMinCoherence: number;
  readonly preciseToneMaxGuardDb: number;
  readonly preciseToneMaxCombDb: number;
}

export const DEFAULT_DTMF_DETECTOR_CONFIG: DtmfDetectorConfig = {
  // Q.24 accepts 1.5 % and rejects 3.5 %; 2 % keeps 0.5 % of headroom for measurement error
  // (under 0.3 % at 15 dB SNR) while rejecting speech harmonics that drift in from further out.
  maxFrequencyDeviation: 0.02,
  // Q.24 and spandsp accept 8 dB normal and 4 dB reverse twist; the limits sit 1 dB beyond
  // so that measurement error on weak, coded tones never rejects a compliant digit.
  maxNormalTwistDb: 9,
  maxReverseTwistDb: 5,
  // Q.24 asks for -25 dBm0 per tone (less twist); nothing at -45 dBm0 or below.
  minToneLevelDbm0: -36,
  // Between the 20 ms that must be rejected and the 40 ms that must be detected.
  minDurationMs: 30,
  // Between the 10 ms drop-out that must be bridged and the 40 ms pause that must split.
  maxDropoutMs: 24,
  // spandsp uses 8 dB; at 8 dB twist the strong tone plus the weak one's own sidelobe reach
  // -7 dB in the neighbouring column bin, so 8 dB rejects compliant digits (0 at 8 dB twist).
  minRelativePeakDb: 6,
  // The talk-off limits below were set on 62 minutes of speech and music (Debian's Asterisk
  // prompts and music on hold, and espeak-ng speech), measured at each candidate's confirmation
  // against digits in clean audio, in 15 dB SNR noise, clipped, G.711-coded and mixed under
  // speech: clean digits hold a share of 0.94 or more with guard and comb 16 dB or more below
  // the weaker tone, while every candidate in the speech and music failed one limit.
  minToneShare: 0.6,
  minCoherence: 0.97,
  maxGuardDb: -10,
  maxCombDb: -12,
  // Digits under speech keep their frequency within 0.25 % (the speech shifts the estimate a
  // little) but lose share and may have speech harmonics at the comb frequencies.
  preciseToneDeviation: 0.0025,
  preciseToneMinShare: 0.3,
  preciseToneMinCoherence: 0.99,
  preciseToneMaxGuardDb: -8,
  preciseToneMaxCombDb: 0,
};
