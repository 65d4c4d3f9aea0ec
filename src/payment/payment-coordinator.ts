// Starts and tracks payments on calls, in both modes:
// - automated: the IVR transferred the call to our payment URI; the X-Payment-* headers of its
//   INVITE are the request, the dialog starts when the call is answered;
// - agent-assisted: the agent's desktop calls POST /calls/:id/payments on a live B2BUA call.
// It is the PaymentApi of the HTTP routes, and feeds KPIs, the widget and status webhooks.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditEvent } from '../audit/audit-trail.js';
import type { DialogConfig } from '../dialog/dialog-config.js';
import { PaymentSession } from '../dialog/payment-session.js';
import type { MaskedCapture, PaymentSessionResult, PaymentStatus } from '../dialog/session-events.js';
import { paymentRequestFromApi, paymentRequestFromHeaders, PaymentRequestError, type PaymentRequest } from '../dialog/payment-request.js';
import type { PromptLibrary } from '../dialog/prompts/prompt-library.js';
import { RealTimers } from '../dialog/timers.js';
import { resultHeaders } from '../dialog/result-headers.js';
import { STATES } from '../dialog/flow.js';
import type { PaymentMode, PaymentSessionRecord, PaymentStep } from '../dialog/vocabulary.js';
import type { PaymentConnector } from '../gateway/connector.js';
import { PaymentApiError, type PaymentApi, type PaymentCommand, type PaymentCommandResult, type StartPaymentInput } from '../http/payment-routes.js';
import { StatusWebhook } from '../http/status-webhook.js';
import type { WordModel } from '../../native-free-dsp/speech-classifier.js';
import { PaymentRun, type PaymentCall } from './payment-run.js';

/** Where payment progress goes besides the call: KPIs and the agent widget. */
export interface PaymentObserver {
  entered(info: { readonly sessionId: string; readonly callId: string; readonly mode: PaymentMode; readonly merchantId: string | null; readonly at: number; readonly currency?: string }): void;
  status(callId: string, sessionId: string, status: PaymentStatus): void;
  /** The payment moved to another step (the confirmation readback included, which has no status event). */
  step?(callId: string, sessionId: string, step: PaymentStep, captured: MaskedCapture): void;
  ended(callId: string, result: PaymentSessionResult): void;
}

export interface PaymentCoordinatorOptions {
  readonly dialog: DialogConfig;
  readonly connector: PaymentConnector;
  readonly prompts: PromptLibrary;
  /** The speech recogniser's word model; null: speech input is not available (calls asking for it are refused). */
  readonly speechModel?: WordModel | null;
  readonly observer: PaymentObserver;
  readonly logger: Logger;
  /** Looks up a live B2BUA call for the agent-assisted API. */
  readonly findCall: (callId: string) => PaymentCall | undefined;
  /** HMAC key of status callbacks (the HTTP routes accept none while it is empty); a function is read at each payment start (SIGHUP rotation). */
  readonly webhookSecret: string | (() => string);
  /** Callbacks may connect to private addresses: the operator allowlisted the callback hosts. */
  readonly webhookPrivateAddresses?: boolean;
  /** The audit trail: start, capture, complete, cancel and end of every payment. */
  readonly audit?: (event: AuditEvent) => void;
}

/** Who starts an automated payment: the IVR's INVITE to the payment URI. */
const AUTOMATED_ACTOR = 'ivr';

interface ActivePayment {
  readonly run: PaymentRun;
  readonly request: PaymentRequest;
  readonly idempotencyKey: string | null;
  readonly webhook: StatusWebhook | null;
  lastStatus: PaymentStatus | null;
  result: PaymentSessionResult | null;
}

export class PaymentCoordinator implements PaymentApi {
  readonly #options: PaymentCoordinatorOptions;
  /** By call id: at most one payment runs on a call at a time. */
  readonly #active = new Map<string, ActivePayment>();
  /** Finished payments by id, kept briefly so the desktop can read the result. */
  readonly #finished = new Map<string, ActivePayment>();

  constructor(options: PaymentCoordinatorOptions) {
    this.#options = options;
  }

