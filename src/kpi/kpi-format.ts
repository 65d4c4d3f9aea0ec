// KPI output as the CLI and `GET /kpi` print it (`toneguard kpi --json` prints one
// object, keys in the documented order). Grouped output: JSON, one object per group per line,
// the group key first under the grouping's name (`{"day":"2026-11-25","entered":…}`); CSV with
// a header row and fixed columns (one per result and per step, empty when none).
import { PAYMENT_RESULTS, PAYMENT_STEPS } from '../dialog/vocabulary.js';
import type { FieldErrorCounts, FieldInputCount, KpiGroup, KpiGroupBy, KpiSummary } from './kpi-types.js';

/** The contract object, keys in order. */
export function summaryObject(summary: KpiSummary): KpiSummary {
  return {
    entered: summary.entered,
    successful: summary.successful,
    unsuccessful: summary.unsuccessful,
    attempted: summary.attempted,
    hangups: summary.hangups,
    avgDurationSeconds: summary.avgDurationSeconds,
    funnel: summary.funnel,
  };
}

export function groupObject(group: KpiGroup, by: KpiGroupBy): Record<string, unknown> {
  return { [by]: group.key, ...summaryObject(group.summary) };
}

export function summaryJsonLine(summary: KpiSummary): string {
  return `${JSON.stringify(summaryObject(summary))}\n`;
}

export function groupsJsonLines(groups: readonly KpiGroup[], by: KpiGroupBy): string {
  return groups.map((group) => `${JSON.stringify(groupObject(group, by))}\n`).join('');
}

/** RFC 4180: quote when needed, double the quotes. */
function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const SUMMARY_COLUMNS = ['entered', 'successful', 'unsuccessful', 'attempted', 'hangups', ...PAYMENT_RESULTS.map((r) => `avg_duration_seconds_${r}`), ...PAYMENT_STEPS.map((s) => `funnel_${s}`)];

function summaryCells(summary: KpiSummary): (string | number | undefined)[] {
  return [
    summary.entered,
    summary.successful,
    summary.unsuccessful,
    summary.attempted,
    summary.hangups,
    ...PAYMENT_RESULTS.map((r) => summary.avgDurationSeconds[r]),
    ...PAYMENT_STEPS.map((s) => summary.funnel[s]),
  ];
}

function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** One header row and one data row, or one row per group with the key in the first column (named after --by). */
export function kpiCsv(summaryOrGroups: KpiSummary | { readonly groups: readonly KpiGroup[]; readonly by: KpiGroupBy }): string {
  if ('groups' in summaryOrGroups) {
    const { groups, by } = summaryOrGroups;
    return csvLine([by, ...SUMMARY_COLUMNS]) + groups.map((g) => csvLine([g.key, ...summaryCells(g.summary)])).join('');
  }
  return csvLine(SUMMARY_COLUMNS) + csvLine(summaryCells(summaryOrGroups));
}

export function fieldErrorsCsv(counts: FieldErrorCounts): string {
  let out = csvLine(['for', 'error_type', 'count']);
  for (const [field, types] of Object.entries(counts)) {
    for (const [errorType, count] of Object.entries(types ?? {})) out += csvLine([field, errorType, count]);
  }
  return out;
}

/** `for,input,count`, one row per pair (the store's order). */
export function fieldInputsCsv(counts: readonly FieldInputCount[]): string {
  return csvLine(['for', 'input', 'count']) + counts.map((c) => csvLine([c.for, c.input, c.count])).join('');
}

/** Plain text for people: `name: value` lines. */
export function summaryText(summary: KpiSummary, indent = ''): string {
  const lines = [
    `entered: ${summary.entered}`,
    `successful: ${summary.successful}`,
    `unsuccessful: ${summary.unsuccessful}`,
    `attempted: ${summary.attempted}`,
    `hangups: ${summary.hangups}`,
    `average duration (s): ${
      Object.entries(summary.avgDurationSeconds)
        .map(([r, s]) => `${r} ${s}`)
        .join(', ') || '-'
    }`,
    `funnel: ${PAYMENT_STEPS.map((s) => `${s} ${summary.funnel[s]}`).join(', ')}`,
  ];
  return lines.map((line) => `${indent}${line}\n`).join('');
}

export function groupsText(groups: readonly KpiGroup[], by: KpiGroupBy): string {
  return groups.map((g) => `${by} ${g.key ?? '(none)'}:\n${summaryText(g.summary, '  ')}`).join('');
}
