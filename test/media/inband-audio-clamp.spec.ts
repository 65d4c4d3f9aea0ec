// InbandAudioClamp (the in-band clamp behind the RTP stage): exact delay with the original codes,
// in-band digits muted and reported in RTP time, holes and late frames, windows from the stage,
// reset, comfort noise at the background level, bad input; and the createClampStage factory.
import t from 'tap';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { ALAW_SILENCE, ULAW_SILENCE, decodeUlaw, encodeAlaw, encodeUlaw } from '../../native-free-dsp/g711.js';
import { meanSquareToDbm0 } from '../../native-free-dsp/levels.js';
import { mixDtmf, mixSine, toInt16 } from '../../native-free-dsp/tone-generator.js';
import { MAX_FRAME_SAMPLES } from '../../src/media/clamp/audio-clamp.js';
import { createClampStage } from '../../src/media/clamp/create-clamp-stage.js';
import { PressClock, type RtpPress } from '../helpers/press-clock.js';
import { InbandAudioClamp, type InbandAudioDigit } from '../../src/media/clamp/inband-audio-clamp.js';
import { InbandClampError } from '../../src/media/clamp/inband-clamp.js';
import { MediaError } from '../../src/media/media-error.js';
import { buildStream, checkStream } from '../helpers/rtp-streams.js';
import { addWhiteNoise, streamRng } from '../helpers/signals.js';

const TS0 = 2 ** 32 + 4_000_000_000; // extended, near a wrap of the wire timestamp
const L = 208; // the default lookahead, 26 ms

function codes(pcm: Int16Array, codec: 'PCMU' | 'PCMA' = 'PCMU'): Uint8Array {
  const out = new Uint8Array(pcm.length);
  (codec === 'PCMU' ? encodeUlaw : encodeAlaw)(pcm, out);
  return out;
}

/** Voice-like audio: a 310 Hz sine at -20 dBm0 over noise at -55 dBm0. */
function voice(samples: number, seed = 'iac/voice'): Float64Array {
  const mix = new Float64Array(samples);
  mixSine(mix, 0, samples, 310, -20);
  addWhiteNoise(mix, streamRng(seed), -55);
  return mix;
}

/** Feeds `input` codes in 160-sample frames (except those in `skip`), in `order`; returns output by ts offset. */
function run(clamp: InbandAudioClamp, input: Uint8Array, options: { skip?: Set<number>; order?: number[] } = {}, ts0 = TS0): Uint8Array {
  const frames = Math.floor(input.length / 160);
  const out = new Uint8Array(frames * 160).fill(0);
  const order = options.order ?? Array.from({ length: frames }, (_, i) => i);
  for (const f of order) {
    if (options.skip?.has(f)) continue;
    const p = input.slice(f * 160, f * 160 + 160);
    clamp.process(p, ts0 + f * 160);
    out.set(p, f * 160);
  }
  return out;
}

function decode(c: Uint8Array): Int16Array {
  const pcm = new Int16Array(c.length);
  decodeUlaw(c, pcm);
  return pcm;
}

t.test('delays by exactly the lookahead, keeping the original codes; the line starts silent', async (t) => {
  const input = codes(toInt16(voice(16000)));
  input[5000] = 0x7f; // mu-law's negative zero: a decode/encode round trip would turn it into 0xff
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  t.equal(clamp.lookaheadSamples, L);
  const out = run(clamp, input);
  t.ok(
    out.subarray(0, L).every((c) => c === ULAW_SILENCE),
    'first lookahead is silence',
  );
  let wrong = 0;
  for (let i = L; i < out.length; i++) if (out[i] !== input[i - L]) wrong++;
  t.equal(wrong, 0, 'code at ts T is the input code of T - lookahead, byte for byte');
  t.equal(clamp.mutedSamples, 0, 'nothing muted');
});

