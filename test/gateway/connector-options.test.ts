// The connector as configured: the generic template and a custom template file against the
// simulator, the `kind: simulator` factories, and headers, Basic/Bearer and client-certificate
// authentication seen by a server.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { attemptRef } from '../../src/gateway/attempt-ref.js';
import { createConnector, createXmlConnector, openGateway, parseGatewayConfig } from '../../src/gateway/create-connector.js';
import { startGatewaySimulator } from '../../src/gateway/simulator.js';
import { CARDS, cardDataIn, chargeRequest, closedPort, connectorFor } from '../helpers/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'toneguard-gw-options-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('generic template against the simulator: approve, decline, replay', async (t) => {
  const simulator = await startGatewaySimulator({ listen: '127.0.0.1:0' });
  t.teardown(() => simulator.close());
  const { connector } = connectorFor(simulator, { template: 'generic' });
  const request = chargeRequest({ idempotencyKey: '0b7f3c9e-5a1d-4f2b-9c8e-1234567890ab' });
  const approved = await connector.charge(request);
  t.match(approved, { kind: 'approved', transactionId: /^[0-9]+$/ });
  t.same(await connector.charge(request), approved);
  t.equal(simulator.ledger().keys[attemptRef(request.idempotencyKey)]?.charges, 1);
  t.same(await connector.charge(chargeRequest({ amountMinor: 4251 })), { kind: 'declined', reason: 'insufficient-funds', code: '51' });
  await connector.close();
});

t.test('a custom template from a file, against the simulator', async (t) => {
  const simulator = await startGatewaySimulator({ listen: '127.0.0.1:0' });
  t.teardown(() => simulator.close());
  const path = join(dir, 'crm.yaml');
  // The customer's translation layer here happens to accept the generic request; the answer
  // is mapped by the file's own rules (the ReasonCode, not the Reason text).
  writeFileSync(
    path,
    [
      'name: crm-layer',
      'headers: { X-Crm-Route: payments }',
      'body: >-',
      '  <PaymentRequest><IdempotencyKey>{{idempotencyKey}}</IdempotencyKey><CustomerId>{{customerId}}</CustomerId>',
      '  <Amount currency="{{currency}}">{{amount}}</Amount><Card><Number>{{pan}}</Number>',
      '  <Expiry>{{expiryYear}}-{{expiryMonth}}</Expiry></Card></PaymentRequest>',
      'response:',
      '  rules:',
      '    - { when: { path: PaymentResponse.Status, equals: approved }, outcome: approved }',
      '    - { when: { path: PaymentResponse.Status, equals: declined }, outcome: declined }',
      '  transactionId: [PaymentResponse.Missing, PaymentResponse.TransactionId]',
      '  code: PaymentResponse.ReasonCode',
      '  reasons: { "2": refused-by-bank }',
    ].join('\n'),
  );
  const { connector } = connectorFor(simulator, { template: path });
  t.match(await connector.charge(chargeRequest({ cvv: null })), { kind: 'approved' });
  t.same(await connector.charge(chargeRequest({ pan: CARDS.doNotHonour })), { kind: 'declined', reason: 'refused-by-bank', code: '2' });
  await connector.close();
});

t.test('kind simulator: openGateway starts it on the configured address; createConnector waits for it', async (t) => {
  const port = await closedPort();
  const config = parseGatewayConfig({ kind: 'simulator', url: `https://127.0.0.1:${port}/xml/v1/request.api`, timeoutMs: 500 });
  const gateway = await openGateway(config);
  t.ok(gateway.simulator);
  t.equal(gateway.simulator?.url, `https://127.0.0.1:${port}/xml/v1/request.api`);
  t.match(await gateway.connector.charge(chargeRequest()), { kind: 'approved' });
  t.same(await gateway.connector.charge(chargeRequest({ pan: CARDS.noAnswer })), { kind: 'error', reason: 'timeout', outcomeUnknown: true });
  // The port is taken: the lazy connector reports every charge as an error, and openGateway throws.
  const busy = createConnector(config);
  t.same(await busy.charge(chargeRequest()), { kind: 'error', reason: 'simulator-unavailable', outcomeUnknown: false });
  await busy.close();
  await t.rejects(openGateway(config), { code: 'EADDRINUSE' });
  await gateway.close();
  // Credentials configured for the simulator are checked (E00007 as from Authorize.Net).
  const checked = await openGateway({ ...config, credentials: { name: 'login', transactionKey: 'key' } });
  t.match(await checked.connector.charge(chargeRequest()), { kind: 'approved' });
  await checked.close();
  const wrong = await startGatewaySimulator({ listen: '127.0.0.1:0', credentials: { name: 'login', transactionKey: 'other' } });
  const wrongKey = connectorFor(wrong, { credentials: { name: 'login', transactionKey: 'key' } });
  t.same(await wrongKey.connector.charge(chargeRequest()), { kind: 'error', reason: 'authentication-failed', outcomeUnknown: false });
  t.equal(wrong.ledger().charges, 0);
  await wrongKey.connector.close();
  await wrong.close();
  const lazy = createConnector(config);
  t.match(await lazy.charge(chargeRequest()), { kind: 'approved' });
  await lazy.close();
  t.throws(() => createConnector(parseGatewayConfig({ template: join(dir, 'nope.yaml') })), { code: 'gateway.template' });
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a certificate\n');
  t.throws(() => createXmlConnector(parseGatewayConfig({ kind: 'xml', caFile: garbage })), { code: 'gateway.config', message: /garbage\.pem: no PEM certificate/ });
  writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  t.throws(() => createXmlConnector(parseGatewayConfig({ kind: 'xml', caFile: garbage })), { code: 'gateway.config', message: /cannot be parsed/ });
  t.throws(() => createXmlConnector(parseGatewayConfig({ kind: 'xml', caFile: join(dir, 'nope.pem') })), { code: 'gateway.config', message: /gateway\.caFile: cannot read .*nope\.pem \(ENOENT\)/ });
});

