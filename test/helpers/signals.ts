// Signal helpers shared by the DTMF tests: seeded PRNG, Gaussian noise, levels, G.711 round trip.
// Pure functions over typed arrays; nothing here touches the file system (see audio-files.ts).
import { dbm0ToAmplitude, meanSquareToDbm0 } from '../../native-free-dsp/levels.js';

/** 8 kHz telephony; every test signal here is at this rate. */
export const SAMPLE_RATE = 8000;
export const SAMPLES_PER_MS = SAMPLE_RATE / 1000;

// ---------------------------------------------------------------------------------------------
// Seeded randomness. A run is reproduced by TONEGUARD_SEED=<n>; TONEGUARD_SEED=random draws one.

export type Rng = () => number;

const DEFAULT_SEED = 0x70e6a7d;

let runSeed: number | undefined;

/** The seed of this run: TONEGUARD_SEED (a number, or "random"), else a fixed default. */
export function baseSeed(): number {
  if (runSeed !== undefined) return runSeed;
  const env = process.env.TONEGUARD_SEED;
  if (env === undefined || env === '') runSeed = DEFAULT_SEED;
  else if (env === 'random') runSeed = (Date.now() ^ (process.pid << 16)) >>> 0;
  else {
    const parsed = Number(env);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`TONEGUARD_SEED must be a non-negative integer or "random", got ${env}`);
    runSeed = parsed >>> 0;
  }
  return runSeed;
}

/** 32-bit FNV-1a of a string, to derive independent streams per test from one run seed. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: small, fast, good enough for test signal parameters. Returns [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG for one named stream of this run (same run seed + same name = same numbers). */
export function streamRng(name: string, seed = baseSeed()): Rng {
  return mulberry32((seed ^ hashString(name)) >>> 0);
}

/** The line to print so a failing run can be reproduced. */
export function seedBanner(): string {
  return `seed ${baseSeed()} (reproduce with TONEGUARD_SEED=${baseSeed()})`;
}

export function randomInt(rng: Rng, minInclusive: number, maxInclusive: number): number {
  return minInclusive + Math.floor(rng() * (maxInclusive - minInclusive + 1));
}

export function randomPhase(rng: Rng): number {
  return rng() * 2 * Math.PI;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

export function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}

/** Standard normal deviate (Box-Muller). */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

// ---------------------------------------------------------------------------------------------
// Levels (dBm0, G.711 convention: full-scale sine = +3.14 dBm0, see native-free-dsp/levels.ts).

/** Mean square (16-bit PCM units^2) of a signal at `dbm0`: a sine of peak A has mean square A^2/2. */
export function dbm0ToMeanSquare(dbm0: number): number {
  const amplitude = dbm0ToAmplitude(dbm0);
  return (amplitude * amplitude) / 2;
}

/** Power sum of levels in dBm0 (e.g. the total power of a DTMF pair). */
export function powerSumDbm0(...levels: number[]): number {
  let sum = 0;
  for (const level of levels) sum += Math.pow(10, level / 10);
  return 10 * Math.log10(sum);
}

/** Mean-square level in dBm0 of samples[start, end). */
export function levelDbm0(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += samples[i] * samples[i];
  return meanSquareToDbm0(sum / Math.max(1, end - start));
}

/** Adds white Gaussian noise of mean-square level `dbm0` to mix[start, end). */
export function addWhiteNoise(mix: Float64Array, rng: Rng, dbm0: number, start = 0, end = mix.length): void {
  const sigma = Math.sqrt(dbm0ToMeanSquare(dbm0));
  for (let i = start; i < end; i++) mix[i] += sigma * gaussian(rng);
}

/** Zeroes mix[start, start + length): a drop-out of true silence. */
export function silence(mix: Float64Array, start: number, length: number): void {
  mix.fill(0, Math.max(0, start), Math.min(mix.length, start + length));
}

export interface ActiveSpeechLevel {
  /** RMS level of the active frames, dBm0 (P.56-like). -Infinity if nothing is active. */
  readonly levelDbm0: number;
  /** One flag per 20 ms frame: frame level above the activity threshold. */
  readonly activeFrames: Uint8Array;
  readonly frameSamples: number;
}

