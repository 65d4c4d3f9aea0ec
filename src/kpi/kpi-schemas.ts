// The fastify schemas (and so the OpenAPI description) of the KPI routes (kpi-routes.ts): the
// summary is the `toneguard kpi --json` object (docs/cli.md), keys in that order.
import { json, MASTER_ERRORS, problemResponses, type JsonSchema } from '../http/api-schema.js';
import { CAPTURE_FIELDS, ERROR_TYPES, PAYMENT_INPUTS, PAYMENT_RESULTS, PAYMENT_STEPS } from '../dialog/vocabulary.js';
import { KPI_GROUPINGS } from './kpi-types.js';

const count: JsonSchema = { type: 'integer', minimum: 0 };
const counts = (keys: readonly string[], all: boolean): JsonSchema => ({
  type: 'object',
  properties: Object.fromEntries(keys.map((k) => [k, count])),
  ...(all ? { required: [...keys] } : {}),
  additionalProperties: false,
});

export const kpiSummarySchema: JsonSchema = {
  type: 'object',
  required: ['entered', 'successful', 'unsuccessful', 'attempted', 'hangups', 'avgDurationSeconds', 'funnel'],
  properties: {
    entered: count,
    successful: count,
    unsuccessful: count,
    attempted: count,
    hangups: count,
    avgDurationSeconds: {
      type: 'object',
      description: 'mean duration per result (s), only results that occurred',
      properties: Object.fromEntries(PAYMENT_RESULTS.map((r) => [r, { type: 'number', minimum: 0 }])),
      additionalProperties: false,
    },
    funnel: counts(PAYMENT_STEPS, true),
  },
};

const query: JsonSchema = {
  type: 'object',
  properties: {
    from: { type: 'string', description: 'ISO 8601 date or date-time (UTC unless an offset is given), inclusive' },
    to: { type: 'string', description: 'ISO 8601 date or date-time, exclusive' },
    by: { type: 'string', description: `group by: ${KPI_GROUPINGS.join(', ')}` },
  },
};

/** `from`/`to` only: the per-field answers take no grouping. */
const rangeQuery: JsonSchema = { ...query, properties: { from: (query.properties as Record<string, unknown>).from, to: (query.properties as Record<string, unknown>).to } };

export const kpiFieldInputsSchema: JsonSchema = {
  type: 'object',
  required: ['fieldInputs'],
  properties: {
    fieldInputs: {
      type: 'array',
      description: 'fields captured in ended sessions, per field and how the caller gave them; field then input in vocabulary order, only pairs that occurred',
      items: {
        type: 'object',
        required: ['for', 'input', 'count'],
        properties: {
          for: { type: 'string', enum: [...CAPTURE_FIELDS] },
          input: { type: 'string', enum: [...PAYMENT_INPUTS], description: 'dtmf (keys), speech, or dtmf speech (both within the field)' },
          count: { type: 'integer', minimum: 1 },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

const tags = ['kpi'];
const errors = problemResponses('bad-request', 'kpi-unavailable', ...MASTER_ERRORS);

export const KPI_SCHEMAS = {
  history: {
    summary: 'Payment KPIs from the history',
    description: 'Without `by`: one summary. With `by`: an array of summaries, each with its group key first (`day`, `hour`, `merchant`, `outcome`, `mode` or `card-type`; null for none).',
    tags,
    querystring: query,
    response: {
      200: json({ oneOf: [kpiSummarySchema, { type: 'array', items: kpiSummarySchema }] }, 'The summary, or one per group'),
      ...errors,
    },
  },
  fieldErrors: {
    summary: 'Field errors: field -> error type -> occurrences',
    tags,
    querystring: rangeQuery,
    response: {
      200: json({ type: 'object', properties: Object.fromEntries(CAPTURE_FIELDS.map((f) => [f, counts(ERROR_TYPES, false)])), additionalProperties: false }, 'Field errors'),
      ...errors,
    },
  },
  fieldInputs: {
    summary: 'How callers gave each field: captured fields per field and input mode (dtmf, speech, dtmf speech)',
    description: 'Counts of ended sessions only, never what was given. Sessions stored before the history kept input modes count nowhere here.',
    tags,
    querystring: rangeQuery,
    response: {
      200: json(kpiFieldInputsSchema, 'Captured fields per field and input mode'),
      ...errors,
    },
  },
  live: {
    summary: 'Live counters (the dashboard tiles)',
    tags,
    response: {
      200: json(
        {
          type: 'object',
          required: ['callsActive', 'callsTotal', 'rtpPackets', 'rtpPacketsLost', 'rtpPacketsDropped', 'dtmfDigits', 'dtmfDigitsClamped'],
          properties: {
            callsActive: count,
            callsTotal: count,
            rtpPackets: count,
            rtpPacketsLost: count,
            rtpPacketsDropped: count,
            dtmfDigits: { type: 'object', additionalProperties: count, description: 'digits seen per source (rfc4733, inband, sip-info)' },
            dtmfDigitsClamped: count,
          },
        },
        'Counters since start',
      ),
      ...problemResponses(...MASTER_ERRORS),
    },
  },
  metrics: {
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    tags,
    response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, ...problemResponses(...MASTER_ERRORS) },
  },
  dashboard: {
    summary: 'The KPI dashboard page',
    tags,
    response: { 200: { description: 'A self-contained HTML page', content: { 'text/html': { schema: { type: 'string' } } } }, ...problemResponses(...MASTER_ERRORS) },
  },
} as const;
