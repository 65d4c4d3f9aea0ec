// Signed status callbacks: each payment status event is POSTed as JSON to the URL the desktop
// gave (checked by callback-policy.ts), with
//   X-Toneguard-Signature: t=<Unix seconds>,sha256=<hex HMAC-SHA256(secret, t + "." + body)>
// so the receiver can check the origin and, with the time inside what is signed, refuse replays
// older than WEBHOOK_TOLERANCE_SECONDS (docs/webhooks.md has a receiver's check).
// Delivery is in order per payment, best effort: a slow or failing receiver never delays the
// payment itself (bounded queue, timeout, two retries for network errors and 5xx). Redirects
// are not followed: a 3xx could point the POST at a host the callback rules refused. A host
// name is checked again when it is resolved (each connection): a public-looking name that
// resolves to a private address is refused unless the operator allowlisted callback hosts.
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { CodedError } from '../errors.js';
import { isNonPublicAddress } from './callback-policy.js';

/** How old a signed timestamp a receiver should still accept (s), either way for clock skew. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export class WebhookError extends CodedError<'ERR_WEBHOOK_NO_SECRET'> {}

export interface WebhookOptions {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs?: number;
  /** Connect to addresses that are loopback, private or link-local (the operator allowlisted the hosts); default false. */
  readonly privateAddresses?: boolean;
  /** For tests and logs: every delivery's final HTTP status (0: network error). */
  readonly onDelivery?: (status: number, attempt: number) => void;
}

/** The X-Toneguard-Signature value for `body` sent at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** DNS lookup (as net.connect calls it) that fails for a name with any non-public address. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((a) => isNonPublicAddress(a.address))) {
      return callback(Object.assign(new Error('callback host resolves to a non-public address'), { code: 'ERR_CALLBACK_PRIVATE_ADDRESS' }), '', 0);
    }
    if (options.all === true) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
};

const MAX_QUEUE = 256;
const RETRIES = 2;

export class StatusWebhook {
  readonly #options: WebhookOptions;
  readonly #queue: string[] = [];
  #running = false;
  #closed = false;
  dropped = 0;

  constructor(options: WebhookOptions) {
    // An empty HMAC key signs nothing: anyone could forge the callbacks.
    if (options.secret === '') throw new WebhookError('ERR_WEBHOOK_NO_SECRET', 'status callbacks need a signing secret (http.webhookSecret)');
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

  #post(body: string): Promise<number> {
    const timestamp = Math.floor(Date.now() / 1000);
    return new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(this.#options.url);
      } catch {
        resolve(0);
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-toneguard-signature': signWebhook(this.#options.secret, timestamp, body),
          },
          signal: AbortSignal.timeout(this.#options.timeoutMs ?? 3000),
          ...(this.#options.privateAddresses === true ? {} : { lookup: publicOnlyLookup }),
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', () => resolve(0));
        },
      );
      request.on('error', () => resolve(0));
      request.end(body);
    });
  }
}
