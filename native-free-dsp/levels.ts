// Signal levels in dBm0 for 16-bit linear PCM. G.711 convention (ITU-T G.711, as spandsp uses):
// a full-scale sine is +3.14 dBm0, so 0 dBm0 is a sine of peak amplitude 32767 * 10^(-3.14/20).

export const FULL_SCALE_SINE_DBM0 = 3.14;
const FULL_SCALE = 32767;

/** Peak amplitude (16-bit PCM units) of a sine at `dbm0`. */
export function dbm0ToAmplitude(dbm0: number): number {
  return FULL_SCALE * Math.pow(10, (dbm0 - FULL_SCALE_SINE_DBM0) / 20);
}

/** Level in dBm0 of a sine of peak amplitude `amplitude` (16-bit PCM units). */
export function amplitudeToDbm0(amplitude: number): number {
  return amplitude > 0 ? 20 * Math.log10(amplitude / FULL_SCALE) + FULL_SCALE_SINE_DBM0 : -Infinity;
}

/** Level in dBm0 of a signal whose mean power (mean of x^2, 16-bit PCM units) is `meanSquare`. */
export function meanSquareToDbm0(meanSquare: number): number {
  // A sine of peak A has mean square A^2 / 2.
  return amplitudeToDbm0(Math.sqrt(2 * meanSquare));
}
