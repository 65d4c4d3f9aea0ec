// One payment on one call: joins the payment dialog (src/dialog) to the call's media and
// signalling. Digits from the media go to the session; the session's prompts are rendered and
// played to the caller (and to the agent in agent-assisted mode, who hears them too); when a
// prompt ends the session is told; its final action (REFER, BYE, secure off) is carried out once
// the last prompt has played, and the call ends with a result even when that fails; progress and
// the result go to the sink (KPIs, widget, webhooks). The agent never hears the caller-only
// segments (the expiry): its copy of a plan has silence there.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { PaymentSession } from '../dialog/payment-session.js';
import type { DialogAction, PaymentSessionResult, PaymentStatus } from '../dialog/session-events.js';
import type { Transition } from '../dialog/flow.js';
import type { PromptLibrary, RenderedPlan } from '../dialog/prompts/prompt-library.js';
import type { PromptPlan } from '../dialog/prompts/compose.js';
import type { DialogDigit, PaymentMode } from '../dialog/vocabulary.js';
import type { MediaSession } from '../media/media-session.js';
import type { WordModel } from '../../native-free-dsp/speech-classifier.js';
import { MIN_DIGITS_FOR_UNSURE, MIN_DIGITS_FOR_UNSURE_CHECKED, WordRecogniser, type WordToken } from '../speech/word-recogniser.js';
import { messageOf } from '../errors.js';

/** What a payment may do to its call; carried out by call control. */
export interface PaymentCall {
  readonly id: string;
  readonly media: MediaSession;
  /** Secure mode for the call (agent-assisted; an endpoint call is always secure). */
  setSecure(on: boolean): void;
  /** REFER the caller to `uri` with the result headers; resolves false when the transfer failed. */
  refer(uri: string, headers: Readonly<Record<string, string>>): Promise<boolean>;
  /** End the call with the result headers on the BYE. */
  hangup(headers: Readonly<Record<string, string>>): void;
  /**
   * B2BUA: while `onAgentHangup` is set, an agent's BYE ends only the agent leg and calls it (the
   * caller stays on for the result, the payment ends the call); null: a BYE ends the call again.
   */
  keepCallerOnAgentHangup?(onAgentHangup: (() => void) | null): void;
}

export type PaymentRunEvents = {
  status: [PaymentStatus];
  transition: [Transition];
  result: [PaymentSessionResult];
  /** The action has been carried out (or failed): the run is over. */
  done: [];
};

