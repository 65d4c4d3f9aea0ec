// How a payment ends, apart from how its card was entered: from why it ended and who is still on
// the call, the result and reason, the action on the call (back to the IVR by REFER or BYE, to an
// agent with the context, to ID&V first; secure mode off for an agent-assisted payment; nothing
// when the caller has gone), its X-Payment-* headers and the closing prompt. Pure; the headers
// carry the card type and last four digits at most.
import type { DialogConfig, FailureRoute } from './dialog-config.js';
import type { Cause } from './flow.js';
import type { PaymentRequest } from './payment-request.js';
import { resultHeaders } from './result-headers.js';
import type { DialogAction } from './session-events.js';
import type { PaymentResult, PaymentStep } from './vocabulary.js';

/** X-Payment-Reason of a hang-up: who hung up. */
export const CALLER_HANGUP = 'caller-hangup';
export const AGENT_HANGUP = 'agent-hangup';

/** Why and how a payment ends, as the step that ends it decides. */
export interface Ending {
  readonly cause: Cause;
  readonly result: PaymentResult;
  readonly reason: string | null;
  /** Automated: `agent` transfers the caller to agentUri (when set) with the context; `return` hands back to the IVR. */
  readonly route: FailureRoute;
  readonly transactionId?: string;
  readonly hangupStep?: PaymentStep | null;
  /** Played before the policy's own closing prompt. */
  readonly prompt?: string[];
  /** Not identified: to ID&V first (when configured). */
  readonly idv?: boolean;
}

export interface EndingFacts {
  readonly request: PaymentRequest;
  readonly config: DialogConfig;
  /** The caller hung up (now, or while the charge was under way). */
  readonly callerGone: boolean;
  /** Agent-assisted: the agent's leg hung up. */
  readonly agentGone: boolean;
  readonly cardLast4: string | null;
  readonly cardType: string | null;
  /** The amount captured (the request's when none was). */
  readonly amountMinor: number | null;
}

/** What the payment ends with; `result` and `reason` differ from the Ending's when the caller is transferred to an agent. */
export interface Settlement {
  readonly result: PaymentResult;
  readonly reason: string | null;
  readonly action: DialogAction;
  readonly headers: Readonly<Record<string, string>>;
  /** The closing prompt (empty: nothing to play, or nobody to hear it). */
  readonly prompt: string[];
}

export function settle(end: Ending, facts: EndingFacts): Settlement {
  const { config, callerGone } = facts;
  const automated = facts.request.mode === 'automated';
  let result = end.result;
  let reason = end.reason;
  const prompt = [...(end.prompt ?? [])];
  const headersFor = (r: PaymentResult, why: string | null): Record<string, string> =>
    resultHeaders({
      result: r,
      transactionId: end.transactionId ?? null,
      cardLast4: facts.cardLast4,
      cardType: facts.cardType,
      amountMinor: facts.amountMinor,
      currency: facts.request.currency,
      reason: why,
    });
  const returnAction = (r: PaymentResult, why: string | null): DialogAction => {
    const headers = headersFor(r, why);
    const bye: DialogAction = { kind: 'bye', headers };
    if (config.returnBy === 'REFER' && config.returnUri !== null) {
      return { kind: 'refer', purpose: 'return', uri: config.returnUri, headers, fallback: bye };
    }
    return bye;
  };

  let action: DialogAction;
  if (callerGone) action = { kind: 'none' };
  // Nobody to hand the caller back to: the call ends with the result once it has been heard.
  else if (!automated && facts.agentGone) action = { kind: 'bye', headers: headersFor(result, reason) };
  else if (!automated) action = { kind: 'secure-off', headers: headersFor(result, reason) };
  else {
    action = returnAction(result, reason);
    const agentUri = config.agentUri;
    if (end.route === 'agent' && agentUri !== null) {
      // Transferred with the context: the original result stays readable in the reason.
      if (result !== 'not-identified') {
        reason = reason === null ? result : `${result}:${reason}`;
        result = 'transferred-to-agent';
      }
      action = { kind: 'refer', purpose: 'agent', uri: agentUri, headers: headersFor(result, reason), fallback: returnAction(end.result, end.reason) };
    }
    if (end.idv === true && config.idvUri !== null) {
      action = { kind: 'refer', purpose: 'idv', uri: config.idvUri, headers: headersFor(result, reason), fallback: action };
      prompt.push('identify-first');
    } else if (action.kind === 'refer' && action.purpose === 'agent') prompt.push('transferring-to-agent');
    else if (action.kind === 'bye' && result !== 'caller-interrupted-with-star') prompt.push('goodbye');
  }
  const headers = action.kind === 'none' ? headersFor(result, reason) : action.headers;
  return { result, reason, action, headers, prompt: callerGone ? [] : prompt };
}
