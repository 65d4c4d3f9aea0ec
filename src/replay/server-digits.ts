// The digits the server would have reported for one replayed stream: the stream's packets
// through the clamp stage a caller leg runs, ticked on a virtual clock, then the server's
// digit merger over those reports and the stream's SIP INFO digits.
import { ClampStage } from '../media/clamp/clamp-stage.js';
import { createClampStage } from '../media/clamp/create-clamp-stage.js';
import { DigitMerger } from '../media/digits/digit-merger.js';
import type { KeyPress } from '../media/digits/key-press.js';
import type { StreamCollector } from './capture-streams.js';
import type { ReplayDigit } from './replay-stream.js';

/** A digit report on its way to the merger, with the virtual time it was reported at. */
export interface Report {
  readonly press: KeyPress;
  readonly reportedMs: number;
}

/** The server's housekeeping period (RtpMediaSession): RFC 4733 end time-outs are seen at these ticks, ms. */
const TICK_MS = 100;
/** Ticks replayed one by one between two packets; a longer gap is skipped (see serverDigits). */
const MAX_TICKS_BETWEEN = 50;

/**
 * The digits the server would report for this stream: its packets, in arrival order at their
 * capture times, through the clamp stage a caller leg runs in secure mode (the codec's in-band
 * detector included for PCMU, PCMA, G.722 and Opus; RFC 4733 only for other codecs), ticked as the
 * server's housekeeping would.
 */
export function serverDigits(c: StreamCollector, encoding: string | undefined, mainPt: number | undefined, eventPt: number, origin: number): Report[] {
  const reports: Report[] = [];
  let now = 0;
  const onDigit = (press: KeyPress): void => {
    reports.push({ press, reportedMs: now });
  };
  let stage: ClampStage;
  try {
    stage =
      encoding === 'PCMU' || encoding === 'PCMA' || encoding === 'G722' || encoding === 'OPUS'
        ? createClampStage({ codec: encoding === 'OPUS' ? 'opus' : encoding, audioPayloadType: mainPt, eventPayloadType: eventPt, mode: 'silence', secure: true, send: () => undefined, onDigit })
        : new ClampStage({ codec: 'PCMU', audioPayloadType: eventPt === 0 ? 8 : 0, eventPayloadType: eventPt, secure: true, send: () => undefined, onDigit });
  } catch {
    return reports; // a payload type no leg could negotiate (RFC 5761 §4 range): the server would not carry it
  }
  let nextTick = Number.NaN;
  for (const p of c.arrivals) {
    const t = p.timeMs - origin;
    if (Number.isNaN(nextTick)) nextTick = t + TICK_MS;
    if (t - nextTick > MAX_TICKS_BETWEEN * TICK_MS) {
      // A long silence or a jump of the capture's clock: one tick stands for the ticks between
      // (only the RFC 4733 end time-out reads them), then ticking resumes in phase. Bounded work
      // whatever the capture's timestamps say.
      now = nextTick;
      stage.tick(now);
      nextTick += Math.floor((t - nextTick) / TICK_MS) * TICK_MS;
    }
    while (nextTick <= t) {
      now = nextTick;
      stage.tick(now);
      nextTick += TICK_MS;
    }
    now = t;
    stage.push(Uint8Array.from(p.bytes), t); // a copy: the stage rewrites packets in place
  }
  stage.close();
  return reports;
}

/** The server's merger over one stream's reports, in the order they were reported; by start time. */
export function mergeReports(reports: readonly Report[]): ReplayDigit[] {
  const merger = new DigitMerger();
  const passed: ReplayDigit[] = [];
  const ordered = reports.map((r, i) => ({ r, i })).sort((a, b) => a.r.reportedMs - b.r.reportedMs || a.i - b.i);
  for (const { r } of ordered) {
    const press = merger.push(r.press);
    if (press !== undefined) passed.push(press);
  }
  return passed.sort((a, b) => a.atMs - b.atMs);
}
