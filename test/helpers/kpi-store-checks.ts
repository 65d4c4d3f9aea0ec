// The same checks for every KpiStore (SQLite, PostgreSQL): feed the scripted batch, then every
// query must give the hand-computed numbers of kpi-expected.ts.
import type { KpiStore } from '../../src/kpi/kpi-types.js';
import { scriptedBatch } from './kpi-batch.js';
import {
  EXPECTED_BY_CARD_TYPE,
  EXPECTED_BY_MERCHANT,
  EXPECTED_BY_OUTCOME,
  EXPECTED_DAY1,
  EXPECTED_DAY2,
  EXPECTED_FIELD_ERRORS,
  EXPECTED_FIELD_INPUTS,
  EXPECTED_FIELD_INPUTS_DAY2,
  EXPECTED_TOTAL,
  contractJson,
} from './kpi-expected.js';

interface TestLike {
  same(found: unknown, wanted: unknown, message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
}

/** Entries first (as sessions start), then the ends: the store sees the running sessions too. */
export async function feedBatch(store: KpiStore): Promise<void> {
  const { entered, ended } = scriptedBatch();
  for (const e of entered) await store.sessionEntered(e);
  for (const r of ended) await store.sessionEnded(r);
}

export async function checkBatchNumbers(t: TestLike, store: KpiStore, name: string): Promise<void> {
  const total = await store.summary({});
  t.same(total, EXPECTED_TOTAL, `${name}: summary of the whole batch`);
  t.equal(contractJson(total), JSON.stringify(total), `${name}: keys in the contract's order`);

  t.same(
    await store.grouped({ by: 'day' }),
    [
      { key: '2026-11-20', summary: EXPECTED_DAY1 },
      { key: '2026-11-21', summary: EXPECTED_DAY2 },
    ],
    `${name}: by day`,
  );
  t.same(await store.grouped({ by: 'merchant' }), EXPECTED_BY_MERCHANT, `${name}: by merchant`);
  t.same(await store.grouped({ by: 'outcome' }), EXPECTED_BY_OUTCOME, `${name}: by outcome`);
  const byCard = (await store.grouped({ by: 'card-type' })).map((g) => ({ key: g.key, entered: g.summary.entered, successful: g.summary.successful, hangups: g.summary.hangups }));
  t.same(byCard, EXPECTED_BY_CARD_TYPE, `${name}: by card type`);
  const byMode = (await store.grouped({ by: 'mode' })).map((g) => [g.key, g.summary.entered, g.summary.attempted]);
  t.same(
    byMode,
    [
      ['agent-assisted', 5, 5],
      ['automated', 6, 4],
    ],
    `${name}: by mode (entered, attempted)`,
  );
  const byHour = await store.grouped({ by: 'hour', from: Date.UTC(2026, 10, 20), to: Date.UTC(2026, 10, 21) });
  t.same(
    byHour.map((g) => [g.key, g.summary.entered]),
    [
      ['2026-11-20T09:00Z', 3],
      ['2026-11-20T10:00Z', 1],
      ['2026-11-20T11:00Z', 1],
    ],
    `${name}: by hour on day 1`,
  );

  t.same(await store.fieldErrors({}), EXPECTED_FIELD_ERRORS, `${name}: errors per field`);
  t.same(await store.fieldInputs({}), EXPECTED_FIELD_INPUTS, `${name}: captured fields per field and input mode`);

  // Time ranges: from inclusive, to exclusive, on the entry time.
  t.same(await store.summary({ from: Date.UTC(2026, 10, 20), to: Date.UTC(2026, 10, 21) }), EXPECTED_DAY1, `${name}: range = day 1`);
  t.same(await store.summary({ from: Date.UTC(2026, 10, 21) }), EXPECTED_DAY2, `${name}: from day 2, open end`);
  t.same(await store.summary({ to: Date.UTC(2026, 10, 21) }), EXPECTED_DAY1, `${name}: open start, to day 2`);
  const s3Start = Date.UTC(2026, 10, 20, 9, 20);
  const narrow = await store.summary({ from: s3Start, to: s3Start + 1 });
  t.same([narrow.entered, narrow.successful, narrow.attempted], [1, 1, 2], `${name}: a 1 ms range holds s3 only`);
  t.same([(await store.summary({ from: s3Start + 1, to: s3Start + 1 })).entered], [0], `${name}: an empty range`);
  t.same(await store.fieldErrors({ from: Date.UTC(2026, 10, 21) }), { 'security-code': { 'invalid-security-code': 2 } }, `${name}: errors per field on day 2`);
  t.same(await store.fieldInputs({ from: Date.UTC(2026, 10, 21) }), EXPECTED_FIELD_INPUTS_DAY2, `${name}: input modes on day 2`);
  t.same(await store.fieldInputs({ from: Date.UTC(2030, 0, 1) }), [], `${name}: no sessions: no input modes`);
  t.same(
    await store.summary({ from: Date.UTC(2030, 0, 1) }),
    {
      entered: 0,
      successful: 0,
      unsuccessful: 0,
      attempted: 0,
      hangups: 0,
      avgDurationSeconds: {},
      funnel: { amount: 0, 'card-number': 0, expiry: 0, 'security-code': 0, confirmation: 0, processing: 0, result: 0 },
    },
    `${name}: no sessions: zeros, every step present`,
  );
}

/** Replaying the batch (a duplicate end, a duplicate entry) changes nothing. */
export async function checkIdempotentWrites(t: TestLike, store: KpiStore, name: string): Promise<void> {
  await feedBatch(store);
  t.same(await store.summary({}), EXPECTED_TOTAL, `${name}: the batch fed twice counts once`);
  t.same(await store.fieldErrors({}), EXPECTED_FIELD_ERRORS, `${name}: field errors fed twice count once`);
  t.same(await store.fieldInputs({}), EXPECTED_FIELD_INPUTS, `${name}: input modes fed twice count once`);
}
