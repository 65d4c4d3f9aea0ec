// HTTP: `GET /kpi` (history, JSON), `GET /kpi/field-errors`, `GET /kpi/live` (the live counters),
// `GET /metrics` (Prometheus text) and `GET /dashboard` (the KPI page). Registered on the
// server's fastify instance; authentication (bearer token off loopback) is the
// server's hook, applied to these routes like the others.
//
// `GET /kpi?from=ISO&to=ISO` answers the `toneguard kpi --json` object; with `&by=day|hour|
// merchant|outcome|mode|card-type`, a JSON array of those objects, each with the group key first.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { KpiError } from './kpi-error.js';
import { groupObject, summaryObject } from './kpi-format.js';
import type { KpiMetrics } from './kpi-metrics.js';
import { parseGroupBy, parseRange } from './kpi-range.js';
import type { KpiStore } from './kpi-types.js';

export interface KpiRoutesOptions {
  readonly store: KpiStore;
  readonly metrics: KpiMetrics;
}

interface KpiQuery {
  from?: string;
  to?: string;
  by?: string;
}

const querySchema = {
  type: 'object',
  properties: { from: { type: 'string' }, to: { type: 'string' }, by: { type: 'string' } },
} as const;

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof KpiError && error.isInputError) return reply.code(400).send({ error: error.code, message: error.message });
  const message = error instanceof Error ? error.message : String(error);
  return reply.code(503).send({ error: error instanceof KpiError ? error.code : 'kpi.db-failure', message });
}

export function registerKpiRoutes(app: FastifyInstance, options: KpiRoutesOptions): void {
  const { store, metrics } = options;

  app.get<{ Querystring: KpiQuery }>('/kpi', { schema: { querystring: querySchema } }, async (request, reply) => {
    try {
      const range = parseRange(request.query.from, request.query.to);
      if (request.query.by === undefined || request.query.by === '') return summaryObject(await store.summary(range));
      const by = parseGroupBy(request.query.by);
      return (await store.grouped({ ...range, by })).map((group) => groupObject(group, by));
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Querystring: KpiQuery }>('/kpi/field-errors', { schema: { querystring: querySchema } }, async (request, reply) => {
    try {
      return await store.fieldErrors(parseRange(request.query.from, request.query.to));
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get('/kpi/live', async () => metrics.live());

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });

  app.get('/dashboard', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(DASHBOARD_HTML));
}
