// One card submission to the gateway, as the dialog sees it: the charge request built from the
// capture (views of its zeroable buffers, never copies), the answer screened for card data (only
// the dialog still holds the number to check against), and what the answer means: how the
// payment ends, or that the caller keys another card. Pure; the session sends and waits.
import type { ChargeOutcome, ChargeRequest } from '../gateway/connector.js';
import type { DialogConfig } from './dialog-config.js';
import type { PaymentCapture } from './payment-capture.js';
import type { PaymentRequest } from './payment-request.js';
import { characterSegments } from './prompts/compose.js';
import type { SecretDigits } from './secret-digits.js';
import { AGENT_HANGUP, type Ending } from './session-ending.js';

/** A gateway value holding this many leading digits of the card (or all of it) is card data (PCI DSS 3.4 allows first six and last four, never twelve). */
const PAN_PREFIX_DIGITS = 12;

/** Reason given when the gateway's own reason held card data. */
const WITHHELD_REASON = 'gateway-reason-withheld';

/** Reason of a charge whose outcome is unknown (it may have been taken): the IVR must not retry it as a new payment. */
export const UNKNOWN_OUTCOME = 'unknown-outcome';

/** The request of submission number `charge` (1-based); throws when a required field is missing. */
export function chargeRequest(request: PaymentRequest, charge: number, capture: PaymentCapture): ChargeRequest {
  const { expiry, amountMinor } = capture;
  if (expiry === null || amountMinor === null || capture.card === null) throw new Error('submit without the required fields');
  return {
    // One key per submission: a retried request for this card gets the first answer, a new card a new key.
    idempotencyKey: `${request.sessionId}-${charge}`,
    amountMinor,
    currency: request.currency,
    pan: capture.pan.view(),
    expiryMonth: expiry.month,
    expiryYear: expiry.year,
    securityCode: capture.needsSecurityCode() ? capture.securityCode.view() : null,
    merchantId: request.merchantId,
    reference: request.reference,
    customerId: request.customerId ?? '',
    description: request.description,
  };
}

export interface ScreenedOutcome {
  readonly outcome: ChargeOutcome;
  /** The field dropped because it held card data (its value is never kept). */
  readonly dropped: 'transaction-id' | 'reason' | null;
}

/**
 * The gateway's answer as it may travel on (headers, prompts, KPIs): a transaction ID or reason
 * holding the card number (`pan`, compared in place) is dropped; an outcome the gateway may or
 * may not have taken says so in one reason.
 */
export function screenOutcome(outcome: ChargeOutcome, pan: SecretDigits): ScreenedOutcome {
  const holdsCard = (value: string): boolean => pan.prefixFoundIn(value, PAN_PREFIX_DIGITS);
  if (outcome.kind === 'approved') {
    if (!holdsCard(outcome.transactionId)) return { outcome, dropped: null };
    return { outcome: { ...outcome, transactionId: '' }, dropped: 'transaction-id' };
  }
  const reason = outcome.kind === 'error' && outcome.outcomeUnknown ? UNKNOWN_OUTCOME : outcome.reason;
  if (holdsCard(reason)) return { outcome: { ...outcome, reason: WITHHELD_REASON }, dropped: 'reason' };
  return { outcome: { ...outcome, reason }, dropped: null };
}

export interface OutcomeFacts {
  readonly config: DialogConfig;
  /** The caller hung up while the charge was under way. */
  readonly callerGone: boolean;
  /** Agent-assisted: the agent's leg hung up. */
  readonly agentGone: boolean;
  /** Cards declined before this answer. */
  readonly declines: number;
}

/** How a screened answer ends the payment; null: declined with declines left, the caller keys another card. */
export function outcomeEnding(outcome: ChargeOutcome, facts: OutcomeFacts): Ending | null {
  const { config, agentGone } = facts;
  const transactionId = outcome.kind === 'approved' && outcome.transactionId !== '' ? outcome.transactionId : undefined;
  if (facts.callerGone) {
    // The caller has gone; a charge taken is still a success (never report money taken as a hang-up).
    if (outcome.kind === 'approved') return { cause: 'approved', result: 'success', reason: null, transactionId, route: 'return' };
    // Nor money that may have been taken: reconciliation needs to know.
    if (outcome.kind === 'error' && outcome.outcomeUnknown) return { cause: 'connector-error', result: 'payment-connector-error', reason: outcome.reason, route: 'return' };
    return { cause: 'hangup', result: 'caller-hung-up', reason: outcome.reason, hangupStep: 'processing', route: 'return' };
  }
  // The agent left under the charge: the caller hears its outcome; a decline is not retried
  // (nobody steers the payment), it ends as cancelled by the agent's hang-up.
  if (agentGone && outcome.kind === 'declined') {
    return { cause: 'cancel', result: 'cancelled', reason: AGENT_HANGUP, route: 'return', prompt: ['payment-declined', 'payment-cancelled'] };
  }
  switch (outcome.kind) {
    case 'approved':
      return {
        cause: 'approved',
        result: 'success',
        reason: agentGone ? AGENT_HANGUP : null,
        transactionId,
        route: 'return',
        prompt: transactionId === undefined ? ['payment-success'] : ['payment-success', 'your-reference-is', ...characterSegments(transactionId)],
      };
    case 'declined':
      if (facts.declines + 1 < config.maxDeclines) return null;
      return { cause: 'too-many-declines', result: 'too-many-failed-attempts', reason: outcome.reason, route: config.results.tooManyDeclines, prompt: ['payment-declined'] };
    case 'error':
      return { cause: 'connector-error', result: 'payment-connector-error', reason: outcome.reason, route: config.results.connectorError, prompt: ['payment-error'] };
  }
}
