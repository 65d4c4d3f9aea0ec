// ClampStage: telephone-events out of the agent leg, replaced by audio of the exact duration,
// the outgoing stream valid (seq contiguous, ts continuous, one SSRC, markers, payload type),
// pass-through outside secure mode, switching mid-stream, digits to the listener, fuzzing.
import t from 'tap';
import { ULAW_SILENCE } from '../../native-free-dsp/g711.js';
import type { KeyPress } from '../../src/media/digits/key-press.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { MediaError } from '../../src/media/media-error.js';
import { ClampStage, type ClampStageOptions } from '../../src/media/clamp/clamp-stage.js';
import { buildStream, checkStream, parsed, EVENT_PT, FRAME, SSRC, type StreamPacket } from '../helpers/rtp-streams.js';
import { streamRng } from '../helpers/signals.js';

interface Run {
  readonly out: Uint8Array[];
  readonly digits: KeyPress[];
  readonly stage: ClampStage;
}

function run(packets: readonly StreamPacket[], options: Partial<ClampStageOptions> = {}, copyInput = true): Run {
  const out: Uint8Array[] = [];
  const digits: KeyPress[] = [];
  const stage = new ClampStage({ codec: 'PCMU', secure: true, send: (p) => out.push(p.slice()), onDigit: (d) => digits.push(d), ...options });
  for (const p of packets) stage.push(copyInput ? p.bytes.slice() : p.bytes, p.atMs);
  stage.close();
  return { out, digits, stage };
}

/** Audio samples the input stream carries plus every event's duration: what must come out. */
function expectedSamples(audioFrames: number, eventSamples: number): number {
  return audioFrames * FRAME + eventSamples;
}

t.test('secure: a 200 ms digit between audio is replaced by 200 ms of silence, stream valid', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 10 },
      { kind: 'digit', digit: '5', samples: 1600 },
      { kind: 'audio', frames: 10 },
    ],
  });
  const { out, digits, stage } = run(input);
  const c = checkStream(out);
  t.equal(c.eventPackets, 0, 'no telephone-event packet reaches the agent');
  t.same(c.seqBreaks, [], 'sequence numbers contiguous');
  t.same(c.tsBreaks, [], 'timestamps continuous');
  t.same([...c.ssrcs], [SSRC], 'one SSRC, the audio one');
  t.equal(c.samples, expectedSamples(20, 1600), 'exactly the event duration added, nothing more');
  t.equal(c.markers, 1, 'only the talkspurt start carries the marker');
  t.equal(parsed(out[0]).sequence, 1000, "the first number is the sender's");
  const replaced = out.slice(10, 20).map(parsed);
  t.ok(
    replaced.every((p) => p.payloadType === 0 && !p.marker && p.payload.length === FRAME && p.payload.every((b) => b === ULAW_SILENCE)),
    'ten 20 ms PCMU silence frames, no marker',
  );
  t.same(
    digits.map((d) => d.digit),
    ['5'],
    'the digit goes to the listener, once',
  );
  t.equal(digits[0].durationMs, 200);
  t.equal(stage.stats.eventsRemoved, 12, '9 updates + 3 end packets removed');
  t.equal(stage.stats.framesInserted, 10);
  t.same(stage.adjustment, { packets: -2, octets: 1600 - 12 * 4 }, 'SR adjustment: 2 packets fewer, 1600 - 48 payload octets more');
});

t.test('a duration that is not a whole number of frames ends with a short frame; audio resumes at its end', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 3 },
      { kind: 'digit', digit: '#', samples: 1000 },
      { kind: 'audio', frames: 3 },
    ],
  });
  const { out } = run(input);
  const c = checkStream(out);
  t.same(c.seqBreaks, []);
  t.same(c.tsBreaks, []);
  t.equal(c.samples, expectedSamples(6, 1000));
  t.same(
    out.slice(3, 10).map((b) => parsed(b).payload.length),
    [160, 160, 160, 160, 160, 160, 40],
    'six full frames and 40 samples',
  );
});

