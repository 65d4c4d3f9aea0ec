// Speech input end to end over SIP and RTP: a scripted caller to the payment URI sends µ-law
// audio of a speaker the word model never heard (FSDD recordings, fixtures/speech-fsdd) saying
// the card number (in one go, ended by a pause), the expiry and the code, and the call ends with
// X-Payment-Result: success; a second call keys some fields and speaks the others. The logs, the
// KPI rows and /metrics hold no digit of the card; /metrics and the KPI history
// (GET /kpi/field-inputs) say how each field was filled, with the same counts.
import t from 'tap';
import { cardNeedles, needlesIn, startE2eServer } from '../helpers/e2e-server.js';
import { PaymentCaller } from '../helpers/payment-caller.js';
import { SPOKEN_DISCOVER, spokenDigits, TEST_WORD_MODEL } from '../helpers/spoken-digits.js';

// Ports of this test: SIP 62000, RTP 62100-62199, gateway simulator 62010.
const SIP = 62000;
const EXPIRY = '1229';
const CODE = '890';

t.test('a spoken payment and a mixed one over RTP end in success; no card digit anywhere', async (t) => {
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: '62100-62199', workers: 1 }, // the caller's audio reaches the recogniser from a media worker
    payment: { uri: 'sip:pay@127.0.0.1', returnBy: 'BYE', input: 'dtmf speech', speechModel: TEST_WORD_MODEL, timeouts: { firstDigitMs: 8000, interDigitMs: 6000 } },
    gateway: { url: 'https://127.0.0.1:62010/xml/v1/request.api' },
  });
  const caller = await PaymentCaller.open(0);
  t.teardown(() => caller.close());
  const target = { transport: 'udp' as const, address: '127.0.0.1', port: SIP };
  const headers = { 'X-Payment-Customer-Id': 'C-7', 'X-Payment-Amount': '20.00', 'X-Payment-Currency': 'GBP' };

  // The two calls run at the same time (each waits on its own prompts): they spend their time
  // on real-time audio.
  // 1. Everything spoken: "one" for the balance, the card, the expiry, the code, "one" to confirm.
  const spokenCall = async (): Promise<void> => {
    const spoken = await caller.call({ target, uri: 'sip:pay@127.0.0.1', headers });
    const id = await e.callIdOf(spoken.callId);
    const prompt = (name: string): Promise<void> => e.waitPrompt(name, undefined, id);
    await prompt('press-1-to-pay-balance-of');
    await spoken.speak(spokenDigits('1', 120, 300));
    await prompt('say-card-number');
    await spoken.speak(spokenDigits(SPOKEN_DISCOVER, 120, 700)); // a Discover may have 19 digits: the pause ends it
    await prompt('say-expiry');
    await spoken.speak(spokenDigits(EXPIRY, 120, 300));
    await prompt('say-security-code-3');
    await spoken.speak(spokenDigits(CODE, 120, 300));
    await prompt('readback-paying');
    await spoken.speak(spokenDigits('1', 120, 300));
    const end1 = await spoken.ended;
    t.equal(end1.by, 'remote-bye');
    const h1 = end1.by === 'remote-bye' ? end1.headers : {};
    t.equal(h1['X-Payment-Result'], 'success', 'spoken card accepted and charged');
    t.equal(h1['X-Payment-Card-Last4'], SPOKEN_DISCOVER.slice(-4));
    t.equal(h1['X-Payment-Card-Type'], 'discover');
  };

  // 2. Mixed: keys for the balance and the expiry, speech for the card and the code, a key to confirm.
  const mixedCall = async (): Promise<void> => {
    const mixed = await caller.call({ target, uri: 'sip:pay@127.0.0.1', headers });
    const id = await e.callIdOf(mixed.callId);
    const prompt = (name: string): Promise<void> => e.waitPrompt(name, undefined, id);
    await prompt('press-1-to-pay-balance-of');
    await mixed.press('1');
    await prompt('say-card-number');
    await mixed.speak(spokenDigits(SPOKEN_DISCOVER, 120, 700));
    await prompt('say-expiry');
    await mixed.press(EXPIRY);
    await prompt('say-security-code-3');
    await mixed.speak(spokenDigits(CODE, 120, 300));
    await prompt('readback-paying');
    await mixed.press('1');
    const end2 = await mixed.ended;
    const h2 = end2.by === 'remote-bye' ? end2.headers : {};
    t.equal(h2['X-Payment-Result'], 'success', 'mixed call accepted and charged');
  };
  await Promise.all([spokenCall(), mixedCall()]);

  const metrics = (await e.fetchText('/metrics')).text;
  const captured = (field: string, input: string): number => {
    const m = new RegExp(`toneguard_payment_fields_captured_total\\{mode="automated",for="${field}",input="${input}"\\} (\\d+)`).exec(metrics);
    return m === null ? 0 : Number(m[1]);
  };
  t.equal(captured('payment-card-number', 'speech'), 2, 'both card numbers spoken');
  t.equal(captured('expiration-date', 'speech'), 1);
  t.equal(captured('expiration-date', 'dtmf'), 1);
  t.equal(captured('charge-amount', 'dtmf'), 1);
  t.equal(captured('charge-amount', 'speech'), 1);

  // The history store is written behind the metrics: wait for its rows, then the same counts.
  const series = [...metrics.matchAll(/toneguard_payment_fields_captured_total\{mode="automated",for="([^"]+)",input="([^"]+)"\} (\d+)/g)]
    .map((m) => ({ for: m[1], input: m[2], count: Number(m[3]) }))
    .filter((c) => c.count > 0);
  const byKey = (a: { for: string; input: string }, b: { for: string; input: string }) => `${a.for}/${a.input}`.localeCompare(`${b.for}/${b.input}`);
  const total = (list: { count: number }[]) => list.reduce((sum, c) => sum + c.count, 0);
  let stored: { for: string; input: string; count: number }[] = [];
  for (let i = 0; i < 50; i++) {
    stored = (JSON.parse((await e.fetchText('/kpi/field-inputs')).text) as { fieldInputs: typeof stored }).fieldInputs;
    if (total(stored) >= total(series)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(total(series) >= 8, `both calls captured their fields (${total(series)})`);
  t.same([...stored].sort(byKey), [...series].sort(byKey), 'GET /kpi/field-inputs: the same counts per field and input mode as /metrics');
  const needles = cardNeedles(SPOKEN_DISCOVER, EXPIRY, CODE);
  t.same(needlesIn(e.logs.join('\n'), needles), [], 'no card data in the logs');
  t.same(needlesIn(metrics, needles), [], 'no card data in /metrics');
  t.same(needlesIn((await e.fetchText('/kpi')).text, needles), [], 'no card data in the KPI rows');
  t.same(needlesIn(JSON.stringify(stored), needles), [], 'no card data in the input-mode counts');
});
