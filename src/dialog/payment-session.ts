// One payment, from the first prompt to the result: the owner of its lifetime, its state (the
// flow of flow.ts) and its moves, driven by the caller's input, timeouts, the gateway's answer,
// hang-ups and the agent's commands; it emits what to play, masked progress, the final action
// and the result. Socket-free: time comes from DialogTimers, the gateway is a PaymentConnector,
// playback and SIP are the integrator's (it plays each `prompt`, tells `promptEnded()`, and
// carries out the `action` after the final prompt has played).
// It owns a FieldCollector (the caller's entry at the field or menu asked) and a PaymentCapture
// (what has been captured); the pure policies sit beside it: session-prompts.ts (what is said),
// gateway-charge.ts (the charge and its answer), session-ending.ts (how the payment ends).
//
// Card data (PAN, expiry, security code) lives only in the PaymentCapture's buffers, zeroed when
// the payment ends or a card is declined; events, errors, headers and the record carry at most
// the last four digits.
import { EventEmitter } from 'node:events';
import type { ChargeOutcome, PaymentConnector } from '../gateway/connector.js';
import { amountChangeable, FIELD_STATE } from './collection-steps.js';
import type { DialogConfig } from './dialog-config.js';
import { FieldCollector } from './field-collector.js';
import { isAllowed, STATES, type Cause, type DialogState } from './flow.js';
import { chargeRequest, outcomeEnding, screenOutcome } from './gateway-charge.js';
import type { SpokenInput } from './input-keys.js';
import { PaymentCapture } from './payment-capture.js';
import type { PaymentRequest } from './payment-request.js';
import { amountSegments, planOf } from './prompts/compose.js';
import type { CommandResult, MaskedCapture, PaymentSessionEvents, PaymentSessionResult } from './session-events.js';
import { AGENT_HANGUP, CALLER_HANGUP, settle, type Ending } from './session-ending.js';
import { statePrompt } from './session-prompts.js';
import type { DialogTimers, TimerHandle } from './timers.js';
import { PAYMENT_STEPS, type CaptureField, type DialogDigit, type ErrorType, type PaymentSessionRecord, type PaymentStep } from './vocabulary.js';

export interface PaymentSessionOptions {
  readonly request: PaymentRequest;
  readonly config: DialogConfig;
  readonly connector: PaymentConnector;
  readonly timers: DialogTimers;
}

export class PaymentSession extends EventEmitter<PaymentSessionEvents> {
  readonly #request: PaymentRequest;
  readonly #config: DialogConfig;
  readonly #connector: PaymentConnector;
  readonly #timers: DialogTimers;
  readonly #startedAt: number;
  readonly #capture: PaymentCapture;
  readonly #collector: FieldCollector;

  #state: DialogState = 'start';
  #declines = 0;
  #charges = 0;
  #hungUpWhileProcessing = false;
  /** Agent-assisted: the agent's leg hung up (the caller is still on the call). */
  #agentGone = false;
  readonly #steps = new Set<PaymentStep>();
  #gatewayTimer: TimerHandle | null = null;
  #final: PaymentSessionResult | null = null;
  readonly #finished: Promise<PaymentSessionResult>;
  #resolveFinished: (r: PaymentSessionResult) => void = () => undefined;