t.test('sequence numbers and timestamps wrap (16-bit and 32-bit) without a break', async (t) => {
  const input = buildStream({
    seq0: 65530,
    ts0: 0xffffffff - 1000,
    segments: [
      { kind: 'audio', frames: 4 },
      { kind: 'digit', digit: '1', samples: 1600 },
      { kind: 'audio', frames: 8 },
      { kind: 'digit', digit: '2', samples: 800 },
      { kind: 'audio', frames: 4 },
    ],
  });
  const { out, digits } = run(input);
  const c = checkStream(out);
  t.same(c.seqBreaks, []);
  t.same(c.tsBreaks, []);
  t.equal(c.samples, expectedSamples(16, 2400));
  t.ok(out.some((b) => parsed(b).sequence === 0) && out.some((b) => parsed(b).sequence === 65535), 'the sequence wrapped');
  t.ok(
    out.some((b) => parsed(b).timestamp < 1000),
    'the timestamp wrapped',
  );
  t.same(
    digits.map((d) => d.digit),
    ['1', '2'],
  );
});

t.test('duplicated and reordered event packets add no audio; holes only where a late packet was', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 5 },
      { kind: 'digit', digit: '7', samples: 1600 },
      { kind: 'audio', frames: 5 },
    ],
  });
  const shuffled = input.slice();
  // duplicate three event packets, swap two updates, send the first end packet twice
  shuffled.splice(8, 0, input[7], input[7]);
  [shuffled[11], shuffled[12]] = [shuffled[12], shuffled[11]];
  shuffled.splice(15, 0, input[14]);
  const { out, digits, stage } = run(shuffled);
  const c = checkStream(out);
  t.same(c.tsBreaks, [], 'timestamps continuous');
  t.equal(c.samples, expectedSamples(10, 1600), 'exactly the real duration');
  t.equal(c.eventPackets, 0);
  t.same(
    digits.map((d) => d.digit),
    ['7'],
  );
  t.equal(stage.stats.duplicates, 3);
  const seqs = out.map((b) => parsed(b).sequence);
  for (let i = 1; i < seqs.length; i++) t.ok(seqs[i] > seqs[i - 1], `sequence increases at #${i}`);
  let max = -1;
  let late = 0;
  for (const p of shuffled) {
    const q = parsed(p.bytes).sequence;
    if (q < max) late++;
    max = Math.max(max, q);
  }
  t.equal(late, 2, 'two packets arrive late');
  t.equal(c.seqBreaks.length, late, `one hole per late (dropped) event packet: ${c.seqBreaks.join(', ')}`);
  t.ok(
    out.every((b, i) => i === 0 || ((parsed(b).sequence - parsed(out[i - 1]).sequence) & 0xffff) <= 2),
    'each hole is one number',
  );
});

t.test('long event (RFC 4733 §2.5.1.3 segments): total duration exact over the segments', async (t) => {
  const samples = 0xffff + 8000; // 9.2 s
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 2 },
      { kind: 'digit', digit: '0', samples },
      { kind: 'audio', frames: 2 },
    ],
  });
  const { out, digits } = run(input);
  const c = checkStream(out);
  t.same(c.seqBreaks, []);
  t.same(c.tsBreaks, []);
  t.equal(c.samples, expectedSamples(4, samples));
  t.same(
    digits.map((d) => [d.digit, (d.durationMs ?? 0) * 8]),
    [['0', samples]],
    'one digit of the full length',
  );
});

t.test('updates every 50 ms (fewer event packets than frames) and lost end packets', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 3 },
      { kind: 'digit', digit: '9', samples: 1700, intervalSamples: 400 },
      { kind: 'audio', frames: 3 },
    ],
  });
  const noEnds = input.filter((p) => !(parsed(p.bytes).payloadType === EVENT_PT && (parsed(p.bytes).payload[1] & 0x80) !== 0));
  for (const [name, stream] of [
    ['with end packets', input],
    ['end packets lost', noEnds],
  ] as const) {
    const { out, digits } = run(stream);
    const c = checkStream(out);
    // Lost packets stay visible as a gap (the three end packets here): loss is real.
    t.same(c.seqBreaks, name === 'with end packets' ? [] : ['#13: 1012 -> 1016'], `${name}: seq`);
    t.same(c.tsBreaks, [], `${name}: ts`);
    t.equal(c.samples, expectedSamples(6, 1700), `${name}: duration exact`);
    t.same(
      digits.map((d) => d.digit),
      ['9'],
      `${name}: digit`,
    );
  }
});

