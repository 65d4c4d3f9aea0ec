// PaymentConnector for XML over HTTPS POST: renders the template's body into a Buffer per
// attempt, posts it, zeroes it once sent, and maps the answer. Retries only when it is safe:
// nothing was sent (refused, handshake timeout), or the gateway answered 5xx/429 and the retry
// carries the same idempotency key. A timeout or reset after sending is reported with
// outcomeUnknown and never retried: the payment may have been taken.
import { lastFour } from './card-digits.js';
import type { ChargeOutcome, ChargeRequest, PaymentConnector } from './connector.js';
import { formatMinorAmount } from './currency.js';
import { attemptRef } from './attempt-ref.js';
import { postHttps, type Transport, type TransportOptions, type TransportResult } from './https-transport.js';
import { BadCardFieldError, renderBody, type RequestFields } from './request-body.js';
import { mapResponse } from './response-mapping.js';
import type { CompiledTemplate } from './template.js';

/** What the connector reports as it goes: never card data, at most the last four digits. */
export type ConnectorEvent =
  | { readonly type: 'request'; readonly attempt: number; readonly attemptRef: string; readonly cardLast4: string; readonly bytes: number; readonly template: string }
  | { readonly type: 'response'; readonly attempt: number; readonly status: number; readonly ms: number }
  | { readonly type: 'failure'; readonly attempt: number; readonly reason: string; readonly sent: boolean; readonly ms: number; readonly detail: string }
  | { readonly type: 'bad-response'; readonly attempt: number; readonly detail: string }
  | { readonly type: 'retry'; readonly attempt: number; readonly reason: string; readonly delayMs: number }
  | { readonly type: 'outcome'; readonly attemptRef: string; readonly kind: ChargeOutcome['kind']; readonly reason: string | null; readonly attempts: number; readonly ms: number };

export interface XmlConnectorOptions {
  readonly template: CompiledTemplate;
  readonly url: URL;
  /** Template values {{credentialName}}, {{credentialKey}}. */
  readonly credentials: { readonly name: string; readonly transactionKey: string };
  /** Extra HTTP headers (after the template's), including any Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  /** tlsContext(extra CAs, client certificate). */
  readonly secureContext: TransportOptions['secureContext'];
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  /** Extra tries after a fault that is safe to retry. */
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly onEvent?: (event: ConnectorEvent) => void;
  /** Replaces the HTTPS POST (tests wrap the real one to watch the body). */
  readonly transport?: Transport;
}

