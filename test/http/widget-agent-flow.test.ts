// The agent widget driving a real agent-assisted payment in headless Chromium (Debian's chromium
// driven by playwright-core): the real payment routes, coordinator, dialog and widget wiring over
// a fake call (no SIP; the caller's keys are injected as the media plane reports them). The agent
// works the page by keyboard only (Tab to a button, Enter or Space): captures fields out of order,
// is refused a complete with the missing fields named, completes, and on a second payment
// cancels. The page shows the amount and currency and every step including the confirmation,
// its live region announces each step, an unknown call id gets a readable 404 page, and no card
// data beyond type and last four reaches the DOM or anything the browser saw.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { chromium, type Page } from 'playwright-core';
import { DEFAULT_PROMPT_DIR, parseDialogConfig } from '../../src/dialog/dialog-config.js';
import { PromptLibrary } from '../../src/dialog/prompts/prompt-library.js';
import { FakeConnector } from '../../src/gateway/fake-connector.js';
import { registerCallRoutes } from '../../src/http/call-routes.js';
import { callSummary } from '../helpers/call-summary.js';
import { createHttpApp } from '../../src/http/http-app.js';
import { registerPaymentRoutes } from '../../src/http/payment-routes.js';
import { WidgetHub } from '../../src/http/widget/widget-hub.js';
import { registerWidgetRoutes } from '../../src/http/widget/widget-routes.js';
import { WidgetTokens } from '../../src/http/widget-token.js';
import { PaymentCoordinator } from '../../src/payment/payment-coordinator.js';
import type { PaymentCall } from '../../src/payment/payment-run.js';
import { createLogger } from '../../src/server/logger.js';
import { paymentProgress } from '../../src/server/payment-progress.js';
import { needlesIn } from '../helpers/e2e-server.js';
import { FakeMediaSession } from '../helpers/fake-media-session.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'agent-flow-token-51c2';
const CALL_ID = 'f3b9c2d4e5a6@pbx.example';
const PAN = '4111111111111111';
const EXPIRY = `12${String((new Date().getFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '847';
const FORBIDDEN = [PAN, PAN.slice(0, 12), EXPIRY, `${EXPIRY.slice(0, 2)}/${EXPIRY.slice(2)}`, CVV];

const isRoot = process.getuid?.() === 0;
if (!existsSync(CHROMIUM) && !isRoot) {
  t.plan(0, `${CHROMIUM} missing (Debian package chromium; scripts/install-test-tools.sh installs it as root)`);
  process.exit(0);
}

class FakeCall implements PaymentCall {
  readonly media = new FakeMediaSession();
  readonly hangups: Readonly<Record<string, string>>[] = [];
  constructor(readonly id: string) {}
  setSecure(on: boolean): void {
    this.media.setSecure(on);
  }
  async refer(): Promise<boolean> {
    return false;
  }
  hangup(headers: Readonly<Record<string, string>>): void {
    this.hangups.push(headers);
  }
}

// Polls through locators (no string eval: the page's CSP forbids it).
async function waitText(page: Page, selector: string, want: string | RegExp, timeoutMs = 8000): Promise<string> {
  const started = Date.now();
  let seen: string | null = null;
  while (Date.now() - started < timeoutMs) {
    seen = await page.locator(selector).textContent();
    if (seen !== null && (typeof want === 'string' ? seen === want : want.test(seen))) return seen;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${selector}: waited for ${String(want)}, shows ${JSON.stringify(seen)}`);
}

/** Tabs (from the top of the page) to the control named `name`; the names passed on the way in order. */
async function tabTo(page: Page, name: string): Promise<string[]> {
  await page.locator('#progress-heading').focus();
  const seen: string[] = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    const label = ((await focused.getAttribute('aria-label')) ?? (await focused.textContent()) ?? (await focused.getAttribute('id')) ?? '').trim();
    seen.push(label);
    if (label === name) return seen;
  }
  throw new Error(`${name} not reached by Tab (passed: ${seen.join(' | ')})`);
}

