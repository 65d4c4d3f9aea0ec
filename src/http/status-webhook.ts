// Signed status callbacks: each payment status event is POSTed as JSON to the URL the
// agent's desktop gave, with `X-Toneguard-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`
// and `X-Toneguard-Timestamp` (seconds), so the receiver can check origin and reject replays.
// Delivery is in order per payment, best effort: a slow or failing receiver never delays the
// payment itself (bounded queue, timeout, two retries for network errors and 5xx).
import { createHmac } from 'node:crypto';

export interface WebhookOptions {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs?: number;
  /** For tests and logs: every delivery's final HTTP status (0: network error). */
  readonly onDelivery?: (status: number, attempt: number) => void;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const MAX_QUEUE = 256;
const RETRIES = 2;

export class StatusWebhook {
  readonly #options: WebhookOptions;
  readonly #queue: string[] = [];
  #running = false;
  #closed = false;
  dropped = 0;

  constructor(options: WebhookOptions) {
    this.#options = options;
  }

  send(event: Readonly<Record<string, unknown>>): void {
    if (this.#closed) return;
    if (this.#queue.length >= MAX_QUEUE) {
      this.dropped++;
      return;
    }
    this.#queue.push(JSON.stringify(event));
    if (!this.#running) void this.#drain();
  }

  /** Resolves when everything queued has been tried. */
  async flush(): Promise<void> {
    while (this.#running || this.#queue.length > 0) await new Promise((r) => setTimeout(r, 10));
  }

  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0 && !this.#closed) {
      const body = this.#queue.shift() as string;
      for (let attempt = 1; attempt <= RETRIES + 1; attempt++) {
        const status = await this.#post(body);
        if ((status >= 200 && status < 500) || attempt === RETRIES + 1) {
          this.#options.onDelivery?.(status, attempt);
          break;
        }
      }
    }
    this.#running = false;
  }

  async #post(body: string): Promise<number> {
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await fetch(this.#options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-toneguard-timestamp': String(timestamp),
          'x-toneguard-signature': signWebhook(this.#options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 3000),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }
}
