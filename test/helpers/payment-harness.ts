// Drives a PaymentSession without sockets: virtual time, the in-process fake connector, and
// every event collected in order.
import { parseDialogConfig, type DialogConfig } from '../../src/dialog/dialog-config.js';
import type { Transition } from '../../src/dialog/flow.js';
import { PaymentSession } from '../../src/dialog/payment-session.js';
import type { DialogAction, PaymentSessionResult, PaymentStatus } from '../../src/dialog/session-events.js';
import type { PaymentRequest } from '../../src/dialog/payment-request.js';
import type { PromptPlan } from '../../src/dialog/prompts/compose.js';
import { ManualTimers } from '../../src/dialog/timers.js';
import type { PaymentConnector } from '../../src/gateway/connector.js';
import { FakeConnector } from '../../src/gateway/fake-connector.js';

/** 2026-11-25 14:00:00 UTC: the virtual "now" of every session test. */
export const NOW_MS = Date.UTC(2026, 10, 25, 14, 0, 0);

export const VISA = '4111111111111111';
export const MASTERCARD = '5555555555554444';
export const MASTERCARD_2 = '2223000048400011';
export const AMEX = '378282246310005';
export const DECLINED_VISA = '4000000000000002';
export const TIMEOUT_VISA = '4000000000000119';

export type HarnessEvent =
  | { type: 'prompt'; plan: PromptPlan }
  | { type: 'status'; status: PaymentStatus }
  | { type: 'transition'; transition: Transition }
  | { type: 'action'; action: DialogAction }
  | { type: 'result'; result: PaymentSessionResult };

export interface HarnessOptions {
  readonly config?: Record<string, unknown>;
  readonly request?: Partial<PaymentRequest>;
  readonly connector?: PaymentConnector;
}

/** The payment request the dialog tests start from (an automated payment of GBP 125.50, keyed). */
export const TEST_REQUEST: PaymentRequest = {
  sessionId: 'ps-1',
  callId: 'call-1',
  mode: 'automated',
  customerId: 'C-42',
  amountMinor: 12550,
  currency: 'GBP',
  merchantId: 'M-1',
  reference: 'INV-9',
  description: null,
  input: 'dtmf',
};

/** Every transition any harness has seen (the flow-coverage test reads it). */
export const SEEN_TRANSITIONS = new Set<string>();

export class Harness {
  readonly timers = new ManualTimers(NOW_MS);
  readonly fake: FakeConnector;
  readonly connector: PaymentConnector;
  readonly config: DialogConfig;
  readonly session: PaymentSession;
  readonly events: HarnessEvent[] = [];

  constructor(options: HarnessOptions = {}) {
    this.fake = new FakeConnector({ now: () => this.timers.now() });
    this.connector = options.connector ?? this.fake;
    this.config = parseDialogConfig({ returnUri: 'sip:ivr@127.0.0.1', agentUri: 'sip:agents@127.0.0.1', ...options.config });
    const request: PaymentRequest = { ...TEST_REQUEST, ...options.request };
    this.session = new PaymentSession({ request, config: this.config, connector: this.connector, timers: this.timers });
    this.session.on('prompt', (plan) => this.events.push({ type: 'prompt', plan }));
    this.session.on('status', (status) => this.events.push({ type: 'status', status }));
    this.session.on('transition', (transition) => {
      SEEN_TRANSITIONS.add(`${transition.from}|${transition.on}|${transition.to}`);
      this.events.push({ type: 'transition', transition });
    });
    this.session.on('action', (action) => this.events.push({ type: 'action', action }));
    this.session.on('result', (result) => this.events.push({ type: 'result', result }));
  }

  start(): this {
    this.session.start();
    return this;
  }

  /** Presses each key in turn. */
  keys(keys: string): this {
    for (const k of keys) this.session.digit({ digit: k, source: 'rfc4733', atMs: this.timers.now() });
    return this;
  }

  /** Speaks each item in turn: a digit string is said digit by digit, anything else is a menu word. */
  say(...items: string[]): this {
    for (const item of items) {
      if (/^[0-9]+$/.test(item)) for (const d of item) this.session.spoken({ kind: 'digit', digit: d });
      else this.session.spoken({ kind: 'word', word: item as 'yes' });
    }
    return this;
  }

  /** The caller paused after speaking (the recogniser's end of utterance). */
  pause(): this {
    this.session.endOfUtterance();
    return this;
  }

  /** Lets the connector's promise settle. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  get state(): string {
    return this.session.state;
  }

  lastPrompt(): readonly string[] {
    const prompts = this.events.filter((e): e is Extract<HarnessEvent, { type: 'prompt' }> => e.type === 'prompt');
    return prompts.length === 0 ? [] : prompts[prompts.length - 1].plan.segments;
  }

  prompts(): (readonly string[])[] {
    return this.events.flatMap((e) => (e.type === 'prompt' ? [e.plan.segments] : []));
  }

  statuses(): PaymentStatus[] {
    return this.events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
  }

  transitions(): Transition[] {
    return this.events.flatMap((e) => (e.type === 'transition' ? [e.transition] : []));
  }

  result(): PaymentSessionResult {
    const r = this.events.find((e): e is Extract<HarnessEvent, { type: 'result' }> => e.type === 'result');
    if (r === undefined) throw new Error(`no result yet (state ${this.session.state})`);
    return r.result;
  }

  /** A time-out: the prompt ends, then the first-digit time passes. */
  waitFirstDigit(): this {
    this.session.promptEnded();
    this.timers.advance(this.config.timeouts.firstDigitMs);
    return this;
  }
}

/** Walks the guided flow to the readback: pay the full balance (when offered), then card, expiry, code. */
export function toReadback(h: Harness, card = VISA, expiry = '1228', code = '123'): Harness {
  h.start();
  if (h.state === 'amount-choice') h.keys('1');
  enterCard(h, card);
  h.keys(expiry).keys(code);
  return h;
}

/** Keys a card number, and `#` unless the number completed itself (its type's longest length). */
export function enterCard(h: Harness, card: string): Harness {
  h.keys(card);
  if (h.state === 'card-number') h.keys('#');
  return h;
}
