// Runs generated DTMF cases through each line codec and the detector, one assertion per case.
import type { Extra } from 'tap';
import type { DtmfDigitEvent } from '../../native-free-dsp/dtmf-detector.js';
import type { TestLike } from './audio-files.js';
import { toInt16 } from '../../native-free-dsp/tone-generator.js';
import { describeEvents, describeTruth, detect, digitsOf, measurementErrors, summarize, type Layout } from './dtmf-cases.js';
import { CODECS, codecRoundTrip, g711RoundTripWithinBounds, loadG711, type Codec } from './signals.js';

export interface TapLike extends TestLike {
  ok(value: unknown, message: string, extra: Extra): unknown;
}

export interface DetectionCase {
  readonly name: string;
  /**
   * Cases with the same key (e.g. one condition at many random phases) share one assertion per
   * codec, which lists the failing ones; without a key each case is its own assertion.
   */
  readonly key?: string;
  readonly layout: Layout;
  /** The digits the detector must report, in order ('' = none at all). */
  readonly expected: string;
  /**
   * Also check each event against the truth: 'all' = start/end within 5 ms, each level and the
   * twist within 1 dB; 'timing' = start/end only. Default: digits only.
   */
  readonly measure?: 'all' | 'timing';
}

/**
 * The codecs every case is run through. Without a loadable native-free-dsp/g711.ts the test
 * fails once with the reason and only linear PCM is run. With `verify`, also checks the codec
 * round trip of every 16-bit value against the G.711 quantisation bound, so a codec fault is
 * not mistaken for a detector fault.
 */
export async function prepareCodecs(t: TapLike, verify = false): Promise<Codec[]> {
  const error = await loadG711();
  if (error !== undefined) {
    t.fail(`G.711 cases not run: ${error}`, {});
    return ['linear'];
  }
  if (verify) {
    const all = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i - 32768;
    for (const codec of ['ulaw', 'alaw'] as const) {
      const out = codecRoundTrip(all, codec);
      const bad: string[] = [];
      for (let i = 0; i < all.length; i++) if (!g711RoundTripWithinBounds(all[i], out[i])) bad.push(`${all[i]} -> ${out[i]}`);
      t.ok(bad.length === 0, `precondition: native-free-dsp/g711.ts ${codec} round trip within the G.711 quantisation bound`, {
        badCount: bad.length,
        examples: bad.slice(0, 10),
      });
    }
  }
  return CODECS.slice();
}

export interface CaseStats {
  readonly total: number;
  readonly failed: number;
  /** One line per failed case: codec, case, expected vs got. */
  readonly failures: string[];
}

/** Runs every case through every codec; one `t.ok` per (key or case, codec) and a summary comment. */
export function runDetectionCases(t: TapLike, group: string, cases: readonly DetectionCase[], codecs: readonly Codec[]): CaseStats {
  const failures: string[] = [];
  let total = 0;
  // Each case's 16-bit signal, made once and put through every codec (onTheLine's two steps).
  const pcm = cases.map((c) => toInt16(c.layout.mix));
  for (const codec of codecs) {
    const buckets = new Map<string, { cases: number; failed: string[]; found: string[]; truth: string[] }>();
    for (const [i, c] of cases.entries()) {
      total++;
      const result = detect(codecRoundTrip(pcm[i], codec));
      const problems = checkResult(c, result);
      const key = c.key ?? c.name;
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { cases: 0, failed: [], found: [], truth: [] };
        buckets.set(key, bucket);
      }
      bucket.cases++;
      if (problems.length > 0) {
        failures.push(`[${codec}] ${c.name}: ${problems.join('; ')}`);
        bucket.failed.push(`${c.name}: ${problems.join('; ')}`);
        if (bucket.found.length < 3) {
          bucket.found.push(result instanceof Error ? `threw ${result.message}` : describeEvents(result));
          bucket.truth.push(describeTruth(c.layout.truth));
        }
      }
    }
    for (const [key, bucket] of buckets) {
      const wanted = cases.find((c) => (c.key ?? c.name) === key)?.expected ?? '';
      const label = bucket.cases > 1 ? `${group} [${codec}] ${key} (${bucket.cases} random draws)` : `${group} [${codec}] ${key}`;
      t.ok(bucket.failed.length === 0, label, {
        wanted: wanted === '' ? 'no digit' : `digits "${wanted}"`,
        failedDraws: bucket.failed.length > 0 ? `${bucket.failed.length}/${bucket.cases}` : undefined,
        problems: bucket.failed.slice(0, 5),
        found: bucket.found,
        truth: bucket.truth,
      });
    }
  }
  t.comment(`${group}: ${total - failures.length}/${total} cases pass (${cases.length} cases x ${codecs.join(', ')})`);
  if (failures.length > 0) t.comment(`${group} failures:\n${summarize(failures)}`);
  return { total, failed: failures.length, failures };
}

/**
 * `n` cases of one condition at fresh random phases and alignment, sharing one key; `detail`
 * (e.g. a drawn position) is added to each case's name for failure messages.
 */
export function draws(n: number, key: string, make: () => Omit<DetectionCase, 'name' | 'key'> & { readonly detail?: string }): DetectionCase[] {
  return Array.from({ length: n }, (_, i) => {
    const { detail, ...rest } = make();
    const name = `${key}${n > 1 ? ` (draw ${i}${detail !== undefined ? `, ${detail}` : ''})` : detail !== undefined ? ` (${detail})` : ''}`;
    return { ...rest, name, key };
  });
}

function checkResult(c: DetectionCase, result: DtmfDigitEvent[] | Error): string[] {
  if (result instanceof Error) return [`detector threw: ${result.message}`];
  const got = digitsOf(result);
  if (got !== c.expected) {
    return [`expected ${c.expected === '' ? 'no digit' : `"${c.expected}"`}, got ${got === '' ? 'no digit' : `"${got}"`} (${describeEvents(result)})`];
  }
  if (!c.measure) return [];
  const problems: string[] = [];
  result.forEach((event, i) => {
    const errors = measurementErrors(event, c.layout.truth[i], c.measure === 'all');
    if (errors.length > 0) problems.push(`digit ${i} (${event.digit}): ${errors.join(', ')}`);
  });
  return problems;
}
