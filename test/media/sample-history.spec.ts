// SampleHistory: what the agent hears at a time is read back only for times the line wrote and
// still holds; anything else reads as missing (silence, no caller codes), whatever the ring's
// slots hold from other times.
import t from 'tap';
import { RING, SampleHistory } from '../../src/media/clamp/sample-history.js';
import { randomInt, streamRng } from '../helpers/signals.js';

const N = 160;

/** A frame of codes that tells times apart: code of time ts is (ts * 7 + 3) & 0xff, never 0. */
function codesAt(t0: number, n = N): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (((t0 + i) * 7 + 3) & 0xff) | 1);
}

function pcmAt(t0: number, n = N): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => ((t0 + i) % 30000) + 1);
}

/** Input and output written for times [t0, t0 + n), nothing replaced (no lookahead: the output at once). */
function write(h: SampleHistory, t0: number, n = N): void {
  h.keepCodes(t0, 0, n, codesAt(t0, n), 0);
  h.keepOutput(t0, pcmAt(t0, n), n);
}

function copied(h: SampleHistory, from: number, n = N): { count: number; out: Uint8Array } {
  const out = new Uint8Array(n);
  return { count: h.copyUnreplaced(from, n, out, 0), out };
}

function output(h: SampleHistory, from: number, n = N): Int16Array {
  const pcm = new Int16Array(n);
  h.readOutput(from, n, pcm);
  return pcm;
}

t.test('times written and not replaced give back the caller codes and the output', async (t) => {
  const h = new SampleHistory(false);
  for (let t0 = 0; t0 < 5 * N; t0 += N) write(h, t0);
  const c = copied(h, 2 * N + 40);
  t.equal(c.count, N);
  t.same(c.out, codesAt(2 * N + 40));
  t.same(output(h, 3 * N), pcmAt(3 * N));
});

t.test('the copy stops at the first replaced sample or time without codes; merge fills those from the encoded frame', async (t) => {
  const h = new SampleHistory(false);
  h.keepCodes(0, 0, N, codesAt(0), 0);
  const weights = new Float32Array(N);
  weights.fill(0.5, 100, 120);
  h.keepOutputWeighted(0, pcmAt(0), weights, N);
  const c = copied(h, 0);
  t.equal(c.count, 100, 'up to the replaced span');
  const encoded = new Uint8Array(N).fill(0xff);
  const out = new Uint8Array(N);
  h.mergeCodes(0, 0, N, encoded, out, 0);
  t.same(Array.from(out.subarray(100, 120)), new Array(20).fill(0xff), 'replaced: the encoded codes');
  t.same(out.subarray(120), codesAt(0).subarray(120), 'after it: the caller codes again');
  h.forgetInput(N, N);
  h.keepOutput(N, pcmAt(N), N);
  t.equal(copied(h, N).count, 0, 'no codes kept for that time (a hole, or audio re-encoded)');
  t.same(output(h, N), pcmAt(N), 'its output is still there');
});

t.test('times never written read as missing: before the first write and after the newest', async (t) => {
  const h = new SampleHistory(false);
  t.equal(copied(h, 0).count, 0, 'a new history holds nothing');
  t.same(output(h, 0), new Int16Array(N));
  write(h, 1000);
  t.equal(copied(h, 1000 - N).count, 0, 'before the first write');
  t.same(output(h, 1000 - N), new Int16Array(N));
  const tail = copied(h, 1000 + N / 2);
  t.equal(tail.count, N / 2, 'only up to the newest time written');
  const pcm = output(h, 1000 + N / 2);
  t.same(pcm.subarray(N / 2), new Int16Array(N / 2), 'silence past it');
});

t.test('a write that does not continue the line starts over: nothing written before it reads back', async (t) => {
  const h = new SampleHistory(false);
  for (let t0 = 0; t0 < 4 * N; t0 += N) write(h, t0);
  write(h, 10 * N); // a jump: only a cleared line may do this, and then nothing before may pass
  t.equal(copied(h, N).count, 0, 'the input written before the jump is gone');
  t.same(output(h, N), new Int16Array(N), 'and so is its output');
  t.equal(copied(h, 10 * N).count, N, 'the new time is there');
  const back = new SampleHistory(false);
  for (let t0 = 0; t0 < 4 * N; t0 += N) write(back, t0);
  write(back, N); // back in time: the same
  t.equal(copied(back, 0).count, 0, 'a time before a write that went back is gone');
  t.equal(copied(back, N).count, N);
});

t.test('times older than the ring read as missing, though their slots now hold newer times', async (t) => {
  const h = new SampleHistory(false);
  let end = 0;
  for (; end < RING + 4 * N; end += N) write(h, end);
  t.equal(copied(h, N).count, 0, 'overwritten by time N + RING');
  t.same(output(h, N), new Int16Array(N));
  t.equal(copied(h, end - RING - 1).count, 0, 'one sample too old');
  t.equal(copied(h, end - RING).count, N, 'the oldest times still held');
  t.same(copied(h, RING + N).out, codesAt(RING + N));
});

