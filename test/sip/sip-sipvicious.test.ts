// SIPVicious scans (Debian package sipvicious: svmap, svwar) against a listening stack that
// answers OPTIONS 200 and everything else 404: the scans complete, svmap sees the server and its
// User-Agent, svwar finds no extension, and the stack keeps answering.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SipStack, type SipResponse } from '../../src/sip/sip-stack.js';
import { once } from 'node:events';

function which(cmd: string): Promise<boolean> {
  return new Promise((resolve) => execFile('sh', ['-c', `command -v ${cmd}`], (err) => resolve(err === null)));
}

function run(cmd: string, args: string[], home: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, HOME: home }, timeout: 50_000 }, (error, out, err) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, out, err });
    });
  });
}

t.test('svmap and svwar against the stack', async (t) => {
  if (!(await which('svmap')) || !(await which('svwar'))) {
    if (process.getuid?.() === 0) t.fail('svmap/svwar missing although root: scripts/install-test-tools.sh should install sipvicious');
    else t.plan(0, 'sipvicious (svmap, svwar) is not installed and we are not root: apt-get install sipvicious');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'sipvicious-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const stack = await SipStack.listen({ port: 0, transports: ['udp', 'tcp'], userAgent: 'toneguard-scan-test' });
  t.teardown(() => stack.close());
  const methods = new Map<string, number>();
  stack.onRequest((req, tx) => {
    methods.set(req.method, (methods.get(req.method) ?? 0) + 1);
    if (req.method === 'OPTIONS') tx?.respond(200);
    else tx?.respond(404);
  });
  const port = String(stack.localAddress('udp')?.port);

  const map = await run('svmap', ['-p', port, '127.0.0.1'], home);
  t.equal(map.code, 0, 'svmap completed');
  t.match(map.out, new RegExp(`127\\.0\\.0\\.1:${port}\\s*\\|\\s*toneguard-scan-test`), 'svmap lists the server with its User-Agent');

  const mapInvite = await run('svmap', ['-p', port, '-m', 'INVITE', '127.0.0.1'], home);
  t.equal(mapInvite.code, 0, 'svmap -m INVITE completed');

  const war = await run('svwar', ['-p', port, '-e', '100-399', '127.0.0.1'], home);
  t.equal(war.code, 0, 'svwar completed');
  t.notMatch(war.out, /\|\s*\d{3}\s*\|/, 'svwar found no extension');
  t.ok((methods.get('REGISTER') ?? 0) >= 300, `${methods.get('REGISTER')} REGISTERs answered`);
  t.equal(stack.stats().refused, 0, 'no limit hit by a default scan');

  // Still up: a fresh OPTIONS from another stack is answered.
  const client = await SipStack.listen({ port: 0, transports: ['udp'] });
  t.teardown(() => client.close());
  const tx = client.request(client.createRequest({ method: 'OPTIONS', uri: `sip:127.0.0.1:${port}`, from: '<sip:c@127.0.0.1>', to: '<sip:127.0.0.1>' }), {
    transport: 'udp',
    address: '127.0.0.1',
    port: Number(port),
  });
  const [res] = (await once(tx, 'final')) as [SipResponse];
  t.equal(res.status, 200);
});
