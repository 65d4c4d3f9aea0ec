// Card data hygiene: full payments with known test cards (one declined first,
// a wrong security code, a corrected expiry), then every event, prompt plan (also as the digits
// it would say), status, action, result header, session record, error, console output and the
// printed session are searched for the card number, its first 12 digits, the expiry and the
// security code: none may be there. The buffers handed to the gateway are zeroed at the end.
import t from 'tap';
import { inspect } from 'node:util';
import type { ChargeRequest, PaymentConnector } from '../../src/gateway/connector.js';
import { FakeConnector } from '../../src/gateway/fake-connector.js';
import { enterCard, Harness, NOW_MS } from '../helpers/payment-harness.js';

/** Digits a prompt plan would say, in order (`n-4` says 4). */
function spokenDigits(segments: readonly string[]): string {
  return segments.map((s) => /^n-(\d)$/.exec(s)?.[1] ?? '|').join('');
}

interface Card {
  readonly pan: string;
  readonly expiry: string; // MMYY as keyed
  readonly code: string;
}

function secretsOf(card: Card): string[] {
  const mm = card.expiry.slice(0, 2);
  const yy = card.expiry.slice(2);
  return [card.pan, card.pan.slice(0, 12), card.expiry, `${mm}/${yy}`, `20${yy}-${mm}`, `${mm}20${yy}`, card.code];
}

t.test('a full payment leaves no card data anywhere but the last four digits', async (t) => {
  const declined: Card = { pan: '4000000000000002', expiry: '0829', code: '468' };
  const paid: Card = { pan: '5555555555554444', expiry: '0731', code: '937' };
  const correctedExpiry = '0632';
  const secrets = [...secretsOf(declined), ...secretsOf(paid), correctedExpiry, '06/32', '2032-06'];
  secrets.forEach((secret, i) => t.notOk(String(NOW_MS).includes(secret), `the test clock does not contain secret #${i} by chance`));

  const fake = new FakeConnector({ now: () => NOW_MS });
  const handed: Uint8Array[] = [];
  const connector: PaymentConnector = {
    charge: (req: ChargeRequest) => {
      handed.push(req.pan);
      if (req.securityCode !== null) handed.push(req.securityCode);
      return fake.charge(req);
    },
    close: () => fake.close(),
  };
  const output: string[] = [];
  const errors: unknown[] = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug };
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const sink = (...args: unknown[]): void => void output.push(args.map((a) => inspect(a)).join(' '));
  Object.assign(console, { log: sink, error: sink, warn: sink, info: sink, debug: sink });
  process.stdout.write = ((chunk: string | Uint8Array) => (output.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (output.push(String(chunk)), true)) as typeof process.stderr.write;
  // No assertion while stdout is captured: tap's own output goes there.
  const checks: [boolean, string][] = [];
  const check = (ok: boolean, name: string): void => void checks.push([ok, name]);
  const harnesses: Harness[] = [];
  const snapshots: string[] = [];
  try {
    const h = new Harness({ connector });
    harnesses.push(h);
    h.start().keys('1');
    enterCard(h, declined.pan).keys(declined.expiry).keys(declined.code).keys('1');
    await h.settle();
    check(h.state === 'card-number', 'declined: the card is asked again');
    check(handed.length === 2 && handed.every((b) => b.length > 0 && b.every((x) => x === 0)), 'the declined card number and code are zeroed at once');
    enterCard(h, paid.pan);
    h.keys('1311'); // month 13
    h.keys(paid.expiry);
    h.keys('12#'); // a short code
    h.keys(paid.code);
    check(h.state === 'confirmation', 'readback reached');
    h.keys('2').keys('3').keys(correctedExpiry);
    h.keys('1');
    await h.settle();
    check(h.result().result === 'success', 'paid');
    check(h.result().headers['X-Payment-Card-Last4'] === '4444', 'last four in the headers');
    check(handed.length === 4 && handed.every((b) => b.every((x) => x === 0)), 'every buffer handed to the gateway is zeroed at the end');

    // The same card through the faults: a throwing connector and a session closed mid-entry.
    const broken = new Harness({ connector: { charge: () => Promise.reject(new Error('gateway down')), close: async () => undefined } });
    harnesses.push(broken);
    broken.start().keys('1');
    enterCard(broken, paid.pan).keys(paid.expiry).keys(paid.code).keys('1');
    await broken.settle();
    check(broken.result().result === 'internal-error', 'connector fault');
    const closed = new Harness();
    harnesses.push(closed);
    closed.start().keys('1');
    enterCard(closed, paid.pan).keys(paid.expiry.slice(0, 3));
    closed.session.close();
    check(closed.result().result === 'internal-error', 'closed mid-entry');

    // Agent-assisted: the code before the card (ended by the pause), the expiry, the card last,
    // the masked snapshot the widget reads at the readback, then the agent hangs up.
    const assisted = new Harness({ request: { mode: 'agent-assisted' } });
    harnesses.push(assisted);
    assisted.start();
    assisted.session.capture('security-code');
    assisted.keys(paid.code);
    assisted.timers.advance(assisted.config.timeouts.completePauseMs);
    assisted.session.capture('expiration-date');
    assisted.keys(paid.expiry).keys(paid.pan);
    check(assisted.state === 'confirmation', 'agent-assisted: every field in, out of order');
    snapshots.push(JSON.stringify(assisted.session.masked()));
    assisted.session.agentHangup();
    check(assisted.result().result === 'cancelled' && assisted.result().reason === 'agent-hangup', 'agent hang-up');
  } catch (error) {
    errors.push(error);
  } finally {
    Object.assign(console, saved);
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  for (const [ok, name] of checks) t.ok(ok, name);
  t.same(
    errors.map((e) => String(e)),
    [],
    'nothing thrown',
  );

  const haystacks: [string, string][] = [];
  for (const [i, h] of harnesses.entries()) {
    haystacks.push([`session ${i} events`, JSON.stringify(h.events)]);
    haystacks.push([`session ${i} printed`, inspect(h.session, { depth: 5, showHidden: true })]);
    haystacks.push([`session ${i} spoken digits`, h.prompts().map(spokenDigits).join('|')]);
  }
  haystacks.push(['gateway records', JSON.stringify(fake.records)]);
  haystacks.push(['masked snapshots', snapshots.join('\n')]);
  haystacks.push(['errors', errors.map((e) => inspect(e)).join('\n')]);
  haystacks.push(['console and stdio', output.join('\n')]);
  const spoken = harnesses[0].prompts().map(spokenDigits).join('|');
  t.match(spoken, /4444/, 'the last four digits are said (the search is not blind)');
  t.match(JSON.stringify(harnesses[0].events), /xxxxxxxxxxxx4444/, 'masked card number in status events');
  for (const [name, text] of haystacks) {
    secrets.forEach((secret, i) => t.notOk(text.includes(secret), `${name}: no secret #${i}`));
  }
});
