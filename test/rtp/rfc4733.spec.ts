// RFC 4733 telephone-event receiver: each case as the packets a sender or a faulty network or
// relay would produce, fed in arrival order.
import t from 'tap';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import {
  createRfc4733Decoder,
  digitEvent,
  encodeTelephoneEvent,
  eventDigit,
  parseTelephoneEvent,
  planDigitPackets,
  rfc4733Flush,
  rfc4733Rx,
  rfc4733Tick,
  type EventPacketPlan,
  type Rfc4733Digit,
} from '../../src/rtp/rfc4733.js';

interface Sent extends EventPacketPlan {
  readonly arrivalMs: number;
}

/** Packets of several digits, 20 ms apart on arrival, digit starts at the given ms (8 kHz clock). */
function sendDigits(digits: readonly { digit: DtmfDigit; atMs: number; ms: number }[], baseTs = 1000): Sent[] {
  const out: Sent[] = [];
  for (const d of digits) {
    const plan = planDigitPackets(d.digit, baseTs + d.atMs * 8, d.ms * 8);
    plan.forEach((p, i) => out.push({ ...p, arrivalMs: d.atMs + 20 * (i + 1) }));
  }
  return out;
}

function decode(packets: readonly Sent[], flush = true): Rfc4733Digit[] {
  const digits: Rfc4733Digit[] = [];
  const d = createRfc4733Decoder((x) => digits.push(x));
  for (const p of packets) rfc4733Rx(d, p.timestamp, p.marker, p.payload, p.arrivalMs);
  if (flush) rfc4733Flush(d);
  return digits;
}

const text = (digits: readonly Rfc4733Digit[]): string => digits.map((d) => d.digit).join('');

t.test('payload: parse and encode every field; 0-15 are the keypad', async (t) => {
  const bytes = encodeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 1234 });
  t.same([...bytes], [11, 0x80 | 10, 1234 >> 8, 1234 & 0xff]);
  t.same(parseTelephoneEvent(bytes), { event: 11, end: true, volume: 10, duration: 1234 });
  t.equal(parseTelephoneEvent(new Uint8Array(3)), undefined, 'short payload');
  t.equal(eventDigit(10), '*');
  t.equal(eventDigit(11), '#');
  t.equal(eventDigit(15), 'D');
  t.equal(eventDigit(16), undefined);
  for (let e = 0; e < 16; e++) t.equal(digitEvent(eventDigit(e) ?? '0'), e);
});

t.test('one digit with the E bit and three end packets is one digit with its duration', async (t) => {
  const digits = decode(sendDigits([{ digit: '5', atMs: 0, ms: 200 }]), false);
  t.equal(digits.length, 1, 'reported at the first end packet, before flush');
  t.equal(digits[0].digit, '5');
  t.equal(digits[0].duration, 1600);
  t.equal(digits[0].endReason, 'end-bit');
  t.equal(digits[0].startTimestamp, 1000);
});

t.test('all 16 events, back to back with and without gaps', async (t) => {
  const keys: DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];
  t.equal(text(decode(sendDigits(keys.map((digit, i) => ({ digit, atMs: i * 200, ms: 100 }))))), keys.join(''));
  // No gap at all: the next digit's timestamp is the previous one's end.
  t.equal(text(decode(sendDigits(keys.map((digit, i) => ({ digit, atMs: i * 100, ms: 100 }))))), keys.join(''));
});

t.test('the same digit twice is two digits, also when the end packets of the first are lost', async (t) => {
  const packets = sendDigits([
    { digit: '7', atMs: 0, ms: 100 },
    { digit: '7', atMs: 180, ms: 100 },
  ]);
  t.equal(text(decode(packets)), '77');
  const firstTs = packets[0].timestamp;
  const noEnd = packets.filter((p) => !(p.timestamp === firstTs && (p.payload[1] & 0x80) !== 0));
  const digits = decode(noEnd);
  t.equal(text(digits), '77');
  t.equal(digits[0].endReason, 'next-event');
});

