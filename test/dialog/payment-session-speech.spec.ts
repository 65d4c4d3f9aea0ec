// PaymentSession with speech input: spoken digits fill the same fields as keys (mixed within a
// field and across fields), menu words are the menus' choices, a pause ends a spoken field, the
// prompts say "say or key", and the record and status events say how each field was filled,
// never with a digit of it.
import t from 'tap';
import { Harness, VISA } from '../helpers/payment-harness.js';

const SPEECH = { request: { input: 'dtmf speech' as const } };

t.test('a fully spoken payment: menu word, card number, expiry and code by voice, "yes" confirms', async (t) => {
  const h = new Harness(SPEECH).start();
  t.equal(h.lastPrompt().at(-1), 'say-1-or-2-for-other-amount');
  h.say('pay the balance');
  t.equal(h.state, 'card-number');
  t.same(h.lastPrompt(), ['say-card-number']);
  h.say(VISA).pause(); // a Visa may have 19 digits: the pause ends it
  t.equal(h.state, 'expiry');
  t.same(h.lastPrompt(), ['say-expiry']);
  h.say('1228');
  t.equal(h.state, 'security-code');
  t.same(h.lastPrompt(), ['say-security-code-3']);
  h.say('123');
  t.equal(h.state, 'confirmation');
  t.equal(h.lastPrompt().at(-1), 'say-readback-confirm');
  h.say('yes');
  t.equal(h.state, 'processing');
  await h.settle();
  const r = h.result();
  t.equal(r.result, 'success');
  t.equal(r.headers['X-Payment-Card-Last4'], '1111');
  t.same(r.record.fieldInputs, [
    { for: 'charge-amount', input: 'speech' },
    { for: 'payment-card-number', input: 'speech' },
    { for: 'expiration-date', input: 'speech' },
    { for: 'security-code', input: 'speech' },
  ]);
});

t.test('mixed: keyed and spoken fields, and a switch from voice to keys within the card number', async (t) => {
  const h = new Harness(SPEECH).start().keys('1');
  h.say(VISA.slice(0, 6)).keys(VISA.slice(6)).pause();
  t.equal(h.state, 'card-number', 'the last digits were keyed: a pause does not end the field');
  h.keys('#');
  t.equal(h.state, 'expiry', 'six spoken and ten keyed digits make one card number');
  h.keys('1228');
  h.say('123');
  t.equal(h.state, 'confirmation');
  h.keys('1');
  await h.settle();
  const r = h.result();
  t.equal(r.result, 'success');
  t.same(r.record.fieldInputs, [
    { for: 'charge-amount', input: 'dtmf' },
    { for: 'payment-card-number', input: 'dtmf speech' },
    { for: 'expiration-date', input: 'dtmf' },
    { for: 'security-code', input: 'speech' },
  ]);
  const last = h.statuses().at(-1);
  t.same(
    last?.fieldInputs.map((f) => f.input),
    ['dtmf', 'dtmf speech', 'dtmf', 'speech'],
    'status events carry the modes too',
  );
});

t.test('a pause ends a spoken field; a pause after keys does not', async (t) => {
  const h = new Harness({ ...SPEECH, config: { autoCompleteCardNumber: false } }).start().keys('1');
  h.say('41111111111').pause();
  t.equal(h.state, 'card-number', 'a pause after 11 digits: the caller is saying the number in groups');
  h.say('11').pause(); // 13 digits: a Visa length, ended by the pause
  t.equal(h.state, 'card-number', 'an invalid 13-digit number is asked again');
  t.same(h.lastPrompt(), ['card-number-invalid', 'say-card-number']);
  h.say(VISA.slice(0, 8)).keys(VISA.slice(8, 12)).pause();
  t.equal(h.state, 'card-number', 'the last digits were keyed: the pause does not end the field');
  h.say(VISA.slice(12)).pause();
  t.equal(h.state, 'expiry', 'spoken again, then a pause: the field ends and is checked');
  h.pause();
  t.equal(h.state, 'expiry', 'a pause with nothing said does nothing');
  const errors = h.statuses().filter((s) => s.errorType !== null);
  t.same(
    errors.map((s) => s.errorType),
    ['invalid-card-number'],
  );
});

