// The server (`toneguard serve`): one object owning every long-lived part, started in
// dependency order (KPI store, gateway, RTP ports, SIP, calls, payments, HTTP) and closed in
// reverse. It only wires: each part's behaviour lives in its own layer.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Call } from '../call/call.js';
import { CallManager } from '../call/call-manager.js';
import { UpstreamPool } from '../call/upstream-pool.js';
import type { PaymentCallParams, PaymentResultHeaders } from '../call/payment-headers.js';
import type { ToneguardConfig } from '../config/config-schema.js';
import { PromptLibrary } from '../dialog/prompts/prompt-library.js';
import type { PaymentSessionResult, PaymentStatus } from '../dialog/payment-session.js';
import { PAYMENT_RESULTS, type CaptureField, type DialogDigit, type PaymentResult } from '../dialog/vocabulary.js';
import { openGateway, type OpenGateway } from '../gateway/create-connector.js';
import { registerCallRoutes, type CallControl, type CallSummary } from '../http/call-routes.js';
import { createHttpApp } from '../http/http-app.js';
import { registerHealthRoutes } from '../http/health-routes.js';
import { registerPaymentRoutes } from '../http/payment-routes.js';
import { WidgetHub } from '../http/widget/widget-hub.js';
import { registerWidgetRoutes } from '../http/widget/widget-routes.js';
import { widgetUpdateFromResult, widgetUpdateFromStatus } from '../http/widget/widget-status.js';
import { KpiMetrics } from '../kpi/kpi-metrics.js';
import { KpiRecorder } from '../kpi/kpi-recorder.js';
import { registerKpiRoutes } from '../kpi/kpi-routes.js';
import type { KpiStore } from '../kpi/kpi-types.js';
import { PostgresKpiStore } from '../kpi/postgres-kpi-store.js';
import { SqliteKpiStore } from '../kpi/sqlite-kpi-store.js';
import type { LegName } from '../media/media-session.js';
import { PortAllocator } from '../media/port-allocator.js';
import { RtpMediaSession } from '../media/rtp-media-session.js';
import { PaymentCoordinator, type PaymentObserver } from '../payment/payment-coordinator.js';
import type { PaymentCall } from '../payment/payment-run.js';
import { SipStack } from '../sip/sip-stack.js';
import { bindOrExplain } from './bind-error.js';
import { applyLogLevel } from './reload-signal.js';

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The dialog's result headers (name -> value) as call control's typed result. */
export function resultFromHeaders(headers: Readonly<Record<string, string>>): PaymentResultHeaders {
  const raw = headers['X-Payment-Result'];
  const result: PaymentResult = (PAYMENT_RESULTS as readonly string[]).includes(raw) ? (raw as PaymentResult) : 'internal-error';
  const optional = (key: keyof Omit<PaymentResultHeaders, 'result'>, name: string): Partial<PaymentResultHeaders> =>
    headers[name] === undefined ? {} : { [key]: headers[name] };
  return {
    result,
    ...optional('transactionId', 'X-Payment-Transaction-Id'),
    ...optional('cardLast4', 'X-Payment-Card-Last4'),
    ...optional('cardType', 'X-Payment-Card-Type'),
    ...optional('amount', 'X-Payment-Amount'),
    ...optional('currency', 'X-Payment-Currency'),
    ...optional('reason', 'X-Payment-Reason'),
  };
}

/** Call control's parsed X-Payment-* parameters back as headers, for the dialog's one parser. */
function paramsAsHeaders(params: PaymentCallParams): Record<string, string> {
  const h: Record<string, string> = {};
  if (params.customerId !== null) h['X-Payment-Customer-Id'] = params.customerId;
  if (params.amount !== null) h['X-Payment-Amount'] = params.amount;
  if (params.currency !== null) h['X-Payment-Currency'] = params.currency;
  if (params.merchantId !== null) h['X-Payment-Merchant-Id'] = params.merchantId;
  if (params.reference !== null) h['X-Payment-Reference'] = params.reference;
  if (params.callType !== null) h['X-Payment-Call-Type'] = params.callType;
  // A value call control could not read is passed on unreadable, so the dialog rejects it too.
  if (params.problems.length > 0 && params.amount === null) h['X-Payment-Amount'] = 'invalid';
  return h;
}

