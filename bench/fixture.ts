// The recorded benchmark fixture (fixtures/speech-with-digits): G.711 mu-law WAV decoded to
// 8 kHz 16-bit PCM, and its truth.json. Found from the project root, so the same code works
// compiled (dist/bench/) and from source (tap runs bench/*.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeUlaw } from '../native-free-dsp/g711.js';
import type { DtmfDigit } from '../native-free-dsp/dtmf-tones.js';

export const FIXTURE_DIR = 'fixtures/speech-with-digits';
export const FIXTURE_WAV = 'speech-with-digits.wav';
export const FIXTURE_TRUTH = 'truth.json';

const WAVE_FORMAT_MULAW = 7;
const SAMPLE_RATE = 8000; // Hz

export class FixtureError extends Error {
  readonly code = 'ERR_BENCH_FIXTURE';
}

export interface TruthDigit {
  readonly digit: DtmfDigit;
  readonly startMs: number;
  readonly endMs: number;
  /** Low-group tone level, dBm0. */
  readonly level: number;
  /** Low-group minus high-group level, dB. */
  readonly twist: number;
  readonly overSpeech: boolean;
}

export interface Fixture {
  readonly path: string;
  /** 8 kHz 16-bit PCM. */
  readonly samples: Int16Array;
  readonly truth: readonly TruthDigit[];
}

/** The directory holding package.json of toneguard, searched upward from this module. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === 'toneguard') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new FixtureError('toneguard package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Mu-law bytes of a WAV (format 7, mono, 8 kHz); walks the RIFF chunks (sox adds a `fact`). */
export function readUlawWav(path: string): Uint8Array {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new FixtureError(`${path}: not a RIFF/WAVE file`);
  }
  let formatOk = false;
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      const tag = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const rate = buf.readUInt32LE(body + 4);
      if (tag !== WAVE_FORMAT_MULAW || channels !== 1 || rate !== SAMPLE_RATE) {
        throw new FixtureError(`${path}: expected mono ${SAMPLE_RATE} Hz mu-law, got format ${tag}, ${channels} channel(s), ${rate} Hz`);
      }
      formatOk = true;
    } else if (id === 'data') {
      if (!formatOk) throw new FixtureError(`${path}: data chunk before fmt chunk`);
      return new Uint8Array(buf.buffer, buf.byteOffset + body, Math.min(size, buf.length - body));
    }
    at = body + size + (size & 1);
  }
  throw new FixtureError(`${path}: no data chunk`);
}

function parseTruth(path: string): TruthDigit[] {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const digits = (parsed as { digits?: unknown }).digits;
  if (!Array.isArray(digits)) throw new FixtureError(`${path}: no "digits" array`);
  return digits.map((item: unknown, i): TruthDigit => {
    const d = item as Partial<Record<keyof TruthDigit, unknown>>;
    if (typeof d.digit !== 'string' || typeof d.startMs !== 'number' || typeof d.endMs !== 'number' || typeof d.overSpeech !== 'boolean') {
      throw new FixtureError(`${path}: digits[${i}] is not {digit, startMs, endMs, overSpeech, ...}`);
    }
    return {
      digit: d.digit as DtmfDigit,
      startMs: d.startMs,
      endMs: d.endMs,
      level: typeof d.level === 'number' ? d.level : NaN,
      twist: typeof d.twist === 'number' ? d.twist : NaN,
      overSpeech: d.overSpeech,
    };
  });
}

export function loadFixture(root: string = projectRoot()): Fixture {
  const dir = join(root, FIXTURE_DIR);
  const path = join(dir, FIXTURE_WAV);
  if (!existsSync(path)) throw new FixtureError(`${path} is missing: run node ${FIXTURE_DIR}/make.mjs`);
  const ulaw = readUlawWav(path);
  const samples = new Int16Array(ulaw.length);
  decodeUlaw(ulaw, samples);
  return { path, samples, truth: parseTruth(join(dir, FIXTURE_TRUTH)) };
}