t.test('a stream whose timestamps start near 0: its first lookahead is silence too (no sample time reads as an empty slot)', async (t) => {
  const input = codes(toInt16(voice(3200)));
  for (const start of [0, 1, 47, 48, 100, 207, 208]) {
    const out = run(new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' }), input, {}, start);
    const loud = out.subarray(0, L).findIndex((c) => c !== ULAW_SILENCE);
    t.equal(loud, -1, `timestamps from ${start}: first lookahead silent`);
    let wrong = 0;
    for (let i = L; i < out.length; i++) if (out[i] !== input[i - L]) wrong++;
    t.equal(wrong, 0, `timestamps from ${start}: then the input, byte for byte`);
  }
});

t.test('a wrap of the 32-bit RTP timestamp passes the audio byte for byte', async (t) => {
  // The stage extends timestamps from 2^32 + the first one: the second wrap is at 2^33.
  const input = codes(toInt16(voice(3200)));
  for (const start of [2 ** 33 - 1000, 2 ** 33 - 1]) {
    const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
    const out = run(clamp, input.subarray(0, 3200), {}, start);
    let wrong = 0;
    for (let i = L; i < out.length; i++) if (out[i] !== input[i - L]) wrong++;
    t.equal(wrong, 0, `timestamps from ${start}: the input delayed, byte for byte`);
  }
});

t.test('a window widened to before the first timestamp of a stream keeps its place: every sample in it is muted', async (t) => {
  // An RFC 4733 event as the first packet of a stream whose timestamps start at 0: the stage
  // widens its window by the lead, to a negative time, before any audio came.
  const mix = new Float64Array(3200);
  mixSine(mix, 0, 3200, 1000, -10); // a gateway's leaked tone: not DTMF, so only the window mutes it
  const input = codes(toInt16(mix));
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  clamp.clampWindow(-80, 480);
  const out = run(clamp, input, {}, 0);
  // Output at ts T is the input of T - L: times 0-399 (clear of the fade-out) at 208-607.
  const loud = out.subarray(L, L + 400).findIndex((c) => c !== ULAW_SILENCE);
  t.equal(loud, -1, 'times 0-399 of the window are silence');
  const after = decode(out.subarray(L + 800, L + 1200));
  t.ok(meanSquareToDbm0(after.reduce((s, x) => s + x * x, 0) / after.length) > -11, 'the tone passes after the window');
});

t.test('a sender jumping between two timelines: each jump starts the line over, with no new detector', async (t) => {
  const input = codes(toInt16(voice(160 * 40)));
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  clamp.process(input.slice(0, 160), TS0); // made and started: its detector exists
  const Instance = WebAssembly.Instance;
  let instances = 0;
  WebAssembly.Instance = new Proxy(Instance, {
    construct(target, args: ConstructorParameters<typeof WebAssembly.Instance>) {
      instances++;
      return new target(...args);
    },
  });
  let passed = 0;
  try {
    for (let f = 1; f < 40; f++) {
      const p = input.slice(f * 160, f * 160 + 160);
      // Every other frame 2^30 ahead: far ahead (a hole), then far behind (a new timeline).
      clamp.process(p, TS0 + f * 160 + (f % 2 === 1 ? 2 ** 30 : 0));
      for (const c of p) if (c !== ULAW_SILENCE) passed++;
    }
  } finally {
    WebAssembly.Instance = Instance;
  }
  t.equal(instances, 0, 'no WebAssembly instance made for 39 jumps');
  t.equal(passed, 0, 'nothing of the jumping audio passes: each line is still in its lookahead');
});

t.test('timestamps skipping ahead past the history: none of the old input passes for the new times', async (t) => {
  // Skips that take time ahead by a multiple of 2^30 or 2^32 samples (the frames between them
  // included) bring it back to the same ring slots, right after the tone: the caller's earlier
  // input (the muted tone in it) must not come out again.
  const mix = voice(160 * 30);
  mixDtmf(mix, 1600, { digit: '5', durationMs: 200, lowDbm0: -6 });
  const input = codes(toInt16(mix));
  for (const skips of [[2 ** 30], [1431655765, 1431655765, 2 ** 32 - 2 * 1431655765 - 640]]) {
    const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
    let ts = TS0;
    let f = 0;
    for (; f < 15; f++, ts += 160) clamp.process(input.slice(f * 160, f * 160 + 160), ts);
    let passed = 0;
    for (const skip of skips) {
      ts += skip;
      for (let k = 0; k < 2; k++, f++, ts += 160) {
        const p = input.slice(f * 160, f * 160 + 160);
        clamp.process(p, ts);
        for (const c of p) if (c !== ULAW_SILENCE) passed++;
      }
    }
    t.equal(passed, 0, `skips of ${skips.join(' + ')}: the frames after each skip are the hole's silence`);
  }
});

t.test('an in-band digit is muted before any of it passes, and reported in RTP time', async (t) => {
  const mix = voice(16000);
  mixDtmf(mix, 6000, { digit: '7', durationMs: 60, lowDbm0: -12 });
  const digits: InbandAudioDigit[] = [];
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence', onDigit: (d) => digits.push(d) });
  const out = decode(run(clamp, codes(toInt16(mix))));
  t.same(detectDtmf(out), [], 'no digit in the output');
  t.equal(digits.length, 1);
  t.equal(digits[0].digit, '7');
  const start = TS0 + 6000; // extended RTP time, as the stage gives it
  t.ok(
    Math.abs(digits[0].startTs - start) <= 40 && Math.abs(digits[0].endTs - (start + 480)) <= 40,
    `timestamps within 5 ms (${digits[0].startTs}-${digits[0].endTs}, tone ${start}-${start + 480}, extended)`,
  );
  // Every sample of the tone (output at T + L) replaced by silence.
  let loud = 0;
  for (let n = 6000; n < 6480; n++) if (Math.abs(out[n + L]) > 0) loud++;
  t.equal(loud, 0, 'the whole tone replaced');
});

t.test('holes (lost frames) come out as silence and the detector sees the time pass', async (t) => {
  const mix = voice(24000);
  mixDtmf(mix, 12000, { digit: '3', durationMs: 80, lowDbm0: -10 });
  const input = codes(toInt16(mix));
  const digits: InbandAudioDigit[] = [];
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence', onDigit: (d) => digits.push(d) });
  const skip = new Set([20, 21, 22, 40]);
  const out = run(clamp, input, { skip });
  // The frame after the hole carries the input of 208 samples before it: part hole, part audio.
  const after = 23 * 160;
  let wrong = 0;
  for (let n = after; n < after + 160; n++) {
    const src = n - L;
    const expected = src < 23 * 160 ? ULAW_SILENCE : input[src];
    if (out[n] !== expected) wrong++;
  }
  t.equal(wrong, 0, 'missing samples are silence, the rest is the input');
  t.equal(digits.length, 1, 'the digit after the holes is found');
  t.ok(Math.abs(digits[0].startTs - (TS0 + 12000)) <= 40, 'at its true time (the holes counted)');
  t.same(detectDtmf(decode(out)), [], 'and muted');
});

t.test('a long hole costs a bounded amount of silence and keeps the timeline', async (t) => {
  const mix = voice(8000);
  mixDtmf(mix, 4000, { digit: '9', durationMs: 60, lowDbm0: -10 });
  const input = codes(toInt16(mix));
  const digits: InbandAudioDigit[] = [];
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence', onDigit: (d) => digits.push(d) });
  const gap = 8000 * 600; // 10 minutes on hold
  const started = process.hrtime.bigint();
  const out = new Uint8Array(8000);
  for (let f = 0; f < 50; f++) {
    const p = input.slice(f * 160, f * 160 + 160);
    clamp.process(p, TS0 + (f < 5 ? 0 : gap) + f * 160);
    out.set(p, f * 160);
  }
  t.ok(Number(process.hrtime.bigint() - started) / 1e6 < 500, 'fast');
  t.equal(digits.length, 1);
  t.ok(Math.abs(digits[0].startTs - (TS0 + gap + 4000)) <= 40, 'digit at its time after the hole');
  t.same(detectDtmf(decode(out)), [], 'muted');
});

t.test('a late frame gets the clamped output of its time; its own samples went through as silence', async (t) => {
  const input = codes(toInt16(voice(8000)));
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  const order = Array.from({ length: 50 }, (_, i) => i);
  order[10] = 11;
  order[11] = 10; // frame 10 arrives after 11
  const out = run(clamp, input, { order });
  let wrong = 0;
  for (let n = 10 * 160; n < 11 * 160; n++) if (out[n] !== input[n - L]) wrong++;
  t.equal(wrong, 0, 'the late frame carries the input of its ts - lookahead (already in the line)');
  let silent = 0;
  for (let n = 10 * 160 + L; n < 11 * 160 + L; n++) if (out[n] === ULAW_SILENCE) silent++;
  t.equal(silent, 160, 'its own samples were pushed as a hole');
});

t.test('windows from the stage mute their samples (with fades inside); tone inside one is not reported', async (t) => {
  const mix = voice(16000);
  mixDtmf(mix, 8000, { digit: '5', durationMs: 40, lowDbm0: -10 }); // the leaked tone
  const digits: InbandAudioDigit[] = [];
  const clamp = new InbandAudioClamp({ codec: 'PCMA', mode: 'silence', onDigit: (d) => digits.push(d) });
  const alaw = codes(toInt16(mix), 'PCMA');
  const out = new Uint8Array(16000);
  for (let f = 0; f < 100; f++) {
    if (f === 50) {
      clamp.clampWindow(TS0 + 7900, TS0 + 8200);
      clamp.clampWindow(TS0 + 8100, TS0 + 8700); // the event grows: merged
    }
    const p = alaw.slice(f * 160, f * 160 + 160);
    clamp.process(p, TS0 + f * 160);
    out.set(p, f * 160);
  }
  const fade = 12; // 1.5 ms raised-cosine edges, inside the window
  t.ok(
    out.subarray(7900 + fade + L, 8700 - fade + L).every((c) => c === ALAW_SILENCE),
    'the window is silence',
  );
  let touched = 0;
  for (let n = L; n < 16000; n++) if ((n - L < 7900 - 20 || n - L >= 8700) && out[n] !== alaw[n - L]) touched++;
  t.equal(touched, 0, 'outside it (and the detector span around the tone) the input');
  t.same(digits, [], "the tone inside the window is the event's: not reported as in-band");
});

t.test('reset: the line refills from silence', async (t) => {
  const input = codes(toInt16(voice(8000)));
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'noise' });
  run(clamp, input.subarray(0, 3200));
  clamp.reset();
  const p = input.slice(3200, 3360);
  clamp.process(p, TS0 + 3200);
  t.ok(
    p.every((c) => c === ULAW_SILENCE),
    'first frame after reset is silence',
  );
  const q = input.slice(3360, 3520);
  clamp.process(q, TS0 + 3360);
  t.same([...q.subarray(L - 160)], [...input.subarray(3200, 3200 + 320 - L)], 'then the input from the reset on');
});

