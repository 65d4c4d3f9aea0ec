// Which digit runs are card data: Luhn plus a card type's prefix and length, runs split by long
// pauses and by * and #, two cards in one run, short runs only on request, and nothing but a card
// type and last four in a finding.
import t from 'tap';
import { digitConfidence, digitRuns, findCardData, type ScanDigit } from '../../src/scan/card-findings.js';

/** Digits 150 ms apart from `startMs`; a space in `keys` is a pause of `pauseMs`. */
function keyed(keys: string, startMs = 0, pauseMs = 1500, signal: ScanDigit['signal'] = 'inband', confidence = 1): ScanDigit[] {
  const out: ScanDigit[] = [];
  let at = startMs;
  for (const k of keys) {
    if (k === ' ') {
      at += pauseMs;
      continue;
    }
    out.push({ digit: k, startMs: at, endMs: at + 80, signal, confidence });
    at += 150;
  }
  return out;
}

t.test('a card number keyed in groups is one finding with its type and last four only', async (t) => {
  const findings = findCardData(keyed('4111 1111 1111 1111'));
  t.equal(findings.length, 1);
  t.same({ ...findings[0] }, { kind: 'card-number', startMs: 0, endMs: 16 * 150 + 3 * 1500 - 150 + 80, digitCount: 16, cardType: 'visa', last4: '1111', confidence: 1, signals: ['inband'] });
  t.notMatch(JSON.stringify(findings), /4111111111111111|411111/, 'the number is not in the finding');
});

t.test('numbers that are not cards give nothing', async (t) => {
  t.same(findCardData(keyed('4111111111111112')), [], 'fails Luhn');
  t.same(findCardData(keyed('07700900123')), [], 'a phone number');
  t.same(findCardData(keyed('123456789012')), [], '12 digits');
  t.same(findCardData(keyed('9999999999999995')), [], 'passes Luhn, no card type starts 99');
  t.same(findCardData([]), []);
});

t.test('a pause longer than the run gap, or * and #, split a run', async (t) => {
  t.same(findCardData(keyed('41111111 11111111', 0, 7000)), [], 'a 7 s pause splits the number in two halves');
  t.equal(findCardData(keyed('41111111 11111111', 0, 5000)).length, 1, 'a 5 s pause does not');
  const hashSplit = [...keyed('41111111'), { digit: '#', startMs: 1300, endMs: 1380, signal: 'inband' as const, confidence: 1 }, ...keyed('11111111', 1500)];
  t.same(findCardData(hashSplit), []);
  t.same(
    digitRuns(hashSplit, 6000).map((r) => r.length),
    [8, 8],
  );
});

t.test('a card inside a longer run, and two cards in one run, are found', async (t) => {
  const inside = findCardData(keyed('1 2 3 5555555555554444 9'));
  t.same(
    inside.map((f) => [f.cardType, f.last4]),
    [['mastercard', '4444']],
  );
  const two = findCardData(keyed('378282246310005 6011111111111117'));
  t.same(
    two.map((f) => [f.cardType, f.last4, f.digitCount]),
    [
      ['american-express', '0005', 15],
      ['discover', '1117', 16],
    ],
  );
  const nineteen = findCardData(keyed('4000000000000000006'));
  t.same(
    nineteen.map((f) => [f.cardType, f.digitCount]),
    [['visa', 19]],
    'the longest valid window wins',
  );
});

t.test('digits from several signals and out of order are sorted and merged into one run', async (t) => {
  const mixed = [...keyed('4111111111111111', 0, 0, 'rfc4733')];
  mixed[3] = { ...mixed[3], signal: 'sip-info' };
  mixed.reverse();
  const findings = findCardData(mixed);
  t.equal(findings.length, 1);
  t.same(findings[0].signals, ['rfc4733', 'sip-info']);
});

t.test('--min-digits adds short runs by kind, without their digits', async (t) => {
  const digits = [...keyed('0527', 0), ...keyed('123', 20_000), ...keyed('98765', 40_000), ...keyed('12', 60_000), ...keyed('4111111111111111', 80_000)];
  t.same(
    findCardData(digits).map((f) => f.kind),
    ['card-number'],
  );
  const all = findCardData(digits, { maxGapMs: 6000, minDigits: 3 });
  t.same(
    all.map((f) => [f.kind, f.digitCount, f.last4]),
    [
      ['expiry-like', 4, null],
      ['code-like', 3, null],
      ['digits', 5, null],
      ['card-number', 16, '1111'],
    ],
  );
  t.notMatch(JSON.stringify(all), /0527|98765/);
});

t.test('confidence is the weakest digit: level and twist of in-band tones, 1 for signalled digits', async (t) => {
  t.equal(digitConfidence(-10, -12, 2), 1);
  t.equal(digitConfidence(-40, -40, 0), 0.5);
  t.equal(digitConfidence(-32.5, -30, -2.5), 0.75);
  t.equal(digitConfidence(-10, -16, 6), 0.75);
  const digits = keyed('4111111111111111');
  digits[5] = { ...digits[5], confidence: 0.6 };
  t.equal(findCardData(digits)[0].confidence, 0.6);
});
