// Status callbacks as a receiver sees them: the documented check (docs/webhooks.md, run as
// written) verifies what StatusWebhook really sends, and refuses a changed body, another
// secret and an old timestamp. Callbacks need a secret, and redirects are not followed.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { signWebhook, StatusWebhook, WEBHOOK_TOLERANCE_SECONDS } from '../../src/http/status-webhook.js';
import { loadDocsVerifier } from '../helpers/webhook-docs.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

async function receiver(t: Test, answer: (url: string) => { status: number; location?: string } = () => ({ status: 204 })) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const a = answer(req.url ?? '');
      res.writeHead(a.status, a.location === undefined ? {} : { location: a.location }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

t.test("the documented receiver's check verifies real callbacks and refuses tampering and old ones", async (t) => {
  const docs = await loadDocsVerifier();
  t.equal(docs.toleranceSeconds, WEBHOOK_TOLERANCE_SECONDS, 'the docs state the server tolerance');
  const r = await receiver(t);
  const hook = new StatusWebhook({ url: r.url, secret: 'receiver-secret' });
  hook.send({ event: 'status', paymentId: 'p1', for: 'payment-card-number', paymentCardNumber: 'xxxxxxxxxxxx1111' });
  hook.send({ event: 'result', paymentId: 'p1', result: 'success' });
  await hook.flush();
  t.equal(r.received.length, 2);
  for (const { headers, body } of r.received) {
    const signature = headers['x-toneguard-signature'] as string;
    t.match(signature, /^t=\d+,sha256=[0-9a-f]{64}$/, 'the timestamp is inside the signature header');
    const sentAt = Number(/^t=(\d+)/.exec(signature)?.[1]);
    t.ok(Math.abs(sentAt - Date.now() / 1000) < 5, 'timestamp is the time of sending');
    t.equal(docs.verify('receiver-secret', signature, body), true, 'verifies as received');
    t.equal(docs.verify('receiver-secret', signature, body.toString('utf8')), true, 'as a string too');
    t.equal(docs.verify('receiver-secret', signature, body, sentAt + WEBHOOK_TOLERANCE_SECONDS - 1), true, 'just inside the tolerance');
    t.equal(docs.verify('receiver-secret', signature, body, sentAt + WEBHOOK_TOLERANCE_SECONDS + 1), false, 'too old: refused');
    t.equal(docs.verify('receiver-secret', signature, body, sentAt - WEBHOOK_TOLERANCE_SECONDS - 1), false, 'from the future: refused');
    t.equal(docs.verify('another-secret', signature, body), false, 'another secret');
    t.equal(docs.verify('', signature, body), false, 'an empty secret never verifies');
    t.equal(docs.verify('receiver-secret', signature, Buffer.concat([body, Buffer.from(' ')])), false, 'a changed body');
    const replayed = signature.replace(/^t=\d+/, `t=${sentAt + 600}`);
    t.equal(docs.verify('receiver-secret', replayed, body, sentAt + 600), false, 'a new time on an old signature');
    t.equal(docs.verify('receiver-secret', undefined, body), false, 'no header');
  }
  t.equal(
    r.received[0].headers['x-toneguard-signature'],
    signWebhook('receiver-secret', Number(/^t=(\d+)/.exec(r.received[0].headers['x-toneguard-signature'] as string)?.[1]), r.received[0].body.toString()),
  );
});

t.test('callbacks need a secret', async (t) => {
  t.throws(() => new StatusWebhook({ url: 'https://crm.example/cb', secret: '' }), { code: 'ERR_WEBHOOK_NO_SECRET' });
});

t.test('a redirect from the receiver is not followed', async (t) => {
  const inner = await receiver(t);
  const outer = await receiver(t, () => ({ status: 307, location: inner.url }));
  const statuses: number[] = [];
  const hook = new StatusWebhook({ url: outer.url, secret: 's', onDelivery: (s) => statuses.push(s) });
  hook.send({ event: 'status' });
  await hook.flush();
  t.equal(outer.received.length, 1);
  t.equal(inner.received.length, 0, 'the redirect target got nothing');
  t.same(statuses, [307]);
});

t.test('a host name that resolves to a private address is refused at connect time unless allowed', async (t) => {
  const r = await receiver(t);
  const byName = r.url.replace('127.0.0.1', 'localhost');
  const statuses: number[] = [];
  const guarded = new StatusWebhook({ url: byName, secret: 's', onDelivery: (s) => statuses.push(s) });
  guarded.send({ event: 'status' });
  await guarded.flush();
  t.equal(r.received.length, 0, 'localhost resolves to loopback: nothing sent');
  t.same(statuses, [0], 'reported as a failed delivery');
  const allowed = new StatusWebhook({ url: byName, secret: 's', privateAddresses: true });
  allowed.send({ event: 'status' });
  await allowed.flush();
  t.equal(r.received.length, 1, 'delivered when the operator allowlisted the hosts');
});