export class PaymentRun extends EventEmitter<PaymentRunEvents> {
  readonly mode: PaymentMode;
  readonly session: PaymentSession;
  readonly #call: PaymentCall;
  readonly #prompts: PromptLibrary;
  readonly #logger: Logger;
  /** Media prompt ids of the plan now playing (one per leg it plays on). */
  #playing = new Set<number>();
  #planSerial = 0;
  /** A plan is being loaded (rendered): the final action must wait for it to play too. */
  #loading = false;
  #pendingAction: DialogAction | null = null;
  /** The final action is being carried out (once). */
  #acting = false;
  #closed = false;
  /** Speech input: the recogniser on the caller's audio (automated mode, speech asked for). */
  readonly #recogniser: WordRecogniser | null = null;
  /** The dialog moved on: what the recogniser holds is the last field's audio, dropped at the next packet. */
  #speechStale = false;
  readonly #onAudio = (pcm: Int16Array): void => {
    if (this.#recogniser === null) return;
    if (this.#speechStale) {
      this.#speechStale = false;
      this.#recogniser.reset();
    }
    this.#recogniser.push(pcm);
  };
  /** Agent-assisted: the agent's leg hung up; prompts go to the caller only, and the caller is not left on the call. */
  #agentGone = false;
  readonly #onDigit = (d: DialogDigit) => this.session.digit(d);
  readonly #onPromptEnd = (e: { readonly id: number; readonly interrupted: boolean }) => {
    if (!this.#playing.delete(e.id)) return;
    if (e.interrupted) for (const id of this.#playing) this.#playing.delete(id);
    if (this.#playing.size === 0) this.#planFinished();
  };

  constructor(options: {
    readonly call: PaymentCall;
    readonly session: PaymentSession;
    readonly prompts: PromptLibrary;
    readonly mode: PaymentMode;
    readonly logger: Logger;
    /** The word model, when this payment takes speech (automated mode only; agent-assisted is keypad-only). */
    readonly speechModel?: WordModel | null;
  }) {
    super();
    this.#call = options.call;
    this.session = options.session;
    this.#prompts = options.prompts;
    this.mode = options.mode;
    this.#logger = options.logger;
    if (options.speechModel && this.mode === 'automated') {
      // Hypotheses and audio are never logged: tokens go to the dialog and nowhere else.
      this.#recogniser = new WordRecogniser(options.speechModel, {
        onToken: (token) => this.#heard(token),
        onWord: () => this.#speaking(),
        onEndOfUtterance: () => {
          if (!this.#speechStale) this.session.endOfUtterance();
        },
      });
      this.session.on('transition', ({ to }) => {
        this.#speechStale = true;
        // The card number's check digit catches an unsure digit (and the repair may fix it), in
        // whatever utterances the caller says it; the other fields have no such check.
        this.#recogniser?.setMinDigitsForUnsure(to === 'card-number' ? MIN_DIGITS_FOR_UNSURE_CHECKED : MIN_DIGITS_FOR_UNSURE);
      });
    }
    // A prompt that cannot be played (the call ended meanwhile) is logged, never an unhandled rejection.
    this.session.on('prompt', (plan) => {
      this.#play(plan).catch((error: unknown) => {
        this.#logger.error({ call: this.#call.id, code: (error as { code?: unknown }).code, message: error instanceof Error ? error.message : 'non-error' }, 'prompt not played');
      });
    });
    this.session.on('status', (status) => this.emit('status', status));
    this.session.on('transition', (transition) => this.emit('transition', transition));
    this.session.on('result', (result) => this.emit('result', result));
    this.session.on('action', (action) => {
      this.#pendingAction = action;
      if (this.#playing.size === 0 && !this.#loading) this.#runAction();
    });
    this.session.on('gateway-value-dropped', ({ field }) => this.#logger.warn({ call: this.#call.id, field }, 'gateway value dropped: it held the card number'));
  }

  start(): void {
    if (this.#recogniser !== null) this.#call.media.setCallerAudioSink(this.#onAudio);
    this.#call.media.on('digit', this.#onDigit);
    this.#call.media.on('prompt-end', this.#onPromptEnd);
    this.#call.setSecure(true);
    if (this.mode === 'agent-assisted') this.#call.keepCallerOnAgentHangup?.(() => this.#agentHungUp());
    this.session.start();
  }

  /**
   * The agent's leg hung up, the caller is still there: the payment ends (agent-hangup) and the
   * caller hears its result; then the call ends with the result headers instead of leaving secure
   * mode. A prompt already playing to the agent runs out on its own (stopping it would count as
   * the plan cut short).
   */
  #agentHungUp(): void {
    if (this.#closed || this.#agentGone) return;
    this.#agentGone = true;
    this.#logger.info({ call: this.#call.id }, 'agent hung up during the payment; the caller hears the result');
    this.session.agentHangup();
  }

  /** The caller hung up (or the call otherwise ended under the payment). */
  callEnded(): void {
    // Nothing more will play: the dialog's final action (none, the caller is gone) runs at once.
    this.#playing.clear();
    this.#loading = false;
    // A plan still loading belongs to the call that ended: it must not reach the closed media.
    this.#planSerial++;
    this.session.hangup();
    // The payment had ended already and its action (hand-back, BYE) waited for the result prompt,
    // which will not end now: carried out at once (on a call that has ended it changes nothing),
    // so the run is done rather than held for ever.
    if (this.#pendingAction !== null) this.#runAction();
  }

  async #play(plan: PromptPlan): Promise<void> {
    const serial = ++this.#planSerial;
    // Observable for operators and tests: the plan's first prompt id only. The rest may read back
    // the last four and the expiry, which stay out of logs.
    this.#logger.debug({ call: this.#call.id, prompt: plan.segments[0] ?? null, segments: plan.segments.length }, 'prompt');
    // A new plan replaces whatever still plays (the dialog moved on, e.g. after a key).
    for (const leg of this.#legs()) this.#call.media.stopPlayback(leg);
    this.#playing.clear();
    let rendered: RenderedPlan | null;
    this.#loading = true;
    try {
      rendered = await this.#prompts.render(plan);
    } catch (error) {
      // The library's message names the prompt set and the segment's position, never its id.
      this.#logger.error({ call: this.#call.id, code: (error as { code?: string }).code, message: (error as Error).message }, 'prompt not playable');
      rendered = null;
    }
    if (this.#closed || serial !== this.#planSerial) return;
    this.#loading = false;
    if (rendered === null) {
      // Not heard is not played: the session decides (a payment still collecting ends, uncharged).
      if (this.#pendingAction !== null) this.#runAction();
      else this.session.promptFailed();
      return;
    }
    if (rendered.caller.length === 0) {
      this.#planFinished();
      return;
    }
    // The agent's copy has the caller-only segments (the expiry) as silence of the same length.
    for (const leg of this.#legs()) this.#playing.add(this.#call.media.play(leg, leg === 'agent' ? rendered.agent : rendered.caller, { bargeIn: plan.bargeIn }));
  }

  /**
   * A word of the vocabulary was heard (its token comes when the utterance ends): the caller is
   * speaking, so the prompt stops (barge-in) as for a key.
   */
  #speaking(): void {
    if (this.#speechStale || this.#closed) return;
    // Only while collecting: the processing and result prompts are not cut by speech.
    if (this.session.collecting) this.#call.media.bargeIn('caller');
    this.session.speaking();
  }

  /** A spoken digit or word, reported when its utterance ended with no word rejected. */
  #heard(token: WordToken): void {
    if (this.#speechStale || this.#closed) return;
    this.session.spoken(token.kind === 'digit' ? { kind: 'digit', digit: token.digit, alternative: token.runnerUp } : { kind: 'word', word: token.word });
  }

  #legs(): readonly ('caller' | 'agent')[] {
    return this.mode === 'agent-assisted' && !this.#agentGone ? ['caller', 'agent'] : ['caller'];
  }

  #planFinished(): void {
    if (this.#pendingAction !== null) this.#runAction();
    else this.session.promptEnded();
  }

  #runAction(): void {
    const action = this.#pendingAction;
    this.#pendingAction = null;
    if (action === null || this.#closed || this.#acting) return;
    this.#acting = true;
    void this.#carryOut(action)
      .catch((error: unknown) => this.#lastResort(action, error))
      .finally(() => {
        this.close();
        this.emit('done');
      });
  }

  /** Carrying out the hand-back failed: the call still ends, with the result when possible, else internal-error. */
  #lastResort(action: DialogAction, error: unknown): void {
    this.#logger.error({ call: this.#call.id, action: action.kind, code: (error as { code?: string }).code ?? null, message: messageOf(error) }, 'hand-back failed; ending the call');
    if (action.kind === 'none' || action.kind === 'secure-off') return;
    try {
      this.#call.hangup(action.headers);
      return;
    } catch {
      // below: the bare result
    }
    try {
      this.#call.hangup({ 'X-Payment-Result': 'internal-error' });
    } catch (again) {
      this.#logger.error({ call: this.#call.id, message: messageOf(again) }, 'the call could not be ended');
    }
  }

  /**
   * Shutdown. A charge in flight is never cut short: its answer is awaited (the session's own
   * gateway timer bounds that; `maxWaitMs` backs it up, after which the outcome is unknown), and
   * a payment that has its result is handed back at once (prompts still to play are skipped),
   * so the BYE or REFER carries the gateway's real answer. A payment still collecting is left to
   * end with its call. Resolves when the hand-back is done (or after `maxWaitMs` more).
   */
  async drain(maxWaitMs: number): Promise<void> {
    if (this.#closed) return;
    const done = new Promise<void>((resolve) => this.once('done', resolve));
    if (this.session.state === 'processing') {
      await within(this.session.finished, maxWaitMs);
      this.session.abandonCharge();
    }
    if (!this.session.ended || this.#closed) return;
    if (!this.#acting) {
      // Whatever plays or loads is dropped; the action runs now.
      this.#planSerial++;
      this.#loading = false;
      this.#playing.clear();
      for (const leg of this.#legs()) {
        try {
          this.#call.media.stopPlayback(leg);
        } catch {
          // media already closed: nothing plays
        }
      }
      this.#runAction();
    }
    await within(done, maxWaitMs);
  }

  async #carryOut(action: DialogAction): Promise<void> {
    switch (action.kind) {
      case 'refer': {
        const ok = await this.#call.refer(action.uri, action.headers);
        if (!ok && action.fallback !== null) await this.#carryOut(action.fallback);
        else if (!ok) this.#call.hangup(action.headers);
        return;
      }
      case 'bye':
        this.#call.hangup(action.headers);
        return;
      case 'secure-off':
        // The agent hung up after the result: nobody left to talk to, the call ends with it.
        if (this.#agentGone) this.#call.hangup(action.headers);
        else this.#call.setSecure(false);
        return;
      case 'none':
        return;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.mode === 'agent-assisted') this.#call.keepCallerOnAgentHangup?.(null);
    this.#call.media.off('digit', this.#onDigit);
    this.#call.media.off('prompt-end', this.#onPromptEnd);
    if (this.#recogniser !== null) {
      try {
        this.#call.media.setCallerAudioSink(null);
      } catch {
        // media already closed: no more audio comes
      }
      this.#recogniser.close();
    }
    this.session.close();
  }
}

/** Resolves when `promise` settles or `ms` have passed, whichever is first. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
