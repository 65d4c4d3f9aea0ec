// The whole HTTP API as the server registers it (createHttpApp, then every route module), over
// fakes: one live call `c1` (legs `caller-leg@x`, `pbx-leg`), a payment `p1` on it, an in-memory
// KPI store, a widget hub. For tests of what holds across every route (OpenAPI, problems).
import type { FastifyInstance } from 'fastify';
import { registerCallRoutes, type CallControl, type CallSummary } from '../../src/http/call-routes.js';
import { callSummary } from './call-summary.js';
import { registerHealthRoutes, type Readiness } from '../../src/http/health-routes.js';
import { createHttpApp } from '../../src/http/http-app.js';
import { PaymentApiError, registerPaymentRoutes, type PaymentApi } from '../../src/http/payment-routes.js';
import { WidgetHub } from '../../src/http/widget/widget-hub.js';
import { registerWidgetRoutes } from '../../src/http/widget/widget-routes.js';
import { WidgetTokens } from '../../src/http/widget-token.js';
import { KpiMetrics } from '../../src/kpi/kpi-metrics.js';
import { registerKpiRoutes } from '../../src/kpi/kpi-routes.js';
import { SqliteKpiStore } from '../../src/kpi/sqlite-kpi-store.js';
import type { KpiStore } from '../../src/kpi/kpi-types.js';
import { createLogger } from '../../src/server/logger.js';

export const API_TOKEN = 'api-test-token';
export const AUTH = { authorization: `Bearer ${API_TOKEN}` };

export interface ApiApp {
  readonly app: FastifyInstance;
  readonly widgetTokens: WidgetTokens;
  readonly hub: WidgetHub;
  readonly store: KpiStore;
  readiness: Readiness;
  /** Payment commands answer 409 with this reason when set. */
  refuseCommands: string | null;
  close(): Promise<void>;
}

const CALL: CallSummary = callSummary('c1', {
  from: '<sip:+447700900123@carrier.example>',
  to: '<sip:0800@127.0.0.1>',
  paymentId: 'p1',
  paymentState: 'card-number',
  legs: { caller: { callId: 'caller-leg@x', from: 'sip:a@x', to: 'sip:b@y' }, agent: { callId: 'pbx-leg', from: 'sip:a@tg', to: 'sip:b@pbx' } },
});

export async function buildApiApp(options: { maxStreamsPerCall?: number } = {}): Promise<ApiApp> {
  const widgetTokens = new WidgetTokens('k'.repeat(32));
  const calls: CallControl = {
    resolve: (id) => (id === 'caller-leg@x' || id === 'pbx-leg' ? 'c1' : id),
    list: () => [CALL],
    get: (id) => (id === 'c1' ? CALL : id === 'ended' ? { ...CALL, id, state: 'ended', legs: { ...CALL.legs, agent: null } } : undefined),
    setSecure: (id) => id === 'c1',
  };
  const hub = new WidgetHub();
  const store = SqliteKpiStore.open(':memory:');
  const app = await createHttpApp({ token: API_TOKEN, logger: createLogger('silent'), widgetTokens, resolveCallId: (id) => calls.get(calls.resolve(id) ?? id)?.id });
  const state: ApiApp = {
    app,
    widgetTokens,
    hub,
    store,
    readiness: { ready: true, reasons: [] },
    refuseCommands: null,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
  const payments: PaymentApi = {
    async start(callId, input) {
      if (calls.get(callId) === undefined) throw new PaymentApiError('ERR_NO_CALL', 'no such call');
      if (input.idempotencyKey === 'busy') throw new PaymentApiError('ERR_PAYMENT_ACTIVE', 'a payment is already in progress on this call');
      return { paymentId: 'p1', created: input.idempotencyKey !== 'again' };
    },
    command(callId, paymentId) {
      if (callId !== 'c1' || paymentId !== 'p1') throw new PaymentApiError('ERR_NO_PAYMENT', 'no such payment');
      return state.refuseCommands === null ? { accepted: true } : { accepted: false, reason: state.refuseCommands };
    },
    status(callId, paymentId) {
      if (callId !== 'c1' || paymentId !== 'p1') throw new PaymentApiError('ERR_NO_PAYMENT', 'no such payment');
      return {
        paymentId,
        callId,
        mode: 'agent-assisted',
        state: 'card-number',
        status: {
          sessionId: paymentId,
          for: 'payment-card-number',
          attempt: 1,
          errorType: null,
          paymentCardNumber: 'xxxxxxxxxxxx1111',
          paymentCardType: 'visa',
          expirationDate: null,
          securityCode: null,
          chargeAmount: '125.50',
          required: ['payment-card-number', 'expiration-date', 'security-code'],
        },
        result: null,
      };
    },
  };
  registerHealthRoutes(app, { readiness: () => state.readiness });
  registerCallRoutes(app, calls, { widgetTokens, widgetTokenTtlSeconds: 3600 });
  registerPaymentRoutes(app, payments, { callbacks: { secretSet: true, allowPlainHttp: false, hosts: [] } });
  registerKpiRoutes(app, { store, metrics: new KpiMetrics() });
  registerWidgetRoutes(app, { hub, ...(options.maxStreamsPerCall === undefined ? {} : { maxStreamsPerCall: options.maxStreamsPerCall }) });
  await app.ready();
  return state;
}