t.test('audio sent alongside the events is dropped where the replacement already covers it', async (t) => {
  const base = buildStream({ segments: [{ kind: 'audio', frames: 12 }] });
  // The event starts at frame 4 and lasts 800 samples (frames 4-8); its packets arrive just before
  // the audio frames of the same time (a gateway that keeps sending the tone as audio too).
  const events = buildStream({
    segments: [
      { kind: 'audio', frames: 4 },
      { kind: 'digit', digit: '3', samples: 800 },
    ],
  }).slice(4);
  const merged: StreamPacket[] = [];
  let seq = 500;
  const renumber = (p: StreamPacket): void => {
    const b = p.bytes.slice();
    b[2] = (seq >> 8) & 0xff;
    b[3] = seq & 0xff;
    seq++;
    merged.push({ bytes: b, atMs: p.atMs });
  };
  for (const [i, p] of base.entries()) {
    if (i >= 4 && i < 8) renumber(events[i - 4]);
    if (i === 8) for (const e of events.slice(4)) renumber(e);
    renumber(p);
  }
  const { out, stage } = run(merged);
  const c = checkStream(out);
  t.equal(c.eventPackets, 0);
  t.same(c.seqBreaks, []);
  t.same(c.tsBreaks, []);
  t.equal(stage.stats.audioCovered, 5, 'the five audio frames inside the event dropped');
  t.equal(c.samples, 12 * FRAME, 'each timestamp sent once');
  t.ok(
    out.slice(4, 9).every((b) => parsed(b).payload.every((x) => x === ULAW_SILENCE)),
    'the event time is silence',
  );
});

t.test('outside secure mode: the same buffers, byte for byte, at once (events and malformed too)', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 5 },
      { kind: 'digit', digit: '4', samples: 1600 },
      { kind: 'audio', frames: 5 },
    ],
  });
  const withJunk = [...input.slice(0, 3), { bytes: new Uint8Array([1, 2, 3]), atMs: 50 }, ...input.slice(3)];
  const sent: Uint8Array[] = [];
  const digits: string[] = [];
  const stage = new ClampStage({ codec: 'PCMU', send: (p) => sent.push(p), onDigit: (d) => digits.push(d.digit) });
  const copies = withJunk.map((p) => p.bytes.slice());
  let late = 0;
  for (const [i, p] of withJunk.entries()) {
    stage.push(p.bytes, p.atMs);
    if (sent.length !== i + 1) late++;
  }
  t.equal(late, 0, 'each packet is sent inside its own push: no delay');
  t.equal(sent.length, withJunk.length);
  t.ok(
    sent.every((b, i) => b === withJunk[i].bytes),
    'the very buffers given',
  );
  t.ok(
    copies.every((b, i) => Buffer.from(b).equals(Buffer.from(sent[i]))),
    'untouched',
  );
  t.same(digits, ['4'], 'digits still reported to the listener');
});

t.test('secure mode switched on and off mid-stream (and mid-event): continuous, no duplicate number', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 6 },
      { kind: 'digit', digit: '6', samples: 1600 },
      { kind: 'audio', frames: 6 },
      { kind: 'digit', digit: '8', samples: 1600 },
      { kind: 'audio', frames: 6 },
      { kind: 'digit', digit: '2', samples: 800 },
      { kind: 'audio', frames: 6 },
    ],
  });
  const out: Uint8Array[] = [];
  const stage = new ClampStage({ codec: 'PCMU', send: (p) => out.push(p.slice()) });
  const events = input.map((p, i) => (parsed(p.bytes).payloadType === EVENT_PT ? i : -1)).filter((i) => i >= 0);
  const digit2Start = events[12]; // second digit's first packet
  for (const [i, p] of input.entries()) {
    if (i === 3) stage.setSecure(true); // on before the first digit
    if (i === digit2Start + 4) stage.setSecure(false); // off in the middle of the second digit
    if (i === events[24] - 2) stage.setSecure(true); // on again just before the third
    stage.push(p.bytes.slice(), p.atMs);
  }
  const c = checkStream(out);
  t.equal(c.eventPackets, 0, 'the digit in progress at switch-off stays clamped to its end');
  t.same(c.seqBreaks, [], 'no jump, no duplicate');
  t.same(c.tsBreaks, []);
  t.equal(c.samples, expectedSamples(24, 4000));
  t.equal(stage.clamping, true);
  stage.setSecure(false);
  const after = buildStream({
    seq0: (parsed(input[input.length - 1].bytes).sequence + 1) & 0xffff,
    ts0: (parsed(input[input.length - 1].bytes).timestamp + FRAME) >>> 0,
    segments: [{ kind: 'audio', frames: 3 }],
  });
  const before = out.length;
  for (const p of after) stage.push(p.bytes.slice(), p.atMs);
  const c2 = checkStream(out);
  t.same(c2.seqBreaks, [], 'after switching off, the offset keeps the numbers contiguous');
  t.same(
    out.slice(before).map((b) => parsed(b).payload),
    after.map((p) => parsed(p.bytes).payload),
    'payloads untouched',
  );
});

