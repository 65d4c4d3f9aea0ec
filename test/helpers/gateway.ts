// Shared pieces of the gateway tests: charge requests with test cards, a connector against a
// simulator with every event recorded, and the PCI scan of everything both emitted.
import { createServer } from 'node:net';
import type { ChargeRequest } from '../../src/gateway/connector.js';
import { type ConnectorDependencies, createXmlConnector, parseGatewayConfig } from '../../src/gateway/create-connector.js';
import type { GatewayConfigInput } from '../../src/gateway/gateway-config.js';
import type { GatewaySimulator, SimulatorEvent } from '../../src/gateway/simulator.js';
import type { ConnectorEvent, XmlConnector } from '../../src/gateway/xml-connector.js';

/** Luhn-valid test cards by what the simulator does with them. */
export const CARDS = {
  visa: '4111111111111111',
  mastercard: '5555555555554444',
  doNotHonour: '4000000000000002',
  noAnswer: '4000000000000119',
  luhnInvalid: '4111111111111112',
} as const;
/** A security code no transaction ID or other field can contain as a separate token. */
export const CVV = '947';

let counter = 0;
export function uniqueKey(prefix = 'att'): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}`;
}

export function chargeRequest(overrides: Partial<Omit<ChargeRequest, 'pan' | 'securityCode'>> & { pan?: string; cvv?: string | null } = {}): ChargeRequest {
  const { pan, cvv, ...rest } = overrides;
  return {
    idempotencyKey: uniqueKey(),
    amountMinor: 1000,
    currency: 'GBP',
    pan: Buffer.from(pan ?? CARDS.visa, 'ascii'),
    expiryMonth: 12,
    expiryYear: new Date().getUTCFullYear() + 3,
    securityCode: cvv === null ? null : Buffer.from(cvv ?? CVV, 'ascii'),
    merchantId: 'merchant-1',
    reference: 'INV-1001',
    customerId: 'cust-42',
    description: 'Balance payment',
    ...rest,
  };
}

export interface Harness {
  readonly connector: XmlConnector;
  readonly events: ConnectorEvent[];
}

export function connectorFor(simulator: GatewaySimulator, config: GatewayConfigInput = {}, dependencies: ConnectorDependencies = {}): Harness {
  const events: ConnectorEvent[] = [];
  const connector = createXmlConnector(parseGatewayConfig({ kind: 'xml', url: simulator.url, timeoutMs: 2000, connectTimeoutMs: 1000, retryDelayMs: 10, ...config }), {
    extraCa: [simulator.caPem],
    onEvent: (event) => events.push(event),
    ...dependencies,
  });
  return { connector, events };
}

export function simulatorEventSink(): { events: SimulatorEvent[]; onEvent: (event: SimulatorEvent) => void } {
  const events: SimulatorEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}

/** Card data found in `emitted` (serialised), as descriptions; empty when clean. */
export function cardDataIn(emitted: unknown, pans: readonly string[], cvv: string = CVV): string[] {
  const text = typeof emitted === 'string' ? emitted : JSON.stringify(emitted);
  const found: string[] = [];
  for (const pan of pans) if (text.includes(pan)) found.push(`PAN ending ${pan.slice(-4)}`);
  // The first six and the middle digits must not appear either (last four are allowed).
  for (const pan of pans) if (text.includes(pan.slice(0, 12))) found.push(`first 12 digits of PAN ending ${pan.slice(-4)}`);
  if (new RegExp(`(^|[^0-9])${cvv}([^0-9]|$)`).test(text)) found.push('security code');
  return found;
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
