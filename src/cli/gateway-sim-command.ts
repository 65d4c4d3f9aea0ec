// `toneguard gateway-sim [--listen ADDR] [--fault KIND] [--slow-ms N] [--ca-out FILE]`
// the HTTPS gateway simulator on its own, until SIGINT or SIGTERM. Prints its URL
// and where it wrote the CA certificate to trust, then one line per request (last four digits
// at most).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimulatorEvent, type SimulatorFault, startGatewaySimulator } from '../gateway/simulator.js';

export interface GatewaySimCommandOptions {
  readonly listen: string;
  readonly fault: SimulatorFault | null;
  readonly slowMs: number | undefined;
  /** Where to write the CA PEM; default: a fresh private temporary directory, removed at exit. */
  readonly caOut: string | undefined;
  /** Resolves when the simulator should stop (default: SIGINT or SIGTERM). */
  readonly stop?: Promise<void>;
}

function describe(event: SimulatorEvent): string {
  if (event.type === 'request') {
    const card = event.cardLast4 === null ? '' : ` card=…${event.cardLast4}`;
    const fault = event.fault === null ? '' : ` fault=${event.fault}`;
    return `request key=${event.key}${card} amount=${event.amount ?? '?'} -> ${event.outcome}${event.replay ? ' (replay)' : ''}${fault}`;
  }
  if (event.type === 'bad-request') return `bad request (${event.status}): ${event.detail}`;
  return `TLS handshake failed: ${event.detail}`;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export async function runGatewaySimCommand(options: GatewaySimCommandOptions, writeOut: (text: string) => void): Promise<void> {
  const simulator = await startGatewaySimulator({
    listen: options.listen,
    fault: options.fault,
    ...(options.slowMs === undefined ? {} : { slowMs: options.slowMs }),
    onEvent: (event) => writeOut(`${describe(event)}\n`),
  });
  const privateDir = options.caOut === undefined ? mkdtempSync(join(tmpdir(), 'toneguard-gateway-sim-')) : null;
  const caPath = options.caOut ?? join(privateDir ?? tmpdir(), 'ca.pem');
  try {
    writeFileSync(caPath, simulator.caPem, { mode: 0o644 });
    writeOut(`gateway simulator listening on ${simulator.url}\n`);
    writeOut(`CA certificate: ${caPath}\n`);
    if (options.fault !== null) writeOut(`every request: fault ${options.fault}\n`);
    await (options.stop ?? signalled());
  } finally {
    await simulator.close();
    if (privateDir !== null) rmSync(privateDir, { recursive: true, force: true });
  }
}
