// KPI history in PostgreSQL (`pg`), for deployments that already run one: the same schema,
// migrations and queries as the SQLite store (kpi-queries.ts), so both answer the same numbers.
import pg from 'pg';
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
  postgresPlaceholder as ph,
  sessionsQuery,
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

/** pg_advisory_xact_lock key serialising migrations across processes ("tgkpi" in ASCII). */
const MIGRATION_LOCK_KEY = 0x74676b7069;
/** Pool size: KPI writes are one small transaction per session end. */
const POOL_MAX = 4;
const CONNECT_TIMEOUT_MS = 5000;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable PostgreSQL URL)';
  }
}

export class PostgresKpiStore implements KpiStore {
  readonly where: string;
  #pool: pg.Pool | null;

  private constructor(where: string, pool: pg.Pool) {
    this.where = where;
    this.#pool = pool;
  }

  /**
   * Connects (postgres://user:pass@host:port/db, or ?host=/socket/dir) and migrates.
   * Throws KpiError: db-unreadable (URL does not parse), db-failure (cannot connect), schema-too-new.
   */
  static async connect(url: string): Promise<PostgresKpiStore> {
    const where = redactUrl(url);
    if (!/^postgres(ql)?:\/\//.test(url) || where === '(unparsable PostgreSQL URL)') {
      throw new KpiError('kpi.db-unreadable', `KPI database ${where}: expected a postgres:// or postgresql:// URL`);
    }
    const pool = new pg.Pool({ connectionString: url, max: POOL_MAX, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle client losing its connection emits on the pool; without a listener that would crash the process.
    pool.on('error', () => undefined);
    try {
      await migrate(pool, where);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof KpiError) throw error;
      throw new KpiError('kpi.db-failure', `KPI database ${where}: ${messageOf(error)}`, { cause: error });
    }
    return new PostgresKpiStore(where, pool);
  }

  async schemaVersions(): Promise<number[]> {
    const result = await this.#query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version', []);
    return result.map((row) => Number(row.version));
  }

  #open(): pg.Pool {
    if (this.#pool === null) throw new KpiError('kpi.closed', `KPI database ${this.where}: closed`);
    return this.#pool;
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: readonly (string | number | null)[]): Promise<R[]> {
    const pool = this.#open();
    try {
      return (await pool.query<R>(sql, [...params])).rows;
    } catch (error) {
      throw new KpiError('kpi.db-failure', `KPI database ${this.where}: query failed (${messageOf(error)})`, { cause: error });
    }
  }

  async sessionEntered(event: SessionEnteredEvent): Promise<void> {
    const e = enteredRow(event);
    await this.#query(enteredInsert(ph), [e.sessionId, e.mode, e.merchantId, e.at]);
  }

  async sessionEnded(record: PaymentSessionRecord): Promise<void> {
    const row = sessionRow(record);
    const pool = this.#open();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw new KpiError('kpi.db-failure', `KPI database ${this.where}: cannot connect (${messageOf(error)})`, { cause: error });
    }
    try {
      await client.query('BEGIN');
      await client.query(endedUpsert(ph), endedValues(row));
      await client.query(stepsDelete(ph), [row.sessionId]);
      await client.query(fieldErrorsDelete(ph), [row.sessionId]);
      await client.query(fieldInputsDelete(ph), [row.sessionId]);
      for (const step of row.steps) await client.query(stepInsert(ph), [row.sessionId, step]);
      for (const e of row.fieldErrors) await client.query(fieldErrorInsert(ph), [row.sessionId, e.field, e.errorType, e.occurrences]);
      for (const i of row.fieldInputs) await client.query(fieldInputInsert(ph), [row.sessionId, i.field, i.input]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new KpiError('kpi.db-failure', `KPI database ${this.where}: recording a session end failed (${messageOf(error)})`, { cause: error });
    } finally {
      client.release();
    }
  }

  async #aggregate(range: KpiRange, by: KpiGroupBy | null): Promise<{ sessions: SessionsRow[]; steps: StepsRow[] }> {
    const s = sessionsQuery(range, by, ph);
    const st = stepsQuery(range, by, ph);
    const [sessions, steps] = await Promise.all([this.#query<SessionsRow & pg.QueryResultRow>(s.sql, s.params), this.#query<StepsRow & pg.QueryResultRow>(st.sql, st.params)]);
    return { sessions, steps };
  }

  async summary(range: KpiRange): Promise<KpiSummary> {
    const { sessions, steps } = await this.#aggregate(range, null);
    return assembleSummary(sessions, steps);
  }

  async grouped(range: KpiRange & { readonly by: KpiGroupBy }): Promise<KpiGroup[]> {
    const { sessions, steps } = await this.#aggregate(range, range.by);
    return assembleGroups(sessions, steps, range.by);
  }

  async fieldErrors(range: KpiRange): Promise<FieldErrorCounts> {
    const q = fieldErrorsQuery(range, ph);
    return assembleFieldErrors(await this.#query<FieldErrorsRow & pg.QueryResultRow>(q.sql, q.params));
  }

  async fieldInputs(range: KpiRange): Promise<FieldInputCount[]> {
    const q = fieldInputsQuery(range, ph);
    return assembleFieldInputs(await this.#query<FieldInputsRow & pg.QueryResultRow>(q.sql, q.params));
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.end();
  }
}

async function migrate(pool: pg.Pool, where: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two servers starting at once: the second waits here, then finds the migrations applied.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(SCHEMA_MIGRATIONS_TABLE);
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => Number(row.version)));
    const newest = Math.max(0, ...applied);
    if (newest > LATEST_SCHEMA_VERSION) {
      throw new KpiError('kpi.schema-too-new', `KPI database ${where}: schema version ${newest} is newer than this toneguard knows (${LATEST_SCHEMA_VERSION})`);
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await client.query(statement);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