t.test('clear() forgets both sides, and the next write starts a new line', async (t) => {
  const h = new SampleHistory(false);
  for (let t0 = 0; t0 < 3 * N; t0 += N) write(h, t0);
  h.clear();
  t.equal(copied(h, N).count, 0);
  t.same(output(h, N), new Int16Array(N));
  write(h, 3 * N); // continues where the old line stopped: still nothing before it
  t.equal(copied(h, 2 * N).count, 0, 'times from before clear() stay missing');
  t.equal(copied(h, 3 * N).count, N);
});

t.test('input and output are held apart: the output lags by the lookahead', async (t) => {
  const h = new SampleHistory(false);
  const delay = 208;
  for (let t0 = 0; t0 < 4 * N; t0 += N) {
    h.keepCodes(t0, 0, N, codesAt(t0), 0);
    h.keepOutput(t0 - delay, pcmAt(t0 - delay), N);
  }
  t.equal(copied(h, -delay).count, 0, 'output before the first input: no caller codes');
  t.same(output(h, -delay), pcmAt(-delay), 'but the output itself (the line filling) is there');
  t.equal(copied(h, 4 * N - delay).count, 0, 'input held, output not written yet');
  t.equal(copied(h, N).count, N);
});

t.test('times beyond 2^31 samples (days into a call) and negative times work alike', async (t) => {
  for (const base of [2 ** 31 - 3 * N, 2 ** 32 - N / 2, -5 * N]) {
    const h = new SampleHistory(false);
    for (let t0 = base; t0 < base + 4 * N; t0 += N) write(h, t0);
    t.same(copied(h, base + N + 7).out, codesAt(base + N + 7), `at ${base}`);
    t.equal(copied(h, base - N).count, 0, `before ${base}`);
  }
});

t.test('the upper band reads back only beside a lower band sample left as it was', async (t) => {
  const h = new SampleHistory(true);
  h.keepUpper(0, 0, N, pcmAt(0));
  const weights = new Float32Array(N);
  weights.fill(1, 50, 60);
  h.keepOutputWeighted(0, pcmAt(0), weights, N);
  const upper = new Int16Array(N);
  h.readUpper(0, N, upper);
  t.same(upper.subarray(0, 50), pcmAt(0).subarray(0, 50));
  t.same(upper.subarray(50, 60), new Int16Array(10), 'none beside a replaced sample');
  t.same(upper.subarray(60), pcmAt(0).subarray(60));
  t.equal(copied(h, 0).count, 0, 'an upper band is not codes');
  h.readUpper(N, N, upper);
  t.same(upper, new Int16Array(N), 'none for a time not held');
});

t.test('a sample-aligned line keeps only replaced output: unreplaced samples go out as the caller codes, or as silence where none were kept', async (t) => {
  const h = new SampleHistory(false, true);
  h.keepCodes(0, 0, N, codesAt(0), 0);
  const weights = new Float32Array(N);
  weights.fill(1, 60, 80);
  const clamped = pcmAt(0);
  h.keepOutputWeighted(0, clamped, weights, N);
  const pcm = output(h, 0);
  t.same(Array.from(pcm.subarray(60, 80)), Array.from(clamped.subarray(60, 80)), 'replaced samples: the clamped PCM');
  t.ok(pcm.subarray(0, 60).every((x) => x === 0) && pcm.subarray(80).every((x) => x === 0), 'unreplaced: 0 (never sent: the caller codes go out there)');
  const out = new Uint8Array(N);
  h.mergeCodes(0, 0, N, new Uint8Array(N).fill(0xff), out, 0);
  t.same(out.subarray(0, 60), codesAt(0).subarray(0, 60), 'the caller codes before the span');
  t.same(Array.from(out.subarray(60, 80)), new Array(20).fill(0xff), 'the encoded clamp output in it');
  // A hole: no codes; the clamp's output there is the silence it was given.
  h.forgetInput(N, N);
  h.keepOutput(N, new Int16Array(N), N);
  t.equal(copied(h, N).count, 0, 'no caller codes for the hole');
  t.ok(
    output(h, N).every((x) => x === 0),
    'the hole reads as silence',
  );
  // The slots of the span are written again, unreplaced, a ring later: the old clamped PCM must not come back.
  for (let t0 = 2 * N; t0 < RING + N; t0 += N) write(h, t0);
  write(h, RING);
  t.ok(
    output(h, RING).every((x) => x === 0),
    "a ring later, unreplaced slots do not give back the span's old PCM",
  );
  t.same(copied(h, RING).out, codesAt(RING), 'and go out as the caller codes');
});

/** The history's contract without its ring or bits: per time, in maps, with the same ranges. */
class ReferenceHistory {
  private inFrom = 0;
  private inTo = 0;
  private outFrom = 0;
  private outTo = 0;
  private readonly codes = new Map<number, number>();
  private readonly kept = new Map<number, boolean>();
  private readonly replaced = new Map<number, boolean>();
  private readonly pcm = new Map<number, number>();

