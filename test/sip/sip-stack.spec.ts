// Two stacks over real loopback sockets: INVITE/100/180/200/ACK/BYE over UDP and TCP, CANCEL,
// OPTIONS, TCP framing (several messages per segment, one message over several), TLS with a
// self-signed certificate made by openssl in the test.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Dialog, parseSipMessage, SipStack, type Destination, type SipRequest, type SipResponse, type SipTransport } from '../../src/sip/sip-stack.js';
import { StreamFramer } from '../../src/sip/stream-framer.js';
import { SipParseError } from '../../src/sip/sip-error.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n';

/** A UAS: INVITE -> 180 then 200 (unless `hold`), BYE/OPTIONS -> 200, others 405. */
function uas(stack: SipStack, transport: SipTransport, opts: { hold?: boolean } = {}): { requests: string[]; acks: SipRequest[]; cancelled: number } {
  const seen = { requests: [] as string[], acks: [] as SipRequest[], cancelled: 0 };
  stack.onRequest((req, tx) => {
    seen.requests.push(req.method);
    if (tx === undefined) {
      seen.acks.push(req);
      return;
    }
    if (req.method === 'INVITE') {
      tx.respond(180);
      tx.on('cancel', () => seen.cancelled++);
      if (!opts.hold) setTimeout(() => tx.respond(200, undefined, { body: SDP, contentType: 'application/sdp', headers: { Contact: stack.contact(transport, 'b') } }), 20);
    } else if (req.method === 'BYE' || req.method === 'OPTIONS') tx.respond(200);
    else tx.respond(405, undefined, { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS' } });
  });
  return seen;
}

async function pair(t: Test, transports: SipTransport[], extra: Parameters<typeof SipStack.listen>[0] = {}): Promise<[SipStack, SipStack]> {
  const a = await SipStack.listen({ port: 0, transports, ...extra });
  const b = await SipStack.listen({ port: 0, transports, ...extra });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  return [a, b];
}

function dest(stack: SipStack, transport: SipTransport): Destination {
  const local = stack.localAddress(transport);
  if (local === undefined) throw new Error('transport not bound');
  return { transport, address: local.address, port: local.port };
}

async function callAndHangUp(t: Test, transport: SipTransport): Promise<void> {
  const [a, b] = await pair(t, [transport]);
  const seen = uas(b, transport);
  const to = dest(b, transport);
  const invite = a.createRequest({
    method: 'INVITE',
    uri: `sip:b@127.0.0.1:${to.port}`,
    from: '<sip:a@127.0.0.1>',
    to: `<sip:b@127.0.0.1:${to.port}>`,
    contact: a.contact(transport, 'a'),
    body: SDP,
    contentType: 'application/sdp',
  });
  const tx = a.request(invite, to);
  const provisional: number[] = [];
  tx.on('provisional', (r) => provisional.push(r.status));
  const [ok] = (await once(tx, 'final')) as [SipResponse];
  t.equal(ok.status, 200);
  t.same(provisional, [180]);
  t.equal(ok.body.toString(), SDP);
  const dialog = Dialog.fromUacResponse(invite, ok);
  if (dialog === undefined) throw new Error('no dialog');
  t.equal(dialog.state, 'confirmed');
  t.match(dialog.remoteTarget, /^sip:b@127\.0\.0\.1:\d+/);
  tx.ack(dialog.createAck(1));
  const bye = dialog.createRequest('BYE');
  const hop = dialog.nextHop(transport);
  if (hop === undefined) throw new Error('no next hop');
  t.equal(hop.port, to.port);
  const byeTx = a.request(bye, hop);
  const [byeOk] = (await once(byeTx, 'final')) as [SipResponse];
  t.equal(byeOk.status, 200);
  t.same(seen.requests, ['INVITE', 'ACK', 'BYE']);
  t.equal(seen.acks[0].headers.get('cseq'), '1 ACK');
  t.equal(bye.headers.get('cseq'), '2 BYE');
}

t.test('UDP: INVITE, 180, 200, ACK, BYE between two stacks', (t) => callAndHangUp(t, 'udp'));
t.test('TCP: INVITE, 180, 200, ACK, BYE between two stacks', (t) => callAndHangUp(t, 'tcp'));

t.test('CANCEL: the UAS transaction gets 487 and a cancel event; the UAC sees 487', async (t) => {
  const [a, b] = await pair(t, ['udp']);
  const seen = uas(b, 'udp', { hold: true });
  const to = dest(b, 'udp');
  const invite = a.createRequest({ method: 'INVITE', uri: `sip:b@127.0.0.1:${to.port}`, from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>' });
  const tx = a.request(invite, to);
  await once(tx, 'provisional');
  tx.cancel();
  const [final] = (await once(tx, 'final')) as [SipResponse];
  t.equal(final.status, 487);
  t.equal(seen.cancelled, 1);
  t.same(seen.requests, ['INVITE'], 'CANCEL is not a new request for the TU');
});

t.test('OPTIONS answered 200; unknown methods 405; a stack without handler answers OPTIONS itself', async (t) => {
  const [a, b] = await pair(t, ['udp']);
  uas(b, 'udp');
  const to = dest(b, 'udp');
  const send = async (method: string, target: Destination): Promise<number> => {
    const tx = a.request(a.createRequest({ method, uri: `sip:127.0.0.1:${target.port}`, from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>' }), target);
    const [r] = (await once(tx, 'final')) as [SipResponse];
    return r.status;
  };
  t.equal(await send('OPTIONS', to), 200);
  t.equal(await send('MESSAGE', to), 405);
  const c = await SipStack.listen({ port: 0, transports: ['udp'] });
  t.teardown(() => c.close());
  t.equal(await send('OPTIONS', dest(c, 'udp')), 200);
});

function options(callId: string, branch: string): string {
  return [
    'OPTIONS sip:x@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:5599;branch=z9hG4bK${branch}`,
    'Max-Forwards: 70',
    'From: <sip:t@127.0.0.1>;tag=1',
    'To: <sip:x@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Collects responses read from a raw TCP socket. */
function reader(socket: Socket): { responses: SipResponse[]; next: (n: number) => Promise<void> } {
  const framer = new StreamFramer(65_535);
  const responses: SipResponse[] = [];
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const f of framer.push(chunk)) {
      if (f.kind !== 'message') continue;
      const m = parseSipMessage(f.bytes);
      if (!(m instanceof SipParseError) && m.kind === 'response') responses.push(m);
    }
    waiter?.();
  });
  const next = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (responses.length >= n) resolve();
        else waiter = check;
      };
      check();
    });
  return { responses, next };
}

t.test('TCP framing: two messages in one segment, one message across three segments, CRLF keep-alives', async (t) => {
  const b = await SipStack.listen({ port: 0, transports: ['tcp'] });
  t.teardown(() => b.close());
  uas(b, 'tcp');
  const socket = connect(dest(b, 'tcp').port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  const r = reader(socket);
  socket.write('\r\n\r\n' + options('one', 'a1') + options('two', 'a2'));
  await r.next(2);
  t.same(
    r.responses.map((m) => [m.status, m.headers.get('call-id')]),
    [
      [200, 'one'],
      [200, 'two'],
    ],
  );
  const third = Buffer.from(options('three', 'a3'));
  socket.write(third.subarray(0, 10));
  await new Promise((res) => setTimeout(res, 30));
  socket.write(third.subarray(10, 100));
  await new Promise((res) => setTimeout(res, 30));
  socket.write(third.subarray(100));
  await r.next(3);
  t.equal(r.responses[2].headers.get('call-id'), 'three');
});

t.test('TLS with a self-signed certificate (openssl): OPTIONS and a call', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'));
  const key = readFileSync(join(dir, 'key.pem'));
  const [a, b] = await pair(t, ['tls'], { tls: { cert, key }, tlsClient: { ca: cert } });
  const seen = uas(b, 'tls');
  const to = dest(b, 'tls');
  const tx = a.request(a.createRequest({ method: 'OPTIONS', uri: `sips:127.0.0.1:${to.port}`, from: '<sips:a@127.0.0.1>', to: '<sips:b@127.0.0.1>' }), to);
  const [r] = (await once(tx, 'final')) as [SipResponse];
  t.equal(r.status, 200);
  t.same(seen.requests, ['OPTIONS']);
  t.match(tx.request.headers.get('via') ?? '', /^SIP\/2\.0\/TLS /);

  // An untrusted certificate is refused: the transaction reports a transport error.
  const c = await SipStack.listen({ port: 0, transports: ['tls'], tls: { cert, key } });
  t.teardown(() => c.close());
  const bad = c.request(c.createRequest({ method: 'OPTIONS', uri: `sips:127.0.0.1:${to.port}`, from: '<sips:c@127.0.0.1>', to: '<sips:b@127.0.0.1>' }), to);
  const [err] = (await once(bad, 'transportError')) as [Error];
  t.match(err.message, /tls connect/);
});

t.test('responses carry received and rport (§18.2.1, RFC 3581); TCP connect refused is a transport error', async (t) => {
  const [a, b] = await pair(t, ['udp', 'tcp']);
  uas(b, 'udp');
  const to = dest(b, 'udp');
  const tx = a.request(a.createRequest({ method: 'OPTIONS', uri: `sip:127.0.0.1:${to.port}`, from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>' }), to);
  const [r] = (await once(tx, 'final')) as [SipResponse];
  t.match(r.headers.get('via') ?? '', new RegExp(`;rport=${a.localAddress('udp')?.port}`));
  t.match(r.headers.get('via') ?? '', /;received=127\.0\.0\.1/);
  const closed = await SipStack.listen({ port: 0, transports: ['tcp'] });
  const port = closed.localAddress('tcp')?.port ?? 0;
  await closed.close();
  const bad = a.request(a.createRequest({ method: 'OPTIONS', uri: `sip:127.0.0.1:${port};transport=tcp`, from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>' }), {
    transport: 'tcp',
    address: '127.0.0.1',
    port,
  });
  const [err] = (await once(bad, 'transportError')) as [Error];
  t.match(err.message, /tcp connect/);
  t.equal(bad.state, 'terminated');
});

t.test('a destination the socket API rejects (port 0, a malformed address) is a transport error, not a throw', async (t) => {
  const [a] = await pair(t, ['udp', 'tcp']);
  for (const bad of [
    { transport: 'udp' as const, address: '127.0.0.1', port: 0 },
    { transport: 'udp' as const, address: '127.0.0.1', port: 70000 },
    { transport: 'tcp' as const, address: '127.0.0.1', port: 0 },
    { transport: 'udp' as const, address: 'not an address', port: 5060 },
  ]) {
    const tx = a.request(a.createRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>' }), bad);
    const [err] = (await once(tx, 'transportError')) as [Error];
    t.match(err.message, /port|send|address|ENOTFOUND|EAI_AGAIN/, `${bad.transport} ${bad.address}:${bad.port}: ${err.message}`);
  }
});

t.test('TCP: a response whose connection closed goes over a new one to the Via sent-by (§18.2.2)', async (t) => {
  const b = await SipStack.listen({ port: 0, transports: ['tcp'] });
  t.teardown(() => b.close());
  b.onRequest((req, tx) => setTimeout(() => tx?.respond(200), 100));
  let received = '';
  const accepted: Socket[] = [];
  const server = createServer((so) => {
    accepted.push(so);
    so.on('data', (d: Buffer) => (received += d.toString()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        for (const so of accepted) so.destroy();
        server.close(() => r());
      }),
  );
  const address = server.address();
  const sentByPort = typeof address === 'object' && address !== null ? address.port : 0;
  const socket = connect(dest(b, 'tcp').port, '127.0.0.1');
  await once(socket, 'connect');
  socket.end(options('reopen', 'reopen').replace('127.0.0.1:5599', `127.0.0.1:${sentByPort}`));
  for (let i = 0; i < 100 && !received.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
  t.match(received, /^SIP\/2\.0 200 OK\r\n/);
  t.match(received, /Call-ID: reopen/);
});

t.test('a request started once the stack is closed fails as a transport error and ends its transaction', async (t) => {
  const [a, b] = await pair(t, ['udp']);
  const closing = a.close();
  const tx = a.request(a.createRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>' }), dest(b, 'udp'));
  const [err] = (await once(tx, 'transportError')) as [Error];
  t.match(err.message, /closed/);
  t.equal(tx.state, 'terminated', 'no timers left running');
  await closing;
});
