// Optional text-to-speech for prompts without a recording (none is bundled: an integrator plugs
// in a cloud or local engine). Output is what the media pipeline plays: 8 kHz mono Int16 PCM.

export interface TtsEngine {
  /** `text` in `locale` (BCP 47, e.g. en-GB) as 8 kHz mono linear PCM. */
  synthesize(text: string, locale: string, signal?: AbortSignal): Promise<Int16Array>;
}
