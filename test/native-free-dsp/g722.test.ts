// G.722 (64 kbit/s) bit-exact against spandsp's g722.c: the encoder's codes byte for byte and the
// decoder's samples one for one, on sweeps, DTMF, noise, wideband and narrowband speech, full
// scale and silence; plus state handling (chunking, reset) and a round-trip quality floor.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { G722Decoder, G722Encoder, G722LengthError } from '../../native-free-dsp/g722.js';
import { resample } from '../../native-free-dsp/resample.js';
import { DTMF_KEYPAD } from '../../native-free-dsp/dtmf-tones.js';
import { generateDtmfSequence, type DtmfSequenceItem } from '../../native-free-dsp/tone-generator.js';
import { parseWav } from '../../src/audio-file/wav-parser.js';
import { REQUIRE_ESPEAK, REQUIRE_GCC, REQUIRE_SPANDSP, REQUIRE_SPEECH, SPEECH_DIR, cacheDir, readAudio8k, requireTools } from '../helpers/audio-files.js';
import { gaussian, mulberry32 } from '../helpers/signals.js';
import { SpandspG722 } from '../helpers/spandsp-g722.js';

const RATE = 16_000;
const SPEECH_WITH_DIGITS = fileURLToPath(new URL('../../fixtures/speech-with-digits/speech-with-digits.wav', import.meta.url));

function encodeAll(pcm: Int16Array, chunk = 320): Uint8Array {
  const enc = new G722Encoder();
  const out = new Uint8Array(pcm.length >> 1);
  for (let i = 0; i < pcm.length; i += chunk) {
    const part = pcm.subarray(i, Math.min(pcm.length, i + chunk));
    enc.encode(part, out.subarray(i >> 1));
  }
  return out;
}

function decodeAll(codes: Uint8Array, chunk = 160): Int16Array {
  const dec = new G722Decoder();
  const out = new Int16Array(codes.length * 2);
  for (let i = 0; i < codes.length; i += chunk) dec.decode(codes.subarray(i, Math.min(codes.length, i + chunk)), out.subarray(2 * i));
  return out;
}

function evenLength(pcm: Int16Array): Int16Array {
  return pcm.subarray(0, pcm.length & ~1);
}

/** Logarithmic sine sweep 50 Hz - 7.9 kHz at `amplitude`. */
function sweep(seconds: number, amplitude: number): Int16Array {
  const n = RATE * seconds;
  const out = new Int16Array(n);
  const f0 = 50;
  const f1 = 7900;
  const k = Math.log(f1 / f0) / seconds;
  for (let i = 0; i < n; i++) {
    const time = i / RATE;
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * f0 * (Math.exp(k * time) - 1)) / k));
  }
  return out;
}

function noise(seconds: number, rms: number, seed: number): Int16Array {
  const rng = mulberry32(seed);
  const out = new Int16Array(RATE * seconds);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(rms * gaussian(rng))));
  return out;
}

function dtmf16k(): Int16Array {
  const items: DtmfSequenceItem[] = DTMF_KEYPAD.map((digit, i) => ({ digit, durationMs: 60 + 10 * i, gapBeforeMs: 50, lowDbm0: -3 - i, twistDb: (i % 5) - 2 }));
  return evenLength(generateDtmfSequence(items, 100, RATE));
}

/** Square wave at full scale: drives every saturation in the QMF, both bands and the limits. */
function fullScale(): Int16Array {
  const out = new Int16Array(RATE);
  for (let i = 0; i < out.length; i++) out[i] = (Math.floor(i / (3 + (i >> 11))) & 1) === 0 ? 32767 : -32768;
  return out;
}

function espeak16k(): Int16Array {
  const path = join(cacheDir('g722'), 'espeak.wav');
  if (!existsSync(path)) execFileSync('espeak-ng', ['-v', 'en+f3', '-s', '160', '-w', path, 'Please enter your card number now, followed by the hash key. Thank you.'], { stdio: 'ignore' });
  const audio = parseWav(readFileSync(path), 'espeak.wav');
  return evenLength(resample(audio.samples, audio.sampleRate, RATE));
}

