// The server's HTTP side: the fastify app (master token read per request so that a SIGHUP can
// rotate it, optional TLS from PEM files) with every route group given the parts it serves, and
// its listener. Readiness is the server's phase and the PBXs' state.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { CallManager } from '../call/call-manager.js';
import type { UpstreamPool } from '../call/upstream-pool.js';
import type { ToneguardConfig } from '../config/config-schema.js';
import { readKeyFile } from './key-file.js';
import { registerCallRoutes } from '../http/call-routes.js';
import { createHttpApp } from '../http/http-app.js';
import { registerHealthRoutes } from '../http/health-routes.js';
import { registerPaymentRoutes } from '../http/payment-routes.js';
import { WidgetTokens } from '../http/widget-token.js';
import type { WidgetHub } from '../http/widget/widget-hub.js';
import { registerWidgetRoutes } from '../http/widget/widget-routes.js';
import type { KpiMetrics } from '../kpi/kpi-metrics.js';
import { registerKpiRoutes } from '../kpi/kpi-routes.js';
import type { KpiStore } from '../kpi/kpi-types.js';
import type { PaymentCoordinator } from '../payment/payment-coordinator.js';
import { bindOrExplain, formatHostPort } from './bind-error.js';
import { callControl } from './call-control.js';
import type { LiveSecrets } from './live-config.js';

/** Where the server is in its lifetime, as readiness reports it. */
export type ServerPhase = 'starting' | 'running' | 'draining';

export interface HttpSurfaceParts {
  readonly config: ToneguardConfig;
  readonly logger: Logger;
  readonly secrets: LiveSecrets;
  readonly audit: AuditTrail;
  readonly calls: CallManager;
  readonly upstreams: UpstreamPool;
  readonly payments: PaymentCoordinator;
  readonly store: KpiStore;
  readonly metrics: KpiMetrics;
  readonly widget: WidgetHub;
  readonly phase: () => ServerPhase;
}

/** The app with its routes, not listening yet; `onCreated` runs as soon as the app exists (to close it if a later step fails). */
export async function createHttpSurface(parts: HttpSurfaceParts, onCreated: (http: FastifyInstance) => void): Promise<FastifyInstance> {
  const { config, logger, secrets, audit, calls, upstreams, payments, store, metrics, widget } = parts;
  const widgetTokens = new WidgetTokens(config.http.widgetTokenKey);
  const httpTls = config.http.tls;
  const http = await createHttpApp({
    token: () => secrets.token,
    logger,
    widgetTokens,
    resolveCallId: (id) => calls.get(id)?.id,
    onStateChange: (e) => audit.record({ action: 'api-request', actor: e.actor, call: e.call, method: e.method, route: e.route, status: e.status }),
    ...(httpTls === undefined ? {} : { tls: { cert: readKeyFile('http.tls.certFile', httpTls.certFile), key: readKeyFile('http.tls.keyFile', httpTls.keyFile) } }),
  });
  onCreated(http);
  registerHealthRoutes(http, {
    readiness: () => {
      const phase = parts.phase();
      const reasons: string[] = phase === 'running' ? [] : [phase];
      if (!upstreams.anyUp) reasons.push('no upstream is up');
      return { ready: reasons.length === 0, reasons };
    },
  });
  registerCallRoutes(http, callControl(calls, payments, audit), { widgetTokens, widgetTokenTtlSeconds: config.http.widgetTokenTtlSeconds });
  registerPaymentRoutes(http, payments, {
    // Read per request: a reload that sets (or clears) the webhook key takes effect at once.
    callbacks: {
      get secretSet() {
        return secrets.webhookSecret !== '';
      },
      allowPlainHttp: config.http.allowPlainHttpCallbacks,
      hosts: config.http.callbackHosts,
    },
  });
  registerKpiRoutes(http, { store, metrics });
  registerWidgetRoutes(http, { hub: widget, callKnown: (id) => calls.get(id) !== undefined });
  return http;
}

/** Listens on http.listen; resolves the base URL (`http://127.0.0.1:8080`). */
export function listenHttp(http: FastifyInstance, config: ToneguardConfig): Promise<string> {
  return bindOrExplain('http.listen', formatHostPort(config.http.listen.host, config.http.listen.port), () => http.listen({ host: config.http.listen.host, port: config.http.listen.port }));
}
