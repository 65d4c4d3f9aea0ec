// PaymentRun's safety rules without sockets (a fake call and media, the real dialog and prompt
// set, the in-process fake gateway): the call always ends with a result, even when the hand-back
// throws; a readback that cannot be played stops the payment before any charge and names no
// card-derived prompt in the log; the agent's copy of the readback has silence for the expiry;
// spoken digits heard without confidence count in the card number (its check digit guards
// them) and in no other field.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { DEFAULT_PROMPT_DIR, parseDialogConfig } from '../../src/dialog/dialog-config.js';
import type { PaymentSessionResult, PaymentStatus } from '../../src/dialog/session-events.js';
import { characterSegments, planOf } from '../../src/dialog/prompts/compose.js';
import { PromptLibrary } from '../../src/dialog/prompts/prompt-library.js';
import type { ChargeOutcome } from '../../src/gateway/connector.js';
import { FakeConnector } from '../../src/gateway/fake-connector.js';
import { PaymentCoordinator } from '../../src/payment/payment-coordinator.js';
import type { PaymentCall } from '../../src/payment/payment-run.js';
import { createLogger } from '../../src/server/logger.js';
import type { WordModel } from '../../native-free-dsp/speech-classifier.js';
import { cardNeedles, needlesIn } from '../helpers/e2e-server.js';
import { FakeMediaSession } from '../helpers/fake-media-session.js';
import { unsureWordModel } from '../helpers/spoken-digits.js';

const PAN = '4111111111111111';
const CVV = '737';
const HEADERS = { 'X-Payment-Customer-Id': 'C-42', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'GBP' };
/** The expiry month of the tests' cards (12/30): only the readback says it. */
const MONTH_12 = await new PromptLibrary({ directory: DEFAULT_PROMPT_DIR }).prompt('month-12');

class FakeCall implements PaymentCall {
  readonly media = new FakeMediaSession();
  readonly refers: Readonly<Record<string, string>>[] = [];
  readonly hangups: Readonly<Record<string, string>>[] = [];
  referThrows = false;
  constructor(readonly id: string) {}
  setSecure(on: boolean): void {
    this.media.setSecure(on);
  }
  async refer(_uri: string, headers: Readonly<Record<string, string>>): Promise<boolean> {
    if (this.referThrows) throw new Error('the transfer blew up');
    this.refers.push(headers);
    return true;
  }
  hangup(headers: Readonly<Record<string, string>>): void {
    this.hangups.push(headers);
  }
  /** What call control would call on the agent's BYE while a payment runs; null when not kept. */
  onAgentHangup: (() => void) | null = null;
  keepCallerOnAgentHangup(handler: (() => void) | null): void {
    this.onAgentHangup = handler;
  }
}

