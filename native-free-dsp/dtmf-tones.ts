// The DTMF keypad: ITU-T Q.23 frequencies (Hz) of the low (row) and high (column) groups.

export type DtmfDigit = '1' | '2' | '3' | 'A' | '4' | '5' | '6' | 'B' | '7' | '8' | '9' | 'C' | '*' | '0' | '#' | 'D';

export const DTMF_LOW_HZ: readonly number[] = [697, 770, 852, 941];
export const DTMF_HIGH_HZ: readonly number[] = [1209, 1336, 1477, 1633];
/**
 * Guard frequencies in the empty band between the groups, 79 Hz above 941 Hz and below 1209 Hz:
 * voiced speech with a pitch below about 230 Hz always has a harmonic between the groups, a
 * keypad's tones never do (the detector's span test and the clamp's candidate measure use them).
 */
export const DTMF_GUARD_HZ: readonly number[] = [1020, 1130];

/** Row-major keypad: KEYPAD[row * 4 + column]. */
export const DTMF_KEYPAD: readonly DtmfDigit[] = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'];

export const DTMF_DIGITS: readonly DtmfDigit[] = DTMF_KEYPAD;

export function isDtmfDigit(value: string): value is DtmfDigit {
  return value.length === 1 && DTMF_KEYPAD.includes(value as DtmfDigit);
}

export interface DtmfFrequencies {
  readonly lowHz: number;
  readonly highHz: number;
}

export function dtmfFrequencies(digit: DtmfDigit): DtmfFrequencies {
  const index = DTMF_KEYPAD.indexOf(digit);
  return { lowHz: DTMF_LOW_HZ[index >> 2], highHz: DTMF_HIGH_HZ[index & 3] };
}
