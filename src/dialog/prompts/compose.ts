// Dynamic values as sequences of pre-recorded word prompts (concatenative playback): numbers,
// amounts with their currency, expiry dates and digit strings, with the en-GB and en-US rules
// ("one hundred and twenty five pounds fifty" / "one hundred twenty five dollars and fifty cents").
import { minorDigits } from '../money.js';

export type PromptLocale = 'en-GB' | 'en-US';

/**
 * Who may hear a segment: `all` (the agent in the conference too), or the `caller` only: words
 * derived from the card beyond its type and last four (the expiry). The agent may hear the
 * prompts, the amount, the card type and the last four digits, nothing else from the card.
 */
export type SegmentAudience = 'all' | 'caller';

/** Something to play: prompt ids (file names) in order, and whether a key press cuts it short. */
export interface PromptPlan {
  readonly segments: readonly string[];
  readonly bargeIn: boolean;
  /** Per segment, same length as `segments`; absent: every segment is for `all`. */
  readonly audience?: readonly SegmentAudience[];
}

/** A segment as the dialog writes it: a prompt id for everyone, or one for the caller's ears only. */
export type PlanPart = string | { readonly callerOnly: string };

export function callerOnly(ids: readonly string[]): PlanPart[] {
  return ids.map((id) => ({ callerOnly: id }));
}

export function planOf(parts: readonly PlanPart[], bargeIn: boolean): PromptPlan {
  return {
    segments: parts.map((p) => (typeof p === 'string' ? p : p.callerOnly)),
    bargeIn,
    audience: parts.map((p) => (typeof p === 'string' ? 'all' : 'caller')),
  };
}

/** Whether the agent may hear segment `index` of `plan`. */
export function agentMayHear(plan: PromptPlan, index: number): boolean {
  return (plan.audience?.[index] ?? 'all') === 'all';
}

const MAX_SAYABLE = 999_999_999_999;

function underHundred(n: number): string[] {
  if (n < 20) return [`n-${n}`];
  const tens = Math.floor(n / 10) * 10;
  return n % 10 === 0 ? [`n-${tens}`] : [`n-${tens}`, `n-${n % 10}`];
}

function underThousand(n: number, british: boolean): string[] {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  const out: string[] = [];
  if (hundreds > 0) out.push(`n-${hundreds}`, 'hundred');
  if (rest > 0) {
    if (hundreds > 0 && british) out.push('and');
    out.push(...underHundred(rest));
  }
  return out;
}

/**
 * A whole number 0 .. 999,999,999,999 as word prompts. British English puts "and" before the
 * tens and units after a hundred or a larger group ("one thousand and five"); American English does not.
 */
export function numberSegments(n: number, locale: PromptLocale): string[] {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_SAYABLE) throw new RangeError(`cannot say ${n}`);
  if (n === 0) return ['n-0'];
  const british = locale === 'en-GB';
  const groups: [number, string][] = [
    [1e9, 'billion'],
    [1e6, 'million'],
    [1e3, 'thousand'],
  ];
  const out: string[] = [];
  let rest = n;
  for (const [scale, word] of groups) {
    const count = Math.floor(rest / scale);
    if (count > 0) {
      out.push(...underThousand(count, british), word);
      rest %= scale;
    }
  }
  if (rest > 0) {
    if (out.length > 0 && rest < 100 && british) out.push('and');
    out.push(...underThousand(rest, british));
  }
  return out;
}

interface CurrencyWords {
  readonly one: string;
  readonly many: string;
  readonly minorOne: string;
  readonly minorMany: string;
}

const CURRENCY_WORDS: Readonly<Record<string, CurrencyWords>> = {
  GBP: { one: 'pound', many: 'pounds', minorOne: 'penny', minorMany: 'pence' },
  USD: { one: 'dollar', many: 'dollars', minorOne: 'cent', minorMany: 'cents' },
  EUR: { one: 'euro', many: 'euros', minorOne: 'cent', minorMany: 'cents' },
};

/** Letters and digits one by one (transaction references, last four digits, currency codes). */
export function characterSegments(text: string): string[] {
  const out: string[] = [];
  for (const ch of text.toLowerCase()) {
    if (ch >= '0' && ch <= '9') out.push(`n-${ch}`);
    else if (ch >= 'a' && ch <= 'z') out.push(`letter-${ch}`);
  }
  return out;
}

/**
 * An amount in minor units with its currency. en-GB: "one hundred and twenty five pounds fifty",
 * "ninety nine pence"; en-US: "one hundred twenty five dollars and fifty cents", "ninety nine cents".
 * A currency without recorded words: the number, "point", the decimals digit by digit, then its
 * ISO code letter by letter.
 */
export function amountSegments(minor: number, currency: string, locale: PromptLocale): string[] {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`cannot say amount ${minor}`);
  const places = minorDigits(currency) ?? 2;
  const scale = 10 ** places;
  const major = Math.floor(minor / scale);
  const fraction = minor % scale;
  const words = CURRENCY_WORDS[currency];
  if (words === undefined || places !== 2) {
    const out = numberSegments(major, locale);
    if (fraction > 0) out.push('point', ...characterSegments(String(fraction).padStart(places, '0')));
    return [...out, ...characterSegments(currency)];
  }
  if (major === 0) return [...numberSegments(fraction, locale), fraction === 1 ? words.minorOne : words.minorMany];
  const out = [...numberSegments(major, locale), major === 1 ? words.one : words.many];
  if (fraction === 0) return out;
  if (locale === 'en-US') return [...out, 'and', ...numberSegments(fraction, locale), fraction === 1 ? words.minorOne : words.minorMany];
  return [...out, ...numberSegments(fraction, locale)];
}

/** A four-digit year as said: 2028 "twenty twenty eight", 2005 "two thousand (and) five", 2100 "twenty one hundred", 2105 "twenty one oh five". */
export function yearSegments(year: number, locale: PromptLocale): string[] {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`cannot say year ${year}`);
  const high = Math.floor(year / 100);
  const low = year % 100;
  if (low < 10 && high % 10 === 0) return numberSegments(year, locale);
  if (low === 0) return [...numberSegments(high, locale), 'hundred'];
  if (low < 10) return [...numberSegments(high, locale), 'oh', `n-${low}`];
  return [...numberSegments(high, locale), ...numberSegments(low, locale)];
}

/** An expiry (or any month and year): "March twenty twenty eight". */
export function monthYearSegments(month: number, year: number, locale: PromptLocale): string[] {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`no month ${month}`);
  return [`month-${month}`, ...yearSegments(year, locale)];
}

/** A plan's words as text (for a TTS engine, logs of what was played, and the tests). */
export function planText(segments: readonly string[], text: Readonly<Record<string, string>>): string {
  return segments.map((s) => text[s] ?? s).join(' ');
}
