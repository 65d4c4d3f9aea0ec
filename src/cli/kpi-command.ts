// `toneguard kpi [--db FILE | --postgres URL] [--from ISO] [--to ISO] [--by GROUP] [--json|--csv]
// [--field-errors | --field-inputs]` (docs/architecture.md, "KPIs"): payment KPIs from the history store.
// --json: one object (the documented one), or with --by one object per group per line, the group
// key first under the grouping's name. --csv: a header row, then one row (per group).
// --field-errors: errors per field instead (`{"for":{"errorType":N}}` / CSV for,error_type,count).
// --field-inputs: how callers gave each field (`GET /kpi/field-inputs`'s object / CSV for,input,count).
import { InvalidArgumentError } from 'commander';
import { fieldErrorsCsv, fieldInputsCsv, groupsJsonLines, groupsText, kpiCsv, summaryJsonLine, summaryText } from '../kpi/kpi-format.js';
import { KpiError } from '../kpi/kpi-error.js';
import { parseGroupBy, parseRange } from '../kpi/kpi-range.js';
import type { KpiGroupBy, KpiRange, KpiStore } from '../kpi/kpi-types.js';
import { PostgresKpiStore } from '../kpi/postgres-kpi-store.js';
import { SqliteKpiStore } from '../kpi/sqlite-kpi-store.js';

/** Where `npm start` keeps its history (the embedded defaults: a SQLite KPI store in ./data/). */
export const DEFAULT_KPI_DB = './data/kpi.sqlite';

export interface KpiCommandOptions {
  readonly db?: string;
  readonly postgres?: string;
  readonly from?: string;
  readonly to?: string;
  readonly by?: string;
  readonly json: boolean;
  readonly csv: boolean;
  readonly fieldErrors: boolean;
  readonly fieldInputs?: boolean;
}

/** Usage errors become commander's (exit 2); KpiErrors about input are reported by main.ts (exit 2). */
function usage(error: unknown): never {
  if (error instanceof KpiError && (error.code === 'kpi.invalid-range' || error.code === 'kpi.invalid-group')) throw new InvalidArgumentError(error.message);
  throw error;
}

export async function runKpiCommand(options: KpiCommandOptions, write: (text: string) => void): Promise<void> {
  if (options.json && options.csv) throw new InvalidArgumentError('--json and --csv are exclusive: pick one output format');
  if (options.db !== undefined && options.postgres !== undefined) throw new InvalidArgumentError('--db and --postgres are exclusive: pick one store');
  if (options.fieldErrors && options.by !== undefined) throw new InvalidArgumentError('--field-errors takes no --by');
  if (options.fieldInputs === true && options.by !== undefined) throw new InvalidArgumentError('--field-inputs takes no --by');
  if (options.fieldInputs === true && options.fieldErrors) throw new InvalidArgumentError('--field-errors and --field-inputs are exclusive: pick one');
  let range: KpiRange;
  let by: KpiGroupBy | undefined;
  try {
    range = parseRange(options.from, options.to);
    by = options.by === undefined ? undefined : parseGroupBy(options.by);
  } catch (error) {
    usage(error);
  }
  const store: KpiStore = options.postgres !== undefined ? await PostgresKpiStore.connect(options.postgres) : SqliteKpiStore.open(options.db ?? DEFAULT_KPI_DB, { mustExist: true });
  try {
    if (options.fieldErrors) {
      const counts = await store.fieldErrors(range);
      write(options.csv ? fieldErrorsCsv(counts) : options.json ? `${JSON.stringify(counts)}\n` : fieldErrorsCsv(counts).replace(/\r\n/g, '\n'));
    } else if (options.fieldInputs === true) {
      const counts = await store.fieldInputs(range);
      write(options.csv ? fieldInputsCsv(counts) : options.json ? `${JSON.stringify({ fieldInputs: counts })}\n` : fieldInputsCsv(counts).replace(/\r\n/g, '\n'));
    } else if (by === undefined) {
      const summary = await store.summary(range);
      write(options.json ? summaryJsonLine(summary) : options.csv ? kpiCsv(summary) : summaryText(summary));
    } else {
      const groups = await store.grouped({ ...range, by });
      write(options.json ? groupsJsonLines(groups, by) : options.csv ? kpiCsv({ groups, by }) : groupsText(groups, by));
    }
  } finally {
    await store.close();
  }
}