/** A coordinator on fakes; closed when `t` ends, so a run a test leaves waiting (for a key, say) does not keep its timers going. */
function setup(t: { teardown(fn: () => void): void }, options: { promptDir?: string; script?: ChargeOutcome[]; dialog?: Record<string, unknown>; speechModel?: WordModel } = {}) {
  const lines: string[] = [];
  const statuses: PaymentStatus[] = [];
  const logger = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const results: PaymentSessionResult[] = [];
  const calls = new Map<string, FakeCall>();
  const connector = new FakeConnector({ script: options.script ?? [] });
  const coordinator = new PaymentCoordinator({
    dialog: parseDialogConfig({ returnUri: 'sip:ivr@127.0.0.1', agentUri: 'sip:agents@127.0.0.1', ...options.dialog }),
    connector,
    prompts: new PromptLibrary({ directory: options.promptDir ?? DEFAULT_PROMPT_DIR }),
    observer: { entered: () => undefined, status: (_c, _s, status) => statuses.push(status), ended: (_c, r) => results.push(r) },
    logger,
    findCall: (id) => calls.get(id),
    webhookSecret: 'shh',
    ...(options.speechModel === undefined ? {} : { speechModel: options.speechModel }),
  });
  t.teardown(() => coordinator.close());
  return { lines, results, statuses, calls, connector, coordinator };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

async function keys(call: FakeCall, digits: string): Promise<void> {
  for (const d of digits) {
    await tick();
    call.media.key(d);
  }
  await tick();
}

/**
 * The readback has started (on the agent's leg too in agent-assisted mode: the run starts both
 * copies in the same turn). Found by what it says, not by how many prompts came before it: keys
 * typed ahead of a field's prompt (a busy machine renders prompts late) complete the field before
 * its prompt plays, and a prompt overtaken so is never played.
 */
function readbackStarted(call: FakeCall): boolean {
  return call.media.plays.some((p) => p.leg === 'caller' && indexOf(p.pcm, MONTH_12) >= 0);
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

t.test('the hand-back throws: the call still ends, with the result on the BYE', async (t) => {
  const { calls, connector, coordinator, lines } = setup(t, { script: [{ kind: 'approved', transactionId: '8816123456789012', authCode: null }] });
  const call = new FakeCall('call-throw');
  call.referThrows = true;
  calls.set(call.id, call);
  coordinator.startAutomated(call, HEADERS);
  await until(() => call.media.plays.length > 0, 'the first prompt');
  await keys(call, `1${PAN}#1230${CVV}1`);
  await until(() => call.hangups.length > 0, 'the BYE');
  t.equal(connector.approvedCount, 1);
  t.match(call.hangups[0], { 'X-Payment-Result': 'success', 'X-Payment-Transaction-Id': '8816123456789012', 'X-Payment-Card-Last4': '1111' });
  t.equal(coordinator.activeCount, 0, 'the run is over');
  t.ok(
    lines.some((l) => l.includes('hand-back failed')),
    'logged',
  );
});

t.test('a readback prompt missing: no card-derived word in the log, no charge, the call handed back with internal-error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-prompts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of readdirSync(DEFAULT_PROMPT_DIR)) if (f !== 'month-9.ul') copyFileSync(join(DEFAULT_PROMPT_DIR, f), join(dir, f));
  const { calls, connector, coordinator, lines, results } = setup(t, { promptDir: dir });
  const call = new FakeCall('call-missing');
  calls.set(call.id, call);
  coordinator.startAutomated(call, HEADERS);
  await until(() => call.media.plays.length > 0, 'the first prompt');
  await keys(call, `1${PAN}#0930${CVV}`);
  await until(() => call.refers.length + call.hangups.length > 0, 'the hand-back');
  t.equal(connector.calls, 0, 'the gateway was never asked');
  t.match(results[0], { result: 'internal-error', reason: 'prompt-unplayable' });
  t.match(call.refers[0] ?? call.hangups[0], { 'X-Payment-Result': 'internal-error', 'X-Payment-Reason': 'prompt-unplayable' });
  const log = lines.join('');
  t.match(log, /prompt not playable/, 'the failure is logged');
  t.match(log, new RegExp(`prompt set ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: segment \\d+ of \\d+`), 'naming the prompt set and the position');
  t.notMatch(log, /month-/, 'no month word in any log line');
  t.same(needlesIn(log, [...cardNeedles(PAN, '0930', CVV), '09/30', '2030']), [], 'no card data in the log');
});

t.test('agent-assisted: the agent copy of the readback is the caller copy with the expiry as silence, same length', async (t) => {
  const { calls, coordinator } = setup(t);
  const call = new FakeCall('call-agent');
  calls.set(call.id, call);
  await coordinator.start(call.id, { idempotencyKey: 'k', statusCallback: undefined, parameters: { customerId: 'C-9', amount: '125.50', currency: 'GBP' }, actor: 'master' });
  await until(() => call.media.plays.length > 0, 'a prompt');
  // The agent's amount is the charge: no balance menu, the card number is asked first.
  await keys(call, `${PAN}#1230${CVV}`);
  await until(() => readbackStarted(call), 'the readback');
  const callerPlay = call.media.plays.filter((p) => p.leg === 'caller').at(-1);
  const agentPlay = call.media.plays.filter((p) => p.leg === 'agent').at(-1);
  if (callerPlay === undefined || agentPlay === undefined) throw new Error('no readback');
  t.equal(agentPlay.samples, callerPlay.samples, 'same length: the legs stay aligned');
  const at = indexOf(callerPlay.pcm, MONTH_12);
  t.ok(at > 0, 'the caller hears the expiry month');
  t.equal(indexOf(agentPlay.pcm, MONTH_12), -1, 'the agent does not');
  t.ok(
    agentPlay.pcm.subarray(at, at + MONTH_12.length).every((v) => v === 0),
    'silence in its place',
  );
  t.same(Array.from(agentPlay.pcm.subarray(0, 8000)), Array.from(callerPlay.pcm.subarray(0, 8000)), 'the amount and card part is the same');
});

/** Where `needle` occurs in `hay` sample for sample, -1 when nowhere. */
function indexOf(hay: Int16Array, needle: Int16Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

t.test('agent-assisted: the agent hangs up mid-card: the caller alone hears the cancellation, then the call ends with the result', async (t) => {
  const { calls, connector, coordinator, results, lines } = setup(t);
  const call = new FakeCall('call-agent-gone');
  calls.set(call.id, call);
  await coordinator.start(call.id, { idempotencyKey: 'k', statusCallback: undefined, parameters: { customerId: 'C-9', amount: '125.50', currency: 'GBP' }, actor: 'master' });
  await until(() => call.media.plays.length > 0, 'a prompt');
  t.type(call.onAgentHangup, 'function', 'the caller is kept on an agent BYE while the payment runs');
  await keys(call, PAN.slice(0, 8));
  call.media.autoEndPrompts = false;
  const before = call.media.plays.length;
  call.onAgentHangup?.();
  await until(() => call.media.plays.length > before, 'the result prompt');
  const after = call.media.plays.slice(before);
  t.same(
    after.map((p) => p.leg),
    ['caller'],
    'played to the caller only',
  );
  const cancelled = await new PromptLibrary({ directory: DEFAULT_PROMPT_DIR }).prompt('payment-cancelled');
  t.equal(after[0].samples, cancelled.length, 'the cancellation prompt');
  await tick();
  t.same(call.hangups, [], 'the call is not ended before the caller has heard it');
  call.media.endPrompt(after[0].id, false);
  await until(() => call.hangups.length > 0, 'the BYE');
  t.match(call.hangups[0], { 'X-Payment-Result': 'cancelled', 'X-Payment-Reason': 'agent-hangup' });
  t.notOk(call.media.secureCalls.includes(false), 'secure mode is never switched off for a caller alone');
  t.match(results[0], { result: 'cancelled', reason: 'agent-hangup', record: { result: 'cancelled', reason: 'agent-hangup' } });
  t.equal(connector.calls, 0, 'nothing charged');
  await until(() => coordinator.activeCount === 0, 'the end of the run');
  t.equal(call.onAgentHangup, null, 'released once the payment is over: an agent BYE ends the call again');
  t.ok(
    lines.some((l) => l.includes('agent hung up during the payment')),
    'logged',
  );
  t.same(needlesIn(lines.join(''), [PAN, PAN.slice(0, 12)]), [], 'no card data in the log');
});

t.test('agent-assisted: the agent hangs up after the result, while it plays: the call ends instead of leaving secure mode', async (t) => {
  const { calls, coordinator, results } = setup(t, { script: [{ kind: 'approved', transactionId: '4242', authCode: null }] });
  const call = new FakeCall('call-agent-after');
  calls.set(call.id, call);
  await coordinator.start(call.id, { idempotencyKey: 'k', statusCallback: undefined, parameters: { customerId: 'C-9', amount: '125.50', currency: 'GBP' }, actor: 'master' });
  await until(() => call.media.plays.length > 0, 'a prompt');
  await keys(call, `${PAN}#1230${CVV}`);
  await until(() => readbackStarted(call), 'the readback');
  call.media.autoEndPrompts = false;
  await keys(call, '1');
  const success = await new PromptLibrary({ directory: DEFAULT_PROMPT_DIR }).render(planOf(['payment-success', 'your-reference-is', ...characterSegments('4242')], false));
  await until(() => results.length > 0 && call.media.plays.some((p) => p.leg === 'caller' && p.samples === success.caller.length), 'the result prompt');
  t.same(call.hangups, [], 'the result prompt plays, secure-off is pending');
  call.onAgentHangup?.();
  for (const p of call.media.plays) call.media.endPrompt(p.id, false);
  await until(() => call.hangups.length > 0, 'the BYE');
  t.match(call.hangups[0], { 'X-Payment-Result': 'success', 'X-Payment-Transaction-Id': '4242' });
  t.notOk(call.media.secureCalls.includes(false), 'no secure-off');
});

t.test('the caller hangs up while the result prompt plays: the run ends and leaves no active payment', async (t) => {
  const { calls, coordinator, results } = setup(t, { script: [{ kind: 'approved', transactionId: '5151', authCode: null }] });
  const call = new FakeCall('call-hangup-result');
  calls.set(call.id, call);
  coordinator.startAutomated(call, HEADERS);
  await until(() => call.media.plays.length > 0, 'the first prompt');
  await keys(call, `1${PAN}#1230${CVV}`);
  await until(() => readbackStarted(call), 'the readback');
  call.media.autoEndPrompts = false;
  await keys(call, '1');
  await until(() => results.length > 0, 'the result');
  t.equal(coordinator.activeCount, 1, 'the result prompt plays; the hand-back waits for it');
  t.equal(results[0].result, 'success');
  coordinator.callEnded(call.id);
  await until(() => coordinator.activeCount === 0, 'the run to be done');
  t.equal(results.length, 1, 'one result: the success, not a hang-up');
  t.equal(coordinator.paymentOf(call.id), null);
});

t.test('speech: in the card-number field an unsure spoken digit is kept in a short utterance (the check digit guards it); in the expiry it drops its utterance', async (t) => {
  // A model that hears every word as "4" at 0.5, under the 0.6 threshold: each digit is unsure.
  const unsure = unsureWordModel();
  // Four words of 250 ms, 250 ms apart, then 600 ms of silence: one utterance of four digits.
  const word = Int16Array.from({ length: 2000 }, (_, i) => Math.round(8000 * Math.sin(i * 0.4) * Math.sin((Math.PI * i) / 2000)));
  const fourWords = new Int16Array(8 * 2000 + 4800);
  for (let k = 0; k < 4; k++) fourWords.set(word, 2 * k * 2000);
  const { calls, coordinator, statuses } = setup(t, { speechModel: unsure, script: [{ kind: 'approved', transactionId: '77', authCode: null }] });
  const call = new FakeCall('call-speech-unsure');
  calls.set(call.id, call);
  coordinator.startAutomated(call, { ...HEADERS, 'X-Payment-Input': 'dtmf speech' });
  await until(() => call.media.plays.length > 0, 'the first prompt');
  await keys(call, '1');
  await until(() => statuses.some((s) => s.for === 'payment-card-number'), 'the card-number field');
  call.media.hear(fourWords); // "4444", each digit unsure
  await keys(call, '333322221111#');
  await until(() => statuses.some((s) => s.for === 'expiration-date'), 'the expiry field');
  call.media.hear(fourWords); // unsure again: no check digit here, the utterance is dropped
  await keys(call, `1230${CVV}1`);
  await until(() => call.refers.length > 0, 'the hand-back');
  t.match(call.refers[0], { 'X-Payment-Result': 'success', 'X-Payment-Card-Last4': '1111' });
  const last = statuses[statuses.length - 1];
  t.same(
    last.fieldInputs.filter((f) => f.for === 'payment-card-number' || f.for === 'expiration-date'),
    [
      { for: 'payment-card-number', input: 'dtmf speech' },
      { for: 'expiration-date', input: 'dtmf' },
    ],
    'the card number took the spoken digits, the expiry did not',
  );
  t.notOk(
    statuses.some((s) => s.errorType !== null),
    'no field was refused',
  );
});
