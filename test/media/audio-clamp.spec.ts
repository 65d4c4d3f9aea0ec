// SilenceDelayClamp (the placeholder AudioClamp): exact delay, windows muted exactly, loss and
// reordering, reset, option errors.
import t from 'tap';
import { ALAW_SILENCE, ULAW_SILENCE } from '../../native-free-dsp/g711.js';
import { SilenceDelayClamp, MAX_FRAME_SAMPLES } from '../../src/media/clamp/audio-clamp.js';
import { MediaError } from '../../src/media/media-error.js';

const TS0 = 2 ** 32 + 12345; // extended timestamps, as the stage gives them

/** Input code for timestamp ts: never the silence code. */
const code = (ts: number): number => 1 + (ts % 200);

function frame(ts: number, n = 160): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => code(ts + i));
}

/** What `c` puts out for `frames` 160-sample frames from timestamp `ts0` on, in order. */
function delayed(c: SilenceDelayClamp, ts0: number, frames: number): number[] {
  const out: number[] = [];
  for (let f = 0; f < frames; f++) {
    const p = frame(ts0 + 160 * f);
    c.process(p, ts0 + 160 * f);
    out.push(...p);
  }
  return out;
}

t.test('delays by exactly the lookahead; the first lookahead is silence', async (t) => {
  const out = delayed(new SilenceDelayClamp('PCMU', 320), TS0, 10);
  t.ok(
    out.slice(0, 320).every((x) => x === ULAW_SILENCE),
    'line starts empty',
  );
  let wrong = 0;
  for (let i = 320; i < out.length; i++) if (out[i] !== code(TS0 + i - 320)) wrong++;
  t.equal(wrong, 0, 'sample at ts T is the input of T - 320');
});

t.test('timestamps that start near 0: the first lookahead is silence too (an empty slot is no time, not even -1)', async (t) => {
  for (const start of [0, 1, 100, 319]) {
    const out = delayed(new SilenceDelayClamp('PCMU', 320), start, 6);
    t.equal(
      out.slice(0, 320).findIndex((x) => x !== ULAW_SILENCE),
      -1,
      `from ${start}: line starts empty`,
    );
  }
});

t.test('a window mutes exactly its input samples, even the ones before the call that set it', async (t) => {
  const c = new SilenceDelayClamp('PCMA', 320);
  const out: number[] = [];
  for (let f = 0; f < 20; f++) {
    const ts = TS0 + 160 * f;
    // The event arrives at frame 8 and says the tone started 200 samples earlier.
    if (f === 8) c.clampWindow(ts - 200, ts + 100);
    const p = frame(ts);
    c.process(p, ts);
    out.push(...p);
  }
  let leaked = 0;
  let falseMutes = 0;
  for (let i = 320; i < out.length; i++) {
    const inTs = TS0 + i - 320;
    const inWindow = inTs >= TS0 + 1280 - 200 && inTs < TS0 + 1280 + 100;
    if (inWindow && out[i] !== ALAW_SILENCE) leaked++;
    if (!inWindow && out[i] !== code(inTs)) falseMutes++;
  }
  t.equal(leaked, 0, 'nothing of the window passes');
  t.equal(falseMutes, 0, 'nothing outside it is touched');
});

t.test('windows growing with each event packet merge; a window that has left the line changes nothing', async (t) => {
  const c = new SilenceDelayClamp('PCMU', 160);
  const ts = TS0;
  c.clampWindow(ts, ts + 100);
  c.clampWindow(ts + 50, ts + 300);
  const p = frame(ts + 160, 320);
  c.process(frame(ts), ts);
  c.process(p, ts + 160);
  // output of [ts+160, ts+480) = input [ts, ts+320): [ts, ts+300) muted, [ts+300, ts+320) kept
  t.ok(p.subarray(0, 300).every((x) => x === ULAW_SILENCE));
  t.same(
    [...p.subarray(300, 320)],
    Array.from({ length: 20 }, (_, i) => code(ts + 300 + i)),
  );
});

t.test('lost and reordered frames: a missing input is silence, a late one still lands in place', async (t) => {
  const c = new SilenceDelayClamp('PCMU', 320);
  const a = frame(TS0);
  const b = frame(TS0 + 160);
  const late = frame(TS0 + 320);
  const d = frame(TS0 + 480);
  const e = frame(TS0 + 640);
  c.process(a, TS0);
  c.process(b, TS0 + 160);
  c.process(d, TS0 + 480); // TS0+320 comes late
  c.process(late, TS0 + 320);
  c.process(e, TS0 + 640);
  t.same(
    [...d],
    Array.from({ length: 160 }, (_, i) => code(TS0 + 160 + i)),
    'd carries b',
  );
  t.same(
    [...e],
    Array.from({ length: 160 }, (_, i) => code(TS0 + 320 + i)),
    'e carries the late frame',
  );
  const c2 = new SilenceDelayClamp('PCMU', 320);
  c2.process(frame(TS0), TS0);
  const after = frame(TS0 + 480);
  c2.process(after, TS0 + 480); // 160-320 lost
  t.ok(
    after.every((x) => x === ULAW_SILENCE),
    'lost input comes out as silence',
  );
});

t.test('timestamps across the 32-bit wrap (extended) keep the delay', async (t) => {
  const c = new SilenceDelayClamp('PCMU', 160);
  const ts = 2 ** 33 - 80;
  const first = frame(ts);
  const second = frame(ts + 160);
  c.process(first, ts);
  c.process(second, ts + 160);
  t.same(
    [...second],
    Array.from({ length: 160 }, (_, i) => code(ts + i)),
  );
});

t.test('zero lookahead is a pass-through except windows; reset empties the line', async (t) => {
  const c = new SilenceDelayClamp('PCMU', 0);
  const p = frame(TS0);
  c.process(p, TS0);
  t.same([...p], [...frame(TS0)]);
  const d = new SilenceDelayClamp('PCMU', 160);
  d.process(frame(TS0), TS0);
  d.reset();
  const q = frame(TS0 + 160);
  d.process(q, TS0 + 160);
  t.ok(
    q.every((x) => x === ULAW_SILENCE),
    'after reset the held audio is gone',
  );
});

t.test('oversized frames are silenced; bad options and use after close are MediaErrors', async (t) => {
  const c = new SilenceDelayClamp('PCMU', 160);
  const big = frame(TS0, MAX_FRAME_SAMPLES + 1);
  c.process(big, TS0);
  t.ok(big.every((x) => x === ULAW_SILENCE));
  t.throws(() => new SilenceDelayClamp('PCMU', -1), { code: 'EOPTIONS' });
  t.throws(() => new SilenceDelayClamp('PCMU', 1.5), { code: 'EOPTIONS' });
  t.throws(() => new SilenceDelayClamp('PCMU', 8000), MediaError);
  c.close();
  t.throws(() => c.process(frame(TS0), TS0), { code: 'ECLOSED' });
});
