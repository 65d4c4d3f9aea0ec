// KpiMetrics and KpiRecorder: the scripted batch in Prometheus text gives the hand-computed
// numbers (the same as the history stores), labels stay bounded, the live counters add up, and
// a failing store never reaches the dialog.
import t from 'tap';
import { KpiError } from '../../src/kpi/kpi-error.js';
import { KpiMetrics, MAX_MERCHANTS } from '../../src/kpi/kpi-metrics.js';
import { KpiRecorder } from '../../src/kpi/kpi-recorder.js';
import { SqliteKpiStore } from '../../src/kpi/sqlite-kpi-store.js';
import type { KpiStore } from '../../src/kpi/kpi-types.js';
import { scriptedBatch, TEST_PAN, TEST_PAN_LAST12 } from '../helpers/kpi-batch.js';
import { EXPECTED_FIELD_ERRORS, EXPECTED_TOTAL } from '../helpers/kpi-expected.js';
import { parsePrometheusText, sumOf, table } from '../helpers/prometheus-text.js';

t.test('the scripted batch through the recorder: Prometheus and SQLite agree with the hand count', async (t) => {
  const metrics = new KpiMetrics();
  const store = SqliteKpiStore.open(':memory:');
  t.teardown(() => store.close());
  const errors: KpiError[] = [];
  const recorder = new KpiRecorder({ store, metrics, onError: (e) => errors.push(e) });
  const { entered, ended } = scriptedBatch();
  for (const e of entered) recorder.sessionEntered(e);
  for (const r of ended) recorder.sessionEnded(r);
  await recorder.close();
  t.same(errors, [], 'no write failed');
  t.same(await store.summary({}), EXPECTED_TOTAL, 'history: the hand count');

  const text = await metrics.text();
  t.notOk(text.includes(TEST_PAN) || text.includes(TEST_PAN_LAST12), 'no card number in /metrics');
  const m = parsePrometheusText(text);
  t.same(table(m, 'toneguard_payment_sessions_entered_total', ['mode']), { automated: 6, 'agent-assisted': 5 }, 'entered per mode (s1 s2 s4 s6 s7 s10 | s3 s5 s8 s9 s11)');
  t.same(
    table(m, 'toneguard_payment_sessions_total', ['mode', 'result']),
    {
      'automated|success': 1,
      'automated|too-many-failed-attempts': 1,
      'automated|caller-hung-up': 3,
      'agent-assisted|success': 2,
      'agent-assisted|payment-connector-error': 1,
      'agent-assisted|caller-hung-up': 1,
    },
    'ended per mode and result',
  );
  t.same(table(m, 'toneguard_payment_attempts_total', ['mode']), { automated: 4, 'agent-assisted': 5 }, 'cards submitted per mode (1+3 | 2+1+1+1)');
  t.same(
    table(m, 'toneguard_payment_caller_hangups_total', ['mode', 'step']),
    { 'automated|card-number': 1, 'automated|amount': 1, 'automated|security-code': 1, 'agent-assisted|processing': 1 },
    'hang-ups per step',
  );
  t.same(
    table(m, 'toneguard_payment_field_errors_total', ['mode', 'for', 'error_type']),
    {
      'automated|payment-card-number|invalid-card-number': 1,
      'agent-assisted|expiration-date|invalid-date': 1,
      'agent-assisted|security-code|input-timeout': 1,
      'automated|payment-card-number|input-timeout': 1,
      'automated|security-code|invalid-security-code': 2,
    },
    'field errors per mode, field and type',
  );
  // The history's totals, from Prometheus.
  const enteredTotal = sumOf(m, 'toneguard_payment_sessions_entered_total');
  const successful = sumOf(m, 'toneguard_payment_sessions_total', { result: 'success' });
  const endedTotal = sumOf(m, 'toneguard_payment_sessions_total');
  t.same(
    { entered: enteredTotal, successful, unsuccessful: endedTotal - successful, attempted: sumOf(m, 'toneguard_payment_attempts_total'), hangups: sumOf(m, 'toneguard_payment_caller_hangups_total') },
    { entered: EXPECTED_TOTAL.entered, successful: EXPECTED_TOTAL.successful, unsuccessful: EXPECTED_TOTAL.unsuccessful, attempted: EXPECTED_TOTAL.attempted, hangups: EXPECTED_TOTAL.hangups },
    'Prometheus totals = the history summary',
  );
  const avg: Record<string, number> = {};
  for (const result of ['success', 'too-many-failed-attempts', 'payment-connector-error', 'caller-hung-up']) {
    const sum = sumOf(m, 'toneguard_payment_session_duration_seconds_sum', { result });
    const count = sumOf(m, 'toneguard_payment_session_duration_seconds_count', { result });
    avg[result] = Math.round((sum / count) * 1000) / 1000;
  }
  t.same(avg, EXPECTED_TOTAL.avgDurationSeconds, 'duration histogram: sum/count per result = the average durations');
  t.equal(sumOf(m, 'toneguard_payment_session_duration_seconds_bucket', { result: 'success', le: '90' }), 2, 'success durations 62 s and 70 s are <= 90 s, 95.5 s is not');
  const funnel: Record<string, number> = {};
  for (const s of m) if (s.name === 'toneguard_payment_steps_reached_total') funnel[s.labels.step] = (funnel[s.labels.step] ?? 0) + s.value;
  t.same(funnel, EXPECTED_TOTAL.funnel, 'the funnel');
  const fieldErrors: Record<string, Record<string, number>> = {};
  for (const s of m) if (s.name === 'toneguard_payment_field_errors_total') (fieldErrors[s.labels.for] ??= {})[s.labels.error_type] = (fieldErrors[s.labels.for]?.[s.labels.error_type] ?? 0) + s.value;
  t.same(fieldErrors, EXPECTED_FIELD_ERRORS, 'errors per field = the history');
  t.same(
    Object.fromEntries(['m-acme', 'm-bolt', 'm-cafe', 'none'].map((merchant) => [merchant, sumOf(m, 'toneguard_payment_sessions_entered_by_merchant_total', { merchant })])),
    { 'm-acme': 4, 'm-bolt': 3, 'm-cafe': 2, none: 2 },
    'entered per merchant',
  );
  t.same(
    Object.fromEntries(['visa', 'mastercard', 'american-express', 'none'].map((card) => [card, sumOf(m, 'toneguard_payment_sessions_by_card_type_total', { card_type: card })])),
    { visa: 4, mastercard: 2, 'american-express': 1, none: 2 },
    'ended per card type',
  );
});

