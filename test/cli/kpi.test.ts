// `toneguard kpi` end to end (the compiled CLI): --json prints the contract object, --by one
// object per group per line, --csv a header row; the numbers are the scripted batch's hand
// count; bad options, dates and databases exit 2 naming what is wrong; no card number in any output.
import { mkdirSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import t from 'tap';
import { PAYMENT_RESULTS, PAYMENT_STEPS } from '../../src/dialog/vocabulary.js';
import { SqliteKpiStore } from '../../src/kpi/sqlite-kpi-store.js';
import { KpiError } from '../../src/kpi/kpi-error.js';
import { runKpiCommand, type KpiCommandOptions } from '../../src/cli/kpi-command.js';
import { compileCli } from '../helpers/cli.js';
import { TEST_PAN, TEST_PAN_LAST12 } from '../helpers/kpi-batch.js';
import { EXPECTED_BY_MERCHANT, EXPECTED_BY_OUTCOME, EXPECTED_DAY1, EXPECTED_DAY2, EXPECTED_FIELD_ERRORS, EXPECTED_FIELD_INPUTS, EXPECTED_TOTAL, contractJson } from '../helpers/kpi-expected.js';
import { feedBatch } from '../helpers/kpi-store-checks.js';
import type { KpiSummary } from '../../src/kpi/kpi-types.js';

const { workDir, run } = compileCli(t, 'cli-kpi');
const outputs: string[] = [];
interface TestLike {
  same(found: unknown, wanted: unknown, message: string): unknown;
}

/** The default database, ./data/kpi.sqlite in the CLI's working directory, holding the batch. */
const db = join(workDir, 'data', 'kpi.sqlite');
t.before(async () => {
  const store = SqliteKpiStore.open(db);
  await feedBatch(store);
  await store.close();
});

/** The command in-process (a spawn costs seconds on a loaded machine): the end-to-end runs below cover the wiring. */
async function inProcess(options: Partial<KpiCommandOptions>): Promise<string> {
  let out = '';
  await runKpiCommand({ json: false, csv: false, fieldErrors: false, db, ...options }, (text) => {
    out += text;
  });
  outputs.push(out);
  return out;
}

function ok(t: TestLike, ...args: string[]): string {
  const result = run('kpi', ...args);
  t.same([result.status, result.stderr], [0, ''], `kpi ${args.join(' ')}: exit 0, nothing on stderr`);
  outputs.push(result.stdout);
  return result.stdout;
}

/** A CSV row back to a summary (numbers; empty cells absent). */
function csvSummary(header: string[], row: string[]): KpiSummary {
  const cell = (name: string): string => row[header.indexOf(name)];
  const avg: Record<string, number> = {};
  for (const r of PAYMENT_RESULTS) if (cell(`avg_duration_seconds_${r}`) !== '') avg[r] = Number(cell(`avg_duration_seconds_${r}`));
  const funnel = Object.fromEntries(PAYMENT_STEPS.map((s) => [s, Number(cell(`funnel_${s}`))])) as KpiSummary['funnel'];
  return {
    entered: Number(cell('entered')),
    successful: Number(cell('successful')),
    unsuccessful: Number(cell('unsuccessful')),
    attempted: Number(cell('attempted')),
    hangups: Number(cell('hangups')),
    avgDurationSeconds: avg,
    funnel,
  };
}

function parseCsv(text: string): string[][] {
  t.ok(text.endsWith('\r\n'), 'CSV lines end in CRLF (RFC 4180)');
  return text
    .slice(0, -2)
    .split('\r\n')
    .map((line) => line.split(','));
}

t.test('end to end (compiled CLI): --json, --by, --csv, --field-errors, defaults', async (t) => {
  t.equal(ok(t, '--json'), `${contractJson(EXPECTED_TOTAL)}\n`, 'default database ./data/kpi.sqlite, whole history: the contract object');
  const days = ok(t, '--db', db, '--json', '--by', 'day', '--from', '2026-11-20', '--to', '2026-11-22').trimEnd().split('\n');
  t.same(
    days.map((l) => JSON.parse(l)),
    [
      { day: '2026-11-20', ...EXPECTED_DAY1 },
      { day: '2026-11-21', ...EXPECTED_DAY2 },
    ],
    '--by day: one object per line',
  );
  t.ok(days[0].startsWith('{"day":"2026-11-20","entered":5,'), 'the group key first');
  const [header, row, ...rest] = parseCsv(ok(t, '--csv'));
  t.same(rest, [], 'one data row');
  t.same(header.slice(0, 5), ['entered', 'successful', 'unsuccessful', 'attempted', 'hangups'], 'header');
  t.same(csvSummary(header, row), EXPECTED_TOTAL, 'the batch numbers');
  const [outHeader, ...outRows] = parseCsv(ok(t, '--csv', '--by', 'outcome'));
  t.equal(outHeader[0], 'outcome', 'the grouping names the first column');
  t.same(
    outRows.map((r) => [r[0] === '' ? null : r[0], csvSummary(outHeader, r)]),
    EXPECTED_BY_OUTCOME.map((g) => [g.key, g.summary]),
    'by outcome (running sessions: empty key)',
  );
  t.same(JSON.parse(ok(t, '--field-errors', '--json')), EXPECTED_FIELD_ERRORS, '--field-errors');
  t.same(JSON.parse(ok(t, '--field-inputs', '--json')), { fieldInputs: EXPECTED_FIELD_INPUTS }, '--field-inputs: the object GET /kpi/field-inputs answers');
  t.match(ok(t), /^entered: 11$/m, 'plain text');
});

t.test('end to end: bad usage and unreadable databases exit 2 with a message naming the problem', async (t) => {
  const junk = join(workDir, 'junk.sqlite');
  writeFileSync(junk, 'this is not a database, just text '.repeat(200));
  for (const [args, message] of [
    [['--db', join(workDir, 'missing.sqlite')], /missing\.sqlite: no such file/],
    [['--db', junk], /junk\.sqlite: not a readable SQLite database/],
    [['--from', 'last tuesday'], /from: expected an ISO 8601 date/],
  ] as const) {
    const result = run('kpi', ...args);
    t.equal(result.status, 2, `kpi ${args.join(' ')}: exit 2`);
    t.match(result.stderr, message, `kpi ${args.join(' ')}: ${String(message)}`);
    t.equal(result.stdout, '', 'nothing on stdout');
  }
});

t.test('in-process: ranges and groupings', async (t) => {
  t.equal(await inProcess({ json: true, from: '2026-11-20', to: '2026-11-21' }), `${contractJson(EXPECTED_DAY1)}\n`, 'day 1');
  t.equal(await inProcess({ json: true, from: '2026-11-21T00:00:00Z' }), `${contractJson(EXPECTED_DAY2)}\n`, 'from day 2');
  t.equal(
    (await inProcess({ json: true, from: '2026-11-20T10:00:00+01:00', to: '2026-11-20T09:10:00Z' })).trim(),
    contractJson({
      entered: 1,
      successful: 1,
      unsuccessful: 0,
      attempted: 1,
      hangups: 0,
      avgDurationSeconds: { success: 62 },
      funnel: { amount: 1, 'card-number': 1, expiry: 1, 'security-code': 1, confirmation: 1, processing: 1, result: 1 },
    }),
    'an offset: 09:00Z to 09:10Z holds s1 only',
  );
  const lines = async (options: Partial<KpiCommandOptions>): Promise<unknown[]> =>
    (await inProcess(options))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
  t.same(
    await lines({ json: true, by: 'merchant' }),
    EXPECTED_BY_MERCHANT.map((g) => ({ merchant: g.key, ...g.summary })),
    'by merchant',
  );
  t.same(
    await lines({ json: true, by: 'outcome' }),
    EXPECTED_BY_OUTCOME.map((g) => ({ outcome: g.key, ...g.summary })),
    'by outcome',
  );
  const [dayHeader, ...dayRows] = parseCsv(await inProcess({ csv: true, by: 'day' }));
  t.same(
    dayRows.map((r) => [r[0], csvSummary(dayHeader, r)]),
    [
      ['2026-11-20', EXPECTED_DAY1],
      ['2026-11-21', EXPECTED_DAY2],
    ],
    'CSV by day',
  );
  t.equal(
    await inProcess({ fieldErrors: true, csv: true }),
    'for,error_type,count\r\nexpiration-date,invalid-date,1\r\npayment-card-number,input-timeout,1\r\npayment-card-number,invalid-card-number,1\r\nsecurity-code,input-timeout,1\r\nsecurity-code,invalid-security-code,2\r\n',
    'field errors CSV',
  );
  t.equal(
    await inProcess({ fieldInputs: true, csv: true, from: '2026-11-21' }),
    'for,input,count\r\ncharge-amount,speech,1\r\npayment-card-number,speech,1\r\nexpiration-date,dtmf,1\r\n',
    'field inputs CSV, day 2',
  );
  t.equal(await inProcess({ fieldInputs: true, from: '2030-01-01' }), 'for,input,count\n', 'field inputs text, nothing in range: the header only');
  const text = await inProcess({});
  t.match(text, /^funnel: amount 9, card-number 8, expiry 7, security-code 7, confirmation 6, processing 6, result 5$/m, 'text: the funnel');
  t.match(await inProcess({ by: 'merchant' }), /^merchant m-acme:\n  entered: 4$/m, 'text by merchant');
});

t.test('in-process: every bad input is a usage error (commander: exit 2) or an input KpiError (exit 2)', async (t) => {
  mkdirSync(join(workDir, 'a-directory'), { recursive: true });
  const usage = (e: unknown): boolean => e instanceof InvalidArgumentError || (e instanceof KpiError && e.isInputError);
  for (const [options, message] of [
    [{ db: join(workDir, 'a-directory') }, /a-directory/],
    [{ to: '2026-02-30' }, /to: "2026-02-30" is not a valid date/],
    [{ from: '2026-11-22', to: '2026-11-21' }, /after/],
    [{ postgres: 'postgres://x@y/z' }, /exclusive/],
    [{ db: undefined, postgres: 'mysql://x@y/z' }, /postgres:\/\//],
    [{ fieldErrors: true, by: 'day' }, /--field-errors takes no --by/],
    [{ fieldInputs: true, by: 'day' }, /--field-inputs takes no --by/],
    [{ fieldInputs: true, fieldErrors: true }, /exclusive/],
    [{ json: true, csv: true }, /exclusive/],
    [{ by: 'week' }, /by: expected one of day, hour, merchant, outcome, mode, card-type/],
  ] as const) {
    const error = await inProcess(options).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(usage(error), `${JSON.stringify(options)}: a usage error`);
    t.match(String((error as Error).message), message, String(message));
  }
});

t.test('PCI: no output holds the card number or its last 12 digits', async (t) => {
  t.ok(outputs.length > 10, 'outputs collected');
  t.same(
    outputs.filter((o) => o.includes(TEST_PAN) || o.includes(TEST_PAN_LAST12)),
    [],
    'none',
  );
});