/** A B2BUA or endpoint call as the payment glue sees it. */
function paymentCall(call: Call): PaymentCall {
  return {
    id: call.id,
    media: call.media,
    setSecure: (on) => {
      if (call.mode === 'b2bua') call.setSecure(on);
    },
    refer: (uri, headers) => call.transferWithResult(uri, resultFromHeaders(headers)),
    hangup: (headers) => call.hangupWithResult(resultFromHeaders(headers)),
  };
}

/** Live widget state of one call: the keys typed in the step being collected. */
interface WidgetProgress {
  field: CaptureField | null;
  digits: number;
}

export class ToneguardServer {
  readonly #logger: Logger;
  readonly #config: { current: ToneguardConfig };
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
  #draining = false;

  private constructor(parts: {
    logger: Logger;
    config: ToneguardConfig;
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
  }) {
    this.#logger = parts.logger;
    this.#config = { current: parts.config };
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
  }

  static async start(config: ToneguardConfig, logger: Logger): Promise<ToneguardServer> {
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
    else {
      const file = resolve(config.kpi.sqlite);
      mkdirSync(dirname(file), { recursive: true });
      store = SqliteKpiStore.open(file);
    }
    cleanups.push(() => store.close());
    const metrics = new KpiMetrics();
    const recorder = new KpiRecorder({ store, metrics, onError: (error) => logger.error({ code: error.code, message: error.message }, 'KPI write failed') });
    cleanups.push(() => recorder.close());

    const gateway = await openGateway(config.gateway, {
      onEvent: (event) => logger.debug({ component: 'gateway', ...event }, 'gateway'),
      onWarning: (message) => logger.warn({ component: 'gateway' }, message),
    });
    cleanups.push(() => gateway.close());
    if (gateway.simulator !== null) logger.warn({ component: 'gateway', url: gateway.simulator.url }, 'payments are simulated: gateway.kind is simulator (the built-in gateway simulator); no real card is charged');

    const ports = new PortAllocator({ address: config.rtp.address, ports: `${config.rtp.ports.first}-${config.rtp.ports.last}`, recvBufferBytes: 1 << 20 });
    const tls = config.sip.tls;
    const sipWhere = formatHostPort(config.sip.listen.host, config.sip.listen.port);
    const stack = await bindOrExplain(tls === undefined ? 'sip.listen' : 'sip.listen (or sip.tls.listen)', tls === undefined ? sipWhere : `${sipWhere} (TLS port ${tls.listen.port})`, () => SipStack.listen({
      address: config.sip.listen.host,
      port: config.sip.listen.port,
      transports: tls === undefined ? ['udp', 'tcp'] : ['udp', 'tcp', 'tls'],
      ...(tls === undefined ? {} : { tls: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), port: tls.listen.port } }),
      limits: { maxMessageBytes: config.sip.maxMessageBytes, maxTransactionsPerSource: config.sip.maxTransactionsPerSource },
    }));
    cleanups.push(() => stack.close());

    const widget = new WidgetHub();
    const progress = new Map<string, WidgetProgress>();
    const observer: PaymentObserver = {
      entered: (info) => {
        recorder.sessionEntered({ sessionId: info.sessionId, mode: info.mode, merchantId: info.merchantId, at: info.at });
        progress.set(info.callId, { field: null, digits: 0 });
        widget.update(info.callId, { paymentId: info.sessionId, secure: true, digitsEntered: 0, result: null, reason: null, transactionId: null });
      },
      status: (callId, _sessionId, status: PaymentStatus) => {
        const p = progress.get(callId);
        const update = widgetUpdateFromStatus(status, p?.field ?? null);
        if (p !== undefined) {
          p.field = status.for;
          p.digits = 0;
        }
        widget.update(callId, { ...update, digitsEntered: 0 });
      },
      ended: (callId, result: PaymentSessionResult) => {
        recorder.sessionEnded(result.record);
        progress.delete(callId);
        widget.update(callId, { ...widgetUpdateFromResult(result), secure: false });
      },
    };
    const prompts = new PromptLibrary({ directory: config.payment.promptDir, locale: config.payment.locale });
    let calls: CallManager | undefined;
    const payments = new PaymentCoordinator({
      dialog: config.payment,
      connector: gateway.connector,
      prompts,
      observer,
      logger,
      findCall: (id) => {
        const call = calls?.get(id);
        return call !== undefined && call.mode === 'b2bua' && call.state === 'confirmed' ? paymentCall(call) : undefined;
      },
      webhookSecret: config.http.webhookSecret !== '' ? config.http.webhookSecret : config.http.token,
    });
    cleanups.push(() => payments.close());

    const upstreams = new UpstreamPool({
      stack,
      upstreams: config.upstream,
      probe: { intervalMs: config.sip.keepalive.intervalSeconds * 1000, timeoutMs: config.sip.keepalive.timeoutSeconds * 1000, failureThreshold: config.sip.keepalive.failureThreshold },
    });
    cleanups.push(() => upstreams.close());
    for (const u of upstreams.upstreams) metrics.upstreamState(u.label, u.up);
    upstreams.on('change', (u) => {
      metrics.upstreamState(u.label, u.up);
      logger.warn({ component: 'upstream', upstream: u.label, up: u.up }, u.up ? 'upstream up' : 'upstream down');
    });
    upstreams.on('attempt', (u, outcome) => metrics.upstreamAttempt(u.label, outcome));
    upstreams.start();
    calls = new CallManager({
      stack,
      upstream: upstreams,
      inviteTimeoutMs: config.sip.inviteTimeoutMs,
      routes: config.routes.map((r) => ({ user: new RegExp(r.match), upstream: r.upstream })),
      paymentUri: config.payment.uri,
      limits: { maxCalls: config.sip.maxCalls, maxCallsPerSource: config.sip.maxCallsPerSource },
      createMedia: ({ mode }) =>
        RtpMediaSession.open({
          ports,
          mode,
          clampMode: config.clamp.mode,
          rtpTimeoutMs: config.rtp.timeoutSeconds * 1000,
          secure: mode === 'endpoint' || config.secureMode === 'always',
        }),
      onPaymentCall: (call, params) => {
        payments.startAutomated(paymentCall(call), paramsAsHeaders(params));
      },
    });
    const manager = calls;
    cleanups.push(() => manager.close());
    manager.on('call-start', (call) => {
      metrics.callStarted();
      logger.info({ call: call.id, callerCallId: call.callerCallId, mode: call.mode }, 'call started');
      call.media.on('digit', (d: DialogDigit) => {
        metrics.dtmfDigit(d.source);
        if (call.media.secure) metrics.dtmfDigitClamped(d.source);
        const p = progress.get(call.id);
        if (p !== undefined) {
          p.digits += 1;
          widget.update(call.id, { digitsEntered: p.digits });
        }
      });
    });
    manager.on('call-end', (call, reason) => {
      metrics.callEnded();
      payments.callEnded(call.id);
      const media = call.media;
      if (media instanceof RtpMediaSession) {
        const legs: LegName[] = call.mode === 'b2bua' ? ['caller', 'agent'] : ['caller'];
        for (const leg of legs) {
          const s = media.stats(leg);
          metrics.rtpPackets(leg, 'in', s.rtpIn);
          metrics.rtpPackets(leg, 'out', s.rtpOut);
          if (s.rtpForeign > 0) metrics.rtpPacketsDropped('foreign-source', s.rtpForeign);
          if (s.malformed > 0) metrics.rtpPacketsDropped('malformed', s.malformed);
          if (s.srtpFailures > 0) metrics.rtpPacketsDropped('srtp-auth', s.srtpFailures);
        }
      }
      widget.end(call.id);
      logger.info({ call: call.id, callerCallId: call.callerCallId, agentCallId: call.agentLeg?.callId ?? null, reason }, 'call ended');
    });
    manager.on('warning', (message) => logger.warn({ component: 'call' }, message));

    const http = createHttpApp({ token: config.http.token, logger });
    cleanups.push(() => http.close());
    let server: ToneguardServer | undefined;
    registerHealthRoutes(http, {
      readiness: () => {
        const reasons = server === undefined ? ['starting'] : server.#draining ? ['draining'] : [];
        if (!upstreams.anyUp) reasons.push('no upstream is up');
        return { ready: reasons.length === 0, reasons };
      },
    });
    registerCallRoutes(http, callControl(manager, payments));
    registerPaymentRoutes(http, payments);
    registerKpiRoutes(http, { store, metrics });
    registerWidgetRoutes(http, { hub: widget });
    const httpUrl = await bindOrExplain('http.listen', formatHostPort(config.http.listen.host, config.http.listen.port), () => http.listen({ host: config.http.listen.host, port: config.http.listen.port }));

    server = new ToneguardServer({ logger, config, http, store, metrics, recorder, gateway, stack, calls: manager, payments, widget, httpUrl });
    logger.info({ sip: formatHostPort(config.sip.listen.host, config.sip.listen.port), http: httpUrl, gateway: gateway.simulator?.url ?? config.gateway.url }, 'toneguard started');
    return server;
  }

  banner(): string {
    const c = this.#config.current;
    const sip = formatHostPort(c.sip.listen.host, c.sip.listen.port);
    const store = c.kpi.postgres !== '' ? 'PostgreSQL' : `SQLite ${c.kpi.sqlite}`;
    return [
      `toneguard listening: SIP udp+tcp ${sip}, RTP ${c.rtp.address}:${c.rtp.ports.first}-${c.rtp.ports.last}, HTTP ${this.#httpUrl}`,
      `dashboard: ${this.#httpUrl}/dashboard`,
      `payment URI: ${c.payment.uri}; upstream PBX: ${c.upstream.map((u) => u.uri).join(', ')}; gateway: ${this.#gateway.simulator !== null ? `built-in simulator ${this.#gateway.simulator.url}` : c.gateway.url}; KPI store: ${store}`,
    ].join('\n');
  }

  get httpUrl(): string {
    return this.#httpUrl;
  }

  get sipPort(): number {
    return this.#config.current.sip.listen.port;
  }

  get metrics(): KpiMetrics {
    return this.#metrics;
  }

  /** What can change without a restart: log level. Other keys need a restart (said in the log). */
  reload(config: ToneguardConfig): void {
    applyLogLevel(this.#logger, config.log.level);
    const before = this.#config.current;
    const changed = (Object.keys(config) as (keyof ToneguardConfig)[]).filter((k) => k !== 'log' && JSON.stringify(config[k]) !== JSON.stringify(before[k]));
    if (changed.length > 0) this.#logger.warn({ keys: changed }, 'configuration changed in keys that need a restart; kept the running values');
    this.#config.current = { ...before, log: config.log };
  }

  /** SIGTERM: stop taking calls (503, not ready), let calls finish for `graceMs`, then close everything. */
  async shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    await this.#calls.drain(graceMs);
    this.#payments.close();
    await this.#recorder.close();
    await this.#http.close();
    this.#calls.close();
    await this.#stack.close();
    await this.#gateway.close();
    await this.#store.close();
    this.#widget.close();
  }
}

