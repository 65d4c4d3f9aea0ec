// TCP slow-loris: a flood of idle or trickling connections from many addresses cannot lock a
// trusted source (the PBX) out, every connection must deliver a complete message within the
// first-message window, and partial bytes never keep a connection alive.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { SipStack, type SipLimits } from '../../src/sip/sip-stack.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function options(callId: string): string {
  return [
    'OPTIONS sip:toneguard@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-${callId}`,
    'From: <sip:probe@127.0.0.1>;tag=p1',
    'To: <sip:toneguard@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function server(t: Test, limits: Partial<SipLimits>, trustedSources: string[]): Promise<{ stack: SipStack; port: number }> {
  const stack = await SipStack.listen({ address: '127.0.0.1', port: 0, transports: ['tcp'], limits, trustedSources });
  t.teardown(() => stack.close());
  return { stack, port: stack.localAddress('tcp')?.port ?? 0 };
}

interface Client {
  readonly socket: Socket;
  closed: boolean;
  data: string;
}

/** Connects from `localAddress`; resolves once connected or refused (closed). */
async function client(port: number, localAddress: string): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  const c: Client = { socket, closed: false, data: '' };
  socket.on('error', () => undefined);
  socket.on('data', (d: Buffer) => (c.data += d.toString('latin1')));
  socket.on('close', () => (c.closed = true));
  await Promise.race([once(socket, 'connect'), once(socket, 'close')]);
  return c;
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

t.test('1,024 slow connections from 32 untrusted addresses: the trusted source is still answered, and the flood is closed after the first-message window', async (t) => {
  // A first-message window long enough for a loaded machine to open all 1,024 connections in it.
  const { stack, port } = await server(t, { maxConnections: 1000, maxConnectionsPerSource: 32, reservedConnections: 50, firstMessageTimeoutMs: 6000, tcpIdleTimeoutMs: 8000 }, ['127.0.0.1/32']);
  const flood: Client[] = [];
  const began = Date.now();
  for (let a = 2; a <= 33; a++) {
    const batch: Promise<Client>[] = [];
    for (let i = 0; i < 32; i++) batch.push(client(port, `127.0.0.${a}`));
    flood.push(...(await Promise.all(batch)));
  }
  // Half of them trickle an unfinished request line, a byte at a time.
  const trickle = setInterval(() => {
    for (let i = 0; i < flood.length; i += 2) if (!flood[i].closed) flood[i].socket.write('O');
  }, 200);
  t.teardown(() => clearInterval(trickle));
  await sleep(200);
  // A connection is established in the kernel before the server accepts (and refuses) it: on a
  // busy machine the refusals land a little later, so wait for the server to have seen them all.
  await until(() => stack.stats().refused >= 1024 - 950 && flood.filter((c) => !c.closed).length <= 950, 5000);
  t.ok(Date.now() - began < 5500, 'the flood is in place before its first-message window ends');
  t.equal(flood.filter((c) => !c.closed).length, 950, 'untrusted sources hold at most maxConnections - reservedConnections');
  t.equal(stack.stats().refused, 1024 - 950);

  const pbx = await client(port, '127.0.0.1');
  t.notOk(pbx.closed, 'the trusted source gets a connection');
  pbx.socket.write(options('trusted-probe'));
  t.ok(await until(() => /^SIP\/2\.0 200/.test(pbx.data), 1000), 'its OPTIONS is answered 200');

  t.ok(await until(() => flood.every((c) => c.closed), 8000), 'every flood connection closed after the first-message window, trickling or not');
  t.notOk(pbx.closed, 'the trusted connection that sent a message stays');
  t.equal(stack.stats().connections, 1);
  pbx.socket.destroy();
});

t.test('partial bytes never reset the idle timer; a complete message does; a held connection stays', async (t) => {
  const { stack, port } = await server(t, { firstMessageTimeoutMs: 400, tcpIdleTimeoutMs: 800 }, []);
  const slow = await client(port, '127.0.0.1');
  slow.socket.write(options('first'));
  t.ok(await until(() => slow.data.includes('200'), 1000));
  const start = Date.now();
  const drip = setInterval(() => {
    if (!slow.closed) slow.socket.write('I');
  }, 100);
  t.teardown(() => clearInterval(drip));
  t.ok(await until(() => slow.closed, 2000), 'closed although bytes kept coming');
  const lived = Date.now() - start;
  t.ok(lived >= 600 && lived < 1500, `closed about one idle period after its last message (${lived} ms)`);
  clearInterval(drip);

  const chatty = await client(port, '127.0.0.1');
  for (let i = 0; i < 4; i++) {
    chatty.socket.write(options(`keep-${i}`));
    await sleep(400);
  }
  t.notOk(chatty.closed, 'complete messages every 400 ms keep it (idle 800 ms)');

  const held = await client(port, '127.0.0.1');
  held.socket.write(options('held'));
  await until(() => held.data.includes('200'), 1000);
  const release = stack.holdConnection({ transport: 'tcp', address: '127.0.0.1', port: held.socket.localPort ?? 0 });
  await sleep(1800);
  t.notOk(held.closed, 'a connection with a dialog on it is not closed as idle');
  release();
  t.ok(await until(() => held.closed, 2000), 'closed once released and idle');
  t.ok(await until(() => chatty.closed, 2000), 'and the chatty one once it stops');
});
