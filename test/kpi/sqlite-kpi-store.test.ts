// SqliteKpiStore against the scripted batch: every query gives the hand-computed numbers,
// migrations are idempotent, bad files are refused clearly, and no card number reaches the disk.
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { KpiError } from '../../src/kpi/kpi-error.js';
import { SqliteKpiStore } from '../../src/kpi/sqlite-kpi-store.js';
import { scriptedBatch, TEST_PAN, TEST_PAN_LAST12 } from '../helpers/kpi-batch.js';
import { EXPECTED_TOTAL } from '../helpers/kpi-expected.js';
import { checkBatchNumbers, checkIdempotentWrites, feedBatch } from '../helpers/kpi-store-checks.js';

const dir = mkdtempSync(join(tmpdir(), 'toneguard-kpi-sqlite-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the scripted batch: every number as computed by hand', async (t) => {
  const file = join(dir, 'batch', 'kpi.sqlite');
  const store = SqliteKpiStore.open(file);
  t.teardown(() => store.close());
  await feedBatch(store);
  await checkBatchNumbers(t, store, 'sqlite');
  await checkIdempotentWrites(t, store, 'sqlite');
});

t.test('WAL, numbered migrations, idempotent on reopen', async (t) => {
  const file = join(dir, 'migrations.sqlite');
  const first = SqliteKpiStore.open(file);
  t.same(first.schemaVersions(), [1], 'migration 1 applied');
  await feedBatch(first);
  // A second connection while the first is open (server + CLI), then reopen after close.
  const second = SqliteKpiStore.open(file, { mustExist: true });
  t.same(second.schemaVersions(), [1], 'opening again applies nothing twice');
  t.same(await second.summary({}), EXPECTED_TOTAL, 'the second connection reads what the first wrote');
  await second.close();
  await first.close();
  const third = SqliteKpiStore.open(file, { mustExist: true });
  t.same(third.schemaVersions(), [1], 'reopened: still one migration row');
  t.same(await third.summary({}), EXPECTED_TOTAL, 'data kept');
  await third.close();
  const raw = new Database(file, { readonly: true });
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal', 'journal_mode is WAL');
  t.same(raw.prepare('SELECT version, name FROM schema_migrations').all(), [{ version: 1, name: 'payment sessions, steps reached, field errors' }], 'schema_migrations rows');
  raw.close();
});

t.test('the history, its -wal and -shm are private to the service user (0600), whatever the umask', async (t) => {
  const previous = process.umask(0o022);
  t.teardown(() => void process.umask(previous));
  const file = join(dir, 'private', 'kpi.sqlite');
  const store = SqliteKpiStore.open(file);
  await feedBatch(store);
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
  for (const path of [file, `${file}-wal`, `${file}-shm`]) t.equal(mode(path), '600', `${path} is 0600`);
  t.equal(mode(join(dir, 'private')), '700', 'the directory it created is 0700');
  await store.close();

  // A history left readable by an older version is narrowed when the server opens it.
  const old = join(dir, 'old.sqlite');
  await SqliteKpiStore.open(old).close();
  chmodSync(old, 0o644);
  const reopened = SqliteKpiStore.open(old);
  await feedBatch(reopened);
  t.equal(mode(old), '600');
  t.equal(mode(`${old}-wal`), '600');
  await reopened.close();
});

t.test('a database from a newer toneguard is refused', async (t) => {
  const file = join(dir, 'newer.sqlite');
  (await SqliteKpiStore.open(file).close());
  const raw = new Database(file);
  raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('future');
  raw.close();
  t.throws(() => SqliteKpiStore.open(file), { code: 'kpi.schema-too-new' });
});

t.test('bad files: missing (mustExist), not a database; closed store', async (t) => {
  const missing = join(dir, 'nope.sqlite');
  t.throws(() => SqliteKpiStore.open(missing, { mustExist: true }), { code: 'kpi.db-not-found', message: /nope\.sqlite/ });
  const junk = join(dir, 'junk.sqlite');
  writeFileSync(junk, Buffer.alloc(4096, 0x5a));
  const error = (() => {
    try {
      SqliteKpiStore.open(junk, { mustExist: true });
    } catch (e) {
      return e;
    }
    return null;
  })();
  t.ok(error instanceof KpiError && error.code === 'kpi.db-unreadable' && error.isInputError && error.message.includes('junk.sqlite'), 'not a database: db-unreadable naming the file');
  const store = SqliteKpiStore.open(join(dir, 'closed.sqlite'));
  await store.close();
  await store.close();
  await t.rejects(store.summary({}), { code: 'kpi.closed' });
});

t.test('records the store cannot count are rejected, nothing written', async (t) => {
  const store = SqliteKpiStore.open(':memory:');
  t.teardown(() => store.close());
  const good = scriptedBatch().ended[0];
  await t.rejects(store.sessionEnded({ ...good, result: 'approved' as never }), { code: 'kpi.invalid-record' });
  await t.rejects(store.sessionEnded({ ...good, endedAt: good.startedAt - 1 }), { code: 'kpi.invalid-record' });
  await t.rejects(store.sessionEnded({ ...good, attempts: -1 }), { code: 'kpi.invalid-record' });
  await t.rejects(store.sessionEnded({ ...good, stepsReached: ['amount', 'bogus' as never] }), { code: 'kpi.invalid-record' });
  await t.rejects(store.sessionEntered({ sessionId: 'x', mode: 'robot' as never, merchantId: null, at: 1 }), { code: 'kpi.invalid-record' });
  await t.rejects(store.sessionEntered({ sessionId: 'x', mode: 'automated', merchantId: null, at: Number.NaN }), { code: 'kpi.invalid-record' });
  t.equal((await store.summary({})).entered, 0, 'nothing stored');
  // An end whose entry was never seen still counts as entered (at its start time).
  await store.sessionEnded(good);
  t.same([(await store.summary({})).entered, (await store.summary({})).successful], [1, 1], 'end without entry: entered and counted');
});

t.test('PCI: no card number or its last 12 digits in the database files', async (t) => {
  const sub = join(dir, 'pci');
  const file = join(sub, 'kpi.sqlite');
  const store = SqliteKpiStore.open(file);
  await feedBatch(store);
  const raw = new Database(file, { readonly: true });
  const reasons = raw.prepare<[], { reason: string }>("SELECT reason FROM kpi_sessions WHERE session_id = 's5'").get();
  t.equal(reasons?.reason, 'gateway error for card [redacted]: timeout', "a card number in a gateway's reason is redacted before storing");
  const columns = raw.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('kpi_sessions')").all().map((c) => c.name);
  t.notOk(columns.some((c) => /pan|card_number|expiry|cvv|security/i.test(c)), `no column for card data (${columns.join(', ')})`);
  raw.close();
  // Read the WAL while the store is open too, then the checkpointed file after close.
  const scan = (): string[] =>
    readdirSync(sub).filter((name) => {
      const bytes = readFileSync(join(sub, name)).toString('latin1');
      return bytes.includes(TEST_PAN) || bytes.includes(TEST_PAN_LAST12);
    });
  t.same(scan(), [], 'open: no file holds the PAN or its last 12');
  await store.close();
  t.same(scan(), [], 'closed: no file holds the PAN or its last 12');
});

t.test("the entry event's time and merchant win over the end record's", async (t) => {
  const store = SqliteKpiStore.open(':memory:');
  t.teardown(() => store.close());
  const base = scriptedBatch().ended[0];
  const enteredAt = Date.UTC(2026, 10, 20, 23, 59, 59, 900);
  await store.sessionEntered({ sessionId: 'late', mode: 'automated', merchantId: 'm-entry', at: enteredAt });
  // The dialog's own start time falls on the next UTC day, and it lost the merchant ID.
  await store.sessionEnded({ ...base, sessionId: 'late', merchantId: null, startedAt: enteredAt + 200, endedAt: enteredAt + 10_200 });
  const byDay = await store.grouped({ by: 'day' });
  t.same(byDay.map((g) => [g.key, g.summary.entered, g.summary.successful]), [['2026-11-20', 1, 1]], 'counted on the day it entered');
  t.same((await store.grouped({ by: 'merchant' })).map((g) => g.key), ['m-entry'], 'the merchant from the entry kept');
  t.same((await store.summary({})).avgDurationSeconds, { success: 10 }, 'duration from the record (startedAt to endedAt)');
});
