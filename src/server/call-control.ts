// The call API's view of the live calls (http/call-routes.ts CallControl): summaries, and secure
// mode switched by hand, each real change written to the audit trail with who asked.
import type { AuditTrail } from '../audit/audit-trail.js';
import type { Call } from '../call/call.js';
import type { CallManager } from '../call/call-manager.js';
import type { CallControl, CallSummary } from '../http/call-routes.js';
import type { PaymentCoordinator } from '../payment/payment-coordinator.js';

export function callControl(manager: CallManager, payments: PaymentCoordinator, audit: AuditTrail): CallControl {
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
    list: () =>
      manager
        .calls()
        .map((s) => manager.get(s.id))
        .filter((c): c is Call => c !== undefined)
        .map(summary),
    get: (id) => {
      const call = manager.get(id);
      return call === undefined ? undefined : summary(call);
    },
    setSecure: (id, on, actor) => {
      const call = manager.get(id);
      if (call === undefined || call.mode !== 'b2bua' || call.state === 'ending' || call.state === 'ended') return false;
      // Leaving secure mode under a running payment would expose the caller's keys.
      if (!on && payments.paymentOf(call.id) !== null) return false;
      call.setSecure(on);
      audit.secureMode(call.id, call.media.secure, actor);
      return true;
    },
  };
}
