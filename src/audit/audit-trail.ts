// The audit trail (PCI DSS requirement 10: who did what, to which call, when): one structured
// pino line per security-relevant event, with the fixed fields `audit: true` and
// `component: "audit"`, an `action` from AUDIT_ACTIONS, the `actor` and the call/payment ids;
// pino's `time` says when. Lines never carry card data: only ids, results and key names.
// Each line is counted too (toneguard_audit_events_total{action}), so a silent trail shows.
import type { Logger } from 'pino';

export const AUDIT_ACTIONS = ['secure-on', 'secure-off', 'payment-start', 'payment-capture', 'payment-complete', 'payment-cancel', 'payment-end', 'api-request', 'config-reload'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who acted: an API identity (`master`, `loopback`, `widget:<callId>`, `unauthenticated`), or
 * the automation (`payment`, `config:always`, `ivr`, `call-end`, `sighup`).
 */
export type AuditActor = string;

export interface AuditEvent {
  readonly action: AuditAction;
  readonly actor: AuditActor;
  readonly call?: string | null;
  readonly payment?: string | null;
  /** Small fixed-vocabulary facts (field name, result, HTTP status, route pattern, key names). */
  readonly [detail: string]: string | number | boolean | null | readonly string[] | undefined;
}

export interface AuditTrailOptions {
  readonly logger: Logger;
  /** Counts each line (KpiMetrics.auditEvent). */
  readonly count?: (action: AuditAction) => void;
}

export class AuditTrail {
  readonly #log: Logger;
  readonly #count: (action: AuditAction) => void;
  /** Calls in secure mode, so that only real transitions are logged and every period is closed. */
  readonly #secure = new Set<string>();

  constructor(options: AuditTrailOptions) {
    // Written at info whatever log.level says (the trail is evidence, not diagnostics), unless
    // logging is off altogether.
    const level = options.logger.level === 'silent' ? 'silent' : 'info';
    this.#log = options.logger.child({ component: 'audit', audit: true }, { level });
    this.#count = options.count ?? (() => undefined);
  }

  record(event: AuditEvent): void {
    this.#count(event.action);
    this.#log.info(event, 'audit');
  }

  /** The call's secure mode is now `on`; logged as secure-on/secure-off only when it changed. */
  secureMode(callId: string, on: boolean, actor: AuditActor): void {
    if (on === this.#secure.has(callId)) return;
    if (on) this.#secure.add(callId);
    else this.#secure.delete(callId);
    this.record({ action: on ? 'secure-on' : 'secure-off', actor, call: callId });
  }

  /** The call ended: a secure period still open is closed by `call-end`. */
  callEnded(callId: string): void {
    this.secureMode(callId, false, 'call-end');
  }
}
