// One payment on one call: joins the payment dialog (src/dialog) to the call's media and
// signalling. Digits from the media go to the session; the session's prompts are rendered and
// played to the caller (and to the agent in agent-assisted mode, who hears them too); when a
// prompt ends the session is told; its final action (REFER, BYE, secure off) is carried out once
// the last prompt has played; progress and the result go to the sink (KPIs, widget, webhooks).
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DialogAction, PaymentSession, PaymentSessionResult, PaymentStatus } from '../dialog/payment-session.js';
import type { PromptLibrary } from '../dialog/prompts/prompt-library.js';
import type { PromptPlan } from '../dialog/prompts/compose.js';
import type { DialogDigit, PaymentMode } from '../dialog/vocabulary.js';
import type { MediaSession } from '../media/media-session.js';

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
}

export type PaymentRunEvents = {
  status: [PaymentStatus];
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
  #closed = false;
  readonly #onDigit = (d: DialogDigit) => this.session.digit(d);
  readonly #onPromptEnd = (e: { readonly id: number; readonly interrupted: boolean }) => {
    if (!this.#playing.delete(e.id)) return;
    if (e.interrupted) for (const id of this.#playing) this.#playing.delete(id);
    if (this.#playing.size === 0) this.#planFinished();
  };

  constructor(options: { readonly call: PaymentCall; readonly session: PaymentSession; readonly prompts: PromptLibrary; readonly mode: PaymentMode; readonly logger: Logger }) {
    super();
    this.#call = options.call;
    this.session = options.session;
    this.#prompts = options.prompts;
    this.mode = options.mode;
    this.#logger = options.logger;
    // A prompt that cannot be played (the call ended meanwhile) is logged, never an unhandled rejection.
    this.session.on('prompt', (plan) => {
      this.#play(plan).catch((error: unknown) => {
        this.#logger.error({ call: this.#call.id, code: (error as { code?: unknown }).code, message: error instanceof Error ? error.message : 'non-error' }, 'prompt not played');
      });
    });
    this.session.on('status', (status) => this.emit('status', status));
    this.session.on('result', (result) => this.emit('result', result));
    this.session.on('action', (action) => {
      this.#pendingAction = action;
      if (this.#playing.size === 0 && !this.#loading) this.#runAction();
    });
  }

  start(): void {
    this.#call.media.on('digit', this.#onDigit);
    this.#call.media.on('prompt-end', this.#onPromptEnd);
    this.#call.setSecure(true);
    this.session.start();
  }

  /** The caller hung up (or the call otherwise ended under the payment). */
  callEnded(): void {
    // Nothing more will play: the dialog's final action (none, the caller is gone) runs at once.
    this.#playing.clear();
    this.#loading = false;
    // A plan still loading belongs to the call that ended: it must not reach the closed media.
    this.#planSerial++;
    this.session.hangup();
  }

  async #play(plan: PromptPlan): Promise<void> {
    const serial = ++this.#planSerial;
    // Observable for operators and tests: the plan's first prompt id only. The rest may read back
    // the last four and the expiry, which stay out of logs.
    this.#logger.debug({ call: this.#call.id, prompt: plan.segments[0] ?? null, segments: plan.segments.length }, 'prompt');
    // A new plan replaces whatever still plays (the dialog moved on, e.g. after a key).
    for (const leg of this.#legs()) this.#call.media.stopPlayback(leg);
    this.#playing.clear();
    let pcm: Int16Array;
    this.#loading = true;
    try {
      pcm = await this.#prompts.load(plan);
    } catch (error) {
      // A missing prompt must not stall the payment: log (ids only) and go on as if it played.
      this.#logger.error({ call: this.#call.id, code: (error as { code?: string }).code, message: (error as Error).message }, 'prompt not playable');
      pcm = new Int16Array(0);
    }
    if (this.#closed || serial !== this.#planSerial) return;
    this.#loading = false;
    if (pcm.length === 0) {
      this.#planFinished();
      return;
    }
    for (const leg of this.#legs()) this.#playing.add(this.#call.media.play(leg, pcm, { bargeIn: plan.bargeIn }));
  }

  #legs(): readonly ('caller' | 'agent')[] {
    return this.mode === 'agent-assisted' ? ['caller', 'agent'] : ['caller'];
  }

  #planFinished(): void {
    if (this.#pendingAction !== null) this.#runAction();
    else this.session.promptEnded();
  }

  #runAction(): void {
    const action = this.#pendingAction;
    this.#pendingAction = null;
    if (action === null || this.#closed) return;
    void this.#carryOut(action).finally(() => {
      this.close();
      this.emit('done');
    });
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
        this.#call.setSecure(false);
        return;
      case 'none':
        return;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#call.media.off('digit', this.#onDigit);
    this.#call.media.off('prompt-end', this.#onPromptEnd);
    this.session.close();
  }
}