t.test('noise mode: comfort noise at the background level, within a sane range', async (t) => {
  for (const [backgroundDbm0, expected] of [
    [-50, -50],
    [-62, -62],
    [-30, -40],
    [-90, -70],
  ] as const) {
    const mix = new Float64Array(8000 * 3);
    addWhiteNoise(mix, streamRng(`iac/bg${backgroundDbm0}`), backgroundDbm0);
    mixDtmf(mix, 16000, { digit: '1', durationMs: 200, lowDbm0: -8 });
    const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'noise' });
    const out = decode(run(clamp, codes(toInt16(mix))));
    // The middle of the replaced tone (output at T + L).
    let sum = 0;
    const from = 16000 + 200 + L,
      to = 16000 + 1400 + L;
    for (let n = from; n < to; n++) sum += out[n] * out[n];
    const level = meanSquareToDbm0(sum / (to - from));
    t.ok(Math.abs(level - expected) <= 3, `background ${backgroundDbm0} dBm0: comfort noise at ${level.toFixed(1)} dBm0 (expected ${expected}; estimate ${clamp.backgroundDbm0.toFixed(1)})`);
  }
});

t.test('bad input and options', async (t) => {
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  const big = new Uint8Array(MAX_FRAME_SAMPLES + 1).fill(3);
  clamp.process(big, TS0);
  t.ok(
    big.every((c) => c === ULAW_SILENCE),
    'an oversized frame passes nothing',
  );
  clamp.clampWindow(TS0 + 10, TS0 + 5); // empty: ignored
  clamp.close();
  clamp.close();
  t.throws(() => clamp.process(new Uint8Array(160), TS0), MediaError);
  t.throws(() => new InbandAudioClamp({ codec: 'G729' as 'PCMU', mode: 'silence' }), MediaError);
  t.throws(() => new InbandAudioClamp({ codec: 'PCMU', mode: 'loud' as 'silence' }), InbandClampError);
  t.throws(() => new InbandAudioClamp({ codec: 'PCMU', mode: 'silence', clamp: { lookaheadMs: 900 } }), { code: 'ERR_CLAMP_OPTION' });
});

