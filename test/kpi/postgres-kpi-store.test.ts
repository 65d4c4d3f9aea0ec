// PostgresKpiStore against a real PostgreSQL server (Debian `postgresql`, a throwaway cluster on
// a unix socket): the same scripted batch gives the same hand-computed numbers as SQLite, the
// same migrations apply once, and `toneguard kpi --postgres URL` reads it.
import pg from 'pg';
import t from 'tap';
import { PostgresKpiStore, redactUrl } from '../../src/kpi/postgres-kpi-store.js';
import { runKpiCommand } from '../../src/cli/kpi-command.js';
import { EXPECTED_DAY2, EXPECTED_FIELD_INPUTS, EXPECTED_TOTAL, contractJson } from '../helpers/kpi-expected.js';
import { checkBatchNumbers, checkIdempotentWrites, feedBatch } from '../helpers/kpi-store-checks.js';
import { startPostgres } from '../helpers/postgres.js';
import { scriptedBatch, TEST_PAN, TEST_PAN_LAST12 } from '../helpers/kpi-batch.js';
import { postgresText, VERSION1_MIGRATION_INSERT, VERSION1_MIGRATION_ROW, VERSION1_SESSION, VERSION1_SESSION_INSERT, VERSION1_STEP_INSERT, version1Schema } from '../helpers/kpi-version1.js';

t.test('URLs: refused when not postgres://, password never in messages', async (t) => {
  await t.rejects(PostgresKpiStore.connect('mysql://x@y/z'), { code: 'kpi.db-unreadable' });
  t.equal(redactUrl('postgres://kpi:s3cret@db.example:5432/kpi'), 'postgres://kpi:***@db.example:5432/kpi');
  // Nothing listens on port 1: a runtime failure, and the message hides the password.
  const error = await PostgresKpiStore.connect('postgres://kpi:s3cret@127.0.0.1:1/kpi').then(
    () => null,
    (e: unknown) => e,
  );
  t.match(error, { code: 'kpi.db-failure' }, 'no server: db-failure');
  t.notMatch(String((error as Error).message), /s3cret/, 'the password is not in the message');
});