  constructor(options: PaymentSessionOptions) {
    super();
    this.#request = options.request;
    this.#config = options.config;
    this.#connector = options.connector;
    this.#timers = options.timers;
    this.#startedAt = options.timers.now();
    this.#capture = new PaymentCapture(options.config);
    this.#collector = new FieldCollector({
      request: options.request,
      config: options.config,
      timers: options.timers,
      capture: this.#capture,
      host: {
        state: () => this.#state,
        go: (cause, to, prefix) => this.#go(cause, to, prefix),
        submit: () => this.#submit('confirm'),
        end: (ending) => this.#finish(ending),
        fieldError: (field, attempt, errorType) => this.#emitStatus(field, attempt, errorType),
        guard: (run) => this.#guard(run),
      },
    });
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
  }

  get state(): DialogState {
    return this.#state;
  }

  get id(): string {
    return this.#request.sessionId;
  }

  /** Resolves with the result once the session has ended. */
  get finished(): Promise<PaymentSessionResult> {
    return this.#finished;
  }

  /** A field or menu is being collected (input is taken). */
  get collecting(): boolean {
    return this.#collecting();
  }

  get ended(): boolean {
    return this.#state === 'ended';
  }

  /** The final result, once ended. */
  get result(): PaymentSessionResult | null {
    return this.#final;
  }

  /** What has been captured so far, masked as in the status events (e.g. for a step without one: the readback). */
  masked(): MaskedCapture {
    return this.#capture.masked(this.#request.currency);
  }

  /** Starts the flow (attach listeners first: the first prompt is emitted synchronously). */
  start(): void {
    this.#guard(() => {
      if (this.#state !== 'start') return;
      const balance = this.#request.amountMinor;
      if (this.#request.customerId === null) this.#finish({ cause: 'not-identified', result: 'not-identified', reason: 'no-customer-id', route: 'agent', idv: true });
      else if (balance === null) this.#go('amount-unknown', 'amount-entry');
      // The agent's amount is the charge (the caller hears it, is not asked it): the card comes
      // first, and a caller keying it at once loses no digit to a menu.
      else if (this.#config.amountMode === 'fixed' || this.#request.mode === 'agent-assisted') {
        this.#capture.amountMinor = balance;
        this.#go('amount-fixed', 'card-number', ['you-are-paying-amount', ...amountSegments(balance, this.#request.currency, this.#config.locale)]);
      } else this.#go('balance-known', 'amount-choice');
    });
  }

  /** A key press from the caller (merged across RFC 4733, in-band and SIP INFO by the integrator). */
  digit(input: DialogDigit | string): void {
    const d = typeof input === 'string' ? input : input.digit;
    this.#guard(() => this.#collector.key(d));
  }

  /**
   * A spoken digit or menu word (speech input on), taken as the key it stands for (input-keys.ts);
   * a word that is no choice of this menu is an invalid choice, and one that means nothing in a
   * field leaves the entry waiting.
   */
  spoken(input: SpokenInput): void {
    this.#guard(() => this.#collector.spoken(input));
  }

  /** The caller is speaking a word of the vocabulary (its token comes when the utterance ends): no timeout under it. */
  speaking(): void {
    this.#guard(() => this.#collector.speaking());
  }

  /**
   * The caller paused after speaking (the recogniser's end of utterance): a spoken field ends
   * here, except a card number still shorter than any card (callers say it in groups, pausing).
   */
  endOfUtterance(): void {
    this.#guard(() => this.#collector.endOfUtterance());
  }

  /** The current prompt has finished playing (or was cut by a key): the first-digit timer starts. */
  promptEnded(): void {
    this.#guard(() => this.#collector.promptEnded());
  }

  /**
   * The current prompt could not be played (a recording missing). While collecting, the caller
   * cannot have heard what to key or the readback to confirm, so the payment ends as
   * internal-error `prompt-unplayable` and nothing is charged; while processing or after the end
   * it counts as played (the charge or the hand-back goes on).
   */
  promptFailed(): void {
    this.#guard(() => {
      if (this.#state === 'ended') return;
      if (!this.#collecting()) return this.promptEnded();
      this.#finish({ cause: 'internal-error', result: 'internal-error', reason: 'prompt-unplayable', route: 'return' });
    });
  }

  /** The caller hung up. During processing the gateway's answer is still awaited (a charge may be taken). */
  hangup(): void {
    this.#guard(() => {
      if (this.#state === 'ended') return;
      if (this.#state === 'processing') {
        this.#hungUpWhileProcessing = true;
        return;
      }
      this.#finish({ cause: 'hangup', result: 'caller-hung-up', reason: CALLER_HANGUP, hangupStep: STATES[this.#state].step, route: 'return' });
    });
  }

  /**
   * Agent-assisted: the agent's leg hung up. Nobody steers the payment any more, so it ends as
   * `cancelled` (reason `agent-hangup`); the caller is still there and hears the result, then the
   * call ends with the result headers. During processing the gateway's answer is awaited first
   * and announced (money taken is still a success).
   */
  agentHangup(): void {
    this.#guard(() => {
      if (this.#state === 'ended' || this.#agentGone) return;
      this.#agentGone = true;
      if (this.#state === 'processing') return;
      this.#finish({ cause: 'cancel', result: 'cancelled', reason: AGENT_HANGUP, route: 'return', prompt: ['payment-cancelled'] });
    });
  }

  /** Agent-assisted: ask the caller for one field now (any order, again if need be). */
  capture(field: CaptureField): CommandResult {
    return this.#guardCommand(() => {
      if (field === 'payment-processing') return this.complete();
      if (!this.#collecting()) return { accepted: false, reason: `not-collecting:${this.#state}` };
      // An agent asking for the amount explicitly gets it asked (up to the amount it gave).
      if (field === 'charge-amount' && !amountChangeable(this.#request, this.#config) && this.#request.mode !== 'agent-assisted') return { accepted: false, reason: 'amount-fixed' };
      // Before the card number the code's size is not known: 3 or 4 digits are taken, and a card
      // captured later whose type wants the other size has its code asked again.
      if (field === 'security-code' && !this.#capture.needsSecurityCode()) return { accepted: false, reason: 'no-security-code-for-card-type' };
      this.#go('capture', FIELD_STATE[field]);
      return { accepted: true };
    });
  }

  /** Agent-assisted: submit the payment now (every required field captured). */
  complete(): CommandResult {
    return this.#guardCommand(() => {
      if (!this.#collecting()) return { accepted: false, reason: `not-collecting:${this.#state}` };
      const missing = this.#capture.missing();
      if (missing.length > 0) return { accepted: false, reason: 'fields-missing', missing };
      this.#submit('complete');
      return { accepted: true };
    });
  }

  /** Agent or API: abandon the payment (never once a card is being charged). */
  cancel(): CommandResult {
    return this.#guardCommand(() => {
      if (!this.#collecting()) return { accepted: false, reason: `not-collecting:${this.#state}` };
      this.#finish({ cause: 'cancel', result: 'cancelled', reason: null, route: 'return', prompt: ['payment-cancelled'] });
      return { accepted: true };
    });
  }

  /**
   * Stops waiting for the gateway (shutdown, or a close under a charge): the charge may have been
   * taken, so the payment ends as payment-connector-error `unknown-outcome`, never internal-error.
   */
  abandonCharge(): void {
    this.#guard(() => {
      if (this.#state === 'processing') this.#outcome(this.#charges, { kind: 'error', reason: 'abandoned', outcomeUnknown: true });
    });
  }

  /** Releases everything: timers off, card buffers zeroed; a session still collecting ends as internal-error. */
  close(): void {
    this.abandonCharge();
    if (this.#state !== 'ended') {
      this.#finish({ cause: 'internal-error', result: 'internal-error', reason: 'session-closed', route: 'return' });
    }
    this.#capture.wipe();
    this.removeAllListeners();
  }

  // --- gateway ------------------------------------------------------------------------------

  #submit(cause: 'confirm' | 'complete'): void {
    this.#go(cause, 'processing');
    this.#charges += 1;
    const charge = this.#charges;
    const request = chargeRequest(this.#request, charge, this.#capture);
    this.#emitStatus('payment-processing', charge, null);
    this.#gatewayTimer = this.#timers.set(this.#config.timeouts.gatewayMs, () => this.#guard(() => this.#outcome(charge, { kind: 'error', reason: 'timeout', outcomeUnknown: true })));
    let pending: Promise<ChargeOutcome>;
    try {
      pending = this.#connector.charge(request);
    } catch {
      pending = Promise.reject(new Error('connector threw'));
    }
    pending.then(
      (outcome) => this.#guard(() => this.#outcome(charge, outcome)),
      () => this.#guard(() => this.#outcome(charge, null)),
    );
  }

  /** The gateway's answer (null: the connector broke its contract and threw). Late answers are ignored. */
  #outcome(charge: number, answer: ChargeOutcome | null): void {
    if (this.#state !== 'processing' || charge !== this.#charges) return;
    if (this.#gatewayTimer !== null) this.#timers.clear(this.#gatewayTimer);
    this.#gatewayTimer = null;
    this.#steps.add('result');
    if (answer === null) return this.#finish({ cause: 'internal-error', result: 'internal-error', reason: 'connector-threw', route: 'return' });
    const screened = screenOutcome(answer, this.#capture.pan);
    if (screened.dropped !== null) this.emit('gateway-value-dropped', { field: screened.dropped });
    const ending = outcomeEnding(screened.outcome, { config: this.#config, callerGone: this.#hungUpWhileProcessing, agentGone: this.#agentGone, declines: this.#declines });
    if (ending !== null) return this.#finish(ending);
    this.#declines += 1;
    this.#capture.forgetCard();
    this.#go('declined', 'card-number', ['payment-declined', 'enter-card-again']);
  }

  // --- moves --------------------------------------------------------------------------------

  /** Moves along a row of the flow table, playing `prefix` then the new state's prompt. */
  #go(cause: Cause, to: DialogState, prefix: string[] = []): void {
    const from = this.#state;
    if (!isAllowed(from, cause, to)) throw new Error(`no transition ${from} --${cause}--> ${to}`);
    this.#collector.leave(from, cause);
    this.#state = to;
    const info = STATES[to];
    if (info.step !== null) this.#steps.add(info.step);
    this.emit('transition', { from, on: cause, to });
    const prompt = statePrompt(to, this.#request, this.#config, this.#capture);
    this.emit('prompt', planOf([...prefix, ...prompt], to !== 'processing'));
    if (info.field !== null && info.field !== 'payment-processing') this.#emitStatus(info.field, this.#collector.attempt, null);
  }

  /** Ends the payment (once): the ending policy (session-ending.ts) decides the action and headers; the card buffers are zeroed before the result is given. */
  #finish(end: Ending): void {
    const from = this.#state;
    if (from === 'ended') return;
    if (!isAllowed(from, end.cause, 'ended')) throw new Error(`no transition ${from} --${end.cause}--> ended`);
    this.#collector.stop();
    if (this.#gatewayTimer !== null) this.#timers.clear(this.#gatewayTimer);
    this.#gatewayTimer = null;
    this.#state = 'ended';
    this.emit('transition', { from, on: end.cause, to: 'ended' });

    const capture = this.#capture;
    const { result, reason, action, headers, prompt } = settle(end, {
      request: this.#request,
      config: this.#config,
      callerGone: end.cause === 'hangup' || this.#hungUpWhileProcessing,
      agentGone: this.#agentGone,
      cardLast4: capture.last4,
      cardType: capture.card?.type ?? null,
      amountMinor: capture.amountMinor ?? this.#request.amountMinor,
    });
    if (prompt.length > 0) this.emit('prompt', planOf(prompt, false));

    const record: PaymentSessionRecord = {
      sessionId: this.#request.sessionId,
      callId: this.#request.callId,
      mode: this.#request.mode,
      merchantId: this.#request.merchantId,
      cardType: capture.card?.type ?? capture.lastCardType,
      currency: this.#request.currency,
      amountMinor: capture.amountMinor ?? this.#request.amountMinor,
      result,
      reason,
      startedAt: this.#startedAt,
      endedAt: this.#timers.now(),
      stepsReached: PAYMENT_STEPS.filter((s) => this.#steps.has(s)),
      hangupStep: result === 'caller-hung-up' ? (end.hangupStep ?? null) : null,
      attempts: this.#charges,
      fieldErrors: this.#collector.fieldErrors,
      fieldInputs: capture.fieldInputs,
    };
    capture.wipe();
    const final: PaymentSessionResult = { result, reason, transactionId: end.transactionId ?? null, headers, action, record };
    this.#final = final;
    this.emit('action', action);
    this.emit('result', final);
    this.#resolveFinished(final);
  }

  // --- helpers ------------------------------------------------------------------------------

  /** Runs an input; anything thrown ends the payment as internal-error (the message is not card data, but it is not exposed). */
  #guard(run: () => void): void {
    try {
      run();
    } catch {
      this.#internalError();
    }
  }

  #guardCommand(run: () => CommandResult): CommandResult {
    try {
      return run();
    } catch {
      this.#internalError();
      return { accepted: false, reason: 'internal-error' };
    }
  }

  #internalError(): void {
    if (this.#state === 'ended') return;
    try {
      this.#finish({ cause: 'internal-error', result: 'internal-error', reason: 'internal-error', route: 'return' });
    } catch {
      this.#capture.wipe();
    }
  }

  #collecting(): boolean {
    return STATES[this.#state].input === 'menu' || STATES[this.#state].input === 'digits';
  }

  #emitStatus(field: CaptureField, attempt: number, errorType: ErrorType | null): void {
    this.emit('status', { sessionId: this.#request.sessionId, for: field, attempt, errorType, ...this.masked() });
  }
}
