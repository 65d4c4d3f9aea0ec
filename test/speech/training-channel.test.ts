// The training set's random channels (scripts/speech/training-channel.ts). A handset response reshapes the
// spectrum while keeping the speech's power, never clips, and one seed gives one response; a room
// leaves the direct sound in front and a decaying tail after it.
import t from 'tap';
import { randomResponse, randomRoom } from '../../scripts/speech/training-channel.js';
import { Rng } from '../../scripts/speech/corpus.js';

function power(x: Int16Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return e / x.length;
}

/** Power of `x` at `hz` (one Goertzel bin over the whole signal). */
function powerAt(x: Int16Array, hz: number): number {
  const c = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let [s1, s2] = [0, 0];
  for (const v of x) [s2, s1] = [s1, v + c * s1 - s2];
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

// Two tones, at 500 Hz and 2 kHz: a response that tilts or boosts a band changes their ratio.
const input = Int16Array.from({ length: 8000 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 500 * i) / 8000) + 6000 * Math.sin((2 * Math.PI * 2000 * i) / 8000)));
const inputRatio = powerAt(input, 500) / powerAt(input, 2000);

for (const strong of [false, true]) {
  t.test(`${strong ? 'strong' : 'plain'} responses keep the power and change the spectrum`, async (t) => {
    const rng = new Rng(7);
    let changed = 0;
    for (let k = 0; k < 200; k++) {
      const y = randomResponse(input, rng, strong);
      t.equal(y.length, input.length);
      const db = 10 * Math.log10(power(y) / power(input));
      if (Math.abs(db) > 0.1) t.fail(`power changed by ${db.toFixed(2)} dB`);
      if (y.some((v) => v === 32767 || v === -32768)) t.fail('clipped');
      const ratioDb = 10 * Math.log10(powerAt(y, 500) / powerAt(y, 2000) / inputRatio);
      if (Math.abs(ratioDb) > 1) changed++;
    }
    // Most draws move the balance of the two bands by more than 1 dB (tilt or a band near one).
    t.ok(changed > 120, `${changed} of 200 responses changed the spectrum`);
  });
}

t.test('one seed gives one response', async (t) => {
  const bytes = (x: Int16Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  t.ok(bytes(randomResponse(input, new Rng(3), true)).equals(bytes(randomResponse(input, new Rng(3), true))), 'the same seed: the same samples');
  t.notOk(bytes(randomResponse(input, new Rng(3), true)).equals(bytes(randomResponse(input, new Rng(4), true))), 'another seed: other samples');
});

t.test('a room keeps the direct sound and adds a tail that decays', async (t) => {
  // 50 ms of the two tones, then 700 ms of silence.
  const burst = new Int16Array(6000);
  burst.set(input.subarray(0, 400));
  const rng = new Rng(11);
  for (let k = 0; k < 50; k++) {
    const y = randomRoom(burst, rng);
    t.equal(y.length, burst.length);
    const direct = power(y.subarray(0, 400)) / power(burst.subarray(0, 400));
    if (direct < 0.5 || direct > 2) t.fail(`direct sound changed ${direct.toFixed(2)}x`);
    const early = power(y.subarray(400, 1200));
    const late = power(y.subarray(5200, 6000));
    if (!(early > 0)) t.fail('no tail after the burst');
    if (!(late < early / 10)) t.fail(`tail does not decay: ${early.toFixed(1)} then ${late.toFixed(1)}`);
  }
  t.pass('50 rooms');
});