/**
 * Decoder comparison: sample for sample, except where the receive QMF's sum leaves 16 bits.
 * There the ITU-T reference (and spandsp after 0.0.6) saturates while spandsp 0.0.6 (Debian's
 * libspandsp2) casts, wrapping to the other sign: such a sample must be our rail of the sign
 * opposite to spandsp's. Returns the first other mismatch (-1: none) and the count of wraps.
 */
function compareDecoded(ours: Int16Array, ref: Int16Array): { mismatch: number; wrapped: number } {
  if (ours.length !== ref.length) return { mismatch: Math.min(ours.length, ref.length), wrapped: 0 };
  let wrapped = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] === ref[i]) continue;
    if (ours[i] !== (ref[i] < 0 ? 32767 : -32768)) return { mismatch: i, wrapped };
    wrapped++;
  }
  return { mismatch: -1, wrapped };
}

/** Speech when espeak-ng is there (it is for the bit-exact test), else a sweep. */
function espeak16kOrSweep(): Int16Array {
  return REQUIRE_ESPEAK.present() ? espeak16k() : sweep(2, 8000);
}

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

t.test('bit-exact with spandsp g722 (64 kbit/s) on generated and recorded audio', (t) => {
  if (!requireTools(t, REQUIRE_GCC, REQUIRE_SPANDSP, REQUIRE_SPEECH, REQUIRE_ESPEAK)) return t.end();
  const ref = SpandspG722.create();
  if ('unavailable' in ref) {
    t.fail(ref.unavailable);
    return t.end();
  }
  t.teardown(() => ref.close());
  const speech8k = readAudio8k(join(SPEECH_DIR, 'enter-num-blacklist.wav'));
  const signals: Record<string, Int16Array> = {
    'sweep -1 dBFS': sweep(4, 29_000),
    'sweep -40 dBFS': sweep(2, 330),
    'DTMF, 16 digits': dtmf16k(),
    'white noise, loud': noise(2, 9000, 1),
    'white noise, quiet': noise(1, 30, 2),
    'wideband speech (espeak-ng, 16 kHz)': espeak16k(),
    'narrowband speech (asterisk prompt upsampled)': evenLength(resample(speech8k, 8000, RATE)),
    'speech with digits (fixture, first 60 s, upsampled)': evenLength(resample(readAudio8k(SPEECH_WITH_DIGITS).subarray(0, 60 * 8000), 8000, RATE)),
    'full-scale square': fullScale(),
    silence: new Int16Array(3200),
  };
  for (const [name, pcm] of Object.entries(signals)) {
    const codes = encodeAll(pcm);
    const refCodes = ref.encode(pcm);
    t.equal(firstMismatch(codes, refCodes), -1, `${name}: encoder codes equal spandsp's (${codes.length} bytes)`);
    const decoded = decodeAll(refCodes);
    const { mismatch, wrapped } = compareDecoded(decoded, ref.decode(refCodes));
    t.equal(mismatch, -1, `${name}: decoder samples equal spandsp's (${decoded.length}; ${wrapped} saturated where spandsp 0.0.6 wraps)`);
    const low = new Int16Array(refCodes.length);
    new G722Decoder().decodeBands(refCodes, low, new Int16Array(refCodes.length));
    const low16 = low.map((x) => Math.max(-32768, Math.min(32767, x * 2)));
    t.equal(firstMismatch(low16, ref.decodeLowBand(refCodes)), -1, `${name}: decodeBands' low band equals spandsp's 8 kHz decoder`);
    if (name === 'wideband speech (espeak-ng, 16 kHz)' || name === 'narrowband speech (asterisk prompt upsampled)') t.equal(wrapped, 0, `${name}: no sample near full scale`);
  }
  // Codes no encoder would write in that order (random bytes) still decode identically.
  const rng = mulberry32(7);
  const codes = new Uint8Array(16_000);
  for (let i = 0; i < codes.length; i++) codes[i] = Math.floor(rng() * 256);
  const random = compareDecoded(decodeAll(codes), ref.decode(codes));
  t.equal(random.mismatch, -1, `random code bytes: decoder samples equal spandsp's (${random.wrapped} saturated where spandsp 0.0.6 wraps)`);
  t.ok(random.wrapped > 0, 'random codes do reach the output saturation');
  t.end();
});

