// One HTTPS POST with the timeouts and fault classes a payment needs: whether the body was sent
// decides whether a failure can be retried (nothing sent) or leaves the outcome unknown.
// Node's own `https`; TLS is always verified (rejectUnauthorized), against the system roots
// plus any extra CA. One connection per request (agent: false): payments are few, and a reused
// keep-alive socket that dies under a sent request is the classic double-charge trap.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/** Largest answer read, bytes; anything longer is no payment answer. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface TransportOptions {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Trust (roots plus extra CAs) and client certificate, built once per connector by tlsContext(). */
  readonly secureContext: SecureContext;
  /** TCP and TLS handshake, ms. */
  readonly connectTimeoutMs: number;
  /** From the body sent to the end of the answer, ms. */
  readonly responseTimeoutMs: number;
}

export type FailureReason = 'connect-timeout' | 'timeout' | 'connection-refused' | 'connection-reset' | 'tls' | 'network' | 'aborted' | 'response-too-large';

export type TransportResult =
  | { readonly kind: 'response'; readonly status: number; readonly body: string }
  /** sent: the whole body was handed to the TLS connection, so the gateway may have acted on it. */
  | { readonly kind: 'failure'; readonly reason: FailureReason; readonly sent: boolean; readonly detail: string };

/** Sends `body`; calls `onSent` once the body is handed over (the caller zeroes it then). Never rejects. */
export type Transport = (body: Buffer, options: TransportOptions, onSent: () => void, signal?: AbortSignal) => Promise<TransportResult>;

export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
  readonly passphrase?: string;
}

/**
 * Node's root store plus `extraCa` (PEM), and the client certificate if any. Built once: parsing
 * the ~140 root certificates per request would cost more than the handshake. Throws on bad PEM.
 */
export function tlsContext(extraCa: readonly string[], clientCert: ClientCertificate | null): SecureContext {
  return createSecureContext({
    ca: [...rootCertificates, ...extraCa],
    ...(clientCert === null ? {} : { cert: clientCert.cert, key: clientCert.key, ...(clientCert.passphrase === undefined ? {} : { passphrase: clientCert.passphrase }) }),
  });
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : '';
}

export const postHttps: Transport = (body, options, onSent, signal) =>
  new Promise<TransportResult>((resolve) => {
    let settled = false;
    let tcpConnected = false;
    let tlsConnected = false;
    let sent = false;
    let connectTimer: NodeJS.Timeout | null = null;
    let responseTimer: NodeJS.Timeout | null = null;
    // Backstop for a peer that completes the handshake but never takes the body ('finish' never comes).
    const overallTimer = setTimeout(
      () => fail(sent ? 'timeout' : 'connect-timeout', `no answer within ${options.connectTimeoutMs + options.responseTimeoutMs} ms`),
      options.connectTimeoutMs + options.responseTimeoutMs,
    );

    const finish = (result: TransportResult): void => {
      if (settled) return;
      settled = true;
      if (connectTimer !== null) clearTimeout(connectTimer);
      if (responseTimer !== null) clearTimeout(responseTimer);
      clearTimeout(overallTimer);
      signal?.removeEventListener('abort', onAbort);
      onSent(); // idempotent: zeroes the body on every path, sent or not
      resolve(result);
    };
    const fail = (reason: FailureReason, detail: string): void => {
      finish({ kind: 'failure', reason, sent, detail });
      req.destroy();
    };
    const onAbort = (): void => fail('aborted', 'aborted by the caller');

    // https.request hands its options to tls.connect, which takes a prepared secureContext
    // (@types/node leaves it out of RequestOptions).
    const requestOptions: RequestOptions & { secureContext: SecureContext } = {
      protocol: 'https:',
      hostname: options.url.hostname.replace(/^\[|\]$/g, ''),
      port: options.url.port === '' ? 443 : Number(options.url.port),
      path: `${options.url.pathname}${options.url.search}`,
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(body.length) },
      agent: false,
      rejectUnauthorized: true,
      secureContext: options.secureContext,
    };
    const req = httpsRequest(requestOptions);

    connectTimer = setTimeout(() => fail('connect-timeout', `no TLS connection within ${options.connectTimeoutMs} ms`), options.connectTimeoutMs);
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        tcpConnected = true;
      });
      socket.once('secureConnect', () => {
        tlsConnected = true;
        if (connectTimer !== null) clearTimeout(connectTimer);
        connectTimer = null;
      });
    });
    req.on('finish', () => {
      sent = true;
      onSent();
      responseTimer = setTimeout(() => fail('timeout', `no answer within ${options.responseTimeoutMs} ms of sending`), options.responseTimeoutMs);
    });
    req.on('error', (error) => {
      const code = errorCode(error);
      if (!tcpConnected && (code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL')) fail('connection-refused', code);
      else if (!tlsConnected && (TLS_CODES.test(code) || tcpConnected)) fail('tls', code || 'handshake failed');
      else if (TLS_CODES.test(code)) {
        // TLS 1.3 finishes the client's side of the handshake before the server checks the
        // client certificate; its alert (e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED) then
        // arrives after the body went out. The server's TLS layer refused the session, so its
        // HTTP layer never saw the request: nothing can have been charged.
        if (/ALERT/.test(code)) sent = false;
        fail('tls', code);
      } else if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') fail('connection-reset', code);
      else fail('network', code || 'network error');
    });
    req.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > MAX_RESPONSE_BYTES) {
          fail('response-too-large', `answer longer than ${MAX_RESPONSE_BYTES} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => finish({ kind: 'response', status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', (error) => fail('connection-reset', errorCode(error) || 'answer cut short'));
      response.on('aborted', () => fail('connection-reset', 'answer cut short'));
    });

    if (signal?.aborted === true) {
      fail('aborted', 'aborted by the caller');
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
