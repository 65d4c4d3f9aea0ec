// KPI history in a SQLite file (better-sqlite3, WAL so the CLI and dashboard can read while the
// server writes). The default store: `./data/kpi.sqlite`. The file and its -wal/-shm are private
// to the service user (0600, directory 0700 when we create it): the history names merchants,
// amounts and card types.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PaymentSessionRecord } from '../dialog/vocabulary.js';
import { KpiError } from './kpi-error.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_TABLE } from './kpi-migrations.js';
import {
  assembleFieldErrors,
  assembleFieldInputs,
  assembleGroups,
  assembleSummary,
  endedUpsert,
  endedValues,
  enteredInsert,
  fieldErrorInsert,
  fieldErrorsDelete,
  fieldErrorsQuery,
  fieldInputInsert,
  fieldInputsDelete,
  fieldInputsQuery,
  sessionsQuery,
  sqlitePlaceholder as ph,
  stepInsert,
  stepsDelete,
  stepsQuery,
  type FieldErrorsRow,
  type FieldInputsRow,
  type SessionsRow,
  type StepsRow,
} from './kpi-queries.js';
import { enteredRow, sessionRow } from './kpi-record.js';
import type { FieldErrorCounts, FieldInputCount, KpiGroup, KpiGroupBy, KpiRange, KpiStore, KpiSummary, SessionEnteredEvent } from './kpi-types.js';
import { messageOf } from '../errors.js';

export interface SqliteKpiStoreOptions {
  /** The CLI reads an existing history only: a missing file is an error, not a new empty database. */
  readonly mustExist?: boolean;
}

/** How long a writer waits for another connection's lock (the CLI migrating while the server writes), ms. */
const BUSY_TIMEOUT_MS = 5000;
/** Owner read/write only. */
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates the database file 0600 before SQLite opens it (SQLite gives -wal and -shm the mode of
 * the database file), and narrows an existing history left group/other-readable by older versions.
 */
function makePrivate(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, PRIVATE_FILE_MODE);
    } catch {
      // Absent (no WAL yet), or not ours to change: SQLite opens it or reports why.
    }
  }
}

