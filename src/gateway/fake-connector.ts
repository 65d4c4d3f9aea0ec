// An in-process PaymentConnector with the built-in simulator's rules (simulator-rules.ts): a Luhn-valid
// card with a future expiry is approved with a fresh numeric transaction ID, except a card ending
// 0002 (declined, do-not-honour), an amount whose minor units are 51 (declined,
// insufficient-funds), and a card ending 0119 (no answer until closed: a gateway timeout).
// Idempotent: a key seen before gets the first answer again and is never charged twice. It keeps
// no card data: only the last four digits of each request, for the tests.
import { luhnValid } from './card-digits.js';
import type { ChargeOutcome, ChargeRequest, PaymentConnector } from './connector.js';

export interface FakeChargeRecord {
  readonly idempotencyKey: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly last4: string;
  readonly outcome: ChargeOutcome['kind'] | 'pending';
}

export interface FakeConnectorOptions {
  /** Wall clock for the expiry rule (epoch ms); default Date.now. */
  readonly now?: () => number;
  /** Outcomes to answer first, in order, whatever the card (then the rules). */
  readonly script?: readonly ChargeOutcome[];
}

export class FakeConnector implements PaymentConnector {
  readonly #now: () => number;
  readonly #script: ChargeOutcome[];
  readonly #answers = new Map<string, Promise<ChargeOutcome>>();
  readonly #records: FakeChargeRecord[] = [];
  readonly #hanging = new Set<(o: ChargeOutcome) => void>();
  #nextTransaction = 100_000_001;
  #closed = false;

  constructor(options: FakeConnectorOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#script = [...(options.script ?? [])];
  }

  /** Every distinct request (by idempotency key), masked. */
  get records(): readonly FakeChargeRecord[] {
    return this.#records;
  }

  /** Requests that took money. */
  get approvedCount(): number {
    return this.#records.filter((r) => r.outcome === 'approved').length;
  }

  /** Calls to charge(), repeats included. */
  calls = 0;

  charge(request: ChargeRequest): Promise<ChargeOutcome> {
    this.calls += 1;
    const seen = this.#answers.get(request.idempotencyKey);
    if (seen !== undefined) return seen;
    const last4 = String.fromCharCode(...request.pan.subarray(Math.max(0, request.pan.length - 4)));
    const index = this.#records.length;
    this.#records.push({ idempotencyKey: request.idempotencyKey, amountMinor: request.amountMinor, currency: request.currency, last4, outcome: 'pending' });
    const answer = this.#decide(request, last4).then((outcome) => {
      this.#records[index] = { ...this.#records[index], outcome: outcome.kind };
      return outcome;
    });
    this.#answers.set(request.idempotencyKey, answer);
    return answer;
  }

  #decide(request: ChargeRequest, last4: string): Promise<ChargeOutcome> {
    if (this.#closed) return Promise.resolve({ kind: 'error', reason: 'connector-closed', outcomeUnknown: false });
    const scripted = this.#script.shift();
    if (scripted !== undefined) return Promise.resolve(this.#withId(scripted));
    if (last4 === '0119') return new Promise((resolve) => this.#hanging.add(resolve));
    if (!luhnValid(request.pan)) return Promise.resolve({ kind: 'declined', reason: 'invalid-card-number', code: null });
    const now = new Date(this.#now());
    const nowMonths = now.getFullYear() * 12 + now.getMonth();
    if (request.expiryYear * 12 + request.expiryMonth - 1 < nowMonths) return Promise.resolve({ kind: 'declined', reason: 'expired-card', code: null });
    if (last4 === '0002') return Promise.resolve({ kind: 'declined', reason: 'do-not-honour', code: '05' });
    if (request.amountMinor % 100 === 51) return Promise.resolve({ kind: 'declined', reason: 'insufficient-funds', code: '51' });
    return Promise.resolve(this.#withId({ kind: 'approved', transactionId: '', authCode: null }));
  }

  #withId(outcome: ChargeOutcome): ChargeOutcome {
    if (outcome.kind !== 'approved' || outcome.transactionId !== '') return outcome;
    return { ...outcome, transactionId: String(this.#nextTransaction++) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const resolve of this.#hanging) resolve({ kind: 'error', reason: 'timeout', outcomeUnknown: true });
    this.#hanging.clear();
  }
}
