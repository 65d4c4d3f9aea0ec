// KPIs: real time (Prometheus) and history (SQLite or PostgreSQL), fed by the dialog's session events.
export { KpiError, type KpiErrorCode } from './kpi-error.js';
export {
  KPI_GROUPINGS,
  isKpiGroupBy,
  type FieldErrorCounts,
  type FieldInputCount,
  type KpiGroup,
  type KpiGroupBy,
  type KpiRange,
  type KpiStore,
  type KpiSummary,
  type SessionEnteredEvent,
} from './kpi-types.js';
export { SqliteKpiStore, type SqliteKpiStoreOptions } from './sqlite-kpi-store.js';
export { PostgresKpiStore } from './postgres-kpi-store.js';
export { KpiMetrics, MAX_CARD_TYPES, MAX_MERCHANTS, type LiveCounters, type RtpDirection } from './kpi-metrics.js';
export { KpiRecorder, type KpiRecorderOptions } from './kpi-recorder.js';
export { registerKpiRoutes, type KpiRoutesOptions } from './kpi-routes.js';
export { DASHBOARD_HTML } from './dashboard-page.js';
export { parseGroupBy, parseIsoTime, parseRange } from './kpi-range.js';
export { kpiCsv, fieldErrorsCsv, fieldInputsCsv, groupsJsonLines, summaryJsonLine, summaryObject } from './kpi-format.js';
