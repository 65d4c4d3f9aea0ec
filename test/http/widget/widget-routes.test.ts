import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { createHttpApp } from '../../../src/http/http-app.js';
import { WidgetHub } from '../../../src/http/widget/widget-hub.js';
import { WIDGET_NOT_FOUND_CSP, WIDGET_PAGE_CSP } from '../../../src/http/widget/widget-page.js';
import { registerWidgetRoutes } from '../../../src/http/widget/widget-routes.js';
import { WidgetTokens } from '../../../src/http/widget-token.js';
import { createLogger } from '../../../src/server/logger.js';

const TOKEN = 'widget-test-token';
const widgetTokens = new WidgetTokens('');

/** The scoped token an agent's widget gets for one call. */
function tokenFor(callId: string): string {
  return encodeURIComponent(widgetTokens.mint({ callId, scopes: ['watch', 'pay'], expiresAt: Math.floor(Date.now() / 1000) + 600 }));
}

async function startApp(t: Test, hub: WidgetHub, heartbeatMs = 15_000) {
  const app = await createHttpApp({ token: TOKEN, logger: createLogger('silent'), widgetTokens });
  registerWidgetRoutes(app, { hub, heartbeatMs, maxStreamsPerCall: 2 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const { port } = app.server.address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}` };
}

/** An SSE client that keeps the raw text and the parsed events. */
function openStream(url: string): Promise<{ res: IncomingMessage; text: () => string; events: { event: string; data: string }[]; ended: Promise<void>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let raw = '';
      const events: { event: string; data: string }[] = [];
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        const blocks = raw.split('\n\n');
        events.length = 0;
        for (const block of blocks.slice(0, -1)) {
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data !== undefined) events.push({ event, data });
        }
      });
      resolve({ res, text: () => raw, events, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

async function until(what: string, test: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!test()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('the page is static and public (its token rides in the fragment), never with the master token in the URL, with a strict CSP', async (t) => {
  const { app } = await startApp(t, new WidgetHub());
  t.equal((await app.inject({ url: `/widget/call-1?token=${TOKEN}` })).statusCode, 401, 'the master token in the URL is refused');
  const res = await app.inject({ url: '/widget/call-1' });
  t.equal(res.statusCode, 200);
  t.match(res.body, /location\.hash/, 'the page reads its token from the fragment');
  t.match(res.headers['content-type'], /text\/html/);
  t.equal(res.headers['content-security-policy'], WIDGET_PAGE_CSP);
  t.match(WIDGET_PAGE_CSP, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
  t.equal(res.headers['cache-control'], 'no-store');
  t.notMatch(res.body, /https?:\/\//, 'no external resource');
  t.notMatch(res.body, TOKEN, 'the token is not written into the page');
  t.notMatch(res.body, 'call-1', 'nothing from the URL is echoed (no injection)');
  t.match(res.body, /<label for="amount">/);
  // fastify's maxParamLength (100) answers 414 before the route's own 256-character bound.
  t.ok([400, 414].includes((await app.inject({ url: `/widget/${'x'.repeat(300)}` })).statusCode), 'an oversized call id is refused');
});

t.test('the stream sends the state at connect, each update, heartbeats, then end and closes', async (t) => {
  const hub = new WidgetHub();
  const { base } = await startApp(t, hub, 50);
  t.equal(
    await new Promise<number>((r) =>
      get(`${base}/widget/c1/events`, (res) => {
        res.resume();
        r(res.statusCode ?? 0);
      }),
    ),
    401,
  );
  hub.update('c1', { secure: true });
  const s = await openStream(`${base}/widget/c1/events?token=${tokenFor('c1')}`);
  t.equal(s.res.statusCode, 200);
  t.match(s.res.headers['content-type'], /text\/event-stream/);
  await until('first state', () => s.events.length >= 1);
  t.same(JSON.parse(s.events[0].data), { ...hub.snapshot('c1') });
  hub.update('c1', { field: 'payment-card-number', digitsEntered: 1 });
  await until('update', () => s.events.length >= 2);
  t.equal(JSON.parse(s.events[1].data).digitsEntered, 1);
  await until('heartbeat', () => s.text().includes(': heartbeat'));
  hub.end('c1');
  await s.ended;
  t.equal(s.events.at(-1)?.event, 'end');
  t.equal(hub.listenerCount('c1'), 0);
  // A widget opened after the end is told at once, not left waiting.
  const late = await openStream(`${base}/widget/c1/events?token=${tokenFor('c1')}`);
  await late.ended;
  t.same(
    late.events.map((e) => e.event),
    ['end'],
  );
});

t.test('an unknown call gets the initial state and waits; a disconnect lets go of the hub', async (t) => {
  const hub = new WidgetHub();
  const { base } = await startApp(t, hub);
  const s = await openStream(`${base}/widget/new-call/events?token=${tokenFor('new-call')}`);
  await until('state', () => s.events.length >= 1);
  t.equal(JSON.parse(s.events[0].data).callId, 'new-call');
  t.equal(JSON.parse(s.events[0].data).paymentId, null);
  t.equal(hub.listenerCount('new-call'), 1);
  s.close();
  await until('unsubscribe', () => hub.listenerCount('new-call') === 0);
  hub.update('new-call', { secure: true }); // no one listening: no write to a closed socket
  t.pass('update after disconnect is harmless');
});

t.test('streams per call are capped, and app.close() ends open streams', async (t) => {
  const hub = new WidgetHub();
  const { app, base } = await startApp(t, hub);
  const a = await openStream(`${base}/widget/c/events?token=${tokenFor('c')}`);
  const b = await openStream(`${base}/widget/c/events?token=${tokenFor('c')}`);
  await until('two listeners', () => hub.listenerCount('c') === 2);
  const c = await openStream(`${base}/widget/c/events?token=${tokenFor('c')}`);
  t.equal(c.res.statusCode, 429);
  c.close();
  const started = Date.now();
  await app.close();
  await Promise.all([a.ended, b.ended]);
  t.ok(Date.now() - started < 2000, 'close does not hang on open streams');
  t.equal(hub.listenerCount('c'), 0);
});

t.test('an unknown call id gets a readable 404 page (static, no script); a live or recently ended call gets the widget', async (t) => {
  const hub = new WidgetHub();
  const app = await createHttpApp({ token: TOKEN, logger: createLogger('silent'), widgetTokens });
  registerWidgetRoutes(app, { hub, callKnown: (id) => id === 'live-call' });
  t.teardown(() => app.close());
  const missing = await app.inject({ url: '/widget/no-such-call' });
  t.equal(missing.statusCode, 404);
  t.match(missing.headers['content-type'], /^text\/html/);
  t.match(missing.body, /<h1>No such call<\/h1>/);
  t.notMatch(missing.body, /<script|no-such-call/, 'no script, and the id asked for is not echoed');
  t.equal(missing.headers['content-security-policy'], WIDGET_NOT_FOUND_CSP);
  t.notMatch(WIDGET_NOT_FOUND_CSP, /script-src/, 'no script may run');
  t.equal((await app.inject({ url: '/widget/live-call' })).statusCode, 200);
  hub.update('ended-call', { paymentId: 'p1' });
  hub.end('ended-call');
  const ended = await app.inject({ url: '/widget/ended-call' });
  t.equal(ended.statusCode, 200, 'a call that just ended: the widget says so itself');
});
