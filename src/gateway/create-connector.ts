// From the `gateway:` configuration block to a working PaymentConnector. `kind: xml` posts to
// the configured gateway; `kind: simulator` starts the built-in simulator on the URL's host and
// port and talks to it over real HTTPS, trusting its self-signed certificate (TLS stays verified).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChargeOutcome, ChargeRequest, PaymentConnector } from './connector.js';
import { describeZodIssues, type GatewayConfig, gatewayConfigSchema } from './gateway-config.js';
import { GatewayConfigError } from './gateway-error.js';
import { type GatewaySimulator, startGatewaySimulator } from './simulator.js';
import { loadTemplate } from './template.js';
import { tlsContext, type Transport } from './https-transport.js';
import type { SecureContext } from 'node:tls';
import { type ConnectorEvent, XmlConnector } from './xml-connector.js';

export interface ConnectorDependencies {
  /** Connector events (never card data); feed them to logs or KPIs. */
  readonly onEvent?: (event: ConnectorEvent) => void;
  /** Extra CA PEMs to trust besides `caFile` (the simulator's, when started elsewhere). */
  readonly extraCa?: readonly string[];
  /** Replaces the HTTPS POST (tests wrap the real one to watch the request buffer). */
  readonly transport?: Transport;
  /** Something an operator should know (no card data): e.g. the simulator moved to another port. */
  readonly onWarning?: (message: string) => void;
  /**
   * `kind: simulator`: when the URL's port is taken, listen on a free port instead of failing
   * (the server: several instances on one host each start their own simulator).
   */
  readonly simulatorPortFallback?: boolean;
}

/** Parses a `gateway:` block (undefined: every default); throws GatewayConfigError naming each bad field. */
export function parseGatewayConfig(value: unknown): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(value ?? {});
  if (!parsed.success) throw new GatewayConfigError('gateway.config', describeZodIssues('gateway', parsed.error));
  return parsed.data;
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new GatewayConfigError('gateway.config', `gateway.${key}: cannot read ${path} (${reason})`);
  }
}

/** The certificates of a PEM bundle; Node's TLS would silently ignore a file that holds none. */
function certificates(pem: string, source: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new GatewayConfigError('gateway.config', `${source}: no PEM certificate in it`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new GatewayConfigError('gateway.config', `${source}: a certificate in it cannot be parsed`);
    }
  }
  return blocks;
}

function authHeaders(config: GatewayConfig): Record<string, string> {
  const auth = config.auth;
  if (auth.kind === 'basic') return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return {};
}

/** The XML-over-HTTPS connector for `config`, against `url` (default: config.url). Reads caFile and client certificate files now. */
export function createXmlConnector(config: GatewayConfig, dependencies: ConnectorDependencies = {}, url: string = config.url): XmlConnector {
  const template = loadTemplate(config.template);
  const ca = [...(config.caFile === '' ? [] : certificates(readPem(config.caFile, 'caFile'), `gateway.caFile ${config.caFile}`)), ...(dependencies.extraCa ?? [])];
  const auth = config.auth;
  const clientCert =
    auth.kind === 'client-certificate'
      ? { cert: readPem(auth.certFile, 'auth.certFile'), key: readPem(auth.keyFile, 'auth.keyFile'), ...(auth.passphrase === undefined ? {} : { passphrase: auth.passphrase }) }
      : null;
  let secureContext: SecureContext;
  try {
    secureContext = tlsContext(ca, clientCert);
  } catch (error) {
    const detail = error instanceof Error && 'code' in error ? String(error.code) : 'invalid';
    throw new GatewayConfigError('gateway.config', `gateway.caFile / gateway.auth: not a usable PEM certificate or key (${detail})`);
  }
  return new XmlConnector({
    template,
    url: new URL(url),
    credentials: config.credentials,
    headers: { ...config.headers, ...authHeaders(config) },
    secureContext,
    connectTimeoutMs: config.connectTimeoutMs,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    retryDelayMs: config.retryDelayMs,
    ...(dependencies.onEvent === undefined ? {} : { onEvent: dependencies.onEvent }),
    ...(dependencies.transport === undefined ? {} : { transport: dependencies.transport }),
  });
}

/** A connector and, for `kind: simulator`, the simulator it talks to; close() closes both. */
export interface OpenGateway {
  readonly connector: PaymentConnector;
  readonly simulator: GatewaySimulator | null;
  close(): Promise<void>;
}

/** Starts what `config` needs (the simulator for `kind: simulator`, on config.url's host:port) and connects to it. */
export async function openGateway(config: GatewayConfig, dependencies: ConnectorDependencies = {}): Promise<OpenGateway> {
  if (config.kind === 'xml') {
    const connector = createXmlConnector(config, dependencies);
    return { connector, simulator: null, close: () => connector.close() };
  }
  const target = new URL(config.url);
  const port = target.port === '' ? '443' : target.port;
  // Validate the template before starting anything.
  loadTemplate(config.template);
  // Credentials configured for the simulator are checked by it, as Authorize.Net would.
  const credentials = config.credentials.name === '' && config.credentials.transactionKey === '' ? null : config.credentials;
  let simulator: GatewaySimulator;
  try {
    simulator = await startGatewaySimulator({ listen: `${target.hostname}:${port}`, credentials });
  } catch (error) {
    // Several instances on one host each start their own simulator: the connector talks to
    // whatever port it got, so a taken port is no reason to fail.
    if (dependencies.simulatorPortFallback !== true || (error as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') throw error;
    simulator = await startGatewaySimulator({ listen: `${target.hostname}:0`, credentials });
    dependencies.onWarning?.(`gateway.url port ${port} is in use; the built-in simulator listens on ${simulator.url} instead`);
  }
  const path = `${target.pathname}${target.search}`;
  const connector = createXmlConnector(config, { ...dependencies, extraCa: [...(dependencies.extraCa ?? []), simulator.caPem] }, new URL(path, simulator.url).toString());
  return {
    connector,
    simulator,
    close: async () => {
      await connector.close();
      await simulator.close();
    },
  };
}

/**
 * The connector `config` describes, ready at once. For `kind: simulator` the simulator starts
 * in the background and the first charge waits for it; a simulator that cannot start (port in
 * use) makes every charge an error `simulator-unavailable`. Prefer openGateway at start-up to
 * see that failure immediately.
 */
export function createConnector(config: GatewayConfig, dependencies: ConnectorDependencies = {}): PaymentConnector {
  if (config.kind === 'xml') return createXmlConnector(config, dependencies);
  loadTemplate(config.template); // bad templates fail here, not at the first payment
  const opening = openGateway(config, dependencies).then(
    (gateway) => gateway,
    () => null,
  );
  return {
    async charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeOutcome> {
      const gateway = await opening;
      if (gateway === null) return { kind: 'error', reason: 'simulator-unavailable', outcomeUnknown: false };
      return gateway.connector.charge(request, signal);
    },
    async close(): Promise<void> {
      const gateway = await opening;
      await gateway?.close();
    },
  };
}