t.test('the widget drives an agent-assisted payment by keyboard, announces each step, and shows a 404 page for an unknown call', async (t) => {
  const hub = new WidgetHub();
  const call = new FakeCall(CALL_ID);
  const kpi: string[] = [];
  const progress = paymentProgress({ sessionEntered: () => undefined, sessionEnded: (r) => kpi.push(JSON.stringify(r)) }, hub);
  call.media.on('digit', () => progress.keyPressed(CALL_ID));
  const logLines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });
  const connector = new FakeConnector();
  const coordinator = new PaymentCoordinator({
    dialog: parseDialogConfig({}),
    connector,
    prompts: new PromptLibrary({ directory: DEFAULT_PROMPT_DIR }),
    observer: progress.observer,
    logger,
    findCall: (id) => (id === CALL_ID ? call : undefined),
    webhookSecret: '',
  });
  t.teardown(() => coordinator.close());

  const widgetTokens = new WidgetTokens('');
  const app = await createHttpApp({ token: TOKEN, logger, widgetTokens });
  const summary = callSummary(CALL_ID);
  registerCallRoutes(
    app,
    { resolve: (id) => (id === CALL_ID ? id : undefined), list: () => [summary], get: (id) => (id === CALL_ID ? summary : undefined), setSecure: () => false },
    { widgetTokens, widgetTokenTtlSeconds: 600 },
  );
  registerPaymentRoutes(app, coordinator);
  registerWidgetRoutes(app, { hub, callKnown: (id) => id === CALL_ID });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const api = (path: string, body: unknown) =>
    fetch(`${origin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const minted = (await (await api(`/calls/${encodeURIComponent(CALL_ID)}/widget-token`, {})).json()) as { token: string; url: string };

  const userDataDir = mkdtempSync(join(tmpdir(), 'toneguard-chromium-'));
  t.teardown(() => rmSync(userDataDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const seenByBrowser: string[] = [];
  page.on('request', (r) => seenByBrowser.push(`${r.url()} ${r.postData() ?? ''}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.eventSourceMessageReceived', (m) => seenByBrowser.push(m.data));
  const doms: string[] = [];
  const announcements: string[] = [];
  const announce = async (want: string | RegExp) => {
    const said = await waitText(page, '#announce', want);
    announcements.push(said);
    doms.push(await page.content());
  };
  const caller = async (keys: string) => {
    for (const k of keys) {
      call.media.key(k);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  /** Tab to a button and press it with the keyboard. */
  const press = async (name: string, key: 'Enter' | 'Space' = 'Enter') => {
    const order = await tabTo(page, name);
    await page.keyboard.press(key);
    return order;
  };

  await t.test('an unknown call id: HTTP 404 and a readable page', async (t) => {
    const res = await page.goto(`${origin}/widget/no-such-call-42`);
    t.equal(res?.status(), 404);
    t.equal(await page.locator('h1').textContent(), 'No such call');
    t.match(await page.locator('main').textContent(), /no call with this id/);
    t.equal(await page.locator('script').count(), 0, 'a static page, no script');
  });

  await page.goto('about:blank');
  t.equal((await page.goto(minted.url))?.status(), 200);
  await waitText(page, '#connection', 'Live');
  t.equal(await page.locator('#steer button:not([disabled])').count(), 0, 'no payment: nothing to steer');

  // The agent's desktop starts the payment over the API with the amount.
  const started = await api(`/calls/${encodeURIComponent(CALL_ID)}/payments`, { idempotencyKey: 'desk-1', customerId: 'C-7', amount: '125.50', currency: 'GBP' });
  t.equal(started.status, 201);
  const paymentId = ((await started.json()) as { paymentId: string }).paymentId;
  await announce('Now collecting: card number');
  await waitText(page, '#charge', '125.50 GBP');
  t.equal(await page.locator('li[data-step="card-number"]').getAttribute('aria-current'), 'step', 'the card number first: no amount menu');
  t.equal(await page.locator('li[data-step="amount"]').getAttribute('data-status'), 'done', "the agent's amount is the charge");
  t.equal(await page.locator('#steer button:not([disabled])').count(), 6, 'four captures, complete, cancel');

  // Focus order: the steering buttons in reading order, then the start form.
  const order = await press('Ask for the security code');
  t.same(order, ['Ask for the amount', 'Ask for the card number', 'Ask for the expiry date', 'Ask for the security code'], 'Tab walks the buttons in order');
  await announce('Now collecting: security code');
  await caller(`${CVV}#`);
  await announce('Now collecting: card number');
  t.equal(await page.locator('li[data-step="security-code"]').getAttribute('data-status'), 'done');
  await waitText(page, '#cvv', 'Yes');

  await press('Ask for the expiry date', 'Space');
  await announce('Now collecting: expiry date');
  await caller(EXPIRY);
  await announce('Now collecting: card number');

  // Complete too early: refused, the missing field named in the alert.
  await press('Complete payment');
  const refusal = await waitText(page, '#message', /missing or invalid: payment-card-number/);
  t.pass(`refused: ${refusal}`);
  await caller(PAN.slice(0, 6));
  await waitText(page, '#digits-count', '6');
  await caller(`${PAN.slice(6)}#`);
  await announce('Confirmation: the caller hears the details read back');
  t.equal(await page.locator('li[data-step="confirmation"]').getAttribute('aria-current'), 'step', 'the confirmation step is shown');
  await waitText(page, '#last4', '1111');
  await waitText(page, '#card-type', 'visa');
  await press('Complete payment', 'Space');
  await announce('Payment result: success');
  await waitText(page, '#result', 'success');
  t.equal(await page.locator('li[data-step="result"]').getAttribute('data-status'), 'done');
  t.equal(await page.locator('#steer button:not([disabled])').count(), 0, 'nothing to steer after the result');
  t.equal(await page.locator(':focus').getAttribute('id'), 'progress-heading', 'focus moves from the disabled button to the progress');
  t.equal(connector.records[0]?.amountMinor, 12550, 'the amount the agent gave was charged');
  t.equal(await page.locator('#message').textContent(), '', 'the refusal message is cleared');

  // A second payment, cancelled by the agent from the keyboard.
  const second = await api(`/calls/${encodeURIComponent(CALL_ID)}/payments`, { idempotencyKey: 'desk-2', customerId: 'C-7', amount: '9.99', currency: 'EUR' });
  t.equal(second.status, 201);
  await announce('Now collecting: card number');
  await waitText(page, '#charge', '9.99 EUR');
  await waitText(page, '#last4', '\u2014');
  await press('Cancel payment');
  await announce('Payment result: cancelled');
  await waitText(page, '#result', 'cancelled');
  const status = (await (await fetch(`${origin}/calls/${encodeURIComponent(CALL_ID)}/payments/${paymentId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
    result: { result: string };
  };
  t.equal(status.result.result, 'success', 'the first payment kept its result');
  t.same(
    announcements,
    [
      'Now collecting: card number',
      'Now collecting: security code',
      'Now collecting: card number',
      'Now collecting: expiry date',
      'Now collecting: card number',
      'Confirmation: the caller hears the details read back',
      'Payment result: success',
      'Now collecting: card number',
      'Payment result: cancelled',
    ],
    'the live region announced every step',
  );
  t.equal(await page.locator('#announce').getAttribute('aria-live'), 'polite');
  t.equal(await page.locator('#announce').getAttribute('role'), 'status');

  hub.end(CALL_ID);
  await waitText(page, '#connection', 'Call ended');
  doms.push(await page.content());
  // Random values (UUIDs, the token, the port) are taken out first, so that the 3- and 4-digit
  // expiry and code can only match by a real leak.
  const scrub = (text: string) =>
    text
      .split(origin)
      .join('<origin>')
      .split(encodeURIComponent(minted.token))
      .join('<token>')
      .split(minted.token)
      .join('<token>')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
  const everything = scrub([...doms, ...seenByBrowser, ...logLines, ...kpi].join('\n'));
  t.ok(everything.includes('1111') && everything.includes('125.50'), 'the sweep sees what the page was given');
  t.same(needlesIn(everything, FORBIDDEN), [], 'no card data in the DOM, requests, SSE, logs or KPI rows');
});
