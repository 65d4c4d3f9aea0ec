// Types for the `goertzel` npm package (3.x, plain CommonJS, no bundled types), used only as
// the benchmark baseline. It exports one function that builds a single-frequency detector.
declare module 'goertzel' {
  namespace goertzel {
    interface Options {
      /** Frequency to detect, Hz. */
      targetFrequency: number;
      /** Sampling rate, Hz; at least twice targetFrequency. */
      sampleRate: number;
      /** Frame length in samples; the bin is round(samplesPerFrame * targetFrequency / sampleRate). */
      samplesPerFrame: number;
      /**
       * Detection threshold on |X(k)|^2 relative to that of a unit-amplitude sine at
       * targetFrequency over samplesPerFrame samples. Default 0.9.
       */
      threshold?: number;
    }
    /** True when targetFrequency is present in the frame (any length; the bin follows it). */
    type Detector = (samples: ArrayLike<number>) => boolean;
  }
  function goertzel(options: goertzel.Options): goertzel.Detector;
  export = goertzel;
}