  /**
   * Automated mode: an answered call to the payment URI, with its INVITE's headers. Headers the
   * dialog cannot use (e.g. an amount that is not a number) hand the call straight back with
   * `validation-error`: no dialog starts, and the IVR learns what was wrong from X-Payment-Reason.
   */
  startAutomated(call: PaymentCall, headers: Readonly<Record<string, string>>): PaymentRun | null {
    const ids = { sessionId: randomUUID(), callId: call.id };
    let request: PaymentRequest;
    try {
      request = paymentRequestFromHeaders(headers, ids, this.#options.dialog);
    } catch (error) {
      if (!(error instanceof PaymentRequestError)) throw error;
      this.#rejectAutomated(call, ids.sessionId, error.message);
      return null;
    }
    if (request.input !== 'dtmf' && !this.#options.speechModel) {
      this.#rejectAutomated(call, ids.sessionId, 'X-Payment-Input asks for speech but no speech model is loaded');
      return null;
    }
    return this.#begin(call, request, null, undefined, AUTOMATED_ACTOR);
  }

  #rejectAutomated(call: PaymentCall, sessionId: string, message: string): void {
    const { dialog, observer, logger } = this.#options;
    const now = Date.now();
    logger.warn({ call: call.id, message }, 'payment headers rejected');
    this.#audit({ action: 'payment-start', actor: AUTOMATED_ACTOR, call: call.id, payment: sessionId, mode: 'automated' });
    this.#audit({ action: 'payment-end', actor: 'payment', call: call.id, payment: sessionId, result: 'validation-error', reason: 'invalid-payment-headers' });
    const headers = resultHeaders({
      result: 'validation-error',
      transactionId: null,
      cardLast4: null,
      cardType: null,
      amountMinor: null,
      currency: dialog.currency,
      reason: 'invalid-payment-headers',
    });
    observer.entered({ sessionId, callId: call.id, mode: 'automated', merchantId: null, at: now });
    const record: PaymentSessionRecord = {
      sessionId,
      callId: call.id,
      mode: 'automated',
      merchantId: null,
      cardType: null,
      currency: dialog.currency,
      amountMinor: null,
      result: 'validation-error',
      reason: 'invalid-payment-headers',
      startedAt: now,
      endedAt: now,
      stepsReached: [],
      hangupStep: null,
      attempts: 0,
      fieldErrors: [],
    };
    observer.ended(call.id, { result: 'validation-error', reason: 'invalid-payment-headers', transactionId: null, headers, action: { kind: 'none' }, record });
    if (dialog.returnBy === 'REFER' && dialog.returnUri !== null) {
      void call.refer(dialog.returnUri, headers).then((ok) => {
        if (!ok) call.hangup(headers);
      });
    } else call.hangup(headers);
  }

  async start(callId: string, input: StartPaymentInput): Promise<{ readonly paymentId: string; readonly created: boolean }> {
    const running = this.#active.get(callId);
    if (running !== undefined) {
      if (running.idempotencyKey === input.idempotencyKey) return { paymentId: running.request.sessionId, created: false };
      throw new PaymentApiError('ERR_PAYMENT_ACTIVE', 'a payment is already in progress on this call');
    }
    for (const done of this.#finished.values()) {
      if (done.request.callId === callId && done.idempotencyKey === input.idempotencyKey) return { paymentId: done.request.sessionId, created: false };
    }
    const call = this.#options.findCall(callId);
    if (call === undefined) throw new PaymentApiError('ERR_NO_CALL', 'no such call');
    let request: PaymentRequest;
    try {
      request = paymentRequestFromApi(input.parameters, { sessionId: randomUUID(), callId }, this.#options.dialog);
    } catch (error) {
      if (error instanceof PaymentRequestError) throw new PaymentApiError('ERR_BAD_REQUEST', error.message);
      throw error;
    }
    this.#begin(call, request, input.idempotencyKey, input.statusCallback, input.actor);
    return { paymentId: request.sessionId, created: true };
  }

  command(callId: string, paymentId: string, command: PaymentCommand, actor: string): PaymentCommandResult {
    const active = this.#active.get(callId);
    if (active === undefined || active.request.sessionId !== paymentId) {
      if (this.#finished.has(paymentId)) return { accepted: false, reason: 'payment-ended' };
      throw new PaymentApiError('ERR_NO_PAYMENT', 'no such payment');
    }
    const session = active.run.session;
    // Logged before it runs: a cancel ends the payment at once, and its end must follow it in the
    // trail. Whether it was accepted is the api-request line's status (200 or 409).
    this.#audit({
      ...('capture' in command ? { action: 'payment-capture', field: command.capture } : { action: command.status === 'complete' ? 'payment-complete' : 'payment-cancel' }),
      actor,
      call: active.request.callId,
      payment: paymentId,
    });
    const done = 'capture' in command ? session.capture(command.capture) : command.status === 'complete' ? session.complete() : session.cancel();
    if (done.accepted) return { accepted: true };
    return { accepted: false, reason: done.reason, ...(done.missing === undefined ? {} : { missing: done.missing }) };
  }

