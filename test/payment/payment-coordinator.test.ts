// The payment glue without sockets: a fake call and media, the real dialog and prompt set, the
// in-process fake gateway. Keys are typed as the media plane would report them.
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { parseDialogConfig } from '../../src/dialog/dialog-config.js';
import type { PaymentSessionResult, PaymentStatus } from '../../src/dialog/session-events.js';
import { DEFAULT_PROMPT_DIR } from '../../src/dialog/dialog-config.js';
import { PromptLibrary } from '../../src/dialog/prompts/prompt-library.js';
import { FakeConnector } from '../../src/gateway/fake-connector.js';
import { PaymentCoordinator, type PaymentObserver } from '../../src/payment/payment-coordinator.js';
import type { PaymentCall } from '../../src/payment/payment-run.js';
import { createLogger } from '../../src/server/logger.js';
import { FakeMediaSession } from '../helpers/fake-media-session.js';

const PAN = '4111111111111111';
const EXPIRY = '1230';
const CVV = '737';

class FakeCall implements PaymentCall {
  readonly media = new FakeMediaSession();
  readonly refers: { uri: string; headers: Readonly<Record<string, string>> }[] = [];
  readonly hangups: Readonly<Record<string, string>>[] = [];
  referOk = true;
  constructor(readonly id: string) {}
  setSecure(on: boolean): void {
    this.media.setSecure(on);
  }
  async refer(uri: string, headers: Readonly<Record<string, string>>): Promise<boolean> {
    this.refers.push({ uri, headers });
    return this.referOk;
  }
  hangup(headers: Readonly<Record<string, string>>): void {
    this.hangups.push(headers);
  }
}

function setup() {
  const lines: string[] = [];
  const logger = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const events: { kind: string; data: unknown }[] = [];
  const observer: PaymentObserver = {
    entered: (info) => events.push({ kind: 'entered', data: info }),
    status: (_c, _s, status: PaymentStatus) => events.push({ kind: 'status', data: status }),
    ended: (_c, result: PaymentSessionResult) => events.push({ kind: 'ended', data: result }),
  };
  const calls = new Map<string, FakeCall>();
  const connector = new FakeConnector();
  const coordinator = new PaymentCoordinator({
    dialog: parseDialogConfig({ returnUri: 'sip:ivr@127.0.0.1', agentUri: 'sip:agents@127.0.0.1' }),
    connector,
    prompts: new PromptLibrary({ directory: DEFAULT_PROMPT_DIR }),
    observer,
    logger,
    findCall: (id) => calls.get(id),
    webhookSecret: 'shh',
  });
  return { lines, events, calls, connector, coordinator };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

async function keys(call: FakeCall, digits: string): Promise<void> {
  for (const d of digits) {
    await tick();
    call.media.key(d);
  }
  await tick();
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

function assertNoCardData(t: Test, text: string, where: string): void {
  t.notOk(text.includes(PAN), `${where}: no card number`);
  t.notOk(text.includes(PAN.slice(0, 12)), `${where}: not its first 12 digits`);
  t.notOk(new RegExp(`\\b${CVV}\\b`).test(text), `${where}: no security code`);
  t.notOk(text.includes(EXPIRY), `${where}: no expiry`);
}

t.test('automated: headers in, prompts played, card keyed, REFER back with the result headers', async (t) => {
  const { lines, events, calls, connector, coordinator } = setup();
  const call = new FakeCall('call-a');
  calls.set(call.id, call);
  const run = coordinator.startAutomated(call, { 'X-Payment-Customer-Id': 'C-42', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'GBP', 'X-Payment-Merchant-Id': 'M-7' });
  t.equal(call.media.secure, true, 'secure from the start');
  await until(() => call.media.plays.length > 0, 'the first prompt');
  t.ok(
    call.media.plays.every((p) => p.leg === 'caller'),
    'automated: prompts to the caller only',
  );
  await keys(call, '1');
  await keys(call, `${PAN}#`);
  await keys(call, EXPIRY);
  await keys(call, CVV);
  await keys(call, '1');
  await until(() => call.refers.length > 0, 'the REFER back');
  t.equal(call.refers[0].uri, 'sip:ivr@127.0.0.1');
  const headers = call.refers[0].headers;
  t.equal(headers['X-Payment-Result'], 'success');
  t.equal(headers['X-Payment-Card-Last4'], '1111');
  t.equal(headers['X-Payment-Card-Type'], 'visa');
  t.equal(headers['X-Payment-Amount'], '125.50');
  t.ok(headers['X-Payment-Transaction-Id']);
  t.equal(connector.approvedCount, 1, 'charged once');
  t.equal(events[0].kind, 'entered');
  t.ok(events.some((e) => e.kind === 'ended'));
  t.equal(coordinator.activeCount, 0, 'the run is over');
  t.ok(run?.session.ended, 'the session ended');
  const everything = JSON.stringify(events) + JSON.stringify(call.refers) + lines.join('');
  assertNoCardData(t, everything, 'events, headers and logs');
});

t.test('automated: bad headers → validation-error handed back, no dialog', async (t) => {
  const { calls, coordinator } = setup();
  const call = new FakeCall('call-b');
  calls.set(call.id, call);
  coordinator.startAutomated(call, { 'X-Payment-Customer-Id': 'C-1', 'X-Payment-Amount': 'lots' });
  await until(() => call.refers.length + call.hangups.length > 0, 'the call handed back');
  const headers = call.refers[0]?.headers ?? call.hangups[0];
  t.equal(headers['X-Payment-Result'], 'validation-error');
});

t.test('agent-assisted: API start, the agent hears prompts, caller hangs up mid-card', async (t) => {
  const { events, calls, coordinator } = setup();
  const call = new FakeCall('call-c');
  calls.set(call.id, call);
  const started = await coordinator.start('call-c', { idempotencyKey: 'k1', statusCallback: undefined, parameters: { customerId: 'C-9', amount: '10.00' }, actor: 'master' });
  t.equal(started.created, true);
  t.same(
    await coordinator.start('call-c', { idempotencyKey: 'k1', statusCallback: undefined, parameters: {}, actor: 'master' }),
    { paymentId: started.paymentId, created: false },
    'same key, same payment',
  );
  await t.rejects(coordinator.start('call-c', { idempotencyKey: 'k2', statusCallback: undefined, parameters: { customerId: 'C-9', amount: '10.00' }, actor: 'master' }), {
    code: 'ERR_PAYMENT_ACTIVE',
  });
  await t.rejects(coordinator.start('nope', { idempotencyKey: 'k3', statusCallback: undefined, parameters: {}, actor: 'master' }), { code: 'ERR_NO_CALL' });
  await until(() => call.media.plays.length > 0, 'a prompt');
  t.ok(
    call.media.plays.some((p) => p.leg === 'agent'),
    'agent-assisted: the agent hears the prompts',
  );
  t.equal(call.media.secure, true);
  await keys(call, '1');
  await keys(call, '411111');
  coordinator.callEnded('call-c');
  await until(() => events.some((e) => e.kind === 'ended'), 'the result');
  const ended = events.find((e) => e.kind === 'ended')?.data as PaymentSessionResult;
  t.equal(ended.result, 'caller-hung-up');
  t.equal(ended.record.hangupStep, 'card-number');
  t.equal(coordinator.status('call-c', started.paymentId).result !== null, true, 'result readable after the end');
});