t.test('merchant and card type labels are capped', async (t) => {
  const metrics = new KpiMetrics();
  for (let i = 0; i < MAX_MERCHANTS + 50; i++) metrics.sessionEntered({ sessionId: `x${i}`, mode: 'automated', merchantId: `merchant-${i}`, at: 1 });
  const m = parsePrometheusText(await metrics.text());
  const series = m.filter((s) => s.name === 'toneguard_payment_sessions_entered_by_merchant_total');
  t.equal(series.length, MAX_MERCHANTS + 1, `${MAX_MERCHANTS} merchants and "other"`);
  t.equal(sumOf(m, 'toneguard_payment_sessions_entered_by_merchant_total', { merchant: 'other' }), 50, 'the rest count as other');
  metrics.sessionEntered({ sessionId: 'y', mode: 'automated', merchantId: 'merchant-3', at: 1 });
  t.equal(sumOf(parsePrometheusText(await metrics.text()), 'toneguard_payment_sessions_entered_by_merchant_total', { merchant: 'merchant-3' }), 2, 'a known merchant keeps its series');
  const base = scriptedBatch().ended[0];
  for (let i = 0; i < 30; i++) metrics.sessionEnded({ ...base, sessionId: `c${i}`, cardType: `type-${i}` });
  t.equal(
    new Set(
      parsePrometheusText(await metrics.text())
        .filter((s) => s.name === 'toneguard_payment_sessions_by_card_type_total')
        .map((s) => s.labels.card_type),
    ).size,
    21,
    '20 card types and "other"',
  );
});

