// A history as toneguard wrote it before input modes were kept: schema version 1 only, with one
// ended session written by version 1's statements. Both stores' upgrade tests start from it.
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE } from '../../src/kpi/kpi-migrations.js';

/** The SQL that made a version-1 database, in order (the `?` placeholders of SQLite after it). */
export function version1Schema(): string[] {
  const first = MIGRATIONS.find((m) => m.version === 1);
  if (first === undefined) throw new Error('migration 1 missing');
  return [SCHEMA_MIGRATIONS_TABLE, ...first.statements];
}

export const VERSION1_MIGRATION_ROW = [1, 'payment sessions, steps reached, field errors', Date.UTC(2026, 9, 1)] as const;

/** One successful session, day 1 of the scripted batch's month, as version 1 stored it. */
export const VERSION1_SESSION = [
  'old-1',
  'call-old-1@127.0.0.1',
  'automated',
  'm-acme',
  'visa',
  'GBP',
  1000,
  'success',
  null,
  Date.UTC(2026, 10, 1, 9),
  Date.UTC(2026, 10, 1, 9),
  Date.UTC(2026, 10, 1, 9, 1),
  null,
  1,
] as const;
export const VERSION1_SESSION_INSERT = `INSERT INTO kpi_sessions (session_id, call_id, mode, merchant_id, card_type, currency, amount_minor, result, reason, entered_at, started_at, ended_at, hangup_step, attempts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
export const VERSION1_STEP_INSERT = "INSERT INTO kpi_session_steps (session_id, step) VALUES ('old-1', 'amount')";
export const VERSION1_MIGRATION_INSERT = 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)';

/** `?` placeholders as PostgreSQL's `$n`. */
export function postgresText(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