export class SqliteKpiStore implements KpiStore {
  readonly file: string;
  #db: Database.Database | null;
  /** Prepared once per text (better-sqlite3 statements are reusable). */
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.#db = db;
  }

  /** Opens (creating unless mustExist) and migrates. Throws KpiError: db-not-found, db-unreadable, schema-too-new. */
  static open(file: string, options: SqliteKpiStoreOptions = {}): SqliteKpiStore {
    if (options.mustExist === true && file !== ':memory:' && !existsSync(file)) {
      throw new KpiError('kpi.db-not-found', `KPI database ${file}: no such file`);
    }
    if (file !== ':memory:' && options.mustExist !== true) {
      mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
      try {
        makePrivate(file);
      } catch (error) {
        throw new KpiError('kpi.db-unreadable', `KPI database ${file}: cannot open (${messageOf(error)})`, { cause: error });
      }
    }
    let db: Database.Database;
    try {
      db = new Database(file, { fileMustExist: options.mustExist === true });
    } catch (error) {
      throw new KpiError('kpi.db-unreadable', `KPI database ${file}: cannot open (${messageOf(error)})`, { cause: error });
    }
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      migrate(db, file);
    } catch (error) {
      db.close();
      if (error instanceof KpiError) throw error;
      throw new KpiError('kpi.db-unreadable', `KPI database ${file}: not a readable SQLite database (${messageOf(error)})`, { cause: error });
    }
    return new SqliteKpiStore(file, db);
  }

  /** Versions applied, ascending (tests, diagnostics). */
  schemaVersions(): number[] {
    return this.#open()
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      .all()
      .map((row) => row.version);
  }

  #open(): Database.Database {
    if (this.#db === null) throw new KpiError('kpi.closed', `KPI database ${this.file}: closed`);
    return this.#db;
  }

  #statement(db: Database.Database, sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run<T>(what: string, work: (db: Database.Database) => T): T {
    const db = this.#open();
    try {
      return work(db);
    } catch (error) {
      if (error instanceof KpiError) throw error;
      throw new KpiError('kpi.db-failure', `KPI database ${this.file}: ${what} failed (${messageOf(error)})`, { cause: error });
    }
  }

  async sessionEntered(event: SessionEnteredEvent): Promise<void> {
    const e = enteredRow(event);
    this.#run('recording a session entry', (db) => {
      this.#statement(db, enteredInsert(ph)).run(e.sessionId, e.mode, e.merchantId, e.at);
    });
  }

  async sessionEnded(record: PaymentSessionRecord): Promise<void> {
    const row = sessionRow(record);
    this.#run('recording a session end', (db) => {
      const upsert = this.#statement(db, endedUpsert(ph));
      const deleteSteps = this.#statement(db, stepsDelete(ph));
      const deleteErrors = this.#statement(db, fieldErrorsDelete(ph));
      const insertStep = this.#statement(db, stepInsert(ph));
      const insertError = this.#statement(db, fieldErrorInsert(ph));
      const deleteInputs = this.#statement(db, fieldInputsDelete(ph));
      const insertInput = this.#statement(db, fieldInputInsert(ph));
      db.transaction(() => {
        upsert.run(...endedValues(row));
        deleteSteps.run(row.sessionId);
        deleteErrors.run(row.sessionId);
        deleteInputs.run(row.sessionId);
        for (const step of row.steps) insertStep.run(row.sessionId, step);
        for (const e of row.fieldErrors) insertError.run(row.sessionId, e.field, e.errorType, e.occurrences);
        for (const i of row.fieldInputs) insertInput.run(row.sessionId, i.field, i.input);
      })();
    });
  }

  #aggregate(range: KpiRange, by: KpiGroupBy | null): { sessions: SessionsRow[]; steps: StepsRow[] } {
    return this.#run('a KPI query', (db) => {
      const s = sessionsQuery(range, by, ph);
      const st = stepsQuery(range, by, ph);
      return {
        sessions: db.prepare<number[], SessionsRow>(s.sql).all(...s.params),
        steps: db.prepare<number[], StepsRow>(st.sql).all(...st.params),
      };
    });
  }

  async summary(range: KpiRange): Promise<KpiSummary> {
    const { sessions, steps } = this.#aggregate(range, null);
    return assembleSummary(sessions, steps);
  }

  async grouped(range: KpiRange & { readonly by: KpiGroupBy }): Promise<KpiGroup[]> {
    const { sessions, steps } = this.#aggregate(range, range.by);
    return assembleGroups(sessions, steps, range.by);
  }

  async fieldErrors(range: KpiRange): Promise<FieldErrorCounts> {
    const q = fieldErrorsQuery(range, ph);
    return assembleFieldErrors(this.#run('a KPI query', (db) => db.prepare<number[], FieldErrorsRow>(q.sql).all(...q.params)));
  }

  async fieldInputs(range: KpiRange): Promise<FieldInputCount[]> {
    const q = fieldInputsQuery(range, ph);
    return assembleFieldInputs(this.#run('a KPI query', (db) => db.prepare<number[], FieldInputsRow>(q.sql).all(...q.params)));
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    this.#statements.clear();
    db?.close();
  }
}

function migrate(db: Database.Database, file: string): void {
  // IMMEDIATE: two processes opening a fresh file at once cannot both apply migration 1.
  db.transaction(() => {
    db.exec(SCHEMA_MIGRATIONS_TABLE);
    const applied = new Set(
      db
        .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
        .all()
        .map((row) => row.version),
    );
    const newest = Math.max(0, ...applied);
    if (newest > LATEST_SCHEMA_VERSION) {
      throw new KpiError('kpi.schema-too-new', `KPI database ${file}: schema version ${newest} is newer than this toneguard knows (${LATEST_SCHEMA_VERSION})`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) db.exec(statement);
      record.run(migration.version, migration.name, Date.now());
    }
  }).immediate();
}