/**
 * Active speech level, a simplified ITU-T P.56: the RMS over 20 ms frames whose own level is
 * above `thresholdDbm0` (-50 dBm0), so pauses do not dilute the level speech is heard at.
 */
export function activeSpeechLevel(samples: Int16Array, thresholdDbm0 = -50, frameMs = 20): ActiveSpeechLevel {
  const frameSamples = frameMs * SAMPLES_PER_MS;
  const frames = Math.floor(samples.length / frameSamples);
  const activeFrames = new Uint8Array(frames);
  const threshold = dbm0ToMeanSquare(thresholdDbm0);
  let activeSum = 0;
  let activeCount = 0;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let i = f * frameSamples; i < (f + 1) * frameSamples; i++) sum += samples[i] * samples[i];
    if (sum / frameSamples > threshold) {
      activeFrames[f] = 1;
      activeSum += sum;
      activeCount += frameSamples;
    }
  }
  return {
    levelDbm0: activeCount > 0 ? meanSquareToDbm0(activeSum / activeCount) : -Infinity,
    activeFrames,
    frameSamples,
  };
}

// ---------------------------------------------------------------------------------------------
// G.711 round trip through the project's codec (native-free-dsp/g711.ts).

export type Codec = 'linear' | 'ulaw' | 'alaw';
export const CODECS: readonly Codec[] = ['linear', 'ulaw', 'alaw'];

interface G711Module {
  encodeUlaw(src: Int16Array, dst: Uint8Array): unknown;
  decodeUlaw(src: Uint8Array, dst: Int16Array): unknown;
  encodeAlaw(src: Int16Array, dst: Uint8Array): unknown;
  decodeAlaw(src: Uint8Array, dst: Int16Array): unknown;
}

const G711_PATH = '../../native-free-dsp/g711.js';
let g711: G711Module | undefined;
let g711Error: string | undefined;

function isG711Module(value: unknown): value is G711Module {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return ['encodeUlaw', 'decodeUlaw', 'encodeAlaw', 'decodeAlaw'].every((name) => typeof m[name] === 'function');
}

/**
 * Loads native-free-dsp/g711.js once. Returns an error message instead of throwing, so a test
 * file can still run its linear cases and fail the G.711 ones with a clear reason.
 */
export async function loadG711(): Promise<string | undefined> {
  if (g711 !== undefined || g711Error !== undefined) return g711Error;
  try {
    const path: string = G711_PATH; // a variable, so tsc does not require the module to exist yet
    const mod: unknown = await import(path);
    if (isG711Module(mod)) g711 = mod;
    else g711Error = 'native-free-dsp/g711.ts does not export encodeUlaw/decodeUlaw/encodeAlaw/decodeAlaw';
  } catch (error) {
    g711Error = `cannot load native-free-dsp/g711.ts: ${error instanceof Error ? error.message : String(error)}`;
  }
  return g711Error;
}

/** Encodes then decodes (the line between a phone and us). 'linear' returns the input. */
export function codecRoundTrip(pcm: Int16Array, codec: Codec): Int16Array {
  if (codec === 'linear') return pcm;
  if (g711 === undefined) throw new Error(g711Error ?? 'call loadG711() before codecRoundTrip()');
  const bytes = new Uint8Array(pcm.length);
  const out = new Int16Array(pcm.length);
  if (codec === 'ulaw') {
    g711.encodeUlaw(pcm, bytes);
    g711.decodeUlaw(bytes, out);
  } else {
    g711.encodeAlaw(pcm, bytes);
    g711.decodeAlaw(bytes, out);
  }
  return out;
}

/**
 * Sanity bound on one G.711 round trip, to tell a codec fault from a detector fault: the
 * largest quantisation step of either law is 1/16 of the segment start (6.25 %), plus the
 * smallest steps and the clipping of the top code (mu-law 32124, A-law 32256).
 */
export function g711RoundTripWithinBounds(input: number, output: number): boolean {
  const clipped = Math.max(-32256, Math.min(32256, input));
  return Math.abs(output - clipped) <= 0.0625 * Math.abs(clipped) + 140;
}
