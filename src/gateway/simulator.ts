// The built-in HTTPS gateway simulator: its server, idempotency ledger and faults (request
// parsing in simulator-request.ts, rules in simulator-rules.ts, answers in simulator-answers.ts).
// It speaks the `authorize-net` template's XML (and the `generic` one), keeps an idempotency
// ledger so a replayed key gets the first answer and is never charged twice, and can inject the
// faults a connector must survive. It never logs or stores a card number or security code: the
// ledger keeps the key, the outcome and the last four digits.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { attemptRef } from './attempt-ref.js';
import { parseDecimalAmount } from './currency.js';
import { authorizeNetAnswer, authorizeNetAuthenticationError, authorizeNetRequestError, cardType, genericAnswer } from './simulator-answers.js';
import { selfSignedCertificate } from './simulator-certificate.js';
import { parseListen, type SimulatorFault } from './simulator-options.js';
import { parseCharge, type ParsedCharge } from './simulator-request.js';
import { decide } from './simulator-rules.js';

export { isSimulatorFault, parseListen, SIMULATOR_FAULTS, type SimulatorFault } from './simulator-options.js';

export interface LedgerEntry {
  /** Requests seen with this key. */
  requests: number;
  /** Times the rules were applied (a charge decided): at most 1 per key by construction. */
  processed: number;
  /** 1 when the decision was an approval. */
  charges: number;
  outcome: 'approved' | 'declined' | 'no-answer' | null;
  transactionId: string | null;
  cardLast4: string | null;
  amount: string | null;
  /** The first answer, replayed for the same key. */
  answer: string | null;
}

export interface LedgerStats {
  readonly requests: number;
  readonly charges: number;
  readonly tlsErrors: number;
  readonly keys: Readonly<Record<string, Readonly<LedgerEntry>>>;
}

export type SimulatorEvent =
  | {
      readonly type: 'request';
      readonly key: string;
      readonly cardLast4: string | null;
      readonly amount: string | null;
      readonly outcome: string;
      readonly replay: boolean;
      readonly fault: SimulatorFault | null;
    }
  | { readonly type: 'bad-request'; readonly status: number; readonly detail: string }
  | { readonly type: 'tls-error'; readonly detail: string };

export interface GatewaySimulatorOptions {
  /** host:port, [v6]:port; port 0 picks a free one. */
  readonly listen: string;
  /** PEM certificate and key; generated (self-signed, for 127.0.0.1, ::1 and localhost) when absent. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Played on every request (the CLI's --fault). */
  readonly fault?: SimulatorFault | null;
  /** Delay of the `slow` fault, ms. */
  readonly slowMs?: number;
  readonly onEvent?: (event: SimulatorEvent) => void;
  /** When set, Authorize.Net requests must carry these in merchantAuthentication (else E00007, as the API answers). */
  readonly credentials?: { readonly name: string; readonly transactionKey: string } | null;
  /** The clock for expiry checks. */
  readonly now?: () => Date;
  /** First transaction ID given (then counting up); default a random 11-digit number. Tests use 16 digits, as Adyen's pspReference has. */
  readonly firstTransactionId?: number;
}

export interface GatewaySimulator {
  /** https://host:port/xml/v1/request.api (any path is accepted). */
  readonly url: string;
  /** The certificate to trust (the self-signed one); give it to the connector as its CA. */
  readonly caPem: string;
  /** Queues faults for the next requests, one each, in order. */
  injectFaults(faults: readonly SimulatorFault[]): void;
  ledger(): LedgerStats;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 64 * 1024;
export const SIMULATOR_PATH = '/xml/v1/request.api';

export async function startGatewaySimulator(options: GatewaySimulatorOptions): Promise<GatewaySimulator> {
  const { host, port } = parseListen(options.listen);
  const tls = options.tls ?? (await selfSignedCertificate());
  const slowMs = options.slowMs ?? 3000;
  const now = options.now ?? ((): Date => new Date());
  const ledger = new Map<string, LedgerEntry>();
  const queued: SimulatorFault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let requests = 0;
  let tlsErrors = 0;
  // Fresh numeric transaction IDs: a random 11-digit start, then counting up.
  let nextTransactionId = options.firstTransactionId ?? 60_000_000_000 + randomInt(0, 1_000_000_000);

  const emit = (event: SimulatorEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // a failing listener must not stop the simulator
    }
  };

