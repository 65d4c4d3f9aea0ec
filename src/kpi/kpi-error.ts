// Errors of the KPI store and its queries. `input` codes are the caller's fault (a bad range, a
// file that is not a KPI database): the CLI exits 2 on them; the rest are runtime failures.
import { CodedError } from '../errors.js';

export type KpiErrorCode =
  | 'kpi.invalid-range' // from/to not dates, or from after to
  | 'kpi.invalid-group' // --by / ?by= not a known grouping
  | 'kpi.invalid-record' // an event the store cannot keep (bad mode, result, timestamps)
  | 'kpi.db-not-found' // the SQLite file does not exist (the CLI never creates one)
  | 'kpi.db-unreadable' // not a SQLite database, no permission, or a PostgreSQL URL that does not parse
  | 'kpi.schema-too-new' // written by a newer toneguard: refuse rather than misread it
  | 'kpi.db-failure' // the database failed at run time (connection lost, disk full)
  | 'kpi.closed';

const INPUT_CODES: ReadonlySet<KpiErrorCode> = new Set<KpiErrorCode>(['kpi.invalid-range', 'kpi.invalid-group', 'kpi.db-not-found', 'kpi.db-unreadable', 'kpi.schema-too-new']);

export class KpiError extends CodedError<KpiErrorCode> {
  /** True when bad input (a usage error, exit 2) rather than a runtime failure. */
  get isInputError(): boolean {
    return INPUT_CODES.has(this.code);
  }
}
