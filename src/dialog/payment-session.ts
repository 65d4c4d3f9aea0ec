// One payment, from the first prompt to the result: a state machine (flow.ts holds its states
// and transitions) driven by key presses, timeouts, the gateway's answer, hang-up and the
// agent's commands, emitting what to play, masked progress, the final action and the result.
// Socket-free: time comes from DialogTimers, the gateway is a PaymentConnector, playback and
// SIP are the integrator's (it plays each `prompt`, tells `promptEnded()`, and carries out the
// `action` after the final prompt has played).
//
// Card data (PAN, expiry, security code) lives only in this object's SecretDigits buffers and is
// zeroed when the payment ends or a card is declined; events, errors, headers and the record
// carry at most the last four digits.
import { EventEmitter } from 'node:events';
import type { ChargeOutcome, ChargeRequest, PaymentConnector } from '../gateway/connector.js';
import { checkCardNumber, checkExpiry, MAX_PAN_LENGTH, MIN_PAN_LENGTH, type CardType, type Expiry } from './card-checks.js';
import type { DialogConfig } from './dialog-config.js';
import { cardNumberEnd, securityCodeEnd, securityCodeSizeOk, type EntryEnd } from './entry-end.js';
import { isAllowed, STATES, type Cause, type DialogState, type Transition } from './flow.js';
import { decimalToMinor, formatMinor, parseKeyedAmount } from './money.js';
import type { PaymentRequest } from './payment-request.js';
import { amountSegments, characterSegments, planOf } from './prompts/compose.js';
import { cardTypePromptId } from './prompts/prompt-text.js';
import type { CommandResult, MaskedCapture, PaymentSessionEvents, PaymentSessionResult } from './session-events.js';
import { AGENT_HANGUP, CALLER_HANGUP, settle, type Ending } from './session-ending.js';
import { statePrompt } from './session-prompts.js';
import { SecretDigits } from './secret-digits.js';
import type { DialogTimers, TimerHandle } from './timers.js';
import { PAYMENT_STEPS, type CaptureField, type DialogDigit, type ErrorType, type FieldInput, type PaymentSessionRecord, type PaymentStep } from './vocabulary.js';

/** What the speech recogniser heard, as the dialog takes it: a digit or a menu word, no timing, no confidence. */
export type SpokenInput = { readonly kind: 'digit'; readonly digit: string } | { readonly kind: 'word'; readonly word: 'pay the balance' | 'yes' | 'no' | 'correct' | 'change' };

/** A menu word as the key it stands for, per menu (null: not a choice of this menu). */
function menuWordKey(state: DialogState, word: string): string | null {
  if (state === 'amount-choice' && word === 'pay the balance') return '1';
  if (state === 'confirmation' && (word === 'yes' || word === 'correct')) return '1';
  if (state === 'confirmation' && (word === 'no' || word === 'change')) return '2';
  return null;
}

export interface PaymentSessionOptions {
  readonly request: PaymentRequest;
  readonly config: DialogConfig;
  readonly connector: PaymentConnector;
  readonly timers: DialogTimers;
}

const FIELD_STATE: Readonly<Record<Exclude<CaptureField, 'payment-processing'>, DialogState>> = {
  'charge-amount': 'amount-entry',
  'payment-card-number': 'card-number',
  'expiration-date': 'expiry',
  'security-code': 'security-code',
};

/** A gateway value holding this many leading digits of the card (or all of it) is card data (PCI DSS 3.4 allows first six and last four, never twelve). */
const PAN_PREFIX_DIGITS = 12;

/** Reason given when the gateway's own reason held card data. */
const WITHHELD_REASON = 'gateway-reason-withheld';

/** Reason of a charge whose outcome is unknown (it may have been taken): the IVR must not retry it as a new payment. */
export const UNKNOWN_OUTCOME = 'unknown-outcome';

/** Longest caller-entered amount, keys (e.g. `1000000*00`). */
const MAX_AMOUNT_KEYS = 12;

export class PaymentSession extends EventEmitter<PaymentSessionEvents> {
  readonly #request: PaymentRequest;
  readonly #config: DialogConfig;
  readonly #connector: PaymentConnector;
  readonly #timers: DialogTimers;
  readonly #startedAt: number;

