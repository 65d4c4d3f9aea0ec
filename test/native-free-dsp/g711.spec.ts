// G.711 against two oracles: a line-by-line transcription of the ITU-T G.191 STL g711.c
// (written independently of the table-driven module), and sox.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ALAW_SILENCE, G711LengthError, ULAW_SILENCE, alawToLinear, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw, linearToAlaw, linearToUlaw, ulawToLinear } from '../../native-free-dsp/g711.js';

// ---- ITU-T G.191 STL g711.c, transcribed with its loops and constants ----

function stlAlawCompress(linear: number): number {
  let ix = linear < 0 ? ~linear >> 4 : linear >> 4;
  if (ix > 15) {
    let iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      iexp++;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (linear >= 0) ix |= 0x0080;
  return ix ^ 0x0055;
}

function stlAlawExpand(log: number): number {
  let ix = log ^ 0x0055;
  ix &= 0x007f;
  const iexp = ix >> 4;
  let mant = ix & 0x000f;
  if (iexp > 0) mant = mant + 16;
  mant = (mant << 4) + 0x0008;
  if (iexp > 1) mant = mant << (iexp - 1);
  return log > 127 ? mant : -mant;
}

function stlUlawCompress(linear: number): number {
  let absno = linear < 0 ? (~linear >> 2) + 33 : (linear >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const highNibble = 0x0008 - segno;
  const lowNibble = 0x000f - ((absno >> segno) & 0x000f);
  let log = (highNibble << 4) | lowNibble;
  if (linear >= 0) log |= 0x0080;
  return log;
}

function stlUlawExpand(log: number): number {
  const sign = log < 0x0080 ? -1 : 1;
  let mantissa = ~log;
  const exponent = (mantissa >> 4) & 0x0007;
  const segment = exponent + 1;
  mantissa &= 0x000f;
  const step = 4 << segment;
  // `+ 0` folds the -0 of code 0x7f into 0, as the C short does.
  return sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33) + 0;
}

const ALL_SAMPLES = new Int16Array(65536);
for (let i = 0; i < 65536; i++) ALL_SAMPLES[i] = i - 32768;
const ALL_CODES = new Uint8Array(256);
for (let i = 0; i < 256; i++) ALL_CODES[i] = i;

t.test('known G.711 table values', async (t) => {
  // Ends of the range and the zeros, from G.711 Tables 1a/2a scaled to 16 bits as the STL does.
  t.equal(ulawToLinear(0x80), 32124);
  t.equal(ulawToLinear(0x00), -32124);
  t.equal(ulawToLinear(0xff), 0);
  t.equal(ulawToLinear(0x7f), 0);
  t.equal(ulawToLinear(0xfe), 8);
  t.equal(alawToLinear(0xaa), 32256);
  t.equal(alawToLinear(0x2a), -32256);
  t.equal(alawToLinear(0xd5), 8);
  t.equal(alawToLinear(0x55), -8);
  t.equal(linearToUlaw(0), ULAW_SILENCE);
  t.equal(linearToAlaw(0), ALAW_SILENCE);
  t.equal(ulawToLinear(ULAW_SILENCE), 0);
  t.equal(ULAW_SILENCE, 0xff);
  t.equal(ALAW_SILENCE, 0xd5);
});

t.test('all 256 codes decode to the STL values and re-encode to themselves', async (t) => {
  let bad = 0;
  for (let code = 0; code < 256; code++) {
    if (ulawToLinear(code) !== stlUlawExpand(code)) bad++;
    if (alawToLinear(code) !== stlAlawExpand(code)) bad++;
    // mu-law has two zeros: 0x7f (negative) decodes to 0, and 0 encodes as 0xff.
    const ulawBack = code === 0x7f ? 0xff : code;
    if (linearToUlaw(ulawToLinear(code)) !== ulawBack) bad++;
    if (linearToAlaw(alawToLinear(code)) !== code) bad++;
  }
  t.equal(bad, 0, 'mismatches');
  const ulaw = new Int16Array(256);
  const alaw = new Int16Array(256);
  decodeUlaw(ALL_CODES, ulaw);
  decodeAlaw(ALL_CODES, alaw);
  for (let code = 0; code < 256; code++) {
    if (ulaw[code] !== stlUlawExpand(code) || alaw[code] !== stlAlawExpand(code)) bad++;
  }
  t.equal(bad, 0, 'bulk decode mismatches');
});

t.test('every 16-bit sample encodes to the STL code, scalar and bulk', async (t) => {
  const ulaw = new Uint8Array(65536);
  const alaw = new Uint8Array(65536);
  encodeUlaw(ALL_SAMPLES, ulaw);
  encodeAlaw(ALL_SAMPLES, alaw);
  let bad = 0;
  for (let i = 0; i < 65536; i++) {
    const x = ALL_SAMPLES[i];
    const u = stlUlawCompress(x);
    const a = stlAlawCompress(x);
    if (linearToUlaw(x) !== u || ulaw[i] !== u) bad++;
    if (linearToAlaw(x) !== a || alaw[i] !== a) bad++;
  }
  t.equal(bad, 0, 'mismatches');
  // Round trip error stays inside half a quantisation step (G.711 midpoint reconstruction).
  let worstUlaw = 0;
  for (let i = 0; i < 65536; i++) {
    const x = ALL_SAMPLES[i];
    if (x > -32000 && x < 32000) worstUlaw = Math.max(worstUlaw, Math.abs(ulawToLinear(linearToUlaw(x)) - x));
  }
  t.ok(worstUlaw <= 512, `mu-law worst round-trip error ${worstUlaw} <= 512 (half the top step)`);
});

t.test('scalar input outside 16 bits saturates', async (t) => {
  t.equal(linearToUlaw(40000), linearToUlaw(32767));
  t.equal(linearToUlaw(-40000), linearToUlaw(-32768));
  t.equal(linearToAlaw(1e9), linearToAlaw(32767));
  t.equal(linearToAlaw(-1e9), linearToAlaw(-32768));
  t.equal(ulawToLinear(0x180), ulawToLinear(0x80), 'only the low 8 bits of a code count');
});

t.test('bulk length argument', async (t) => {
  const src = new Int16Array([1000, -1000, 20000, -20000]);
  const codes = new Uint8Array(4).fill(0x11);
  encodeUlaw(src, codes, 2);
  t.same([...codes], [linearToUlaw(1000), linearToUlaw(-1000), 0x11, 0x11]);
  encodeAlaw(src, codes, 3);
  t.same([...codes], [linearToAlaw(1000), linearToAlaw(-1000), linearToAlaw(20000), 0x11]);
  const out = new Int16Array(4).fill(7);
  decodeAlaw(codes, out, 1);
  t.same([...out], [alawToLinear(codes[0]), 7, 7, 7]);
  t.throws(() => encodeUlaw(src, new Uint8Array(2)), { code: 'ERR_G711_LENGTH' });
  t.throws(() => decodeUlaw(codes, out, 5), G711LengthError);
  t.throws(() => decodeAlaw(codes, out, -1), { code: 'ERR_G711_LENGTH' });
});

// ---- sox as an independent implementation ----

function soxAvailable(): boolean {
  const probe = spawnSync('sox', ['--version'], { encoding: 'utf8' });
  return probe.status === 0;
}

function runSox(args: string[]): void {
  const run = spawnSync('sox', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`sox ${args.join(' ')} failed: ${run.stderr}`);
}

// sox 14.4 (src/raw.c) encodes with sox_14linear2ulaw(SOX_SAMPLE_TO_UNSIGNED(14, d) - 0x2000):
// it first rounds the 16-bit sample to the nearest 14-bit value (13-bit for A-law, saturating at
// the top), where the STL truncates. These return a 16-bit sample inside the STL interval that
// holds sox's rounded value, so `linearToX(soxRequantize(x))` must equal sox's code for every x.
function soxRequantizeUlaw(x: number): number {
  const r = Math.min((x + 2) >> 2, 8191);
  // STL magnitude of a negative sample is (~x) >> 2, so -4r-1 carries magnitude -r.
  return r >= 0 ? 4 * r : Math.max(4 * r - 1, -32768);
}
function soxRequantizeAlaw(x: number): number {
  return 8 * Math.min((x + 4) >> 3, 4095);
}

const soxMissing = !soxAvailable();
const skipTools = process.env.TONEGUARD_SKIP_TOOLS === '1';

t.test('matches sox', { skip: soxMissing && skipTools ? 'sox not found and TONEGUARD_SKIP_TOOLS=1' : false }, async (t) => {
  if (soxMissing) {
    t.fail('sox not found on PATH: install it (apt-get install sox) or set TONEGUARD_SKIP_TOOLS=1 to skip');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-g711-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcmPath = join(dir, 'all.s16le');
  const codesPath = join(dir, 'codes.u8');
  writeFileSync(pcmPath, new Uint8Array(ALL_SAMPLES.buffer));
  writeFileSync(codesPath, ALL_CODES);
  const pcmIn = ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '--endian', 'little', '-c', '1'];

  for (const law of ['mu-law', 'a-law'] as const) {
    const encode = law === 'mu-law' ? linearToUlaw : linearToAlaw;
    const requantize = law === 'mu-law' ? soxRequantizeUlaw : soxRequantizeAlaw;
    const reference = law === 'mu-law' ? stlUlawExpand : stlAlawExpand;
    const encoded = new Uint8Array(65536);
    (law === 'mu-law' ? encodeUlaw : encodeAlaw)(ALL_SAMPLES, encoded);

    // -D: sox dithers by default when it lowers precision (16 -> 14/13 bits); dither is noise
    // and would make the comparison meaningless.
    const soxCodesPath = join(dir, `${law}.u8`);
    runSox(['-D', ...pcmIn, pcmPath, '-t', 'raw', '-e', law, '-b', '8', soxCodesPath]);
    const soxCodes = readFileSync(soxCodesPath);
    t.equal(soxCodes.length, 65536, `${law}: sox wrote one code per sample`);
    // Rounding instead of truncating moves a sample by at most half a 14-/13-bit step.
    const reach = law === 'mu-law' ? 2 : 4;
    let modelBad = 0;
    let differ = 0;
    let farther = 0;
    for (let i = 0; i < 65536; i++) {
      const x = ALL_SAMPLES[i];
      if (encode(requantize(x)) !== soxCodes[i]) modelBad++;
      if (encoded[i] !== soxCodes[i]) {
        differ++;
        let near = false;
        for (let d = -reach; d <= reach; d++) if (encode(x + d) === soxCodes[i]) near = true;
        if (!near) farther++;
      }
    }
    t.equal(modelBad, 0, `${law}: byte-identical to sox for all 65536 inputs, given sox's 16-bit rounding`);
    t.equal(farther, 0, `${law}: where sox and the STL differ, sox's code is the STL code of x +- ${reach}`);
    t.comment(`${law}: ${differ} of 65536 inputs sit within sox's rounding of a decision level`);
    t.ok(differ < 1100, `${law}: only samples next to decision levels differ (${differ})`);

    const soxPcmPath = join(dir, `${law}.s16le`);
    runSox(['-t', 'raw', '-r', '8000', '-e', law, '-b', '8', '-c', '1', codesPath, '-t', 'raw', '-e', 'signed', '-b', '16', '--endian', 'little', soxPcmPath]);
    const soxPcmBytes = readFileSync(soxPcmPath);
    t.equal(soxPcmBytes.length, 512, `${law}: sox decoded 256 samples`);
    const decoded = new Int16Array(256);
    (law === 'mu-law' ? decodeUlaw : decodeAlaw)(ALL_CODES, decoded);
    let decodeBad = 0;
    for (let code = 0; code < 256; code++) {
      const soxSample = soxPcmBytes.readInt16LE(2 * code);
      if (decoded[code] !== soxSample || reference(code) !== soxSample) decodeBad++;
    }
    t.equal(decodeBad, 0, `${law}: all 256 codes decode exactly as sox decodes them`);
  }
});

t.test('decoding from an offset reads the same codes as decoding a view of them; a bad offset is refused', async (t) => {
  const src = new Uint8Array(300);
  for (let i = 0; i < src.length; i++) src[i] = (i * 37) & 0xff;
  for (const [name, decode] of [
    ['mu-law', decodeUlaw],
    ['A-law', decodeAlaw],
  ] as const) {
    const a = new Int16Array(160);
    const b = new Int16Array(160);
    decode(src.subarray(12, 172), a);
    decode(src, b, 160, 12);
    t.same(b, a, name);
    t.throws(() => decode(src, b, 160, 200), { code: 'ERR_G711_LENGTH' }, `${name}: past the end`);
    t.throws(() => decode(src, b, 10, -1), { code: 'ERR_G711_LENGTH' }, `${name}: negative`);
    t.throws(() => decode(src, b, 10, 1.5), { code: 'ERR_G711_LENGTH' }, `${name}: not an integer`);
  }
});
