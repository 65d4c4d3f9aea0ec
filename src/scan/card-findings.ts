// Which DTMF digit runs could be card data (the pure core of `toneguard scan`). Digits are held
// as SecretDigits (zeroed after use, never a string) and a finding keeps only what PCI DSS 3.4
// lets anyone see: the card type and the last four digits.
import { detectCardType, luhnValid, MAX_PAN_LENGTH } from '../dialog/card-checks.js';
import { SecretDigits } from '../dialog/secret-digits.js';

/** PAN lengths scan reports: 13 (old Visa) to 19; 12-digit numbers collide with too many phone and account numbers. */
export const MIN_SCAN_PAN_LENGTH = 13;

export type DigitSignal = 'inband' | 'rfc4733' | 'sip-info';

/** One digit as a source found it; `confidence` 0-1 (see digitConfidence). */
export interface ScanDigit {
  readonly digit: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly signal: DigitSignal;
  readonly confidence: number;
}

export type FindingKind = 'card-number' | 'expiry-like' | 'code-like' | 'digits';

export interface Finding {
  readonly kind: FindingKind;
  readonly startMs: number;
  readonly endMs: number;
  readonly digitCount: number;
  /** credit-card-type name (visa, mastercard, ...); card numbers only. */
  readonly cardType: string | null;
  /** Last four digits; card numbers only (an expiry's or code's digits are never shown). */
  readonly last4: string | null;
  /** Lowest confidence of the run's digits. */
  readonly confidence: number;
  readonly signals: readonly DigitSignal[];
}

export interface FindOptions {
  /**
   * Longest pause inside one run, ms: callers key a card number in groups with pauses of a few
   * seconds; a longer gap starts a new run.
   */
  readonly maxGapMs: number;
  /** Also report runs of at least this many digits that are not card numbers (0: off). */
  readonly minDigits: number;
}

export const DEFAULT_FIND_OPTIONS: FindOptions = { maxGapMs: 6000, minDigits: 0 };

/**
 * An in-band digit's confidence from the detector's measurements: 1 at tones of -25 dBm0 or
 * louder each with twist within ±4 dB, falling linearly to 0.5 at the detector's -40 dBm0 floor
 * and with twist towards its 8 dB limit. Signalled digits (RFC 4733, SIP INFO) are 1.
 */
export function digitConfidence(lowDbm0: number, highDbm0: number, twistDb: number): number {
  const level = Math.min(lowDbm0, highDbm0);
  const byLevel = level >= -25 ? 1 : Math.max(0.5, 1 - ((-25 - level) / 15) * 0.5);
  const twist = Math.abs(twistDb);
  const byTwist = twist <= 4 ? 1 : Math.max(0.5, 1 - ((twist - 4) / 4) * 0.5);
  return Math.round(Math.min(byLevel, byTwist) * 100) / 100;
}

/** Runs of decimal digits: `*`, `#`, A-D and pauses longer than maxGapMs split them. */
export function digitRuns(digits: readonly ScanDigit[], maxGapMs: number): ScanDigit[][] {
  const sorted = [...digits].sort((a, b) => a.startMs - b.startMs);
  const runs: ScanDigit[][] = [];
  let run: ScanDigit[] = [];
  for (const d of sorted) {
    const decimal = d.digit >= '0' && d.digit <= '9' && d.digit.length === 1;
    const last = run.at(-1);
    if (!decimal || (last !== undefined && d.startMs - last.endMs > maxGapMs)) {
      if (run.length > 0) runs.push(run);
      run = [];
    }
    if (decimal) run.push(d);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Card numbers in one run: scanning left to right, the longest window of 13-19 digits at each
 * position that passes Luhn and whose prefix and length match a card type; a match skips past
 * its digits. Luhn is required for every type here (UnionPay's exemption in the dialog would
 * make one random 16-19 digit run in 10 starting 62 a "finding").
 */
function cardsInRun(run: readonly ScanDigit[], window: SecretDigits): { start: number; length: number; cardType: string; last4: string }[] {
  const found: { start: number; length: number; cardType: string; last4: string }[] = [];
  let i = 0;
  while (i + MIN_SCAN_PAN_LENGTH <= run.length) {
    let matched = false;
    for (let length = Math.min(MAX_PAN_LENGTH, run.length - i); length >= MIN_SCAN_PAN_LENGTH; length--) {
      window.clear();
      for (let k = 0; k < length; k++) window.push(run[i + k].digit);
      const card = detectCardType(window);
      if (card !== null && luhnValid(window)) {
        let last4 = '';
        for (let k = length - 4; k < length; k++) last4 += run[i + k].digit;
        found.push({ start: i, length, cardType: card.type, last4 });
        i += length;
        matched = true;
        break;
      }
    }
    if (!matched) i++;
  }
  window.clear();
  return found;
}

function finding(kind: FindingKind, run: readonly ScanDigit[], cardType: string | null, last4: string | null): Finding {
  const signals = [...new Set(run.map((d) => d.signal))].sort();
  return {
    kind,
    startMs: run[0].startMs,
    endMs: run[run.length - 1].endMs,
    digitCount: run.length,
    cardType,
    last4,
    confidence: Math.min(...run.map((d) => d.confidence)),
    signals,
  };
}

/** A short run's kind: four digits that read as MMYY are expiry-like, three or four others code-like. */
function shortKind(run: readonly ScanDigit[]): FindingKind {
  if (run.length === 4) {
    const month = Number(run[0].digit) * 10 + Number(run[1].digit);
    if (month >= 1 && month <= 12) return 'expiry-like';
  }
  return run.length === 3 || run.length === 4 ? 'code-like' : 'digits';
}

/** Every finding in one stream's digits, in time order. */
export function findCardData(digits: readonly ScanDigit[], options: FindOptions = DEFAULT_FIND_OPTIONS): Finding[] {
  const findings: Finding[] = [];
  const window = new SecretDigits(MAX_PAN_LENGTH);
  for (const run of digitRuns(digits, options.maxGapMs)) {
    const cards = cardsInRun(run, window);
    let rest = 0;
    const leftover = (end: number): void => {
      const part = run.slice(rest, end);
      if (options.minDigits > 0 && part.length >= options.minDigits) findings.push(finding(shortKind(part), part, null, null));
    };
    for (const card of cards) {
      leftover(card.start);
      findings.push(finding('card-number', run.slice(card.start, card.start + card.length), card.cardType, card.last4));
      rest = card.start + card.length;
    }
    leftover(run.length);
  }
  return findings;
}
