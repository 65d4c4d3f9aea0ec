// `--from` / `--to` and `?from=` / `?to=`: ISO 8601 dates or date-times. A date alone is UTC
// midnight; a date-time without an offset is UTC too (servers keep UTC; Date.parse would take
// local time). Anything else is refused rather than guessed.
import { KpiError } from './kpi-error.js';
import { isKpiGroupBy, KPI_GROUPINGS, type KpiGroupBy, type KpiRange } from './kpi-types.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseIsoTime(text: string, what: string): number {
  const m = ISO.exec(text.trim());
  if (m === null) throw new KpiError('kpi.invalid-range', `${what}: expected an ISO 8601 date or date-time such as 2026-11-25 or 2026-11-25T14:00:00Z, got ${JSON.stringify(text.slice(0, 40))}`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${offset}`);
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  // Date.parse accepts 2026-02-31 as March 3rd: refuse days that do not exist.
  if (Number.isNaN(ms) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw new KpiError('kpi.invalid-range', `${what}: ${JSON.stringify(text.slice(0, 40))} is not a valid date`);
  }
  return ms;
}

export function parseRange(from: string | undefined, to: string | undefined): KpiRange {
  const range: { from?: number; to?: number } = {};
  if (from !== undefined && from !== '') range.from = parseIsoTime(from, 'from');
  if (to !== undefined && to !== '') range.to = parseIsoTime(to, 'to');
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new KpiError('kpi.invalid-range', `from (${from}) is after to (${to})`);
  }
  return range;
}

export function parseGroupBy(by: string): KpiGroupBy {
  if (!isKpiGroupBy(by)) throw new KpiError('kpi.invalid-group', `by: expected one of ${KPI_GROUPINGS.join(', ')}, got ${JSON.stringify(by.slice(0, 40))}`);
  return by;
}
