// `npm start` (the compiled CLI's `serve`, no configuration) runs a whole
// payment against the built-in gateway simulator. Spawns the CLI in an empty working directory
// with the embedded defaults (SIP 127.0.0.1:5060, HTTP 127.0.0.1:8080, simulator 127.0.0.1:8443),
// checks the banner and readiness, runs one automated payment call paced by the prompt audio the
// caller hears, then SIGTERM: exit 0. Only this test uses those ports; it skips when one is taken.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { waitFor } from '../helpers/call-sip-peers.js';
import { compileCli, plainNode } from '../helpers/cli.js';
import { cardNeedles, filesUnder, needlesIn } from '../helpers/e2e-server.js';
import { ScriptedCaller } from '../helpers/scripted-caller.js';
import { testPort } from '../helpers/ports.js';

const VISA = '4111111111111111';
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '947';

async function tcpFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function udpFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

function isJsonObject(line: string): boolean {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}

t.test('npm start: defaults, banner, ready, a full payment against the built-in simulator, SIGTERM exits 0', async (t) => {
  const busy = [];
  for (const [kind, port] of [
    ['tcp', 8080],
    ['tcp', 5060],
    ['udp', 5060],
    ['tcp', 8443],
  ] as const) {
    if (!(kind === 'tcp' ? await tcpFree(port) : await udpFree(port))) busy.push(`${kind}/${port}`);
  }
  if (busy.length > 0) {
    t.pass('default ports taken', { skip: `ports in use: ${busy.join(', ')}` });
    return;
  }
  const { cli, workDir } = compileCli(t, 'npm-start');
  t.ok(existsSync(cli), 'the CLI compiled');
  const child = spawn(...plainNode([cli, 'serve']), { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitFor(() => stderr.includes('payment URI:') || child.exitCode !== null, 20_000);
  t.match(stderr, /toneguard listening: SIP udp\+tcp 127\.0\.0\.1:5060, RTP 127\.0\.0\.1:20000-29999 \((native|dgram) I\/O\), HTTP http:\/\/127\.0\.0\.1:8080/, 'banner: listeners');
  t.match(stderr, /dashboard: http:\/\/127\.0\.0\.1:8080\/dashboard/);
  t.match(
    stderr,
    /payment URI: sip:pay@127\.0\.0\.1; upstream PBX: sip:127\.0\.0\.1:5070; gateway: built-in simulator https:\/\/127\.0\.0\.1:8443\/xml\/v1\/request\.api; KPI store: SQLite \.\/data\/kpi\.sqlite/,
    'banner: payment URI, simulator, KPI store',
  );
  const ready = await fetch('http://127.0.0.1:8080/health/ready');
  t.equal(ready.status, 200, 'ready');
  await ready.arrayBuffer();

  // One payment, paced by what the caller hears: each key group once the next prompt is playing.
  const c = await ScriptedCaller.start(0, testPort(34550));
  t.teardown(() => c.close());
  t.equal(await c.dial(5060, 'sip:pay@127.0.0.1', { 'X-Payment-Customer-Id': 'C-1001', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'GBP' }), 200);
  const afterPromptStarts = async (keys: string) => {
    const since = Date.now();
    await waitFor(() => c.rtp.loudPackets(since) >= 5, 15_000).catch((error: unknown) => {
      t.comment(`no prompt after ${keys.length} keys: ${c.rtp.received.length} packets received, ${c.rtp.loudPackets()} loud; server said:\n${stdout}${stderr}`);
      throw error;
    });
    c.rtp.queueKeys(keys, 'rfc4733');
    await c.rtp.drained();
  };
  await afterPromptStarts('1');
  await afterPromptStarts(`${VISA}#`);
  await afterPromptStarts(EXPIRY);
  await afterPromptStarts(CVV);
  await afterPromptStarts('1');
  await waitFor(() => c.bye !== null, 20_000);
  const h = c.byeHeaders();
  t.equal(h['X-Payment-Result'], 'success', JSON.stringify(h));
  t.equal(h['X-Payment-Card-Last4'], '1111');
  t.match(h['X-Payment-Transaction-Id'], /^\d+$/, 'the built-in simulator charged the card');

  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0, 'SIGTERM: exit 0');
  const notJson = stdout.split('\n').filter((line) => line !== '' && !isJsonObject(line));
  t.same(notJson, [], 'stdout carries only JSON log lines (the banner is on stderr)');
  t.match(stdout, /"msg":"payments are simulated/, 'a warn-level line says payments are simulated');
  const needles = cardNeedles(VISA, EXPIRY, CVV);
  t.same(needlesIn(stdout + stderr, needles), [], 'no card data in the output');
  const written = filesUnder(workDir);
  t.ok(
    written.some((f) => f.path === join(workDir, 'data', 'kpi.sqlite')),
    'KPIs in ./data/kpi.sqlite',
  );
  for (const f of written) t.same(needlesIn(f.bytes, needles), [], `no card data in ${f.path}`);
});
