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
import { EXPECTED_FIELD_INPUTS, EXPECTED_TOTAL } from '../helpers/kpi-expected.js';
import { VERSION1_MIGRATION_INSERT, VERSION1_MIGRATION_ROW, VERSION1_SESSION, VERSION1_SESSION_INSERT, VERSION1_STEP_INSERT, version1Schema } from '../helpers/kpi-version1.js';
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
  t.same(first.schemaVersions(), [1, 2], 'migrations 1 and 2 applied');
  await feedBatch(first);
  // A second connection while the first is open (server + CLI), then reopen after close.
  const second = SqliteKpiStore.open(file, { mustExist: true });
  t.same(second.schemaVersions(), [1, 2], 'opening again applies nothing twice');
  t.same(await second.summary({}), EXPECTED_TOTAL, 'the second connection reads what the first wrote');
  await second.close();
  await first.close();
  const third = SqliteKpiStore.open(file, { mustExist: true });
  t.same(third.schemaVersions(), [1, 2], 'reopened: still one row per migration');
  t.same(await third.summary({}), EXPECTED_TOTAL, 'data kept');
  await third.close();
  const raw = new Database(file, { readonly: true });
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal', 'journal_mode is WAL');
  t.same(
    raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all(),
    [
      { version: 1, name: 'payment sessions, steps reached, field errors' },
      { version: 2, name: 'how each captured field was given' },
    ],
    'schema_migrations rows',
  );
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
  await SqliteKpiStore.open(file).close();
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
  const columns = raw
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('kpi_sessions')")
    .all()
    .map((c) => c.name);
  t.notOk(
    columns.some((c) => /pan|card_number|expiry|cvv|security/i.test(c)),
    `no column for card data (${columns.join(', ')})`,
  );
  const inputColumns = raw
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('kpi_field_inputs')")
    .all()
    .map((c) => c.name);
  t.same(inputColumns, ['session_id', 'field', 'input'], 'the input-mode rows hold the session, the field name and the mode: nothing given');
  const words = raw
    .prepare<[], { input: string }>('SELECT DISTINCT input FROM kpi_field_inputs ORDER BY input')
    .all()
    .map((r) => r.input);
  t.same(words, ['dtmf', 'dtmf speech', 'speech'], 'the input column holds vocabulary words only');
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
  t.same(
    byDay.map((g) => [g.key, g.summary.entered, g.summary.successful]),
    [['2026-11-20', 1, 1]],
    'counted on the day it entered',
  );
  t.same(
    (await store.grouped({ by: 'merchant' })).map((g) => g.key),
    ['m-entry'],
    'the merchant from the entry kept',
  );
  t.same((await store.summary({})).avgDurationSeconds, { success: 10 }, 'duration from the record (startedAt to endedAt)');
});

t.test('input modes: one row per captured field of an ended session, in the same transaction as its session', async (t) => {
  const file = join(dir, 'inputs.sqlite');
  const store = SqliteKpiStore.open(file);
  t.teardown(() => store.close());
  await feedBatch(store);
  const raw = new Database(file, { readonly: true });
  const rowsOf = (id: string) => raw.prepare<[string], { field: string; input: string }>('SELECT field, input FROM kpi_field_inputs WHERE session_id = ? ORDER BY field').all(id);
  t.same(
    rowsOf('s1'),
    [
      { field: 'charge-amount', input: 'dtmf' },
      { field: 'expiration-date', input: 'speech' },
      { field: 'payment-card-number', input: 'speech' },
      { field: 'security-code', input: 'dtmf speech' },
    ],
    's1: its four fields and how each was given',
  );
  t.same(rowsOf('s8'), [], 'a record without fieldInputs (an older dialog) gives no rows');
  t.same(rowsOf('s10'), [], 'a session still running has none');
  raw.close();

  // A record naming a field twice keeps the last, as the dialog's record says.
  const base = scriptedBatch().ended[0];
  await store.sessionEnded({
    ...base,
    sessionId: 'twice',
    fieldInputs: [
      { for: 'payment-card-number', input: 'speech' },
      { for: 'payment-card-number', input: 'dtmf' },
    ],
  });
  const twice = new Database(file, { readonly: true });
  t.same(twice.prepare("SELECT field, input FROM kpi_field_inputs WHERE session_id = 'twice'").all(), [{ field: 'payment-card-number', input: 'dtmf' }], 'the last capture of a field counts');
  twice.close();

  // Anything but the vocabulary is refused whole: nothing of the record is written.
  const before = await store.summary({});
  await t.rejects(store.sessionEnded({ ...base, sessionId: 'bad-input', fieldInputs: [{ for: 'payment-card-number', input: TEST_PAN as never }] }), {
    code: 'kpi.invalid-record',
    message: /unknown field input/,
  });
  await t.rejects(store.sessionEnded({ ...base, sessionId: 'bad-field', fieldInputs: [{ for: 'pin' as never, input: 'dtmf' }] }), { code: 'kpi.invalid-record' });
  t.same(await store.summary({}), before, 'a refused record stores nothing');

  // The rows are written with the session's row or not at all: with the table gone the whole end is rolled back.
  await store.sessionEntered({ sessionId: 'atomic', mode: 'automated', merchantId: null, at: Date.UTC(2026, 10, 22) });
  const writer = new Database(file);
  writer.exec('DROP TABLE kpi_field_inputs');
  writer.close();
  await t.rejects(store.sessionEnded({ ...base, sessionId: 'atomic', startedAt: Date.UTC(2026, 10, 22), endedAt: Date.UTC(2026, 10, 22, 0, 1) }), { code: 'kpi.db-failure' });
  const day3 = await store.summary({ from: Date.UTC(2026, 10, 22) });
  t.same([day3.entered, day3.successful], [1, 0], 'the session row was not completed either');
});

t.test('a version-1 history is upgraded in place: old rows kept, input modes added, old sessions count nowhere there', async (t) => {
  const file = join(dir, 'version1.sqlite');
  const old = new Database(file);
  for (const statement of version1Schema()) old.exec(statement);
  old.prepare(VERSION1_MIGRATION_INSERT).run(...VERSION1_MIGRATION_ROW);
  old.prepare(VERSION1_SESSION_INSERT).run(...VERSION1_SESSION);
  old.exec(VERSION1_STEP_INSERT);
  old.close();

  const store = SqliteKpiStore.open(file, { mustExist: true });
  t.teardown(() => store.close());
  t.same(store.schemaVersions(), [1, 2], 'migration 2 applied on open');
  const kept = await store.summary({});
  t.same([kept.entered, kept.successful, kept.attempted, kept.funnel.amount], [1, 1, 1, 1], 'the version-1 session and its step are kept');
  t.same(await store.fieldInputs({}), [], 'a session stored before input modes were kept counts nowhere');
  await feedBatch(store);
  t.same(await store.fieldInputs({}), EXPECTED_FIELD_INPUTS, 'sessions stored after the upgrade are counted');
  t.equal((await store.summary({})).entered, EXPECTED_TOTAL.entered + 1, 'the old session still counts as entered');
});
