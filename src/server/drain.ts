// The drain before a shutdown (SIGTERM): new INVITEs get 503 at once; the calls in progress get
// a grace period to end by themselves; then every charge still in flight is waited for and its
// call handed back with the gateway's answer, never aborted; then the calls left are ended.
// Closing the parts afterwards is the server's (toneguard-server.ts), in its fixed order.
import type { CallManager } from '../call/call-manager.js';
import type { PaymentCoordinator } from '../payment/payment-coordinator.js';

/** A drain timer that never fires during a shutdown (replaced once the grace period is over), ms. */
const DRAIN_HOLD_MS = 2 ** 31 - 1;
/** Beyond the dialog's own gateway timeout, before a charge's outcome is given up as unknown, ms. */
const CHARGE_WAIT_MARGIN_MS = 2000;

/** Resolves once no call is left; `gatewayMs` is the dialog's gateway timeout (payment.timeouts.gatewayMs). */
export async function drainCalls(calls: CallManager, payments: PaymentCoordinator, graceMs: number, gatewayMs: number): Promise<void> {
  // No forced end yet (the far timer is replaced below); new INVITEs get 503 from now on.
  const allEnded = calls.drain(DRAIN_HOLD_MS);
  let graceTimer: NodeJS.Timeout | undefined;
  await Promise.race([allEnded, new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)))]);
  clearTimeout(graceTimer);
  await payments.drain(gatewayMs + CHARGE_WAIT_MARGIN_MS);
  await calls.drain(0);
}
