// Feeds the dialog's session events to the real-time metrics and the history store. The metrics
// are counted at once (synchronously); the store write runs in the background and its failure is
// reported, never thrown at the dialog: a full disk must not end a caller's payment.
import type { PaymentSessionRecord } from '../dialog/vocabulary.js';
import { KpiError } from './kpi-error.js';
import type { KpiMetrics } from './kpi-metrics.js';
import { enteredRow, sessionRow } from './kpi-record.js';
import type { KpiStore, SessionEnteredEvent } from './kpi-types.js';
import { messageOf } from '../errors.js';

export interface KpiRecorderOptions {
  readonly store: KpiStore;
  readonly metrics: KpiMetrics;
  /** A store write failed or an event was rejected (default: ignored). Receives the KpiError only: no card data in it. */
  readonly onError?: (error: KpiError) => void;
}

export class KpiRecorder {
  readonly #store: KpiStore;
  readonly #metrics: KpiMetrics;
  readonly #onError: (error: KpiError) => void;
  /** Writes run one after another, in event order: an entry is stored before its session's end. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: KpiRecorderOptions) {
    this.#store = options.store;
    this.#metrics = options.metrics;
    this.#onError = options.onError ?? (() => undefined);
  }

  sessionEntered(event: SessionEnteredEvent): void {
    if (!this.#accept(() => enteredRow(event))) return;
    this.#metrics.sessionEntered(event);
    this.#track(() => this.#store.sessionEntered(event));
  }

  sessionEnded(record: PaymentSessionRecord): void {
    if (!this.#accept(() => sessionRow(record))) return;
    this.#metrics.sessionEnded(record);
    this.#track(() => this.#store.sessionEnded(record));
  }

  /** Resolves when every write started so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }

  /** Stops taking events and waits for the writes in flight. The store and metrics belong to the caller. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #accept(check: () => unknown): boolean {
    if (this.#closed) {
      this.#onError(new KpiError('kpi.closed', 'KPI recorder closed: event dropped'));
      return false;
    }
    try {
      check();
      return true;
    } catch (error) {
      this.#onError(error instanceof KpiError ? error : new KpiError('kpi.invalid-record', String(error)));
      return false;
    }
  }

  #track(write: () => Promise<void>): void {
    this.#tail = this.#tail.then(write).then(
      () => undefined,
      (error: unknown) => {
        try {
          this.#onError(error instanceof KpiError ? error : new KpiError('kpi.db-failure', messageOf(error)));
        } catch {
          // a failing error handler must not stop the writes queued behind this one
        }
      },
    );
  }
}