t.test('createClampStage: one listener for RFC 4733 and in-band digits; PCMA, no event PT negotiated', async (t) => {
  const mix = voice(8000 * 4);
  mixDtmf(mix, 4000, { digit: '2', durationMs: 60, lowDbm0: -10 });
  const pcm = toInt16(mix);
  const packets = buildStream({
    pcm,
    codec: 'PCMA',
    segments: [
      { kind: 'audio', frames: 100 },
      { kind: 'digit', digit: '8', samples: 800 },
      { kind: 'audio', frames: 50 },
    ],
  });
  const out: Uint8Array[] = [];
  const digits: RtpPress[] = [];
  const clock = new PressClock();
  const stage = createClampStage({ codec: 'PCMA', eventPayloadType: null, mode: 'tone', secure: true, send: (p) => out.push(p.slice()), onDigit: (d) => digits.push(clock.rtp(d)) });
  for (const p of packets) {
    clock.saw(p.bytes, p.atMs);
    stage.push(p.bytes.slice(), p.atMs);
  }
  stage.close();
  t.same(
    digits.map((d) => `${d.digit}:${d.source}`),
    ['2:inband', '8:rfc4733'],
  );
  t.equal(digits[1].startTs, 50000 + 16000, 'event start in RTP time');
  t.equal(digits[1].endTs, 50000 + 16800, 'event end');
  const c = checkStream(out);
  t.equal(c.eventPackets, 0, 'PT 101 treated as events when none was negotiated');
  t.same(c.seqBreaks, []);
  t.same(c.tsBreaks, []);
});