  private writeIn(a: number, b: number): void {
    if (a !== this.inTo) this.inFrom = a;
    this.inTo = b;
  }

  private writeOut(a: number, b: number): void {
    if (a !== this.outTo) this.outFrom = a;
    this.outTo = b;
  }

  keepCodes(t0: number, codes: Uint8Array): void {
    this.writeIn(t0, t0 + codes.length);
    codes.forEach((c, i) => {
      this.codes.set(t0 + i, c);
      this.kept.set(t0 + i, true);
    });
  }

  forgetInput(t0: number, m: number): void {
    this.writeIn(t0, t0 + m);
    for (let i = 0; i < m; i++) this.kept.set(t0 + i, false);
  }

  keepOutput(t0: number, pcm: Int16Array, weights: Float32Array): void {
    this.writeOut(t0, t0 + pcm.length);
    pcm.forEach((x, i) => {
      this.replaced.set(t0 + i, weights[i] !== 0);
      this.pcm.set(t0 + i, x);
    });
  }

  clear(): void {
    this.inFrom = this.inTo;
    this.outFrom = this.outTo;
  }

  private outHeld(ts: number): boolean {
    return ts >= Math.max(this.outFrom, this.outTo - RING) && ts < this.outTo;
  }

  /** The caller's own code of time ts when it may pass, else undefined. */
  own(ts: number): number | undefined {
    const inHeld = ts >= Math.max(this.inFrom, this.inTo - RING) && ts < this.inTo;
    return inHeld && this.outHeld(ts) && this.kept.get(ts) === true && this.replaced.get(ts) === false ? this.codes.get(ts) : undefined;
  }

  /** A sample-aligned line's output PCM of time ts: the replaced sample, else 0. */
  output(ts: number): number {
    return this.outHeld(ts) && this.replaced.get(ts) === true ? (this.pcm.get(ts) ?? 0) : 0;
  }
}

t.test('random writes, holes, spans, jumps and clears read back as the per-time contract says, wherever they fall in the ring', async (t) => {
  const rng = streamRng('sample-history/bits');
  const h = new SampleHistory(false, true);
  const ref = new ReferenceHistory();
  let at = randomInt(rng, -3 * RING, 3 * RING);
  let lag = randomInt(rng, 0, 300);
  let mismatches = 0;
  let copiedSamples = 0;
  let replacedSeen = 0;
  for (let step = 0; step < 4000; step++) {
    const m = randomInt(rng, 1, 200);
    const r = rng();
    if (r < 0.05) {
      // A jump: a new line, with its own lookahead.
      at += randomInt(rng, -2 * RING, 2 * RING);
      lag = randomInt(rng, 0, 300);
    } else if (r < 0.07) {
      h.clear();
      ref.clear();
    }
    const codes = Uint8Array.from({ length: m }, () => randomInt(rng, 0, 255));
    if (rng() < 0.15) {
      h.forgetInput(at, m);
      ref.forgetInput(at, m);
    } else {
      h.keepCodes(at, 0, m, codes, 0);
      ref.keepCodes(at, codes);
    }
    // The output lags the input by the line's lookahead; some pieces carry a replaced span.
    const outAt = at - lag;
    const pcm = Int16Array.from({ length: m }, () => randomInt(rng, -32768, 32767));
    const weights = new Float32Array(m);
    if (rng() < 0.3) weights.fill(rng() < 0.5 ? 1 : 0.25, randomInt(rng, 0, m - 1), randomInt(rng, 0, m));
    if (weights.some((w) => w !== 0)) h.keepOutputWeighted(outAt, pcm, weights, m);
    else h.keepOutput(outAt, pcm, m);
    ref.keepOutput(outAt, pcm, weights);
    // Read back a random window around the newest times.
    const from = at - randomInt(rng, -40, 600);
    const n = randomInt(rng, 1, 400);
    const out = new Uint8Array(n);
    const count = h.copyUnreplaced(from, n, out, 0);
    let expected = 0;
    while (expected < n && ref.own(from + expected) !== undefined) expected++;
    if (count !== expected) mismatches++;
    for (let i = 0; i < count; i++) if (out[i] !== ref.own(from + i)) mismatches++;
    copiedSamples += count;
    const encoded = Uint8Array.from({ length: n }, () => randomInt(rng, 0, 255));
    const merged = new Uint8Array(n);
    h.mergeCodes(from, 0, n, encoded, merged, 0);
    const pcmOut = new Int16Array(n);
    h.readOutput(from, n, pcmOut);
    for (let i = 0; i < n; i++) {
      if (merged[i] !== (ref.own(from + i) ?? encoded[i])) mismatches++;
      if (pcmOut[i] !== ref.output(from + i)) mismatches++;
      if (ref.output(from + i) !== 0) replacedSeen++;
    }
    at += m;
  }
  t.ok(copiedSamples > 100000 && replacedSeen > 1000, `exercised: ${copiedSamples} codes copied, ${replacedSeen} replaced samples read`);
  t.equal(mismatches, 0, 'copyUnreplaced, mergeCodes and readOutput agree with the per-time contract');
});