  const send = (res: ServerResponse, status: number, body: string, contentType = 'text/xml; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const answerCharge = (req: IncomingMessage, res: ServerResponse, charge: ParsedCharge, fault: SimulatorFault | null): void => {
    // attemptRef is the identity on its own output, so refIds and long generic keys share one ledger namespace.
    const key = attemptRef(charge.key);
    let entry = ledger.get(key);
    const replay = entry !== undefined && entry.processed > 0;
    if (entry === undefined) {
      entry = { requests: 0, processed: 0, charges: 0, outcome: null, transactionId: null, cardLast4: null, amount: null, answer: null };
      ledger.set(key, entry);
    }
    entry.requests++;
    const last4 = charge.pan.slice(-4);
    if (fault === 'http-503' || fault === 'http-400') {
      emit({ type: 'request', key, cardLast4: last4, amount: `${charge.amount} ${charge.currency}`, outcome: 'not-processed', replay, fault });
      send(res, fault === 'http-503' ? 503 : 400, fault === 'http-503' ? 'Service Unavailable\n' : 'Bad Request\n', 'text/plain');
      return;
    }
    if (!replay) {
      const minor = parseDecimalAmount(charge.amount, charge.currency);
      const minorPart = minor === null ? null : minor % 100;
      const decision = decide({ pan: charge.pan, expiryYear: charge.expiryYear, expiryMonth: charge.expiryMonth, minorPart }, now());
      const transactionId = String(nextTransactionId++);
      entry.processed++;
      entry.cardLast4 = last4;
      entry.amount = `${charge.amount} ${charge.currency}`;
      if (decision.kind === 'approve') {
        entry.outcome = 'approved';
        entry.charges = 1;
        entry.transactionId = transactionId;
      } else if (decision.kind === 'decline') {
        entry.outcome = 'declined';
        entry.transactionId = decision.responseCode === '2' ? transactionId : null;
      } else {
        entry.outcome = 'no-answer';
      }
      const type = cardType(charge.pan.slice(0, 6));
      entry.answer = decision.kind === 'no-answer' ? null : charge.format === 'authorize-net' ? authorizeNetAnswer(key, decision, transactionId, last4, type) : genericAnswer(decision, transactionId);
    }
    emit({ type: 'request', key, cardLast4: last4, amount: `${charge.amount} ${charge.currency}`, outcome: entry.outcome ?? 'unknown', replay, fault });
    const answer = entry.answer;
    if (answer === null || fault === 'no-answer') return; // the socket stays open until the client gives up or close()
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'http-500') {
      send(res, 500, 'Internal Server Error\n', 'text/plain');
      return;
    }
    if (fault === 'malformed-xml') {
      send(res, 200, answer.slice(0, Math.floor(answer.length / 2)));
      return;
    }
    if (fault === 'unexpected-xml') {
      send(res, 200, '<?xml version="1.0"?>\n<maintenance><status>back soon</status></maintenance>');
      return;
    }
    if (fault === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send(res, 200, answer);
      }, slowMs);
      timers.add(timer);
      return;
    }
    send(res, 200, answer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    if (req.method !== 'POST') {
      emit({ type: 'bad-request', status: 405, detail: `method ${req.method ?? ''}` });
      send(res, 405, 'POST only\n', 'text/plain');
      return;
    }
    // A client that drops the connection mid-request must not take the simulator down.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const fault = queued.shift() ?? options.fault ?? null;
      if (length > MAX_REQUEST_BYTES) {
        emit({ type: 'bad-request', status: 413, detail: 'request too large' });
        send(res, 413, 'Request too large\n', 'text/plain');
        return;
      }
      const raw = Buffer.concat(chunks);
      for (const chunk of chunks) chunk.fill(0);
      const text = raw.toString('utf8'); // unavoidable: the XML parser wants a string
      raw.fill(0);
      const parsed = parseCharge(text);
      if (parsed.kind === 'invalid') {
        emit({ type: 'bad-request', status: parsed.format === 'authorize-net' || parsed.format === null ? 200 : 400, detail: parsed.detail });
        // Authorize.Net answers schema errors with HTTP 200 and E00003.
        if (parsed.format === 'generic') send(res, 400, 'Bad Request\n', 'text/plain');
        else send(res, 200, authorizeNetRequestError('E00003', `The request is invalid: ${parsed.detail}`));
        return;
      }
      const expected = options.credentials ?? null;
      const given = parsed.charge.credentials;
      if (expected !== null && given !== null && (given.name !== expected.name || given.transactionKey !== expected.transactionKey)) {
        emit({ type: 'bad-request', status: 200, detail: 'E00007 authentication failed' });
        send(res, 200, authorizeNetAuthenticationError());
        return;
      }
      answerCharge(req, res, parsed.charge, fault);
    });
  };

  const server: Server = createServer({ cert: tls.cert, key: tls.key }, handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error) => {
    tlsErrors++;
    emit({ type: 'tls-error', detail: 'code' in error ? String(error.code) : error.message });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `https://${urlHost}:${boundPort}${SIMULATOR_PATH}`,
    caPem: tls.cert,
    injectFaults(faults: readonly SimulatorFault[]): void {
      queued.push(...faults);
    },
    ledger(): LedgerStats {
      const keys: Record<string, LedgerEntry> = {};
      let charges = 0;
      for (const [key, entry] of ledger) {
        keys[key] = { ...entry };
        charges += entry.charges;
      }
      return { requests, charges, tlsErrors, keys };
    },
    close(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