type AttemptVerdict = { readonly kind: 'final'; readonly outcome: ChargeOutcome } | { readonly kind: 'retry'; readonly reason: string; readonly ifExhausted: ChargeOutcome };

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/** Judges one transport result. `retriedAfterSend`: an earlier try of this charge may have been processed. */
function judge(result: TransportResult, template: CompiledTemplate, retriedAfterSend: boolean, onBad: (detail: string) => void): AttemptVerdict {
  if (result.kind === 'failure') {
    const outcome: ChargeOutcome = { kind: 'error', reason: result.reason, outcomeUnknown: result.sent || retriedAfterSend };
    // Retry only what never reached the gateway; TLS and aborts are not transient.
    const safe = !result.sent && (result.reason === 'connection-refused' || result.reason === 'connect-timeout' || result.reason === 'network');
    return safe ? { kind: 'retry', reason: result.reason, ifExhausted: outcome } : { kind: 'final', outcome };
  }
  const status = result.status;
  if (status >= 500 || status === 429) {
    // 503 and 429 say the request was not processed; other 5xx may hide a charge. Retrying with
    // the same idempotency key is safe either way: the gateway answers the first answer.
    const unknown = !(status === 503 || status === 429) || retriedAfterSend;
    return { kind: 'retry', reason: `http-${status}`, ifExhausted: { kind: 'error', reason: `http-${status}`, outcomeUnknown: unknown } };
  }
  if (status < 200 || status >= 300) return { kind: 'final', outcome: { kind: 'error', reason: `http-${status}`, outcomeUnknown: retriedAfterSend } };
  const mapped = mapResponse(result.body, template.response);
  if (mapped.kind === 'unmapped') {
    onBad(mapped.detail);
    // The gateway had the request and said something we cannot read: it may have charged.
    return { kind: 'final', outcome: { kind: 'error', reason: 'bad-response', outcomeUnknown: true } };
  }
  const outcome = mapped.outcome;
  // After a retry, "duplicate" means an earlier try of this very payment went through
  // (Authorize.Net's duplicate window), not that the caller paid twice.
  if (retriedAfterSend && outcome.kind !== 'approved' && outcome.reason === 'duplicate-transaction') {
    return { kind: 'final', outcome: { kind: 'error', reason: 'duplicate-transaction', outcomeUnknown: true } };
  }
  return { kind: 'final', outcome };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class XmlConnector implements PaymentConnector {
  private readonly options: XmlConnectorOptions;
  private readonly transport: Transport;
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(options: XmlConnectorOptions) {
    this.options = options;
    this.transport = options.transport ?? postHttps;
  }

  async charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeOutcome> {
    const started = Date.now();
    const ref = attemptRef(request.idempotencyKey);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) controller.abort();
    this.inFlight.add(controller);
    let attempts = 0;
    let outcome: ChargeOutcome;
    try {
      outcome = await this.attempts(request, ref, controller.signal, (n) => {
        attempts = n;
      });
    } catch (error) {
      // Never throw for a gateway fault (connector.ts); an exception here is our own bug.
      outcome = { kind: 'error', reason: error instanceof BadCardFieldError ? 'bad-request' : 'internal-error', outcomeUnknown: false };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(controller);
    }
    this.emit({ type: 'outcome', attemptRef: ref, kind: outcome.kind, reason: outcome.kind === 'approved' ? null : outcome.reason, attempts, ms: Date.now() - started });
    return outcome;
  }

  private async attempts(request: ChargeRequest, ref: string, signal: AbortSignal, counted: (n: number) => void): Promise<ChargeOutcome> {
    if (this.closed) return { kind: 'error', reason: 'connector-closed', outcomeUnknown: false };
    if (!Number.isSafeInteger(request.amountMinor) || request.amountMinor < 0) return { kind: 'error', reason: 'bad-request', outcomeUnknown: false };
    const fields = this.fields(request, ref);
    const { template } = this.options;
    const headers = { 'content-type': template.contentType, ...template.headers, ...this.options.headers };
    const transportOptions: TransportOptions = {
      url: this.options.url,
      headers,
      secureContext: this.options.secureContext,
      connectTimeoutMs: this.options.connectTimeoutMs,
      responseTimeoutMs: this.options.timeoutMs,
    };
    // An earlier try may have been processed (sent, and no answer said it was not).
    let mayHaveCharged = false;
    for (let attempt = 1; ; attempt++) {
      counted(attempt);
      // Rendered afresh per attempt so every copy of the card data lives only until it is sent.
      const body = renderBody(template.body, fields);
      this.emit({ type: 'request', attempt, attemptRef: ref, cardLast4: lastFour(request.pan), bytes: body.length, template: template.name });
      const t0 = Date.now();
      const result = await this.transport(body, transportOptions, () => body.fill(0), signal);
      body.fill(0);
      const ms = Date.now() - t0;
      if (result.kind === 'response') this.emit({ type: 'response', attempt, status: result.status, ms });
      else this.emit({ type: 'failure', attempt, reason: result.reason, sent: result.sent, ms, detail: result.detail });
      const verdict = judge(result, template, mayHaveCharged, (detail) => this.emit({ type: 'bad-response', attempt, detail }));
      const judged = verdict.kind === 'final' ? verdict.outcome : verdict.ifExhausted;
      mayHaveCharged ||= judged.kind === 'error' && judged.outcomeUnknown;
      if (verdict.kind === 'final') return verdict.outcome;
      if (attempt > this.options.retries || signal.aborted || this.closed) return verdict.ifExhausted;
      const delayMs = this.options.retryDelayMs * attempt;
      this.emit({ type: 'retry', attempt, reason: verdict.reason, delayMs });
      await delay(delayMs, signal);
      if (signal.aborted || this.closed) return verdict.ifExhausted;
    }
  }

  private fields(request: ChargeRequest, ref: string): RequestFields {
    const year = request.expiryYear;
    return {
      text: {
        amount: formatMinorAmount(request.amountMinor, request.currency),
        amountMinor: String(request.amountMinor),
        currency: request.currency.toUpperCase(),
        expiryMonth: twoDigits(request.expiryMonth),
        expiryYear: String(year).padStart(4, '0'),
        expiryYear2: twoDigits(year % 100),
        merchantId: request.merchantId,
        reference: request.reference,
        customerId: request.customerId,
        description: request.description,
        idempotencyKey: request.idempotencyKey,
        attemptRef: ref,
        credentialName: this.options.credentials.name,
        credentialKey: this.options.credentials.transactionKey,
      },
      secret: { pan: request.pan, securityCode: request.securityCode },
    };
  }

  private emit(event: ConnectorEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a failing listener must not change a payment's outcome
    }
  }

  /** Aborts requests in flight (their outcome: aborted, unknown once sent) and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    return Promise.resolve();
  }
}
