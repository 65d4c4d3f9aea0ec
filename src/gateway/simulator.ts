// The built-in HTTPS gateway simulator (rules in simulator-rules.ts). It speaks the
// `authorize-net` template's XML (and the `generic` one), keeps an idempotency ledger so a
// replayed key gets the first answer and is never charged twice, and can inject the faults a
// connector must survive. It never logs or stores a card number or security code: the ledger
// keeps the key, the outcome and the last four digits.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { generate } from 'selfsigned';
import { authorizeNetStructureProblems } from './authorize-net-schema.js';
import { attemptRef } from './attempt-ref.js';
import { parseDecimalAmount } from './currency.js';
import { escapeXml } from './request-body.js';
import { parseXml, selectText, type ParsedXml } from './response-mapping.js';
import { decide, type SimulatorDecision } from './simulator-rules.js';
import { parseListen, type SimulatorFault } from './simulator-options.js';

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

async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const now = Date.now();
  const result = await generate([{ name: 'commonName', value: 'toneguard gateway simulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: result.cert, key: result.private };
}

/** What the simulator read from a request. Card fields are JS strings here: parsing XML makes them so (a test gateway, never production). */
interface ParsedCharge {
  readonly format: 'authorize-net' | 'generic';
  readonly key: string;
  readonly pan: string;
  readonly expiryYear: number;
  readonly expiryMonth: number;
  readonly amount: string;
  readonly currency: string;
  /** merchantAuthentication name and transactionKey (Authorize.Net only). */
  readonly credentials: { readonly name: string; readonly transactionKey: string } | null;
}

type ParseResult = { readonly kind: 'charge'; readonly charge: ParsedCharge } | { readonly kind: 'invalid'; readonly format: 'authorize-net' | 'generic' | null; readonly detail: string };

function parseExpiry(text: string | null): { year: number; month: number } | null {
  const match = /^([0-9]{4})-([0-9]{2})$/.exec(text ?? '') ?? /^([0-9]{2})([0-9]{2})$/.exec(text ?? '');
  if (match === null) return null;
  // MMYY also accepted by Authorize.Net.
  if ((text ?? '').length === 4) return { year: 2000 + Number(match[2]), month: Number(match[1]) };
  return { year: Number(match[1]), month: Number(match[2]) };
}

function parseCharge(xml: string): ParseResult {
  const document: ParsedXml | null = parseXml(xml);
  if (document === null) return { kind: 'invalid', format: null, detail: 'not well-formed XML' };
  if ('createTransactionRequest' in document) {
    const problems = authorizeNetStructureProblems(xml);
    if (problems.length > 0) return { kind: 'invalid', format: 'authorize-net', detail: problems.join('; ') };
    const t = 'createTransactionRequest.transactionRequest';
    const expiry = parseExpiry(selectText(document, `${t}.payment.creditCard.expirationDate`));
    const pan = selectText(document, `${t}.payment.creditCard.cardNumber`);
    const amount = selectText(document, `${t}.amount`);
    if (expiry === null || pan === null || amount === null) return { kind: 'invalid', format: 'authorize-net', detail: 'card number, expiry (YYYY-MM) or amount missing' };
    const ref = selectText(document, 'createTransactionRequest.refId');
    return {
      kind: 'charge',
      charge: {
        format: 'authorize-net',
        key: ref ?? `no-ref-${randomInt(1e9)}`,
        pan,
        expiryYear: expiry.year,
        expiryMonth: expiry.month,
        amount,
        currency: selectText(document, `${t}.currencyCode`) ?? 'USD',
        credentials: {
          name: selectText(document, 'createTransactionRequest.merchantAuthentication.name') ?? '',
          transactionKey: selectText(document, 'createTransactionRequest.merchantAuthentication.transactionKey') ?? '',
        },
      },
    };
  }
  if ('PaymentRequest' in document) {
    const expiry = parseExpiry(selectText(document, 'PaymentRequest.Card.Expiry'));
    const pan = selectText(document, 'PaymentRequest.Card.Number');
    const amount = selectText(document, 'PaymentRequest.Amount');
    const key = selectText(document, 'PaymentRequest.IdempotencyKey');
    if (expiry === null || pan === null || amount === null || key === null || key === '')
      return { kind: 'invalid', format: 'generic', detail: 'IdempotencyKey, Card/Number, Card/Expiry or Amount missing' };
    return {
      kind: 'charge',
      charge: {
        format: 'generic',
        key,
        pan,
        expiryYear: expiry.year,
        expiryMonth: expiry.month,
        amount,
        currency: selectText(document, 'PaymentRequest.Amount.@currency') ?? 'USD',
        credentials: null,
      },
    };
  }
  return { kind: 'invalid', format: null, detail: 'unknown request (expected createTransactionRequest or PaymentRequest)' };
}

const ANET_HEAD =
  '<?xml version="1.0" encoding="utf-8"?>\n<createTransactionResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd">';

function cardType(last4Pan: string): string {
  if (last4Pan.startsWith('4')) return 'Visa';
  if (/^(5[1-5]|2[2-7])/.test(last4Pan)) return 'MasterCard';
  if (/^3[47]/.test(last4Pan)) return 'AmericanExpress';
  if (/^6(011|5)/.test(last4Pan)) return 'Discover';
  return 'Visa';
}

/** Authorize.Net answers (their createTransactionResponse samples), account number masked XXXX1234. */
function authorizeNetAnswer(ref: string, decision: SimulatorDecision, transactionId: string, last4: string, type: string): string {
  const refId = `<refId>${escapeXml(ref)}</refId>`;
  const masked = `<accountNumber>XXXX${last4}</accountNumber><accountType>${type}</accountType>`;
  if (decision.kind === 'approve') {
    const authCode = String(randomInt(100000, 999999));
    return `${ANET_HEAD}${refId}<messages><resultCode>Ok</resultCode><message><code>I00001</code><text>Successful.</text></message></messages><transactionResponse><responseCode>1</responseCode><authCode>${authCode}</authCode><avsResultCode>Y</avsResultCode><cvvResultCode>M</cvvResultCode><cavvResultCode>2</cavvResultCode><transId>${transactionId}</transId><refTransID /><transHash /><testRequest>0</testRequest>${masked}<messages><message><code>1</code><description>This transaction has been approved.</description></message></messages><transHashSha2 /><networkTransId>${transactionId}SIM</networkTransId></transactionResponse></createTransactionResponse>`;
  }
  if (decision.kind === 'decline') {
    const top =
      decision.responseCode === '2'
        ? '<resultCode>Ok</resultCode><message><code>I00001</code><text>Successful.</text></message>'
        : '<resultCode>Error</resultCode><message><code>E00027</code><text>The transaction was unsuccessful.</text></message>';
    // Declines carry a transId of 0 for errors, a real one for issuer declines (as the API does).
    const id = decision.responseCode === '2' ? transactionId : '0';
    return `${ANET_HEAD}${refId}<messages>${top}</messages><transactionResponse><responseCode>${decision.responseCode}</responseCode><authCode /><avsResultCode>P</avsResultCode><cvvResultCode /><cavvResultCode /><transId>${id}</transId><refTransID /><transHash /><testRequest>0</testRequest>${masked}<errors><error><errorCode>${decision.code}</errorCode><errorText>${escapeXml(decision.text)}</errorText></error></errors><transHashSha2 /></transactionResponse></createTransactionResponse>`;
  }
  return '';
}

function authorizeNetRequestError(code: string, text: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd"><messages><resultCode>Error</resultCode><message><code>${code}</code><text>${escapeXml(text)}</text></message></messages></ErrorResponse>`;
}

function genericAnswer(decision: SimulatorDecision, transactionId: string): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<PaymentResponse version="1">';
  if (decision.kind === 'approve') return `${head}<Status>approved</Status><TransactionId>${transactionId}</TransactionId><AuthCode>${randomInt(100000, 999999)}</AuthCode></PaymentResponse>`;
  if (decision.kind === 'decline') return `${head}<Status>declined</Status><ReasonCode>${decision.code}</ReasonCode><Reason>${decision.reason}</Reason></PaymentResponse>`;
  return '';
}

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
        send(
          res,
          200,
          `${ANET_HEAD}<messages><resultCode>Error</resultCode><message><code>E00007</code><text>User authentication failed due to invalid authentication values.</text></message></messages></createTransactionResponse>`,
        );
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
