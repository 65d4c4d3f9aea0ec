// Where a payment's progress goes besides its call: the KPI recorder and the agent widget. The
// widget gets masked progress (status events, steps, the result) and a count of the keys pressed
// in the field being collected, never their values.
import type { PaymentSessionResult, PaymentStatus } from '../dialog/session-events.js';
import type { CaptureField, PaymentSessionRecord } from '../dialog/vocabulary.js';
import type { WidgetHub } from '../http/widget/widget-hub.js';
import { initialWidgetState } from '../http/widget/widget-state.js';
import { widgetUpdateFromCaptured, widgetUpdateFromResult, widgetUpdateFromStatus } from '../http/widget/widget-status.js';
import type { SessionEnteredEvent } from '../kpi/kpi-types.js';
import type { PaymentObserver } from '../payment/payment-coordinator.js';

/** The KPI side (KpiRecorder). */
export interface PaymentKpiSink {
  sessionEntered(event: SessionEnteredEvent): void;
  sessionEnded(record: PaymentSessionRecord): void;
}

export interface PaymentProgress {
  readonly observer: PaymentObserver;
  /** A key press on the call (any source): counted for the widget while a payment collects. */
  keyPressed(callId: string): void;
}

export function paymentProgress(kpi: PaymentKpiSink, widget: WidgetHub): PaymentProgress {
  /** Per call with a payment: the field being collected and the keys pressed in it. */
  const progress = new Map<string, { field: CaptureField | null; digits: number }>();
  const observer: PaymentObserver = {
    entered: (info) => {
      kpi.sessionEntered({ sessionId: info.sessionId, mode: info.mode, merchantId: info.merchantId, at: info.at });
      progress.set(info.callId, { field: null, digits: 0 });
      widget.update(info.callId, { ...initialWidgetState(info.callId), paymentId: info.sessionId, secure: true, currency: info.currency ?? null });
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
    step: (callId, _sessionId, step, captured) => {
      widget.update(callId, { step, ...widgetUpdateFromCaptured(captured) });
    },
    ended: (callId, result: PaymentSessionResult) => {
      kpi.sessionEnded(result.record);
      progress.delete(callId);
      widget.update(callId, { ...widgetUpdateFromResult(result), secure: false });
    },
  };
  return {
    observer,
    keyPressed: (callId) => {
      const p = progress.get(callId);
      if (p === undefined) return;
      p.digits += 1;
      widget.update(callId, { digitsEntered: p.digits });
    },
  };
}