t.test('call, RTP and DTMF counters; live snapshot', async (t) => {
  const metrics = new KpiMetrics();
  metrics.callStarted();
  metrics.callStarted();
  metrics.callStarted();
  metrics.callEnded();
  metrics.rtpPackets('caller', 'in', 500);
  metrics.rtpPackets('caller', 'out', 480);
  metrics.rtpPackets('agent', 'in');
  metrics.rtpPacketsLost('caller', 3);
  metrics.rtpPacketsDropped('unknown-source', 2);
  for (const source of ['rfc4733', 'rfc4733', 'inband', 'sip-info'] as const) metrics.dtmfDigit(source);
  metrics.dtmfDigitClamped('rfc4733');
  metrics.dtmfDigitClamped('inband');
  const m = parsePrometheusText(await metrics.text());
  t.equal(sumOf(m, 'toneguard_calls_active'), 2, 'calls active');
  t.equal(sumOf(m, 'toneguard_calls_total'), 3, 'calls total');
  t.same(table(m, 'toneguard_rtp_packets_total', ['leg', 'direction']), { 'caller|in': 500, 'caller|out': 480, 'agent|in': 1 }, 'packets per leg and direction');
  t.same(table(m, 'toneguard_rtp_packets_lost_total', ['leg']), { caller: 3 }, 'lost');
  t.same(table(m, 'toneguard_rtp_packets_dropped_total', ['reason']), { 'unknown-source': 2 }, 'dropped');
  t.same(table(m, 'toneguard_dtmf_digits_total', ['source']), { rfc4733: 2, inband: 1, 'sip-info': 1 }, 'digits per source');
  t.same(table(m, 'toneguard_dtmf_digits_clamped_total', ['source']), { rfc4733: 1, inband: 1 }, 'clamped per source');
  t.same(
    await metrics.live(),
    { callsActive: 2, callsTotal: 3, rtpPackets: 981, rtpPacketsLost: 3, rtpPacketsDropped: 2, dtmfDigits: { rfc4733: 2, inband: 1, 'sip-info': 1 }, dtmfDigitsClamped: 2 },
    'live snapshot',
  );
  t.match(metrics.contentType, /^text\/plain/, 'text exposition content type');
  t.same(table(m, 'toneguard_payment_sessions_entered_total', ['mode']), { automated: 0, 'agent-assisted': 0 }, 'per-mode series exist at 0 before any payment');
  t.equal(new KpiMetrics().registry === metrics.registry, false, 'each KpiMetrics has its own registry (no global default)');
});

t.test('recorder: a failing store is reported, never thrown; bad events counted nowhere', async (t) => {
  const failing: KpiStore = {
    sessionEntered: async () => {
      throw new KpiError('kpi.db-failure', 'disk full');
    },
    sessionEnded: async () => {
      throw new Error('connection lost');
    },
    summary: async () => {
      throw new Error('unused');
    },
    grouped: async () => [],
    fieldErrors: async () => ({}),
    fieldInputs: async () => [],
    close: async () => undefined,
  };
  const metrics = new KpiMetrics();
  const errors: string[] = [];
  const recorder = new KpiRecorder({ store: failing, metrics, onError: (e) => errors.push(e.code) });
  const { entered, ended } = scriptedBatch();
  t.doesNotThrow(() => recorder.sessionEntered(entered[0]));
  t.doesNotThrow(() => recorder.sessionEnded(ended[0]));
  recorder.sessionEnded({ ...ended[1], result: 'bogus' as never });
  await recorder.flush();
  t.same(errors, ['kpi.invalid-record', 'kpi.db-failure', 'kpi.db-failure'], 'the invalid record at once, then both write failures');
  const m = parsePrometheusText(await metrics.text());
  t.equal(sumOf(m, 'toneguard_payment_sessions_total'), 1, 'metrics still count the valid end, not the bogus one');
  await recorder.close();
  recorder.sessionEntered(entered[1]);
  t.same(errors.at(-1), 'kpi.closed', 'events after close are reported and dropped');
});

t.test('recorder: a field input outside the vocabulary is refused before the metrics and the store see it', async (t) => {
  const store = SqliteKpiStore.open(':memory:');
  t.teardown(() => store.close());
  const metrics = new KpiMetrics();
  const errors: string[] = [];
  const recorder = new KpiRecorder({ store, metrics, onError: (e) => errors.push(e.code) });
  const { ended } = scriptedBatch();
  // A label value is free text to Prometheus: a card number there would be exposed on /metrics.
  recorder.sessionEnded({ ...ended[0], fieldInputs: [{ for: 'payment-card-number', input: TEST_PAN as never }] });
  recorder.sessionEnded({ ...ended[1], fieldInputs: [{ for: TEST_PAN as never, input: 'dtmf' }] });
  recorder.sessionEnded(ended[2]);
  await recorder.close();
  t.same(errors, ['kpi.invalid-record', 'kpi.invalid-record'], 'both refused');
  const text = await metrics.text();
  t.notOk(text.includes(TEST_PAN) || text.includes(TEST_PAN_LAST12), 'no card number in /metrics');
  t.same(
    table(parsePrometheusText(text), 'toneguard_payment_fields_captured_total', ['for', 'input']),
    { 'payment-card-number|dtmf': 1, 'expiration-date|dtmf': 1, 'security-code|dtmf': 1 },
    'only the valid record (s3) counted',
  );
  t.same(
    await store.fieldInputs({}),
    [
      { for: 'payment-card-number', input: 'dtmf', count: 1 },
      { for: 'expiration-date', input: 'dtmf', count: 1 },
      { for: 'security-code', input: 'dtmf', count: 1 },
    ],
    'and stored',
  );
});
