// What the server does with its calls' and PBXs' events besides handling them: counts them in
// the metrics, logs them, writes secure mode and call ends to the audit trail, tells the
// payments and the agent widget. Subscriptions only; the calls and the pool own their lifetimes.
import type { Logger } from 'pino';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { CallManager } from '../call/call-manager.js';
import type { UpstreamPool } from '../call/upstream-pool.js';
import type { DialogDigit } from '../dialog/vocabulary.js';
import type { WidgetHub } from '../http/widget/widget-hub.js';
import type { KpiMetrics } from '../kpi/kpi-metrics.js';
import type { LegName } from '../media/media-session.js';
import type { PaymentCoordinator } from '../payment/payment-coordinator.js';
import { summarizeError } from './last-resort.js';
import type { MediaPlane } from './media-plane.js';
import type { PaymentProgress } from './payment-progress.js';

export interface CallEventSinks {
  readonly metrics: KpiMetrics;
  readonly logger: Logger;
  readonly audit: AuditTrail;
  readonly widget: WidgetHub;
  readonly payments: PaymentCoordinator;
  readonly progress: PaymentProgress;
  readonly media: MediaPlane;
}

export function observeCalls(manager: CallManager, { metrics, logger, audit, widget, payments, progress, media }: CallEventSinks): void {
  manager.on('call-start', (call) => {
    metrics.callStarted();
    logger.info({ call: call.id, callerCallId: call.callerCallId, mode: call.mode }, 'call started');
    // Secure from the first packet: payment-URI calls, and every call with secureMode: always.
    if (call.media.secure) audit.secureMode(call.id, true, call.mode === 'endpoint' ? 'payment' : 'config:always');
    call.media.on('digit', (d: DialogDigit) => {
      metrics.dtmfDigit(d.source);
      if (call.media.secure) metrics.dtmfDigitClamped(d.source);
      progress.keyPressed(call.id);
    });
  });
  manager.on('call-end', (call, reason) => {
    metrics.callEnded();
    payments.callEnded(call.id);
    const legs: LegName[] = call.mode === 'b2bua' ? ['caller', 'agent'] : ['caller'];
    media.finalStats(call.media, legs, (leg, s) => {
      if (s === undefined) return;
      metrics.rtpPackets(leg, 'in', s.rtpIn);
      metrics.rtpPackets(leg, 'out', s.rtpOut);
      if (s.rtpForeign > 0) metrics.rtpPacketsDropped('foreign-source', s.rtpForeign);
      if (s.malformed > 0) metrics.rtpPacketsDropped('malformed', s.malformed);
      if (s.srtpFailures > 0) metrics.rtpPacketsDropped('srtp-auth', s.srtpFailures);
    });
    widget.end(call.id);
    audit.callEnded(call.id);
    logger.info({ call: call.id, callerCallId: call.callerCallId, agentCallId: call.agentLeg?.callId ?? null, reason }, 'call ended');
  });
  manager.on('warning', (message) => logger.warn({ component: 'call' }, message));
  manager.on('internal-error', (error, call) => {
    metrics.internalError('call');
    logger.error({ component: 'call', call: call?.id, ...summarizeError(error) }, 'internal error: the call was ended');
  });
}

/** Each PBX's state as a gauge from the start, its changes logged, every attempt counted. */
export function observeUpstreams(upstreams: UpstreamPool, metrics: KpiMetrics, logger: Logger): void {
  for (const u of upstreams.upstreams) metrics.upstreamState(u.label, u.up);
  upstreams.on('change', (u) => {
    metrics.upstreamState(u.label, u.up);
    logger.warn({ component: 'upstream', upstream: u.label, up: u.up }, u.up ? 'upstream up' : 'upstream down');
  });
  upstreams.on('attempt', (u, outcome) => metrics.upstreamAttempt(u.label, outcome));
}