interface Seen {
  readonly headers: IncomingMessage['headers'];
  readonly clientCn: string | null;
  readonly body: string;
}

async function recordingServer(t: Test, requestCert: boolean): Promise<{ url: string; ca: string; seen: Seen[]; client: { cert: string; key: string } }> {
  const pems = await generate([{ name: 'commonName', value: 'test gateway' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    clientCertificate: { cn: 'toneguard-client' },
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, keyEncipherment: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const seen: Seen[] = [];
  const server = createServer({ cert: pems.cert, key: pems.private, requestCert, rejectUnauthorized: requestCert, ca: [pems.cert] }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const cn = peer.subject?.CN;
      seen.push({ headers: req.headers, clientCn: typeof cn === 'string' ? cn : null, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end('<PaymentResponse><Status>approved</Status><TransactionId>9</TransactionId></PaymentResponse>');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `https://127.0.0.1:${port}/pay`, ca: pems.cert, seen, client: { cert: pems.clientcert ?? '', key: pems.clientprivate ?? '' } };
}

t.test('headers and Basic / Bearer authentication', async (t) => {
  const server = await recordingServer(t, false);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, server.ca);
  const basic = createXmlConnector(
    parseGatewayConfig({ kind: 'xml', template: 'generic', url: server.url, caFile, headers: { 'X-Merchant': 'acme' }, auth: { kind: 'basic', username: 'user', password: 'p@ss' } }),
  );
  t.match(await basic.charge(chargeRequest()), { kind: 'approved', transactionId: '9' });
  t.equal(server.seen[0]?.headers.authorization, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  t.equal(server.seen[0]?.headers['x-merchant'], 'acme');
  t.match(server.seen[0]?.headers['content-type'], /^application\/xml/);
  t.match(server.seen[0]?.body, /<Number>4111111111111111<\/Number>/, 'the card travels in the body only');
  t.same(cardDataIn(server.seen[0]?.headers, [CARDS.visa]), [], 'and never in a header');
  const bearer = createXmlConnector(parseGatewayConfig({ kind: 'xml', template: 'generic', url: server.url, caFile, auth: { kind: 'bearer', token: 'tok-1' } }));
  await bearer.charge(chargeRequest());
  t.equal(server.seen[1]?.headers.authorization, 'Bearer tok-1');
  // Without the CA, the same server fails TLS: verification is on by default.
  const untrusting = createXmlConnector(parseGatewayConfig({ kind: 'xml', template: 'generic', url: server.url }));
  t.same(await untrusting.charge(chargeRequest()), { kind: 'error', reason: 'tls', outcomeUnknown: false });
  t.equal(server.seen.length, 2);
});

t.test('client certificate authentication', async (t) => {
  const server = await recordingServer(t, true);
  const caFile = join(dir, 'ca2.pem');
  const certFile = join(dir, 'client.pem');
  const keyFile = join(dir, 'client.key');
  writeFileSync(caFile, server.ca);
  writeFileSync(certFile, server.client.cert);
  writeFileSync(keyFile, server.client.key);
  const withCert = createXmlConnector(parseGatewayConfig({ kind: 'xml', template: 'generic', url: server.url, caFile, auth: { kind: 'client-certificate', certFile, keyFile } }));
  t.match(await withCert.charge(chargeRequest()), { kind: 'approved' });
  t.equal(server.seen[0]?.clientCn, 'toneguard-client');
  const without = createXmlConnector(parseGatewayConfig({ kind: 'xml', template: 'generic', url: server.url, caFile, retries: 0 }));
  const refused = await without.charge(chargeRequest());
  t.same(refused, { kind: 'error', reason: 'tls', outcomeUnknown: false });
  t.equal(server.seen.length, 1, 'the server refused the request without a certificate');
});