  status(callId: string, paymentId: string): Readonly<Record<string, unknown>> {
    const active = this.#active.get(callId);
    const payment = active !== undefined && active.request.sessionId === paymentId ? active : this.#finished.get(paymentId);
    if (payment === undefined || payment.request.callId !== callId) throw new PaymentApiError('ERR_NO_PAYMENT', 'no such payment');
    return {
      paymentId,
      callId,
      mode: payment.request.mode,
      state: payment.run.session.state,
      status: payment.lastStatus,
      result: payment.result === null ? null : { result: payment.result.result, reason: payment.result.reason, transactionId: payment.result.transactionId, headers: payment.result.headers },
    };
  }

  /** The call ended (hang-up, BYE, timeout): a payment on it ends as the caller's hang-up. */
  callEnded(callId: string): void {
    this.#active.get(callId)?.run.callEnded();
  }

  /** The payment running on a call, if any. */
  paymentOf(callId: string): string | null {
    return this.#active.get(callId)?.request.sessionId ?? null;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /**
   * Shutdown: every charge in flight gets its answer (or `maxWaitMs` passes: outcome unknown) and
   * its call the result (PaymentRun.drain). Payments still collecting are left to end with their calls.
   */
  async drain(maxWaitMs: number): Promise<void> {
    await Promise.all([...this.#active.values()].map((active) => active.run.drain(maxWaitMs)));
  }

  close(): void {
    for (const active of this.#active.values()) active.run.close();
    this.#active.clear();
  }

  #audit(event: AuditEvent): void {
    this.#options.audit?.(event);
  }

  #begin(call: PaymentCall, request: PaymentRequest, idempotencyKey: string | null, statusCallback: string | undefined, actor: string): PaymentRun {
    const { observer, logger } = this.#options;
    const session = new PaymentSession({ request, config: this.#options.dialog, connector: this.#options.connector, timers: new RealTimers() });
    const speechModel = request.mode === 'automated' && request.input !== 'dtmf' ? (this.#options.speechModel ?? null) : null;
    const run = new PaymentRun({ call, session, prompts: this.#options.prompts, mode: request.mode, logger, speechModel });
    const webhook =
      statusCallback === undefined
        ? null
        : new StatusWebhook({
            url: statusCallback,
            secret: typeof this.#options.webhookSecret === 'function' ? this.#options.webhookSecret() : this.#options.webhookSecret,
            privateAddresses: this.#options.webhookPrivateAddresses ?? false,
          });
    const active: ActivePayment = { run, request, idempotencyKey, webhook, lastStatus: null, result: null };
    this.#active.set(call.id, active);
    observer.entered({ sessionId: request.sessionId, callId: call.id, mode: request.mode, merchantId: request.merchantId, at: Date.now(), currency: request.currency });
    run.on('transition', (transition) => {
      const step = STATES[transition.to].step;
      if (step !== null && step !== STATES[transition.from].step) observer.step?.(call.id, request.sessionId, step, session.masked());
    });
    run.on('status', (status) => {
      active.lastStatus = status;
      observer.status(call.id, request.sessionId, status);
      webhook?.send({ event: 'status', paymentId: request.sessionId, callId: call.id, ...status });
    });
    run.on('result', (result) => {
      active.result = result;
      observer.ended(call.id, result);
      webhook?.send({
        event: 'result',
        paymentId: request.sessionId,
        callId: call.id,
        result: result.result,
        reason: result.reason,
        transactionId: result.transactionId,
        headers: result.headers,
        fieldInputs: result.record.fieldInputs ?? [],
      });
      logger.info(
        { call: call.id, payment: request.sessionId, mode: request.mode, result: result.result, reason: result.reason, last4: result.headers['X-Payment-Card-Last4'] ?? null },
        'payment ended',
      );
      this.#audit({ action: 'payment-end', actor: 'payment', call: call.id, payment: request.sessionId, result: result.result, reason: result.reason });
    });
    run.on('done', () => {
      this.#active.delete(call.id);
      this.#finished.set(request.sessionId, active);
      // Results stay readable for ten minutes, at most 1,000 of them.
      if (this.#finished.size > 1000) this.#finished.delete(this.#finished.keys().next().value as string);
      setTimeout(() => this.#finished.delete(request.sessionId), 600_000).unref();
    });
    logger.info({ call: call.id, payment: request.sessionId, mode: request.mode, merchant: request.merchantId }, 'payment started');
    this.#audit({ action: 'payment-start', actor, call: call.id, payment: request.sessionId, mode: request.mode });
    run.start();
    return run;
  }
}
