// Collecting the field or menu the session is asking for: each key (pressed or spoken) taken as
// that state takes it (a menu choice; a digit into the entry, `*` and `#`), the first-digit,
// inter-digit and completion-pause timers, the attempts at this field, and at the end of the
// entry its check. The PaymentSession owns the state, the moves and the lifetime: it tells the
// collector when a state is left and stops it when the payment ends; the collector asks it to
// move, submit or end through CollectorHost.
import { MIN_PAN_LENGTH, repairSpokenLuhn } from './card-checks.js';
import { amountChangeable, amountState, menuChoice, nextState } from './collection-steps.js';
import type { DialogConfig } from './dialog-config.js';
import { fieldEntryEnd } from './entry-end.js';
import { checkField, type FieldCheck } from './field-checks.js';
import { STATES, type Cause, type DialogState } from './flow.js';
import { pressedKey, spokenKey, type SpokenInput } from './input-keys.js';
import type { PaymentCapture } from './payment-capture.js';
import type { PaymentRequest } from './payment-request.js';
import type { DigitAlternative } from './secret-digits.js';
import type { Ending } from './session-ending.js';
import type { DialogTimers, TimerHandle } from './timers.js';
import type { CaptureField, ErrorType, FieldInput } from './vocabulary.js';

/** What the collector asks of the session that owns it. */
export interface CollectorHost {
  state(): DialogState;
  /** Moves along a row of flow.ts, playing `prefix` before the new state's prompt. */
  go(cause: Cause, to: DialogState, prefix?: string[]): void;
  /** The readback is confirmed: charge the card. */
  submit(): void;
  end(ending: Ending): void;
  /** A field error, for the status event (attempt: 1-based). */
  fieldError(field: CaptureField, attempt: number, errorType: ErrorType): void;
  /** Runs a timer's work as the session runs its inputs (anything thrown ends the payment). */
  guard(run: () => void): void;
}

export interface FieldCollectorOptions {
  readonly request: PaymentRequest;
  readonly config: DialogConfig;
  readonly timers: DialogTimers;
  readonly capture: PaymentCapture;
  readonly host: CollectorHost;
}

/** Longest caller-entered amount, keys (e.g. `1000000*00`). */
const MAX_AMOUNT_KEYS = 12;

/**
 * Least odds (next-best posterior over the chosen digit's) at which a spoken card number failing
 * Luhn takes a digit's next-best reading (`repairSpokenLuhn`). Measured on six held-out speakers'
 * spoken 16-digit numbers (docs/speech.md): at 0.1, two to four repaired numbers right for each
 * one wrong (two runs); with no limit, about one for one (a number with two wrong digits is
 * often made to pass Luhn by a third).
 */
export const SPOKEN_LUHN_MIN_ODDS = 0.1;

export class FieldCollector {
  readonly #request: PaymentRequest;
  readonly #config: DialogConfig;
  readonly #timers: DialogTimers;
  readonly #capture: PaymentCapture;
  readonly #host: CollectorHost;
  /** Errors at the field or menu being collected (reset when it is entered afresh). */
  #errors = 0;
  #amountKeys = '';
  readonly #fieldErrors: { for: CaptureField; errorType: ErrorType }[] = [];
  /** How the entry now being collected was given (reset when a field or menu is entered). */
  #keyedHere = false;
  #spokenHere = false;
  /** The last input of this entry was spoken: a pause (end of utterance) ends the field. */
  #lastSpoken = false;
  #firstDigitTimer: TimerHandle | null = null;
  #interDigitTimer: TimerHandle | null = null;
  /** The completion pause after an entry that may be whole. */
  #pauseTimer: TimerHandle | null = null;

  constructor(options: FieldCollectorOptions) {
    this.#request = options.request;
    this.#config = options.config;
    this.#timers = options.timers;
    this.#capture = options.capture;
    this.#host = options.host;
  }

  /** 1-based: the attempt at the field being collected. */
  get attempt(): number {
    return this.#errors + 1;
  }

  /** Validation and timeout errors so far, one per occurrence (a copy, for the record). */
  get fieldErrors(): { for: CaptureField; errorType: ErrorType }[] {
    return this.#fieldErrors.map((e) => ({ ...e }));
  }

