// PostgresKpiStore against a real PostgreSQL server (Debian `postgresql`, a throwaway cluster on
// a unix socket): the same scripted batch gives the same hand-computed numbers as SQLite, the
// same migrations apply once, and `toneguard kpi --postgres URL` reads it.
import t from 'tap';
import { PostgresKpiStore, redactUrl } from '../../src/kpi/postgres-kpi-store.js';
import { runKpiCommand } from '../../src/cli/kpi-command.js';
import { EXPECTED_DAY2, EXPECTED_TOTAL, contractJson } from '../helpers/kpi-expected.js';
import { checkBatchNumbers, checkIdempotentWrites, feedBatch } from '../helpers/kpi-store-checks.js';
import { startPostgres } from '../helpers/postgres.js';
import { TEST_PAN, TEST_PAN_LAST12 } from '../helpers/kpi-batch.js';

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
    for (const store of stores) t.same(await store.schemaVersions(), [1], 'one migration row');
    await Promise.all(stores.map((s) => s.close()));
    const again = await PostgresKpiStore.connect(u);
    t.same(await again.schemaVersions(), [1], 'reopened: still one');
    await again.close();
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