t.test('events before secure mode pass; the listener hears digits; no event under another SSRC leaks', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 3 },
      { kind: 'digit', digit: '1', samples: 800 },
      { kind: 'audio', frames: 3 },
    ],
  });
  const foreign = buildStream({ ssrc: 0x55, seq0: 7, segments: [{ kind: 'digit', digit: '2', samples: 800 }] });
  const { out, stage } = run([...input.slice(0, 5), ...foreign, ...input.slice(5)]);
  t.equal(checkStream(out).eventPackets, 0);
  t.same([...checkStream(out).ssrcs], [SSRC]);
  t.equal(stage.stats.foreignSsrc, foreign.length);
});

t.test('options are validated with codes; use after close is ECLOSED', async (t) => {
  const send = (): void => {};
  t.throws(() => new ClampStage({ codec: 'G729' as 'PCMU', send }), { code: 'EOPTIONS' });
  t.throws(() => new ClampStage({ codec: 'PCMU', eventPayloadType: 0, send }), { code: 'EOPTIONS' });
  t.throws(() => new ClampStage({ codec: 'PCMU', eventPayloadType: 72, send }), { code: 'EOPTIONS' });
  t.throws(() => new ClampStage({ codec: 'PCMU', frameSamples: 0, send }), { code: 'EOPTIONS' });
  const s = new ClampStage({ codec: 'PCMU', send });
  s.close();
  s.close();
  t.throws(() => s.push(new Uint8Array(12), 0), MediaError);
  t.throws(() => s.setSecure(true), { code: 'ECLOSED' });
});

t.test('fuzz: random and mutated packets never throw; every packet sent in secure mode parses and is no event', async (t) => {
  const rng = streamRng('rtp-clamp-stage fuzz');
  const base = buildStream({
    segments: [
      { kind: 'audio', frames: 20 },
      { kind: 'digit', digit: '5', samples: 1600 },
      { kind: 'audio', frames: 20 },
      { kind: 'digit', digit: '9', samples: 3200 },
      { kind: 'audio', frames: 20 },
    ],
  });
  for (let round = 0; round < 200; round++) {
    const out: Uint8Array[] = [];
    const stage = new ClampStage({ codec: 'PCMU', secure: true, send: (p) => out.push(p.slice()), onDigit: () => {} });
    for (const p of base) {
      const r = rng();
      let b = p.bytes.slice();
      if (r < 0.1) b = Uint8Array.from({ length: Math.floor(rng() * 200) }, () => Math.floor(rng() * 256));
      else if (r < 0.3) for (let k = 0; k < 3; k++) b[Math.floor(rng() * b.length)] = Math.floor(rng() * 256);
      else if (r < 0.35) b = b.subarray(0, Math.floor(rng() * b.length));
      if (rng() < 0.05) stage.setSecure(rng() < 0.7);
      stage.push(b, p.atMs);
    }
    stage.close();
  }
  // Secure throughout: every output packet parses, none is an event, none is bigger than a frame.
  for (let round = 0; round < 200; round++) {
    const out: Uint8Array[] = [];
    const stage = new ClampStage({ codec: 'PCMU', secure: true, send: (p) => out.push(p.slice()) });
    for (const p of base) {
      const b = p.bytes.slice();
      const r = rng();
      if (r < 0.3) for (let k = 0; k < 2; k++) b[Math.floor(rng() * b.length)] = Math.floor(rng() * 256);
      stage.push(r < 0.4 && r >= 0.3 ? Uint8Array.from({ length: Math.floor(rng() * 64) }, () => Math.floor(rng() * 256)) : b, p.atMs);
    }
    const bad = out.filter((b) => {
      try {
        const p = parsed(b);
        return p.payloadType === EVENT_PT;
      } catch {
        return true;
      }
    });
    if (bad.length > 0) t.fail(`round ${round}: ${bad.length} bad packets out`);
  }
  t.pass('no exception in 400 mutated streams');
});