  #state: DialogState = 'start';
  /** Errors at the field or menu being collected (reset when it is entered afresh). */
  #errors = 0;
  #amountKeys = '';
  readonly #entry = new SecretDigits(MAX_PAN_LENGTH);
  readonly #pan = new SecretDigits(MAX_PAN_LENGTH);
  readonly #expiryDigits = new SecretDigits(4);
  readonly #securityCode = new SecretDigits(4);
  #amountMinor: number | null = null;
  #card: CardType | null = null;
  #last4: string | null = null;
  #panLength = 0;
  /** The type of the last card captured, kept for the record after a declined card is forgotten. */
  #lastCardType: string | null = null;
  #expiry: Expiry | null = null;
  #declines = 0;
  #charges = 0;
  #hungUpWhileProcessing = false;
  /** Agent-assisted: the agent's leg hung up (the caller is still on the call). */
  #agentGone = false;
  readonly #steps = new Set<PaymentStep>();
  readonly #fieldErrors: { for: CaptureField; errorType: ErrorType }[] = [];
  readonly #fieldInputs: { for: CaptureField; input: FieldInput }[] = [];
  /** How the entry now being collected was given (reset when a field or menu is entered). */
  #keyedHere = false;
  #spokenHere = false;
  /** The last input of this entry was spoken: a pause (end of utterance) ends the field. */
  #lastSpoken = false;
  #firstDigitTimer: TimerHandle | null = null;
  #interDigitTimer: TimerHandle | null = null;
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

  /** Starts the flow (attach listeners first: the first prompt is emitted synchronously). */
  start(): void {
    this.#guard(() => {
      if (this.#state !== 'start') return;
      const balance = this.#request.amountMinor;
      if (this.#request.customerId === null) this.#notIdentified();
      else if (balance === null) this.#go('amount-unknown', 'amount-entry');
      // The agent's amount is the charge (the caller hears it, is not asked it): the card comes
      // first, and a caller keying it at once loses no digit to a menu.
      else if (this.#config.amountMode === 'fixed' || this.#request.mode === 'agent-assisted') {
        this.#amountMinor = balance;
        this.#go('amount-fixed', 'card-number', ['you-are-paying-amount', ...this.#say(balance)]);
      } else this.#go('balance-known', 'amount-choice');
    });
  }

