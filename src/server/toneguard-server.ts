// The server (`toneguard serve`): the one owner of its lifetime. It starts the parts in
// dependency order (KPI store, gateway, media plane, SIP, payments, PBX pool, calls, HTTP), each
// built by the module beside it, and closes them after the drain in one fixed order. It only
// wires: each part's behaviour lives in its own layer.
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AuditTrail } from '../audit/audit-trail.js';
import type { CallManager } from '../call/call-manager.js';
import type { ToneguardConfig } from '../config/config-schema.js';
import { httpTrustProblems } from '../config/http-trust.js';
import { ConfigError } from '../config/load-config.js';
import { PromptLibrary } from '../dialog/prompts/prompt-library.js';
import { openGateway, type OpenGateway } from '../gateway/create-connector.js';
import { WidgetHub } from '../http/widget/widget-hub.js';
import { KpiMetrics } from '../kpi/kpi-metrics.js';
import { KpiRecorder } from '../kpi/kpi-recorder.js';
import type { KpiStore } from '../kpi/kpi-types.js';
import { PostgresKpiStore } from '../kpi/postgres-kpi-store.js';
import { SqliteKpiStore } from '../kpi/sqlite-kpi-store.js';
import { PaymentCoordinator } from '../payment/payment-coordinator.js';
import type { SipStack } from '../sip/sip-stack.js';
import { speechModelFor } from '../speech/speech-input.js';
import { formatHostPort } from './bind-error.js';
import { observeCalls, observeUpstreams } from './call-events.js';
import { drainCalls } from './drain.js';
import { createHttpSurface, listenHttp, type ServerPhase } from './http-surface.js';
import { liveConfig, type LiveConfig } from './live-config.js';
import { openMediaPlane, type MediaPlane } from './media-plane.js';
import { paramsAsHeaders, paymentCall } from './payment-call.js';
import { paymentProgress } from './payment-progress.js';
import { callManager, listenSip, upstreamPool } from './sip-side.js';

export class ToneguardServer {
  readonly #http: FastifyInstance;
  readonly #store: KpiStore;
  readonly #metrics: KpiMetrics;
  readonly #recorder: KpiRecorder;
  readonly #gateway: OpenGateway;
  readonly #stack: SipStack;
  readonly #calls: CallManager;
  readonly #payments: PaymentCoordinator;
  readonly #widget: WidgetHub;
  readonly #httpUrl: string;
  readonly #media: MediaPlane;
  readonly #live: LiveConfig;
  #draining = false;

  private constructor(parts: {
    http: FastifyInstance;
    store: KpiStore;
    metrics: KpiMetrics;
    recorder: KpiRecorder;
    gateway: OpenGateway;
    stack: SipStack;
    calls: CallManager;
    payments: PaymentCoordinator;
    widget: WidgetHub;
    httpUrl: string;
    media: MediaPlane;
    live: LiveConfig;
  }) {
    this.#http = parts.http;
    this.#store = parts.store;
    this.#metrics = parts.metrics;
    this.#recorder = parts.recorder;
    this.#gateway = parts.gateway;
    this.#stack = parts.stack;
    this.#calls = parts.calls;
    this.#payments = parts.payments;
    this.#widget = parts.widget;
    this.#httpUrl = parts.httpUrl;
    this.#media = parts.media;
    this.#live = parts.live;
  }

  static async start(config: ToneguardConfig, logger: Logger): Promise<ToneguardServer> {
    // Before anything opens: an HTTP side that would be open to all is not started at all.
    const problems = httpTrustProblems(config.http);
    if (problems.length > 0) throw new ConfigError('ERR_CONFIG_INVALID', `invalid configuration\n${problems.map((p) => `  ${p}`).join('\n')}`);
    const cleanups: (() => Promise<void> | void)[] = [];
    try {
      return await ToneguardServer.#assemble(config, logger, cleanups);
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup();
      throw error;
    }
  }

  static async #assemble(config: ToneguardConfig, logger: Logger, cleanups: (() => Promise<void> | void)[]): Promise<ToneguardServer> {
    // History first: a payment must never end without a place for its KPI row.
    let store: KpiStore;
    if (config.kpi.postgres !== '') store = await PostgresKpiStore.connect(config.kpi.postgres);
    else store = SqliteKpiStore.open(resolve(config.kpi.sqlite));
    cleanups.push(() => store.close());
    const metrics = new KpiMetrics();
    const audit = new AuditTrail({ logger, count: (action) => metrics.auditEvent(action) });
    const live = liveConfig(config, logger, audit);
    const recorder = new KpiRecorder({ store, metrics, onError: (error) => logger.error({ code: error.code, message: error.message }, 'KPI write failed') });
    cleanups.push(() => recorder.close());

