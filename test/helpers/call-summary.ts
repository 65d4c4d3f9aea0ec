// A call as the HTTP API lists it (CallSummary), for the fakes of call control in HTTP tests.
import type { CallSummary } from '../../src/http/call-routes.js';

/** A confirmed B2BUA call without a payment, its caller leg's Call-ID the call's id; `fields` change any of it. */
export function callSummary(id: string, fields: Partial<CallSummary> = {}): CallSummary {
  return {
    id,
    mode: 'b2bua',
    state: 'confirmed',
    from: 'sip:a@x',
    to: 'sip:b@y',
    secure: false,
    startedAt: new Date(0).toISOString(),
    paymentId: null,
    paymentState: null,
    legs: { caller: { callId: id, from: 'sip:a@x', to: 'sip:b@y' }, agent: null },
    ...fields,
  };
}