t.test('a real PostgreSQL server', async (t) => {
  const cluster = startPostgres(t);
  if ('skip' in cluster) {
    t.plan(0, cluster.skip);
    return;
  }
  cluster.createDatabase('kpi_test');
  const url = cluster.url('kpi_test');

  t.test('the scripted batch: every number as computed by hand', async (t) => {
    const store = await PostgresKpiStore.connect(url);
    t.teardown(() => store.close());
    await feedBatch(store);
    await checkBatchNumbers(t, store, 'postgres');
    await checkIdempotentWrites(t, store, 'postgres');
  });

  t.test('migrations: applied once, concurrent openers wait for each other', async (t) => {
    cluster.createDatabase('kpi_migrations');
    const u = cluster.url('kpi_migrations');
    const stores = await Promise.all([PostgresKpiStore.connect(u), PostgresKpiStore.connect(u), PostgresKpiStore.connect(u)]);
    for (const store of stores) t.same(await store.schemaVersions(), [1, 2], 'one row per migration');
    await Promise.all(stores.map((s) => s.close()));
    const again = await PostgresKpiStore.connect(u);
    t.same(await again.schemaVersions(), [1, 2], 'reopened: still one each');
    await again.close();
  });

  t.test('a version-1 history is upgraded in place: old rows kept, input modes added, old sessions count nowhere there', async (t) => {
    cluster.createDatabase('kpi_version1');
    const u = cluster.url('kpi_version1');
    const old = new pg.Client({ connectionString: u });
    await old.connect();
    for (const statement of version1Schema()) await old.query(statement);
    await old.query(postgresText(VERSION1_MIGRATION_INSERT), [...VERSION1_MIGRATION_ROW]);
    await old.query(postgresText(VERSION1_SESSION_INSERT), [...VERSION1_SESSION]);
    await old.query(VERSION1_STEP_INSERT);
    await old.end();

    const store = await PostgresKpiStore.connect(u);
    t.teardown(() => store.close());
    t.same(await store.schemaVersions(), [1, 2], 'migration 2 applied on connect');
    const kept = await store.summary({});
    t.same([kept.entered, kept.successful, kept.attempted, kept.funnel.amount], [1, 1, 1, 1], 'the version-1 session and its step are kept');
    t.same(await store.fieldInputs({}), [], 'a session stored before input modes were kept counts nowhere');
    await feedBatch(store);
    t.same(await store.fieldInputs({}), EXPECTED_FIELD_INPUTS, 'sessions stored after the upgrade are counted');
  });

  t.test('input modes: rows per captured field, written with the session row or not at all; no card data in any row', async (t) => {
    cluster.createDatabase('kpi_inputs');
    const u = cluster.url('kpi_inputs');
    const store = await PostgresKpiStore.connect(u);
    t.teardown(() => store.close());
    await feedBatch(store);
    const raw = new pg.Client({ connectionString: u });
    await raw.connect();
    t.teardown(() => raw.end());
    const rowsOf = async (id: string) => (await raw.query('SELECT field, input FROM kpi_field_inputs WHERE session_id = $1 ORDER BY field', [id])).rows;
    t.same(
      await rowsOf('s1'),
      [
        { field: 'charge-amount', input: 'dtmf' },
        { field: 'expiration-date', input: 'speech' },
        { field: 'payment-card-number', input: 'speech' },
        { field: 'security-code', input: 'dtmf speech' },
      ],
      's1: its four fields and how each was given',
    );
    t.same(await rowsOf('s8'), [], 'a record without fieldInputs gives no rows');
    const base = scriptedBatch().ended[0];
    await t.rejects(store.sessionEnded({ ...base, sessionId: 'bad-input', fieldInputs: [{ for: 'payment-card-number', input: TEST_PAN as never }] }), { code: 'kpi.invalid-record' });
    const dump = JSON.stringify([
      (await raw.query('SELECT * FROM kpi_sessions')).rows,
      (await raw.query('SELECT * FROM kpi_field_inputs')).rows,
      (await raw.query('SELECT * FROM kpi_field_errors')).rows,
    ]);
    t.notOk(dump.includes(TEST_PAN) || dump.includes(TEST_PAN_LAST12), 'no card number or its last 12 in any row');

    await store.sessionEntered({ sessionId: 'atomic', mode: 'automated', merchantId: null, at: Date.UTC(2026, 10, 22) });
    await raw.query('DROP TABLE kpi_field_inputs');
    await t.rejects(store.sessionEnded({ ...base, sessionId: 'atomic', startedAt: Date.UTC(2026, 10, 22), endedAt: Date.UTC(2026, 10, 22, 0, 1) }), { code: 'kpi.db-failure' });
    const day3 = await store.summary({ from: Date.UTC(2026, 10, 22) });
    t.same([day3.entered, day3.successful], [1, 0], 'the session row was not completed either');
  });

  // The kpi command in-process (its argument wiring is tested with SQLite in test/cli/kpi.test.ts;
  // compiling the CLI again here would double this file's time).
  t.test('toneguard kpi --postgres URL', async (t) => {
    const run = async (options: Partial<Parameters<typeof runKpiCommand>[0]>): Promise<string> => {
      let out = '';
      await runKpiCommand({ json: false, csv: false, fieldErrors: false, postgres: url, ...options }, (text) => {
        out += text;
      });
      return out;
    };
    const json = await run({ json: true });
    t.equal(json, `${contractJson(EXPECTED_TOTAL)}\n`, '--json: the batch numbers, one object');
    t.equal(await run({ json: true, from: '2026-11-21' }), `${contractJson(EXPECTED_DAY2)}\n`, '--from: day 2 only');
    const csv = await run({ csv: true, by: 'outcome' });
    t.equal(csv.split('\r\n').length, 7, '--csv --by outcome: header, five groups, final newline');
    for (const out of [json, csv]) t.notOk(out.includes(TEST_PAN) || out.includes(TEST_PAN_LAST12), 'no card number in the output');
  });
});