function callControl(manager: CallManager, payments: PaymentCoordinator): CallControl {
  const summary = (call: Call): CallSummary => {
    const s = call.summary();
    const paymentId = payments.paymentOf(s.id);
    return {
      id: s.id,
      mode: s.mode,
      state: s.state,
      from: s.from,
      to: s.to,
      secure: s.secure,
      startedAt: new Date(s.startedAt).toISOString(),
      paymentId,
      paymentState: paymentId === null ? null : String(payments.status(s.id, paymentId).state),
      legs: { caller: { callId: s.callerCallId, from: s.from, to: s.to }, agent: s.agent },
    };
  };
  return {
    resolve: (id) => manager.get(id)?.id,
    list: () => manager.calls().map((s) => manager.get(s.id)).filter((c): c is Call => c !== undefined).map(summary),
    get: (id) => {
      const call = manager.get(id);
      return call === undefined ? undefined : summary(call);
    },
    setSecure: (id, on) => {
      const call = manager.get(id);
      if (call === undefined || call.mode !== 'b2bua' || call.state === 'ending' || call.state === 'ended') return false;
      // Leaving secure mode under a running payment would expose the caller's keys.
      if (!on && payments.paymentOf(id) !== null) return false;
      call.setSecure(on);
      return true;
    },
  };
}