t.test('a spoken card number failing Luhn is repaired by a digit heard second best; keyed digits and unlikely readings are not', async (t) => {
  // VISA with its fifth digit heard as 7, the right 1 that word's second-best reading at `odds`.
  const misheard = (h: Harness, odds: number): void => {
    [...VISA].forEach((d, i) => h.session.spoken(i === 4 ? { kind: 'digit', digit: '7', alternative: { digit: d, odds } } : { kind: 'digit', digit: d, alternative: { digit: '0', odds: 0.01 } }));
    h.pause();
  };
  const repaired = new Harness({ ...SPEECH, config: { autoCompleteCardNumber: false } }).start().keys('1');
  misheard(repaired, 0.3);
  t.equal(repaired.state, 'expiry', 'taken as the valid number');
  t.same(
    repaired.statuses().filter((s) => s.errorType !== null),
    [],
    'no error',
  );
  repaired.keys('1228');
  repaired.say('123');
  repaired.keys('1');
  await repaired.settle();
  t.equal(repaired.result().result, 'success');
  t.equal(repaired.result().headers['X-Payment-Card-Last4'], VISA.slice(-4));

  const unlikely = new Harness({ ...SPEECH, config: { autoCompleteCardNumber: false } }).start().keys('1');
  misheard(unlikely, 0.05);
  t.equal(unlikely.state, 'card-number', 'a reading under the odds limit is not taken: asked again');
  t.same(unlikely.lastPrompt(), ['card-number-invalid', 'say-card-number']);

  const keyed = new Harness({ ...SPEECH, config: { autoCompleteCardNumber: false } }).start().keys('1');
  keyed.keys(VISA.slice(0, 4) + '7' + VISA.slice(5) + '#');
  t.equal(keyed.state, 'card-number', 'a keyed wrong digit is never changed');
  t.same(keyed.lastPrompt(), ['card-number-invalid', 'say-card-number']);
});

t.test('words being spoken hold off the no-input timeouts until their utterance is reported or dropped', async (t) => {
  const h = new Harness(SPEECH).start().keys('1');
  const { firstDigitMs, interDigitMs } = h.config.timeouts;
  // The caller speaks over the prompt: each word heard (its token comes at the end of the utterance).
  const speakFor = (ms: number): void => {
    for (let at = 0; at < ms; at += 500) {
      h.session.speaking();
      h.timers.advance(500);
    }
  };
  h.session.speaking();
  h.session.promptEnded(); // the barge-in ended the prompt
  speakFor(firstDigitMs + interDigitMs);
  t.equal(h.state, 'card-number');
  t.notOk(
    h.prompts().some((p) => p.includes('no-input')),
    'no timeout while the caller speaks for longer than both timeouts',
  );
  h.say(VISA).pause();
  t.equal(h.state, 'expiry', 'the utterance reported: the field ends');

  // An utterance dropped (a word in it was rejected): the caller hears no-input once the inter-digit time has passed.
  speakFor(2000); // the last word 500 ms ago
  h.timers.advance(interDigitMs - 500 - 1);
  t.equal(h.lastPrompt().includes('no-input'), false);
  h.timers.advance(1);
  t.ok(h.lastPrompt().includes('no-input'), 'asked again after the inter-digit time');
  t.equal(h.state, 'expiry');

  // Keyed input only: speaking changes nothing.
  const keyed = new Harness().start().keys('1');
  keyed.session.promptEnded();
  keyed.session.speaking();
  keyed.timers.advance(keyed.config.timeouts.firstDigitMs);
  t.ok(keyed.lastPrompt().includes('no-input'), 'the first-digit timeout as before');
});

t.test('menu words: "no"/"change" open the change menu, a word that is no choice is an invalid choice', async (t) => {
  const h = new Harness(SPEECH).start().say('pay the balance', VISA).pause().say('1228', '123');
  t.equal(h.state, 'confirmation');
  h.say('change');
  t.equal(h.state, 'change-choice');
  t.same(h.lastPrompt(), ['say-which-detail']);
  h.say('yes');
  t.equal(h.state, 'change-choice');
  t.equal(h.lastPrompt()[0], 'invalid-choice');
  h.say('3');
  t.equal(h.state, 'expiry');
  h.say('01', 'no'); // "no" in a field: start the entry again
  t.equal(h.state, 'expiry');
  t.equal(h.transitions().at(-1)?.on, 'restart');
  h.say('1229');
  t.equal(h.state, 'confirmation', 'the new expiry, then the readback again');
  h.say('no');
  t.equal(h.state, 'change-choice', '"no" at the readback is "change"');
  const amount = new Harness(SPEECH).start().say('correct');
  t.equal(amount.state, 'amount-choice', '"correct" is no choice of the balance menu');
  t.equal(amount.lastPrompt()[0], 'invalid-choice');
});

t.test('speech is ignored when the payment takes keys only, and keys always work with speech on', async (t) => {
  const keyed = new Harness().start().say('pay the balance', '1');
  t.equal(keyed.state, 'amount-choice');
  t.same(keyed.lastPrompt().at(-1), 'press-1-or-2-for-other-amount', 'keypad prompts unchanged');
  const spoken = new Harness({ request: { input: 'speech' } }).start().keys('1');
  t.equal(spoken.state, 'card-number');
  t.same(spoken.lastPrompt(), ['say-card-number']);
});

t.test('PCI: no digit of the spoken card in any event, status, record or header beyond the last four', async (t) => {
  const h = new Harness(SPEECH).start().say('pay the balance', VISA).pause().say('1228', '123', 'yes');
  await h.settle();
  const text = JSON.stringify(h.events.filter((e) => e.type !== 'prompt'));
  t.notOk(text.includes(VISA.slice(0, 12)), 'no card number');
  t.notOk(text.includes('1228'), 'no expiry');
  t.notOk(/"securityCode":"\d/.test(text), 'no security code');
  t.equal(h.result().result, 'success');
});
