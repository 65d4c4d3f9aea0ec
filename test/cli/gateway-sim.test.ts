// `toneguard gateway-sim` end to end: it prints its URL and CA path, answers a connector that
// trusts that CA, prints one line per request without card data, and stops cleanly on SIGTERM.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { createXmlConnector, parseGatewayConfig } from '../../src/gateway/create-connector.js';
import { compileCli, plainNode } from '../helpers/cli.js';
import { CARDS, cardDataIn, chargeRequest } from '../helpers/gateway.js';

const { cli, workDir, run } = compileCli(t, 'gateway-sim');

interface Running {
  readonly output: () => string;
  readonly exit: Promise<number | null>;
  readonly kill: (signal: NodeJS.Signals) => void;
}

function start(...args: string[]): Running {
  const child = spawn(...plainNode([cli, 'gateway-sim', ...args]), { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exit = once(child, 'exit').then(([code]) => (typeof code === 'number' ? code : null));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { output: () => text, exit, kill: (signal) => child.kill(signal) };
}

async function waitFor(running: Running, pattern: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const until = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(running.output());
    if (match !== null) return match;
    if (Date.now() > until) throw new Error(`no ${pattern} in: ${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test('serves charges over HTTPS, prints no card data, exits 0 on SIGTERM', async (t) => {
  const sim = start('--listen', '127.0.0.1:0');
  const url = (await waitFor(sim, /listening on (https:\/\/\S+)/))[1] ?? '';
  const caFile = (await waitFor(sim, /CA certificate: (\S+)/))[1] ?? '';
  t.ok(existsSync(caFile));
  const connector = createXmlConnector(parseGatewayConfig({ kind: 'xml', url, caFile }));
  t.match(await connector.charge(chargeRequest()), { kind: 'approved' });
  t.match(await connector.charge(chargeRequest({ pan: CARDS.doNotHonour })), { kind: 'declined', reason: 'do-not-honour' });
  await waitFor(sim, /card=…0002/);
  t.match(sim.output(), /request key=\S+ card=…1111 amount=10\.00 GBP -> approved/);
  t.same(cardDataIn(sim.output(), [CARDS.visa, CARDS.doNotHonour]), []);
  sim.kill('SIGTERM');
  t.equal(await sim.exit, 0);
  t.notOk(existsSync(caFile), 'the temporary CA file is removed');
  await connector.close();
});

t.test('--fault plays on every request', async (t) => {
  const sim = start('--listen', '127.0.0.1:0', '--fault', 'http-503');
  const url = (await waitFor(sim, /listening on (https:\/\/\S+)/))[1] ?? '';
  const caFile = (await waitFor(sim, /CA certificate: (\S+)/))[1] ?? '';
  const connector = createXmlConnector(parseGatewayConfig({ kind: 'xml', url, caFile, retries: 1, retryDelayMs: 1 }));
  t.same(await connector.charge(chargeRequest()), { kind: 'error', reason: 'http-503', outcomeUnknown: false });
  sim.kill('SIGINT');
  t.equal(await sim.exit, 0);
});

t.test('exit codes: 2 for a bad address or fault, 1 when the port is taken', async (t) => {
  const bad = run('gateway-sim', '--listen', 'localhost');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--listen.*HOST:PORT/);
  t.equal(run('gateway-sim', '--fault', 'gremlins').status, 2);
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const address = blocker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const taken = run('gateway-sim', '--listen', `127.0.0.1:${port}`);
  t.equal(taken.status, 1);
  t.match(taken.stderr, /EADDRINUSE/);
  await new Promise<void>((resolve) => blocker.close(() => resolve()));
});