  /** A key press from the caller (merged across RFC 4733, in-band and SIP INFO by the integrator). */
  digit(input: DialogDigit | string): void {
    const d = typeof input === 'string' ? input : input.digit;
    this.#guard(() => {
      const info = STATES[this.#state];
      if (info.input === 'none' || !/^[0-9*#A-D]$/.test(d)) return;
      if (/^[A-D]$/.test(d)) {
        if (info.input === 'menu') this.#inputError(null, ['invalid-choice']);
        return;
      }
      this.#clearInputTimers();
      this.#keyedHere = true;
      this.#lastSpoken = false;
      if (info.input === 'menu') this.#menuKey(d);
      else this.#fieldKey(d);
    });
  }

  /**
   * A spoken digit or menu word (speech input on). A digit is the key of the same name (into the
   * same buffers, same validation); a menu word is the menu's key for it ("pay the balance" = 1
   * at the balance choice, "yes"/"correct" = confirm, "no"/"change" = change); in a field
   * "yes"/"correct" end it like `#` and "no"/"change" start it again like `*` (never leaving the
   * payment). A word that is no choice of this menu is an invalid choice.
   */
  spoken(input: SpokenInput): void {
    this.#guard(() => {
      const info = STATES[this.#state];
      if (info.input === 'none' || this.#request.input === 'dtmf') return;
      let key: string | null;
      if (input.kind === 'digit') key = /^[0-9]$/.test(input.digit) ? input.digit : null;
      else if (info.input === 'menu') key = menuWordKey(this.#state, input.word);
      else if (input.word === 'yes' || input.word === 'correct') key = '#';
      else if (input.word === 'no' || input.word === 'change') key = this.#keyed() > 0 ? '*' : null;
      else key = null;
      this.#clearInputTimers();
      if (key === null) {
        if (info.input === 'menu') this.#inputError(null, ['invalid-choice']);
        else if (this.#keyed() > 0) this.#armInterDigit();
        return;
      }
      this.#spokenHere = true;
      this.#lastSpoken = true;
      if (info.input === 'menu') this.#menuKey(key);
      else this.#fieldKey(key);
    });
  }

  /**
   * The caller paused after speaking (the recogniser's end of utterance): a spoken field ends
   * here, except a card number still shorter than any card (callers say it in groups, pausing).
   */
  endOfUtterance(): void {
    this.#guard(() => {
      if (STATES[this.#state].input !== 'digits' || !this.#lastSpoken || this.#keyed() === 0) return;
      if (this.#state === 'card-number' && this.#entry.length < MIN_PAN_LENGTH) return;
      this.#clearInputTimers();
      this.#fieldComplete();
    });
  }

  /** The current prompt has finished playing (or was cut by a key): the first-digit timer starts. */
  promptEnded(): void {
    this.#guard(() => {
      if (STATES[this.#state].input === 'none' || this.#keyed() > 0 || this.#firstDigitTimer !== null) return;
      this.#firstDigitTimer = this.#timers.set(this.#config.timeouts.firstDigitMs, () => this.#timeout('first-digit'));
    });
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
      if (field === 'charge-amount' && !this.#amountChangeable() && this.#request.mode !== 'agent-assisted') return { accepted: false, reason: 'amount-fixed' };
      // Before the card number the code's size is not known: 3 or 4 digits are taken, and a card
      // captured later whose type wants the other size has its code asked again.
      if (field === 'security-code' && !this.#needsSecurityCode()) return { accepted: false, reason: 'no-security-code-for-card-type' };
      this.#go('capture', FIELD_STATE[field]);
      return { accepted: true };
    });
  }

  /** Agent-assisted: submit the payment now (every required field captured). */
  complete(): CommandResult {
    return this.#guardCommand(() => {
      if (!this.#collecting()) return { accepted: false, reason: `not-collecting:${this.#state}` };
      const missing = this.#missing();
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
    this.#wipe();
    this.removeAllListeners();
  }

  // --- inputs -------------------------------------------------------------------------------

  #menuKey(d: string): void {
    if (d === '*') return this.#go('restart', this.#state);
    switch (this.#state) {
      case 'amount-choice':
        if (d === '1') {
          this.#amountMinor = this.#request.amountMinor;
          return this.#go('pay-full', this.#next());
        }
        if (d === '2') return this.#go('other-amount', 'amount-entry');
        break;
      case 'confirmation':
        if (d === '1') return this.#submit('confirm');
        if (d === '2') return this.#go('change', 'change-choice');
        break;
      case 'change-choice':
        if (d === '1' && this.#amountChangeable()) return this.#go('change-amount', this.#amountState());
        if (d === '2') return this.#go('change-card-number', 'card-number');
        if (d === '3') return this.#go('change-expiry', 'expiry');
        if (d === '4' && this.#needsSecurityCode()) return this.#go('change-security-code', 'security-code');
        break;
      default:
        break;
    }
    this.#inputError(null, ['invalid-choice']);
  }

  #fieldKey(d: string): void {
    if (d === '*') return this.#star();
    if (d === '#') return this.#fieldComplete();
    if (this.#state === 'amount-entry') {
      if (this.#amountKeys.length < MAX_AMOUNT_KEYS) this.#amountKeys += d;
    } else this.#entry.push(d);
    const end = this.#entryEnd();
    if (end === 'complete') return this.#fieldComplete();
    if (end === 'after-pause') {
      this.#interDigitTimer = this.#timers.set(this.#config.timeouts.completePauseMs, () => this.#pauseEnded());
      return;
    }
    this.#armInterDigit();
  }

  #armInterDigit(): void {
    this.#interDigitTimer = this.#timers.set(this.#config.timeouts.interDigitMs, () => this.#timeout('inter-digit'));
  }

  #entryEnd(): EntryEnd {
    const n = this.#entry.length;
    switch (this.#state) {
      case 'card-number':
        return cardNumberEnd(this.#entry, this.#config.validCardTypes, this.#config.autoCompleteCardNumber);
      case 'expiry':
        return n === 4 ? 'complete' : 'more';
      case 'security-code':
        return securityCodeEnd(n, this.#card?.securityCodeSize ?? null);
      default:
        return 'more';
    }
  }

  /** No key came within the completion pause after an entry that may be whole: it is. */
  #pauseEnded(): void {
    this.#guard(() => {
      this.#interDigitTimer = null;
      if (STATES[this.#state].input === 'digits') this.#fieldComplete();
    });
  }

  /** `*`: the decimal point in an amount; else restart the entry; on an empty entry, leave (if configured). */
  #star(): void {
    if (this.#state === 'amount-entry' && this.#amountKeys !== '' && !this.#amountKeys.includes('*')) {
      this.#amountKeys += '*';
      this.#interDigitTimer = this.#timers.set(this.#config.timeouts.interDigitMs, () => this.#timeout('inter-digit'));
      return;
    }
    if (this.#keyed() > 0 || !this.#config.starExits) return this.#go('restart', this.#state);
    this.#finish({ cause: 'star-exit', result: 'caller-interrupted-with-star', reason: STATES[this.#state].field, route: 'return' });
  }

  #fieldComplete(): void {
    switch (this.#state) {
      case 'amount-entry':
        return this.#amountComplete();
      case 'card-number':
        return this.#cardNumberComplete();
      case 'expiry': {
        const expiry = checkExpiry(this.#entry, new Date(this.#timers.now()), this.#config.maxExpiryYearsAhead);
        if (expiry === null) return this.#inputError('invalid-date', ['expiry-invalid']);
        this.#expiryDigits.copyFrom(this.#entry);
        this.#expiry = expiry;
        return this.#go('valid', this.#next());
      }
      case 'security-code':
        if (!securityCodeSizeOk(this.#entry.length, this.#card?.securityCodeSize ?? null)) return this.#inputError('invalid-security-code', ['security-code-invalid']);
        this.#securityCode.copyFrom(this.#entry);
        return this.#go('valid', this.#next());
      default:
        return;
    }
  }

  #amountComplete(): void {
    const { currency } = this.#request;
    const minor = parseKeyedAmount(this.#amountKeys, currency);
    const min = decimalToMinor(this.#config.minAmount, currency);
    const max = decimalToMinor(this.#config.maxAmount, currency);
    const balance = this.#request.amountMinor;
    if (minor === null || minor === 0) return this.#inputError('invalid-amount', ['amount-invalid']);
    if (minor < min) return this.#inputError('invalid-amount', ['amount-below-minimum', ...this.#say(min)]);
    if (minor > max) return this.#inputError('invalid-amount', ['amount-above-maximum', ...this.#say(max)]);
    if (balance !== null && minor > balance) return this.#inputError('invalid-amount', ['amount-above-balance', ...this.#say(balance)]);
    this.#amountMinor = minor;
    this.#go('valid', this.#next());
  }

  #cardNumberComplete(): void {
    const check = checkCardNumber(this.#entry, this.#config.validCardTypes);
    if (!check.ok) {
      if (check.errorType === 'invalid-card-type') {
        return this.#inputError('invalid-card-type', ['we-do-not-accept', cardTypePromptId(check.card.type), 'cards-use-another']);
      }
      return this.#inputError('invalid-card-number', ['card-number-invalid']);
    }
    this.#pan.copyFrom(this.#entry);
    this.#card = check.card;
    this.#last4 = this.#pan.lastFour();
    this.#panLength = this.#pan.length;
    this.#lastCardType = check.card.type;
    // A security code keyed for another card type (3 digits, now an Amex) is asked again.
    if (!this.#needsSecurityCode() || this.#securityCode.length !== check.card.securityCodeSize) this.#securityCode.clear();
    this.#go('valid', this.#next());
  }

  #timeout(kind: 'first-digit' | 'inter-digit'): void {
    this.#guard(() => {
      if (kind === 'first-digit') this.#firstDigitTimer = null;
      else this.#interDigitTimer = null;
      if (STATES[this.#state].input === 'none') return;
      this.#inputError('input-timeout', ['no-input']);
    });
  }

  /** A validation error or timeout (errorType) or a wrong menu key (null): ask again or give up. */
  #inputError(errorType: ErrorType | null, prompt: string[]): void {
    this.#clearInputTimers();
    this.#errors += 1;
    const field = STATES[this.#state].field;
    if (errorType !== null && field !== null) {
      this.#fieldErrors.push({ for: field, errorType });
      this.#emitStatus(field, this.#errors, errorType);
    }
    if (this.#errors >= this.#config.maxAttempts) {
      return this.#finish({
        cause: 'too-many-attempts',
        result: 'too-many-failed-attempts',
        reason: errorType ?? 'invalid-choice',
        route: this.#config.results.tooManyFailedAttempts,
        prompt: ['too-many-attempts'],
      });
    }
    this.#go('retry', this.#state, prompt);
  }

  // --- gateway ------------------------------------------------------------------------------

  #submit(cause: 'confirm' | 'complete'): void {
    this.#go(cause, 'processing');
    this.#charges += 1;
    const charge = this.#charges;
    const expiry = this.#expiry;
    const amountMinor = this.#amountMinor;
    if (expiry === null || amountMinor === null || this.#card === null) throw new Error('submit without the required fields');
    const request: ChargeRequest = {
      // One key per submission: a retried request for this card gets the first answer, a new card a new key.
      idempotencyKey: `${this.#request.sessionId}-${charge}`,
      amountMinor,
      currency: this.#request.currency,
      pan: this.#pan.view(),
      expiryMonth: expiry.month,
      expiryYear: expiry.year,
      securityCode: this.#needsSecurityCode() ? this.#securityCode.view() : null,
      merchantId: this.#request.merchantId,
      reference: this.#request.reference,
      customerId: this.#request.customerId ?? '',
      description: this.#request.description,
    };
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
    const outcome = this.#screen(answer);
    const transactionId = outcome.kind === 'approved' && outcome.transactionId !== '' ? outcome.transactionId : undefined;
    if (this.#hungUpWhileProcessing) {
      // The caller has gone; a charge taken is still a success (never report money taken as a hang-up).
      if (outcome.kind === 'approved') return this.#finish({ cause: 'approved', result: 'success', reason: null, transactionId, route: 'return' });
      // Nor money that may have been taken: reconciliation needs to know.
      if (outcome.kind === 'error' && outcome.outcomeUnknown) return this.#finish({ cause: 'connector-error', result: 'payment-connector-error', reason: outcome.reason, route: 'return' });
      return this.#finish({ cause: 'hangup', result: 'caller-hung-up', reason: outcome.reason, hangupStep: 'processing', route: 'return' });
    }
    // The agent left under the charge: the caller hears its outcome; a decline is not retried
    // (nobody steers the payment), it ends as cancelled by the agent's hang-up.
    if (this.#agentGone && outcome.kind === 'declined') {
      return this.#finish({ cause: 'cancel', result: 'cancelled', reason: AGENT_HANGUP, route: 'return', prompt: ['payment-declined', 'payment-cancelled'] });
    }
    switch (outcome.kind) {
      case 'approved':
        return this.#finish({
          cause: 'approved',
          result: 'success',
          reason: this.#agentGone ? AGENT_HANGUP : null,
          transactionId,
          route: 'return',
          prompt: transactionId === undefined ? ['payment-success'] : ['payment-success', 'your-reference-is', ...characterSegments(transactionId)],
        });
      case 'declined':
        this.#declines += 1;
        if (this.#declines >= this.#config.maxDeclines) {
          return this.#finish({
            cause: 'too-many-declines',
            result: 'too-many-failed-attempts',
            reason: outcome.reason,
            route: this.#config.results.tooManyDeclines,
            prompt: ['payment-declined'],
          });
        }
        this.#forgetCard();
        return this.#go('declined', 'card-number', ['payment-declined', 'enter-card-again']);
      case 'error':
        return this.#finish({
          cause: 'connector-error',
          result: 'payment-connector-error',
          reason: outcome.reason,
          route: this.#config.results.connectorError,
          prompt: ['payment-error'],
        });
    }
  }

  /**
   * The gateway's answer as it may travel on (headers, prompts, KPIs): a transaction ID or reason
   * holding the card number is dropped, checked here because only the dialog still holds the
   * number; an outcome the gateway may or may not have taken says so in one reason.
   */
  #screen(outcome: ChargeOutcome): ChargeOutcome {
    const holdsCard = (value: string): boolean => this.#pan.prefixFoundIn(value, PAN_PREFIX_DIGITS);
    if (outcome.kind === 'approved') {
      if (!holdsCard(outcome.transactionId)) return outcome;
      this.emit('gateway-value-dropped', { field: 'transaction-id' });
      return { ...outcome, transactionId: '' };
    }
    let reason = outcome.kind === 'error' && outcome.outcomeUnknown ? UNKNOWN_OUTCOME : outcome.reason;
    if (holdsCard(reason)) {
      this.emit('gateway-value-dropped', { field: 'reason' });
      reason = WITHHELD_REASON;
    }
    return { ...outcome, reason };
  }