t.test('a repeated key survives every loss of a marker, start or end packet, all end packets, with reordering and duplication', async (t) => {
  const isEnd = (p: Sent) => (p.payload[1] & 0x80) !== 0;
  for (const digit of ['0', '1', '#'] as const) {
    for (const ms of [40, 100]) {
      const packets = sendDigits([
        { digit, atMs: 0, ms },
        { digit, atMs: 2 * ms, ms },
      ]);
      const firstTs = packets[0].timestamp;
      const ofFirst = (p: Sent) => p.timestamp === firstTs;
      const markerOfSecond = packets.findIndex((p) => !ofFirst(p));
      const patterns: [string, Sent[]][] = [
        ['nothing lost', packets],
        ["the second's marker packet", packets.filter((_, i) => i !== markerOfSecond)],
        ['all end packets of the first', packets.filter((p) => !(ofFirst(p) && isEnd(p)))],
        ["all end packets of the first and the second's marker", packets.filter((p, i) => !(ofFirst(p) && isEnd(p)) && i !== markerOfSecond)],
        ['all end packets of both', packets.filter((p) => !isEnd(p))],
        ...packets.map((_, k): [string, Sent[]] => [`packet ${k}`, packets.filter((__, i) => i !== k)]),
      ];
      const failures: string[] = [];
      for (const [name, kept] of patterns) {
        const swapped = kept.slice();
        for (let i = 0; i + 1 < swapped.length; i += 2) [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
        for (const [variant, list] of [
          ['in order', kept],
          ['reordered', swapped],
          ['duplicated', kept.flatMap((p) => [p, p])],
        ] as const) {
          const got = text(decode(list));
          if (got !== digit + digit) failures.push(`${name}, ${variant}: ${got}`);
        }
      }
      t.same(failures, [], `${digit}${digit} at ${ms}/${ms} ms: two digits under ${patterns.length} loss patterns x 3`);
    }
  }
});

t.test('lost start packets: the digit counts once from its first surviving packet', async (t) => {
  const packets = sendDigits([{ digit: '3', atMs: 0, ms: 200 }]);
  const digits = decode(packets.slice(4));
  t.equal(text(digits), '3');
  t.equal(digits[0].startTimestamp, 1000, 'start time still comes from the RTP timestamp');
  t.equal(text(decode(packets.filter((p) => (p.payload[1] & 0x80) !== 0))), '3', 'only the end packets arrived');
});

t.test('lost end packets: the digit ends by timeout, once', async (t) => {
  const packets = sendDigits([{ digit: '9', atMs: 0, ms: 200 }]).filter((p) => (p.payload[1] & 0x80) === 0);
  const digits: Rfc4733Digit[] = [];
  const d = createRfc4733Decoder((x) => digits.push(x), { endTimeoutMs: 300 });
  for (const p of packets) rfc4733Rx(d, p.timestamp, p.marker, p.payload, p.arrivalMs);
  const last = packets[packets.length - 1].arrivalMs;
  rfc4733Tick(d, last + 299);
  t.equal(digits.length, 0, 'not before the timeout');
  rfc4733Tick(d, last + 301);
  t.equal(digits.length, 1);
  t.equal(digits[0].endReason, 'timeout');
  rfc4733Flush(d);
  rfc4733Tick(d, last + 10_000);
  t.equal(digits.length, 1, 'flush and later ticks add nothing');
  // A late end packet after the timeout is the same digit.
  const end = encodeTelephoneEvent({ event: 9, end: true, volume: 10, duration: 1600 });
  rfc4733Rx(d, packets[0].timestamp, false, end, last + 400);
  t.equal(digits.length, 1);
});

t.test('a long event in RFC 4733 §2.5.1.3 segments is one digit with the whole duration', async (t) => {
  const total = 0xffff * 2 + 8000; // about 17.4 s at 8 kHz
  const plan = planDigitPackets('#', 5000, total, 800);
  t.ok(new Set(plan.map((p) => p.timestamp)).size === 3, 'three segments, three timestamps');
  const digits = decode(plan.map((p, i) => ({ ...p, arrivalMs: i * 100 })));
  t.equal(text(digits), '#');
  t.equal(digits[0].duration, total);
  t.equal(digits[0].startTimestamp, 5000);
});

t.test('a duration that wraps inside one segment (non-compliant sender) is unwrapped', async (t) => {
  const packets: Sent[] = [];
  let ms = 0;
  for (let duration = 8000; duration < 0x10000 + 16000; duration += 8000) {
    packets.push({ timestamp: 42, marker: duration === 8000, payload: encodeTelephoneEvent({ event: 1, end: false, volume: 8, duration: duration & 0xffff }), arrivalMs: (ms += 100) });
  }
  packets.push({ timestamp: 42, marker: false, payload: encodeTelephoneEvent({ event: 1, end: true, volume: 8, duration: (0x10000 + 16000) & 0xffff }), arrivalMs: ms + 100 });
  const digits = decode(packets);
  t.equal(text(digits), '1');
  t.equal(digits[0].duration, 0x10000 + 16000);
});

t.test('reordered packets: one digit per event, in both orders and across events', async (t) => {
  const packets = sendDigits([
    { digit: '1', atMs: 0, ms: 120 },
    { digit: '2', atMs: 200, ms: 120 },
  ]);
  const swapped = packets.slice();
  for (let i = 0; i + 1 < swapped.length; i += 2) [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
  t.equal(text(decode(swapped)), '12');
  // The first packet of digit 2 overtakes the end packets of digit 1.
  const firstOf2 = packets.findIndex((p) => p.timestamp !== packets[0].timestamp);
  const overtaken = [...packets.slice(0, firstOf2 - 3), packets[firstOf2], ...packets.slice(firstOf2 - 3, firstOf2), ...packets.slice(firstOf2 + 1)];
  t.equal(text(decode(overtaken)), '12');
  // A late update after the end bit does not restart the digit or shrink it.
  const late = [...packets.slice(0, firstOf2), packets[2]];
  const digits = decode(late);
  t.equal(text(digits), '1');
  t.equal(digits[0].duration, 960);
});

t.test('duplicated packets (network or retransmission) never add a digit', async (t) => {
  const packets = sendDigits([
    { digit: '8', atMs: 0, ms: 100 },
    { digit: '8', atMs: 300, ms: 100 },
  ]);
  t.equal(text(decode(packets.flatMap((p) => [p, p, p]))), '88');
});

t.test('end packets re-sent by a relay with a new timestamp or sequence number stay one digit', async (t) => {
  const packets = sendDigits([{ digit: '4', atMs: 0, ms: 160 }]);
  const end = packets[packets.length - 1];
  const last = end.arrivalMs;
  // Re-stamped at the end of the event (ts + duration), and at "now" slightly later, without marker.
  const restamped = [1000 + 1280, 1000 + 1280 + 160, 1000 + 1280 + 320].map((timestamp, i) => ({ ...end, timestamp, arrivalMs: last + 20 * (i + 1) }));
  t.equal(text(decode([...packets, ...restamped])), '4');
  // Relay that re-stamps the end packets only (the start packets kept the original timestamp).
  const withoutEnds = packets.filter((p) => (p.payload[1] & 0x80) === 0);
  t.equal(text(decode([...withoutEnds, ...restamped])), '4');
  // Same timestamp, new sequence numbers: the decoder keys on the timestamp, sequence numbers do not matter.
  t.equal(text(decode([...packets, end, end, end])), '4');
  // A genuine second press of the same key after the gap is still a second digit.
  t.equal(text(decode([...packets, ...sendDigits([{ digit: '4', atMs: 600, ms: 160 }])])), '44');
});

t.test('events above 15 are ignored without disturbing digits', async (t) => {
  const digits: Rfc4733Digit[] = [];
  const d = createRfc4733Decoder((x) => digits.push(x));
  const packets = sendDigits([{ digit: '6', atMs: 0, ms: 100 }]);
  rfc4733Rx(d, 500, true, encodeTelephoneEvent({ event: 16, end: false, volume: 0, duration: 160 }), 0); // flash
  for (const p of packets.slice(0, 3)) rfc4733Rx(d, p.timestamp, p.marker, p.payload, p.arrivalMs);
  rfc4733Rx(d, 900, true, encodeTelephoneEvent({ event: 36, end: true, volume: 0, duration: 160 }), 50); // fax CNG
  for (const p of packets.slice(3)) rfc4733Rx(d, p.timestamp, p.marker, p.payload, p.arrivalMs);
  rfc4733Rx(d, 2000, false, new Uint8Array(2), 300);
  rfc4733Flush(d);
  t.equal(text(digits), '6');
  t.equal(d.stats.ignoredEvents, 2);
  t.equal(d.stats.malformed, 1);
});

t.test('clock rate: tolerance scales with the telephone-event clock (48 kHz for Opus calls)', async (t) => {
  const digits: Rfc4733Digit[] = [];
  const d = createRfc4733Decoder((x) => digits.push(x), { clockRate: 48000 });
  const plan = planDigitPackets('2', 0, 9600, 960);
  plan.forEach((p, i) => rfc4733Rx(d, p.timestamp, p.marker, p.payload, i * 20));
  const again = planDigitPackets('2', 9600 + 4800, 9600, 960);
  again.forEach((p, i) => rfc4733Rx(d, p.timestamp, p.marker, p.payload, 400 + i * 20));
  rfc4733Flush(d);
  t.equal(text(digits), '22');
  t.throws(() => createRfc4733Decoder(() => undefined, { clockRate: 0 }), RangeError);
});
