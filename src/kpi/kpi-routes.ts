// HTTP: `GET /kpi` (history, JSON), `GET /kpi/field-errors`, `GET /kpi/field-inputs` (how callers
// gave each field: `{"fieldInputs":[{"for":…,"input":…,"count":N}]}`), `GET /kpi/live` (the live counters),
// `GET /metrics` (Prometheus text) and `GET /dashboard` (the KPI page). Registered on the
// server's fastify instance; authentication (bearer token off loopback) is the
// server's hook, applied to these routes like the others.
//
// `GET /kpi?from=ISO&to=ISO` answers the `toneguard kpi --json` object; with `&by=day|hour|
// merchant|outcome|mode|card-type`, a JSON array of those objects, each with the group key first.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '../http/problem.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { KpiError } from './kpi-error.js';
import { groupObject, summaryObject } from './kpi-format.js';
import type { KpiMetrics } from './kpi-metrics.js';
import { parseGroupBy, parseRange } from './kpi-range.js';
import { KPI_SCHEMAS } from './kpi-schemas.js';
import type { KpiStore } from './kpi-types.js';
import { messageOf } from '../errors.js';

export interface KpiRoutesOptions {
  readonly store: KpiStore;
  readonly metrics: KpiMetrics;
}

interface KpiQuery {
  from?: string;
  to?: string;
  by?: string;
}

// Problems whose `error` is the code and `message` the detail, as these routes answered before.
function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof KpiError && error.isInputError)
    return sendProblem(request, reply, 'bad-request', error.message, { code: error.code, extensions: { error: error.code, message: error.message } });
  // A database failure's own message may name hosts or files: it goes to the log, not the client.
  const code = error instanceof KpiError ? error.code : 'kpi.db-failure';
  request.log.error({ code, message: messageOf(error) }, 'KPI store failed');
  const detail = 'the KPI store failed; the server log has the details';
  return sendProblem(request, reply, 'kpi-unavailable', detail, { code, extensions: { error: code, message: detail } });
}

export function registerKpiRoutes(app: FastifyInstance, options: KpiRoutesOptions): void {
  const { store, metrics } = options;

  app.get<{ Querystring: KpiQuery }>('/kpi', { schema: KPI_SCHEMAS.history }, async (request, reply) => {
    try {
      const range = parseRange(request.query.from, request.query.to);
      if (request.query.by === undefined || request.query.by === '') return summaryObject(await store.summary(range));
      const by = parseGroupBy(request.query.by);
      return (await store.grouped({ ...range, by })).map((group) => groupObject(group, by));
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  app.get<{ Querystring: KpiQuery }>('/kpi/field-errors', { schema: KPI_SCHEMAS.fieldErrors }, async (request, reply) => {
    try {
      return await store.fieldErrors(parseRange(request.query.from, request.query.to));
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  app.get<{ Querystring: KpiQuery }>('/kpi/field-inputs', { schema: KPI_SCHEMAS.fieldInputs }, async (request, reply) => {
    try {
      return { fieldInputs: await store.fieldInputs(parseRange(request.query.from, request.query.to)) };
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  app.get('/kpi/live', { schema: KPI_SCHEMAS.live }, async () => metrics.live());

  app.get('/metrics', { schema: KPI_SCHEMAS.metrics }, async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });

  app.get('/dashboard', { schema: KPI_SCHEMAS.dashboard }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(DASHBOARD_HTML));
}