  // --- moves --------------------------------------------------------------------------------

  /** Moves along a row of the flow table, playing `prefix` then the new state's prompt. */
  #go(cause: Cause, to: DialogState, prefix: string[] = []): void {
    const from = this.#state;
    if (!isAllowed(from, cause, to)) throw new Error(`no transition ${from} --${cause}--> ${to}`);
    const captured = STATES[from].field;
    if (cause === 'valid' && captured !== null && STATES[from].input === 'digits') this.#noteFieldInput(captured);
    else if ((cause === 'pay-full' || cause === 'confirm') && captured !== null) this.#noteFieldInput(captured);
    this.#keyedHere = false;
    this.#spokenHere = false;
    this.#lastSpoken = false;
    this.#clearInputTimers();
    if (cause !== 'retry') this.#errors = cause === 'restart' ? this.#errors : 0;
    this.#state = to;
    this.#amountKeys = '';
    this.#entry.clear();
    const info = STATES[to];
    if (info.step !== null) this.#steps.add(info.step);
    this.emit('transition', { from, on: cause, to });
    const prompt = statePrompt(to, this.#request, this.#config, { amountMinor: this.#amountMinor, card: this.#card, last4: this.#last4, expiry: this.#expiry });
    this.emit('prompt', planOf([...prefix, ...prompt], to !== 'processing'));
    if (info.field !== null && info.field !== 'payment-processing') this.#emitStatus(info.field, this.#errors + 1, null);
  }

