// Numbered schema migrations, the same SQL for SQLite and PostgreSQL (types both accept: BIGINT
// is INTEGER affinity in SQLite). Applied in order inside one transaction each and recorded in
// `schema_migrations`; never edit a released migration, add the next number.
//
// PCI: no column can hold card data. The card type (e.g. `visa`) is not cardholder data.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'payment sessions, steps reached, field errors',
    statements: [
      // One row per session from its entry; result and the rest stay NULL until it ends.
      `CREATE TABLE kpi_sessions (
        session_id TEXT PRIMARY KEY,
        call_id TEXT,
        mode TEXT NOT NULL,
        merchant_id TEXT,
        card_type TEXT,
        currency TEXT,
        amount_minor BIGINT,
        result TEXT,
        reason TEXT,
        entered_at BIGINT NOT NULL,
        started_at BIGINT,
        ended_at BIGINT,
        hangup_step TEXT,
        attempts INTEGER NOT NULL DEFAULT 0
      )`,
      'CREATE INDEX kpi_sessions_entered_at ON kpi_sessions (entered_at)',
      // A table, not a bit mask: adding a step to the vocabulary must not reinterpret old rows.
      `CREATE TABLE kpi_session_steps (
        session_id TEXT NOT NULL REFERENCES kpi_sessions (session_id) ON DELETE CASCADE,
        step TEXT NOT NULL,
        PRIMARY KEY (session_id, step)
      )`,
      `CREATE TABLE kpi_field_errors (
        session_id TEXT NOT NULL REFERENCES kpi_sessions (session_id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        error_type TEXT NOT NULL,
        occurrences INTEGER NOT NULL,
        PRIMARY KEY (session_id, field, error_type)
      )`,
    ],
  },
  {
    version: 2,
    name: 'how each captured field was given',
    statements: [
      // Additive: sessions stored before it simply have no rows here. The input mode only
      // (`dtmf`, `speech`, `dtmf speech`), never what was given; one row per field, the last
      // capture of a field counting, as in the dialog's record.
      `CREATE TABLE kpi_field_inputs (
        session_id TEXT NOT NULL REFERENCES kpi_sessions (session_id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        input TEXT NOT NULL,
        PRIMARY KEY (session_id, field)
      )`,
    ],
  },
];

/** Highest version this build knows; a database above it was written by a newer toneguard. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