  /** A key press (DTMF, any source). */
  key(d: string): void {
    const info = STATES[this.#host.state()];
    const pressed = pressedKey(info.input, d);
    if (pressed.kind === 'invalid-choice') return this.#inputError(null, ['invalid-choice']);
    if (pressed.kind === 'ignored') return;
    this.#stopTimers();
    this.#keyedHere = true;
    this.#lastSpoken = false;
    if (info.input === 'menu') this.#menuKey(pressed.key);
    else this.#fieldKey(pressed.key);
  }

  /** A spoken digit or word: a word that is no choice of this menu is an invalid choice; one that means nothing in a field leaves the entry waiting. */
  spoken(input: SpokenInput): void {
    const state = this.#host.state();
    const info = STATES[state];
    if (info.input === 'none' || this.#request.input === 'dtmf') return;
    const key = spokenKey(state, info.input, input, this.#keyed());
    this.#stopTimers();
    if (key === null) {
      if (info.input === 'menu') this.#inputError(null, ['invalid-choice']);
      else if (this.#keyed() > 0) this.#armInterDigit();
      return;
    }
    this.#spokenHere = true;
    this.#lastSpoken = true;
    if (info.input === 'menu') this.#menuKey(key);
    // Only the card number keeps a spoken digit's alternative (its Luhn repair): no more card data than needed.
    else this.#fieldKey(key, input.kind === 'digit' && state === 'card-number' ? input.alternative : undefined);
  }

  /**
   * A word is being spoken (its token comes when the utterance ends, or never if the utterance
   * is dropped): the no-input timers start over from here, so that a long spoken number is not
   * timed out under the caller. A completion pause already running is left to run.
   */
  speaking(): void {
    if (STATES[this.#host.state()].input === 'none' || this.#request.input === 'dtmf' || this.#pauseTimer !== null) return;
    this.#stopTimers();
    this.#armInterDigit();
  }

  /** The caller paused after speaking: a spoken field ends, except a card number shorter than any card (said in groups). */
  endOfUtterance(): void {
    const state = this.#host.state();
    if (STATES[state].input !== 'digits' || !this.#lastSpoken || this.#keyed() === 0) return;
    if (state === 'card-number' && this.#capture.entry.length < MIN_PAN_LENGTH) return;
    this.#stopTimers();
    this.#fieldComplete();
  }

  /** The prompt has ended: the first-digit timer starts (once, before any key). */
  promptEnded(): void {
    // A timer already running (the caller spoke over the prompt) is not doubled.
    if (STATES[this.#host.state()].input === 'none' || this.#keyed() > 0 || this.#firstDigitTimer !== null || this.#interDigitTimer !== null) return;
    this.#firstDigitTimer = this.#timers.set(this.#config.timeouts.firstDigitMs, () => this.#timeout('first-digit'));
  }

  /**
   * The session leaves `from` on `cause`: a field captured notes how it was given, the entry and
   * its timers are cleared, and the attempts start again unless it is asked again.
   */
  leave(from: DialogState, cause: Cause): void {
    const captured = STATES[from].field;
    if (cause === 'valid' && captured !== null && STATES[from].input === 'digits') this.#capture.noteInput(captured, this.#entryInput());
    else if ((cause === 'pay-full' || cause === 'confirm') && captured !== null) this.#capture.noteInput(captured, this.#entryInput());
    this.#keyedHere = false;
    this.#spokenHere = false;
    this.#lastSpoken = false;
    this.#stopTimers();
    if (cause !== 'retry') this.#errors = cause === 'restart' ? this.#errors : 0;
    this.#amountKeys = '';
    this.#capture.entry.clear();
  }

  /** Input timers off (the payment has ended, or a key came). */
  stop(): void {
    this.#stopTimers();
  }

  #menuKey(d: string): void {
    const state = this.#host.state();
    const choice = menuChoice(state, d, {
      amountChangeable: amountChangeable(this.#request, this.#config),
      needsSecurityCode: this.#capture.needsSecurityCode(),
      amountState: amountState(this.#request, this.#config),
    });
    switch (choice.kind) {
      case 'move':
        return this.#host.go(choice.cause, choice.to);
      case 'pay-balance':
        this.#capture.amountMinor = this.#request.amountMinor;
        return this.#host.go('pay-full', this.#next());
      case 'submit':
        return this.#host.submit();
      case 'invalid':
        return this.#inputError(null, ['invalid-choice']);
    }
  }

  #fieldKey(d: string, alternative?: DigitAlternative): void {
    if (d === '*') return this.#star();
    if (d === '#') return this.#fieldComplete();
    const state = this.#host.state();
    const entry = this.#capture.entry;
    if (state === 'amount-entry') {
      if (this.#amountKeys.length < MAX_AMOUNT_KEYS) this.#amountKeys += d;
    } else entry.push(d, alternative);
    const end = fieldEntryEnd(state, entry, this.#capture.card?.securityCodeSize ?? null, this.#config);
    if (end === 'complete') return this.#fieldComplete();
    if (end === 'after-pause') {
      this.#pauseTimer = this.#timers.set(this.#config.timeouts.completePauseMs, () => this.#pauseEnded());
      return;
    }
    this.#armInterDigit();
  }

  #armInterDigit(): void {
    this.#interDigitTimer = this.#timers.set(this.#config.timeouts.interDigitMs, () => this.#timeout('inter-digit'));
  }

  /** No key came within the completion pause after an entry that may be whole: it is. */
  #pauseEnded(): void {
    this.#host.guard(() => {
      this.#pauseTimer = null;
      if (STATES[this.#host.state()].input === 'digits') this.#fieldComplete();
    });
  }

  /** `*`: the decimal point in an amount; else restart the entry; on an empty entry, leave (if configured). */
  #star(): void {
    const state = this.#host.state();
    if (state === 'amount-entry' && this.#amountKeys !== '' && !this.#amountKeys.includes('*')) {
      this.#amountKeys += '*';
      this.#armInterDigit();
      return;
    }
    if (this.#keyed() > 0 || !this.#config.starExits) return this.#host.go('restart', state);
    this.#host.end({ cause: 'star-exit', result: 'caller-interrupted-with-star', reason: STATES[state].field, route: 'return' });
  }

  /** The entry is over (`#`, its length, a pause): captured and on to the next field, or asked again. */
  #fieldComplete(): void {
    const state = this.#host.state();
    const check = () =>
      checkField(state, {
        request: this.#request,
        config: this.#config,
        amountKeys: this.#amountKeys,
        entry: this.#capture.entry,
        codeSize: this.#capture.card?.securityCodeSize ?? null,
        nowMs: this.#timers.now(),
      });
    let first = check();
    if (first === null) return;
    if (!first.ok && first.errorType === 'invalid-card-number' && state === 'card-number') first = this.#repaired(check) ?? first;
    if (!first.ok) return this.#inputError(first.errorType, first.prompt);
    this.#capture.accept(first.value);
    this.#host.go('valid', this.#next());
  }

  /** A spoken card number failing Luhn with one digit's next-best reading, if that makes it a valid card; else unchanged. */
  #repaired(check: () => FieldCheck | null): FieldCheck | null {
    const swapped = repairSpokenLuhn(this.#capture.entry, SPOKEN_LUHN_MIN_ODDS);
    if (swapped < 0) return null;
    const again = check();
    if (again?.ok === true) return again;
    this.#capture.entry.swapAlternative(swapped);
    return null;
  }

  #timeout(kind: 'first-digit' | 'inter-digit'): void {
    this.#host.guard(() => {
      if (kind === 'first-digit') this.#firstDigitTimer = null;
      else this.#interDigitTimer = null;
      if (STATES[this.#host.state()].input === 'none') return;
      this.#inputError('input-timeout', ['no-input']);
    });
  }

  /** A validation error or timeout (errorType) or a wrong menu key (null): ask again or give up. */
  #inputError(errorType: ErrorType | null, prompt: string[]): void {
    this.#stopTimers();
    this.#errors += 1;
    const field = STATES[this.#host.state()].field;
    if (errorType !== null && field !== null) {
      this.#fieldErrors.push({ for: field, errorType });
      this.#host.fieldError(field, this.#errors, errorType);
    }
    if (this.#errors >= this.#config.maxAttempts) {
      return this.#host.end({
        cause: 'too-many-attempts',
        result: 'too-many-failed-attempts',
        reason: errorType ?? 'invalid-choice',
        route: this.#config.results.tooManyFailedAttempts,
        prompt: ['too-many-attempts'],
      });
    }
    // Read again: a status listener may have moved the session.
    this.#host.go('retry', this.#host.state(), prompt);
  }

  #keyed(): number {
    return this.#host.state() === 'amount-entry' ? this.#amountKeys.length : this.#capture.entry.length;
  }

  #next(): DialogState {
    return nextState(this.#capture.missing(), amountState(this.#request, this.#config));
  }

  /** How the entry now being captured was given: keyed, spoken or both. */
  #entryInput(): FieldInput {
    return this.#keyedHere && this.#spokenHere ? 'dtmf speech' : this.#spokenHere ? 'speech' : 'dtmf';
  }

  #stopTimers(): void {
    if (this.#firstDigitTimer !== null) this.#timers.clear(this.#firstDigitTimer);
    if (this.#interDigitTimer !== null) this.#timers.clear(this.#interDigitTimer);
    if (this.#pauseTimer !== null) this.#timers.clear(this.#pauseTimer);
    this.#firstDigitTimer = null;
    this.#interDigitTimer = null;
    this.#pauseTimer = null;
  }
}