t.test('chunking is invisible and reset() starts a new stream', (t) => {
  const pcm = sweep(1, 12_000);
  const whole = encodeAll(pcm, pcm.length);
  t.same(encodeAll(pcm, 2), whole, 'two samples at a time = one call');
  t.same(encodeAll(pcm, 320), whole, '20 ms frames = one call');
  const enc = new G722Encoder();
  const out = new Uint8Array(pcm.length >> 1);
  enc.encode(noise(1, 5000, 3), new Uint8Array(8000));
  enc.reset();
  enc.encode(pcm, out);
  t.same(out, whole, 'after reset() the encoder writes what a new one does');
  const dec = new G722Decoder();
  const pcmOut = new Int16Array(whole.length * 2);
  dec.decode(
    Uint8Array.from({ length: 4000 }, (_, i) => (i * 37) & 0xff),
    new Int16Array(8000),
  );
  dec.reset();
  dec.decode(whole, pcmOut);
  t.same(pcmOut, decodeAll(whole, whole.length), 'after reset() the decoder outputs what a new one does');
  t.end();
});

t.test('band-domain decoding and encoding', (t) => {
  const pcm = espeak16kOrSweep();
  const codes = encodeAll(pcm);
  const half = (codes.length >> 1) & ~1;
  // decodeBands keeps the QMF history: decode() continuing the stream gives the same samples.
  const dec = new G722Decoder();
  dec.decodeBands(codes.subarray(0, half), new Int16Array(half), new Int16Array(half));
  const tail = new Int16Array(2 * (codes.length - half));
  dec.decode(codes.subarray(half), tail);
  t.same(tail, decodeAll(codes).subarray(2 * half), 'decode() after decodeBands() = one decode() of the stream');
  // Re-encoding a decoder's bands (no QMF in between) is a tandem that adds little noise: the
  // agent's decoding of the re-encoded stream stays close to the caller's.
  const low = new Int16Array(codes.length);
  const high = new Int16Array(codes.length);
  new G722Decoder().decodeBands(codes, low, high);
  const again = new Uint8Array(codes.length);
  t.equal(new G722Encoder().encodeBands(low, high, again), codes.length, 'one code per band sample pair');
  const first = decodeAll(codes);
  const second = decodeAll(again);
  let signal = 0;
  let error = 0;
  for (let i = 0; i < first.length; i++) {
    signal += first[i] * first[i];
    error += (first[i] - second[i]) ** 2;
  }
  const snr = 10 * Math.log10(signal / error);
  t.ok(snr > 25, `band-domain tandem: SNR ${snr.toFixed(1)} dB against the first decoding`);
  t.end();
});

t.test('round trip keeps a 1 kHz tone (SNR after the codec delay)', (t) => {
  const n = RATE;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(10_000 * Math.sin((2 * Math.PI * 1000 * i) / RATE));
  const out = decodeAll(encodeAll(pcm));
  // The two QMFs delay the signal by 23 samples (G.722 §1.3: 24-tap filters, 1.5 ms at 16 kHz).
  const delay = 22;
  let signal = 0;
  let error = 0;
  for (let i = 4000; i < n - delay; i++) {
    signal += pcm[i] * pcm[i];
    error += (out[i + delay] - pcm[i]) ** 2;
  }
  const snr = 10 * Math.log10(signal / error);
  t.ok(snr > 30, `SNR ${snr.toFixed(1)} dB > 30 dB`);
  t.end();
});

t.test('lengths are checked, not overrun', (t) => {
  const enc = new G722Encoder();
  t.throws(() => enc.encode(new Int16Array(3), new Uint8Array(4)), G722LengthError, 'odd sample count');
  t.throws(() => enc.encode(new Int16Array(8), new Uint8Array(3)), G722LengthError, 'output too short');
  t.equal(enc.encode(new Int16Array(8), new Uint8Array(4)), 4, 'one byte per two samples');
  const dec = new G722Decoder();
  t.throws(() => dec.decode(new Uint8Array(4), new Int16Array(7)), G722LengthError, 'decoder output too short');
  t.equal(dec.decode(new Uint8Array(4), new Int16Array(8)), 8, 'two samples per byte');
  t.end();
});
