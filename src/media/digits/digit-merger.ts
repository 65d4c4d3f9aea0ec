// One key press reported once, whatever number of sources saw it: a phone may send a key as
// RFC 4733 events and leave its tone in the audio (the in-band detector sees it too), or send
// SIP INFO as well. Two reports are the same press when they name the same digit, come from
// different sources and start within MERGE_WINDOW_MS of each other; each press absorbs at most
// one report per other source, so a key pressed twice quickly is never folded into one.
// Pure state: reports in, the reports to pass on out. The live session and `toneguard replay`
// both merge with this.
import type { DigitSource } from '../../dialog/vocabulary.js';
import type { KeyPress } from './key-press.js';

/** Largest start-time difference of two reports of one press, ms. */
export const MERGE_WINDOW_MS = 60;
/** Presses remembered; older ones are far outside the window anyway. */
const HISTORY = 16;

interface Press {
  readonly digit: string;
  readonly atMs: number;
  /** Sources that reported it. */
  readonly sources: Set<DigitSource>;
}

export class DigitMerger {
  private readonly presses: Press[] = [];
  /** Reports folded into a press already passed on. */
  duplicates = 0;

  /** The report to pass on (the first report of a press), or undefined for a duplicate. */
  push<T extends Pick<KeyPress, 'digit' | 'source' | 'atMs'>>(report: T): T | undefined {
    for (const press of this.presses) {
      if (press.digit !== report.digit || press.sources.has(report.source)) continue;
      if (Math.abs(press.atMs - report.atMs) > MERGE_WINDOW_MS) continue;
      press.sources.add(report.source);
      this.duplicates++;
      return undefined;
    }
    this.presses.push({ digit: report.digit, atMs: report.atMs, sources: new Set([report.source]) });
    if (this.presses.length > HISTORY) this.presses.shift();
    return report;
  }
}