    const gateway = await openGateway(config.gateway, {
      onEvent: (event) => logger.debug({ component: 'gateway', ...event }, 'gateway'),
      onWarning: (message) => logger.warn({ component: 'gateway' }, message),
      simulatorPortFallback: true,
    });
    cleanups.push(() => gateway.close());
    if (gateway.simulator !== null)
      logger.warn({ component: 'gateway', url: gateway.simulator.url }, 'payments are simulated: gateway.kind is simulator (the built-in gateway simulator); no real card is charged');

    const media = await openMediaPlane(config, metrics);
    cleanups.push(() => media.close());
    const stack = await listenSip(config);
    cleanups.push(() => stack.close());

    const widget = new WidgetHub();
    const progress = paymentProgress(recorder, widget);
    const observer = progress.observer;
    const prompts = new PromptLibrary({ directory: config.payment.promptDir, locale: config.payment.locale });
    const speechModel = speechModelFor(config.payment);
    let calls: CallManager | undefined;
    const payments = new PaymentCoordinator({
      dialog: config.payment,
      connector: gateway.connector,
      prompts,
      speechModel,
      observer,
      logger,
      findCall: (id) => {
        const call = calls?.get(id);
        return call !== undefined && call.mode === 'b2bua' && call.state === 'confirmed' ? paymentCall(call, audit) : undefined;
      },
      webhookSecret: () => live.secrets.webhookSecret,
      webhookPrivateAddresses: config.http.callbackHosts.length > 0,
      audit: (event) => audit.record(event),
    });
    cleanups.push(() => payments.close());

    const upstreams = upstreamPool(config, stack);
    cleanups.push(() => upstreams.close());
    observeUpstreams(upstreams, metrics, logger);
    upstreams.start();
    calls = callManager(config, stack, upstreams, {
      createMedia: (request) => media.open(request),
      onPaymentCall: (call, params) => {
        payments.startAutomated(paymentCall(call, audit), paramsAsHeaders(params));
      },
    });
    const manager = calls;
    cleanups.push(() => manager.close());
    observeCalls(manager, { metrics, logger, audit, widget, payments, progress, media });

    let server: ToneguardServer | undefined;
    const phase = (): ServerPhase => (server === undefined ? 'starting' : server.#draining ? 'draining' : 'running');
    const http = await createHttpSurface({ config, logger, secrets: live.secrets, audit, calls: manager, upstreams, payments, store, metrics, widget, phase }, (app) => {
      cleanups.push(() => app.close());
    });
    const httpUrl = await listenHttp(http, config);

    server = new ToneguardServer({ http, store, metrics, recorder, gateway, stack, calls: manager, payments, widget, httpUrl, live, media });
    logger.info({ sip: formatHostPort(config.sip.listen.host, config.sip.listen.port), http: httpUrl, gateway: gateway.simulator?.url ?? config.gateway.url, mediaIo: media.io }, 'toneguard started');
    return server;
  }

  banner(): string {
    const c = this.#live.current;
    const sip = formatHostPort(c.sip.listen.host, c.sip.listen.port);
    const store = c.kpi.postgres !== '' ? 'PostgreSQL' : `SQLite ${c.kpi.sqlite}`;
    return [
      `toneguard listening: SIP udp+tcp ${sip}, RTP ${c.rtp.address}:${c.rtp.ports.first}-${c.rtp.ports.last} (${this.#media.io} I/O), HTTP ${this.#httpUrl}`,
      `dashboard: ${this.#httpUrl}/dashboard`,
      `payment URI: ${c.payment.uri}; upstream PBX: ${c.upstream.map((u) => u.uri).join(', ')}; gateway: ${this.#gateway.simulator !== null ? `built-in simulator ${this.#gateway.simulator.url}` : c.gateway.url}; KPI store: ${store}`,
    ].join('\n');
  }

  get httpUrl(): string {
    return this.#httpUrl;
  }

  get sipPort(): number {
    return this.#live.current.sip.listen.port;
  }

  get metrics(): KpiMetrics {
    return this.#metrics;
  }

  /** Calls in progress (leak checks: 0 once every call ended). */
  get callCount(): number {
    return this.#calls.size;
  }

  /** RTP port pairs bound by calls (leak checks: 0 once every call ended). */
  get rtpPortPairsInUse(): number {
    return this.#media.portPairsInUse;
  }

  /** Applies a reloaded config, or throws ReloadRefusedError naming the keys that need a restart (nothing applied). */
  reload(config: ToneguardConfig): void {
    this.#live.reload(config);
  }

  /**
   * SIGTERM: stop taking calls (503, not ready), let calls finish for `graceMs`; then every charge
   * still in flight is waited for (up to the dialog's gateway timeout) and its call handed back
   * with the gateway's answer, never aborted; then the remaining calls end and everything closes.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    await drainCalls(this.#calls, this.#payments, graceMs, this.#live.current.payment.timeouts.gatewayMs);
    this.#payments.close();
    await this.#recorder.close();
    await this.#http.close();
    this.#calls.close();
    await this.#stack.close();
    await this.#media.close();
    await this.#gateway.close();
    await this.#store.close();
    this.#widget.close();
  }
}