t.test('a packet of another payload type is dropped in secure mode; comfort noise passes', async (t) => {
  const audio = buildStream({ segments: [{ kind: 'audio', frames: 3 }] });
  const cn = serializeRtp({ payloadType: 13, sequence: 1003, timestamp: 50000 + 480, ssrc: SSRC, payload: new Uint8Array([40]) });
  const other = serializeRtp({ payloadType: 18, sequence: 1004, timestamp: 50000 + 640, ssrc: SSRC, payload: new Uint8Array(20) });
  const { out, stage } = run([...audio, { bytes: cn, atMs: 80 }, { bytes: other, atMs: 100 }]);
  t.same(
    out.map((b) => parsed(b).payloadType),
    [0, 0, 0, 13],
  );
  t.equal(stage.stats.unknownPayload, 1);
});

t.test('noise fill: same length and continuity, not digital silence, and no digit in it', async (t) => {
  const { detectDtmf } = await import('../../native-free-dsp/dtmf-detector.js');
  const { decodeByTimestamp } = await import('../helpers/rtp-streams.js');
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 2 },
      { kind: 'digit', digit: '1', samples: 2400 },
      { kind: 'audio', frames: 2 },
    ],
  });
  const { out } = run(input, { fill: 'noise' });
  const c = checkStream(out);
  t.same(c.seqBreaks, []);
  t.same(c.tsBreaks, []);
  t.equal(c.samples, expectedSamples(4, 2400));
  const filled = out.slice(2, 17).map(parsed);
  t.ok(
    filled.every((p) => p.payload.some((b) => b !== ULAW_SILENCE)),
    'every replacement frame carries noise',
  );
  const pcm = decodeByTimestamp(out);
  const noise = pcm.subarray(320, 320 + 2400);
  t.ok(
    noise.every((x) => Math.abs(x) <= 8),
    'at a very low level',
  );
  t.same(detectDtmf(noise), []);
});

t.test('late audio in secure mode lands in its own hole; a sender restart (new SSRC) starts clean', async (t) => {
  const input = buildStream({
    segments: [
      { kind: 'audio', frames: 4 },
      { kind: 'digit', digit: '2', samples: 800 },
      { kind: 'audio', frames: 6 },
    ],
  });
  const last = input.length - 1;
  const swapped = input.slice();
  [swapped[last - 2], swapped[last - 1]] = [swapped[last - 1], swapped[last - 2]];
  const restart = buildStream({
    ssrc: 0xabcdef,
    seq0: 40000,
    ts0: 7,
    segments: [
      { kind: 'audio', frames: 3 },
      { kind: 'digit', digit: '3', samples: 480 },
      { kind: 'audio', frames: 3 },
    ],
  });
  const { out, digits } = run([...swapped, ...restart]);
  const first = out
    .filter((b) => parsed(b).ssrc === SSRC)
    .map(parsed)
    .sort((a, b) => a.sequence - b.sequence);
  const firstBytes = first.map((p) => out.find((b) => parsed(b).sequence === p.sequence && parsed(b).ssrc === SSRC) as Uint8Array);
  const c1 = checkStream(firstBytes);
  t.same(c1.seqBreaks, [], 'in number order the first SSRC has no hole: the late packet took its place');
  t.same(c1.tsBreaks, [], 'and its audio is where it belongs');
  const second = out.filter((b) => parsed(b).ssrc === 0xabcdef);
  const c2 = checkStream(second);
  t.same(c2.seqBreaks, []);
  t.same(c2.tsBreaks, []);
  t.equal(c2.eventPackets, 0);
  t.equal(c2.samples, expectedSamples(6, 480));
  t.same(
    digits.map((d) => d.digit),
    ['2', '3'],
  );
});