t.test('a timeline far behind (the sender restarted its timestamps) starts the line over', async (t) => {
  const input = codes(toInt16(voice(8000)));
  const clamp = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  run(clamp, input.subarray(0, 3200));
  const back = TS0 - 8000 * 60;
  const out = new Uint8Array(800);
  for (let f = 0; f < 5; f++) {
    const p = input.slice(3200 + f * 160, 3360 + f * 160);
    clamp.process(p, back + f * 160);
    out.set(p, f * 160);
  }
  t.ok(
    out.subarray(0, L).every((c) => c === ULAW_SILENCE),
    'the line refills from silence',
  );
  let wrong = 0;
  for (let n = L; n < 800; n++) if (out[n] !== input[3200 + n - L]) wrong++;
  t.equal(wrong, 0, 'then the new timeline, delayed by the lookahead');
});

t.test('processInPlace rewrites the payload where it lies in the packet, exactly as process() of it', async (t) => {
  // Speech with a digit in it, with holes and a late frame: every path of the line.
  const mix = voice(8000, 'iac/in-place');
  mixDtmf(mix, 2400, { digit: '7', durationMs: 100, lowDbm0: -10 });
  const input = codes(toInt16(mix));
  const byView = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  const inPlace = new InbandAudioClamp({ codec: 'PCMU', mode: 'silence' });
  const order = [0, 1, 2, 4, 3, 5, 6, 8, 9, ...Array.from({ length: 40 }, (_, i) => 10 + i)];
  let same = 0;
  for (const f of order) {
    const p = input.slice(f * 160, f * 160 + 160);
    byView.process(p, TS0 + f * 160);
    const packet = new Uint8Array(12 + 160 + 4).fill(0xaa); // header, payload, padding
    packet.set(input.subarray(f * 160, f * 160 + 160), 12);
    inPlace.processInPlace(packet, 12, TS0 + f * 160, 160);
    if (packet.subarray(12, 172).every((b, i) => b === p[i])) same++;
    if (!packet.subarray(0, 12).every((b) => b === 0xaa) || !packet.subarray(172).every((b) => b === 0xaa)) t.fail(`frame ${f}: bytes outside the payload changed`);
  }
  t.equal(same, order.length, 'every frame identical');
  t.ok(inPlace.mutedSamples > 0 && inPlace.mutedSamples === byView.mutedSamples, 'the digit muted the same');
  const opus = new InbandAudioClamp({ codec: 'opus', mode: 'silence' });
  t.throws(() => opus.processInPlace(new Uint8Array(100), 12, 0, 960), { code: 'EOPTIONS' }, 'a codec that is not sample-aligned has no in-place path');
  for (const c of [byView, inPlace, opus]) c.close();
});