  #notIdentified(): void {
    this.#finish({ cause: 'not-identified', result: 'not-identified', reason: 'no-customer-id', route: 'agent', idv: true });
  }

  /** Ends the payment (once): the ending policy (session-ending.ts) decides the action and headers; the card buffers are zeroed before the result is given. */
  #finish(end: Ending): void {
    const from = this.#state;
    if (from === 'ended') return;
    if (!isAllowed(from, end.cause, 'ended')) throw new Error(`no transition ${from} --${end.cause}--> ended`);
    this.#clearInputTimers();
    if (this.#gatewayTimer !== null) this.#timers.clear(this.#gatewayTimer);
    this.#gatewayTimer = null;
    this.#state = 'ended';
    this.emit('transition', { from, on: end.cause, to: 'ended' });

    const { result, reason, action, headers, prompt } = settle(end, {
      request: this.#request,
      config: this.#config,
      callerGone: end.cause === 'hangup' || this.#hungUpWhileProcessing,
      agentGone: this.#agentGone,
      cardLast4: this.#last4,
      cardType: this.#card?.type ?? null,
      amountMinor: this.#amountMinor ?? this.#request.amountMinor,
    });
    if (prompt.length > 0) this.emit('prompt', planOf(prompt, false));

    const record: PaymentSessionRecord = {
      sessionId: this.#request.sessionId,
      callId: this.#request.callId,
      mode: this.#request.mode,
      merchantId: this.#request.merchantId,
      cardType: this.#card?.type ?? this.#lastCardType,
      currency: this.#request.currency,
      amountMinor: this.#amountMinor ?? this.#request.amountMinor,
      result,
      reason,
      startedAt: this.#startedAt,
      endedAt: this.#timers.now(),
      stepsReached: PAYMENT_STEPS.filter((s) => this.#steps.has(s)),
      hangupStep: result === 'caller-hung-up' ? (end.hangupStep ?? null) : null,
      attempts: this.#charges,
      fieldErrors: this.#fieldErrors.map((e) => ({ ...e })),
      fieldInputs: this.#fieldInputs.map((f) => ({ ...f })),
    };
    this.#wipe();
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
      this.#wipe();
    }
  }

  #collecting(): boolean {
    return STATES[this.#state].input === 'menu' || STATES[this.#state].input === 'digits';
  }

  #keyed(): number {
    return this.#state === 'amount-entry' ? this.#amountKeys.length : this.#entry.length;
  }

  /** Whether the caller may change the amount (readback menu): not one the agent or a fixed mode set. */
  #amountChangeable(): boolean {
    if (this.#request.amountMinor === null) return true;
    return this.#config.amountMode !== 'fixed' && this.#request.mode !== 'agent-assisted';
  }

  #amountState(): DialogState {
    return this.#request.amountMinor !== null && this.#config.amountMode === 'choice' ? 'amount-choice' : 'amount-entry';
  }

  #needsSecurityCode(): boolean {
    if (!this.#config.securityCode) return false;
    if (this.#card === null) return true;
    return this.#config.fieldsByType[this.#card.type]?.securityCode ?? true;
  }

  #securityCodeSize(): number {
    return this.#card?.securityCodeSize ?? 3;
  }

  #missing(): CaptureField[] {
    const out: CaptureField[] = [];
    if (this.#amountMinor === null) out.push('charge-amount');
    if (this.#card === null) out.push('payment-card-number');
    if (this.#expiry === null) out.push('expiration-date');
    if (this.#needsSecurityCode() && this.#securityCode.length === 0) out.push('security-code');
    return out;
  }

  #next(): DialogState {
    const first = this.#missing()[0];
    if (first === undefined || first === 'payment-processing') return 'confirmation';
    if (first === 'charge-amount') return this.#amountState();
    return FIELD_STATE[first];
  }

  #say(minor: number): string[] {
    return amountSegments(minor, this.#request.currency, this.#config.locale);
  }

  #emitStatus(field: CaptureField, attempt: number, errorType: ErrorType | null): void {
    this.emit('status', { sessionId: this.#request.sessionId, for: field, attempt, errorType, ...this.masked() });
  }

  /** What has been captured so far, masked as in the status events (e.g. for a step without one: the readback). */
  masked(): MaskedCapture {
    const amount = this.#amountMinor;
    return {
      paymentCardNumber: this.#last4 === null ? null : 'x'.repeat(Math.max(0, this.#panLength - 4)) + this.#last4,
      paymentCardType: this.#card?.type ?? null,
      expirationDate: this.#expiry === null ? null : 'xxxx',
      securityCode: this.#securityCode.length === 0 ? null : 'x'.repeat(this.#securityCode.length),
      chargeAmount: amount === null ? null : formatMinor(amount, this.#request.currency),
      required: this.#missing(),
      fieldInputs: this.#fieldInputs.map((f) => ({ ...f })),
    };
  }

  /** How `field` was filled (its latest capture replaces an earlier one): keyed, spoken or both. */
  #noteFieldInput(field: CaptureField): void {
    const input: FieldInput = this.#keyedHere && this.#spokenHere ? 'dtmf speech' : this.#spokenHere ? 'speech' : 'dtmf';
    const at = this.#fieldInputs.findIndex((f) => f.for === field);
    if (at >= 0) this.#fieldInputs.splice(at, 1);
    this.#fieldInputs.push({ for: field, input });
  }

  #clearInputTimers(): void {
    if (this.#firstDigitTimer !== null) this.#timers.clear(this.#firstDigitTimer);
    if (this.#interDigitTimer !== null) this.#timers.clear(this.#interDigitTimer);
    this.#firstDigitTimer = null;
    this.#interDigitTimer = null;
  }

  /** A declined card: its number, expiry and code are forgotten before the caller keys another. */
  #forgetCard(): void {
    this.#pan.clear();
    this.#expiryDigits.clear();
    this.#securityCode.clear();
    this.#entry.clear();
    this.#expiry = null;
    this.#card = null;
    this.#last4 = null;
    this.#panLength = 0;
  }

  #wipe(): void {
    this.#pan.clear();
    this.#expiryDigits.clear();
    this.#securityCode.clear();
    this.#entry.clear();
    this.#expiry = null;
  }

  /** The final result, once ended. */
  get result(): PaymentSessionResult | null {
    return this.#final;
  }
}