t.test('a clamp called back from another clamp while it puts a frame through: both outputs as when run apart', async (t) => {
  // The thread's clamps share their per-frame buffers; a listener that makes another clamp put
  // a frame through while one is in progress must get buffers of its own.
  const mixA = voice(16000, 'iac/reentry-a');
  mixDtmf(mixA, 4000, { digit: '3', durationMs: 80, lowDbm0: -10 });
  mixDtmf(mixA, 10000, { digit: '9', durationMs: 80, lowDbm0: -10 });
  const a = codes(toInt16(mixA));
  const mixB = voice(16000, 'iac/reentry-b');
  mixDtmf(mixB, 6000, { digit: '1', durationMs: 80, lowDbm0: -10 });
  const b = codes(toInt16(mixB));
  const apart = { a: run(new InbandAudioClamp({ codec: 'PCMU', mode: 'noise' }), a), b: run(new InbandAudioClamp({ codec: 'PCMU', mode: 'noise' }), b) };

  const clampB = new InbandAudioClamp({ codec: 'PCMU', mode: 'noise' });
  const outB = new Uint8Array(16000);
  let nextB = 0;
  const feedB = (frames: number): void => {
    for (let k = 0; k < frames && nextB < 100; k++, nextB++) {
      const p = b.slice(nextB * 160, nextB * 160 + 160);
      clampB.process(p, TS0 + nextB * 160);
      outB.set(p, nextB * 160);
    }
  };
  let callbacks = 0;
  const clampA = new InbandAudioClamp({
    codec: 'PCMU',
    mode: 'noise',
    onDigit: () => {
      callbacks++;
      feedB(30); // inside A's frame: A's buffers are in use
    },
  });
  const outA = new Uint8Array(16000);
  for (let f = 0; f < 100; f++) {
    const p = a.slice(f * 160, f * 160 + 160);
    clampA.process(p, TS0 + f * 160);
    outA.set(p, f * 160);
    feedB(1);
  }
  t.equal(callbacks, 2, 'both of A’s digits called back');
  t.same([...outA], [...apart.a], "A's output");
  t.same([...outB], [...apart.b], "B's output");
});
