// Audio for training and measuring the spoken-word recogniser: FSDD recordings, espeak-ng voices,
// Asterisk prompts (non-digit speech), noise; the telephone channel (mu-law round trip, noise at
// a given SNR, level) and speed perturbation. Offline tooling only: it spawns espeak-ng and
// reads files, so it lives in scripts/, not in the runtime.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '../../src/audio-file/wav-parser.js';
import { toMono8k } from '../../src/audio-file/mono-8k.js';
import { resample } from '../../native-free-dsp/resample.js';
import { linearToUlaw, ulawToLinear } from '../../native-free-dsp/g711.js';

/** The speakers of a loaded FSDD folder (v1.0.10 has six: george, jackson, lucas, nicolas, theo, yweweler). */
export function speakersOf(clips: readonly FsddClip[]): string[] {
  return [...new Set(clips.map((c) => c.speaker))].sort();
}

/** What espeak-ng is asked to say for each label (digits as words). */
export const SPOKEN_WORDS: Record<string, string> = {
  '0': 'zero',
  '1': 'one',
  '2': 'two',
  '3': 'three',
  '4': 'four',
  '5': 'five',
  '6': 'six',
  '7': 'seven',
  '8': 'eight',
  '9': 'nine',
  oh: 'oh',
  double: 'double',
  triple: 'triple',
  'pay the balance': 'pay the balance',
  yes: 'yes',
  no: 'no',
  correct: 'correct',
  change: 'change',
};

/** espeak-ng voices (language + variant) for training and, disjoint, for measuring. */
const TRAIN_VARIANTS = ['m1', 'm2', 'm4', 'm5', 'm7', 'f1', 'f3', 'f5', 'klatt', 'croak'];
export const TRAIN_VOICES = ['en-us', 'en-gb', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd'].flatMap((b) => TRAIN_VARIANTS.map((v) => `${b}+${v}`));
export const TEST_VOICES = ['en-gb-x-rp', 'en-029', 'en-gb-scotland'].flatMap((b) => ['m3', 'm6', 'f2', 'f4', 'klatt3'].map((v) => `${b}+${v}`));

export const TRAIN_SENTENCES = [
  'Thank you for calling, please hold the line',
  'Your call is important to us',
  'The quick brown fox jumps over the lazy dog',
  'I would like to speak with somebody about my account',
  'Can you tell me the opening hours of the shop',
  'Please wait while we connect you',
  'We have received your payment, thank you',
  'Hello, is anybody there',
  'I am calling about the letter I got last week',
  'Sorry, I did not catch that',
  'Could you repeat the amount please',
  'Let me find my card, just a moment',
  'The weather is lovely today',
  'My name is Margaret Smith',
  'Good morning, how can I help',
  'I think there has been a mistake on my bill',
  'Hang on, the dog is barking',
  'Can I pay by bank transfer instead',
  'What is the total amount due',
  'Please say the card number after the tone',
];
export const TEST_SENTENCES = [
  'All our agents are busy at the moment',
  'Please listen carefully as our menu options have changed',
  'I have been waiting here for ages',
  'This conversation may be recorded for training purposes',
  'She sells sea shells by the sea shore',
  'Where did I put my glasses',
  'Is this the billing department',
  'I would rather talk to a person',
  'The invoice arrived yesterday afternoon',
  'Hold on, my daughter is shouting something',
  'Alright, let me just check the back of the card',
  'Thanks very much, have a nice evening',
  'It says the expiry date is smudged',
  'Could you send me a receipt by email',
  'The line is really bad, can you hear me',
  'Sorry, I was talking to someone else',
];

/**
 * Single words as `garbage` for training (spoken alone, like the words of a card number): none is
 * a digit, a homophone of one ("to", "for", "won", "ate"), a near miss some accents share ("tree",
 * "free"), a menu word, or a word of TEST_SENTENCES (the measurement's non-digit speech).
 */
export const GARBAGE_WORDS = `hello okay well sure maybe what why who how when which there only some any many head house home
work word world water street light night money account paper letter phone call voice music noise
sound table chair door window floor garden kitchen coffee tea milk bread butter cheese apple orange
lemon green blue red black white brown yellow happy sad angry tired early late soon never always
often again first last next other same different little big small large long short high low old
new young good great kind twenty thirty hundred`.split(/\s+/);

/**
 * The measurement's non-digit speech, in order: the half of the Asterisk prompts never used in
 * training, then the held-out sentences in held-out voices (each read or synthesised on demand).
 */
export function heldOutNonDigitSpeech(): Array<() => Int16Array> {
  const sources: Array<() => Int16Array> = nonDigitPrompts()
    .filter((_, i) => i % 2 === 1)
    .map((p) => () => readWav8k(p));
  for (let k = 0; k < TEST_VOICES.length; k++) for (const s of TEST_SENTENCES) sources.push(() => espeak(s, TEST_VOICES[(k * 7 + s.length) % TEST_VOICES.length], 50, 160));
  return sources;
}

/** Prompt names that may say digits ("press one"): kept out of the non-digit speech sets. */
const DIGIT_PROMPT =
  /press|digit|number|dial|enter|ivr|menu|option|ext|vm-|conf-|queue-|pbx|pin|code|astcc|at-tone|minute|second|hour|day|time|year|beep|tone|silence|tt-|demo|dir-|pls-|privacy|followme|agent/i;

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  gauss(): number {
    const u = Math.max(1e-12, this.next());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

export function readWav8k(path: string): Int16Array {
  return toMono8k(parseWav(readFileSync(path), path), path);
}

export interface FsddClip {
  label: string;
  speaker: string;
  take: number;
  samples: Int16Array;
}

export function loadFsdd(dir: string): FsddClip[] {
  if (!existsSync(dir)) throw new Error(`FSDD directory ${dir} not found (give --fsdd DIR: the recordings/ folder of the Free Spoken Digit Dataset)`);
  const out: FsddClip[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = /^(\d)_([a-z]+)_(\d+)\.wav$/.exec(name);
    if (!m) continue;
    out.push({ label: m[1], speaker: m[2], take: Number(m[3]), samples: readWav8k(join(dir, name)) });
  }
  return out;
}

const ESPEAK_CACHE = join(tmpdir(), 'toneguard-speech-espeak');

/** espeak-ng saying `text` with `voice` at pitch / speed, as 8 kHz PCM (cached on disk). */
export function espeak(text: string, voice: string, pitch: number, wpm: number): Int16Array {
  mkdirSync(ESPEAK_CACHE, { recursive: true });
  const key = `${voice}_${pitch}_${wpm}_${text.replace(/[^a-z0-9]+/gi, '-')}`.slice(0, 180);
  const file = join(ESPEAK_CACHE, `${key}.s16`);
  if (existsSync(file)) {
    const b = readFileSync(file);
    return new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2).slice();
  }
  const wav = execFileSync('espeak-ng', ['-v', voice, '-p', String(pitch), '-s', String(wpm), '--stdout', text], { maxBuffer: 64 << 20 });
  // espeak-ng's --stdout WAV has unknown-length headers (0xffffffff); its data starts at 44.
  const raw = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.byteLength - ((wav.byteLength - 44) % 2)));
  const pcm = trimSilence(resample(raw, 22050, 8000));
  writeFileSync(file, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  return pcm;
}

/**
 * Voices of the other installed synthesisers, used for training only: unlike espeak-ng's formant
 * synthesis these are built from recordings of human speakers, so they add speaker variety. A
 * voice that is not installed is skipped.
 */
export const FLITE_VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'] as const;
// festival's English voices in Debian are kal (the same speaker as flite's), ked and slt (the same
// as flite's), at about a second per word: only ked adds a speaker.
export const FESTIVAL_VOICES = ['ked_diphone'] as const;
// RHVoice (Debian non-free `rhvoice-english`): alan (Scottish), bdl and clb (US), whose data is
// LGPL; its evgeniy-eng and lyubov are CC BY-NC-ND and slt is flite's speaker, so not used.
export const RHVOICE_VOICES = ['alan', 'bdl', 'clb'] as const;
// SVOX Pico (Debian non-free `libttspico-utils`, Apache-2.0 lingware): a US and a British voice.
export const PICO_VOICES = ['en-US', 'en-GB'] as const;

/** The synthesiser engines `synth()` drives. */
export const TTS_ENGINES = ['flite', 'festival', 'rhvoice', 'pico'] as const;
/** The engines of the shipped recipe: RHVoice's and Pico's voices were measured no better (docs/speech.md). */
export const DEFAULT_TTS_ENGINES = ['flite', 'festival'] as const;
const ENGINE_VOICES: Record<(typeof TTS_ENGINES)[number], readonly string[]> = { flite: FLITE_VOICES, festival: FESTIVAL_VOICES, rhvoice: RHVOICE_VOICES, pico: PICO_VOICES };

const installedCache = new Map<string, string[]>();
/** The voices of `engines` that synthesise on this machine ("flite:kal", "rhvoice:bdl"). */
export function installedTtsVoices(engines: readonly string[] = DEFAULT_TTS_ENGINES): string[] {
  const cacheKey = engines.join(',');
  const cached = installedCache.get(cacheKey);
  if (cached) return cached;
  const out: string[] = [];
  for (const v of TTS_ENGINES.filter((e) => engines.includes(e)).flatMap((e) => ENGINE_VOICES[e].map((name) => `${e}:${name}`))) {
    try {
      if (synth('one', v, 1, 1).length > 800) out.push(v);
    } catch {
      // not installed
    }
  }
  installedCache.set(cacheKey, out);
  return out;
}

/** A synthesiser voice saying `text` with a pitch/formant factor and a duration stretch, 8 kHz (cached on disk). */
export function synth(text: string, voice: string, pitch: number, stretch: number): Int16Array {
  mkdirSync(ESPEAK_CACHE, { recursive: true });
  const key = `${voice.replace(/:/g, '-')}_${pitch.toFixed(2)}_${stretch.toFixed(2)}_${text.replace(/[^a-z0-9]+/gi, '-')}`.slice(0, 180);
  const file = join(ESPEAK_CACHE, `${key}.s16`);
  if (existsSync(file)) {
    const b = readFileSync(file);
    return new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2).slice();
  }
  const [engine, name] = voice.split(':');
  const wavFile = join(ESPEAK_CACHE, `tmp-${process.pid}.wav`);
  const quiet = { stdio: ['ignore', 'ignore', 'ignore'] as Array<'ignore'> };
  if (engine === 'flite') {
    execFileSync('flite', ['-voice', name, '--setf', `duration_stretch=${stretch}`, '-t', text, '-o', wavFile], quiet);
  } else if (engine === 'rhvoice') {
    execFileSync('RHVoice-test', ['-p', name, '-r', String(Math.round(100 / stretch)), '-o', wavFile], { input: text, stdio: ['pipe', 'ignore', 'ignore'] });
  } else if (engine === 'pico') {
    execFileSync('pico2wave', ['-l', name, '-w', wavFile, `<speed level='${Math.round(100 / stretch)}'>${text}</speed>`], quiet);
  } else {
    const scheme = `(voice_${name}) (Parameter.set 'Duration_Stretch ${stretch}) (set! tts_hooks (list utt.synth (lambda (utt) (utt.wave.rescale utt 1.0) utt)))`;
    execFileSync('text2wave', ['-eval', scheme, '-o', wavFile], { input: text, stdio: ['pipe', 'ignore', 'ignore'] });
  }
  const pcm = trimSilence(readWav8k(wavFile));
  // Pitch by resampling, which moves the formants too (like another speaker's vocal tract).
  const out = pitch === 1 ? pcm : speed(pcm, pitch);
  writeFileSync(file, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  return out;
}

/** Drops leading and trailing samples below -60 dBFS (espeak-ng pads its output). */
export function trimSilence(x: Int16Array): Int16Array {
  let a = 0;
  let b = x.length;
  while (a < b && Math.abs(x[a]) < 33) a++;
  while (b > a && Math.abs(x[b - 1]) < 33) b--;
  return x.slice(a, b);
}

export function nonDigitPrompts(): string[] {
  const dir = '/usr/share/asterisk/sounds/en';
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wav') && !DIGIT_PROMPT.test(n) && !/\d/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Speed perturbation by resampling: factor 0.9 is 10 % slower and lower. */
export function speed(x: Int16Array, factor: number): Int16Array {
  if (factor === 1) return x;
  const num = Math.round(factor * 20);
  return resample(x, num, 20);
}

/** Active speech power: mean square of the 10 ms frames within 25 dB of the loudest. */
export function activePower(x: Int16Array | Float32Array): number {
  const frames: number[] = [];
  for (let i = 0; i + 80 <= x.length; i += 80) {
    let e = 0;
    for (let k = 0; k < 80; k++) e += x[i + k] * x[i + k];
    frames.push(e / 80);
  }
  const max = Math.max(1e-9, ...frames);
  const active = frames.filter((e) => e >= max / 316);
  return active.reduce((a, b) => a + b, 0) / Math.max(1, active.length);
}

/** `x` scaled to the active power `power` (16-bit clipping). */
export function atPower(x: Int16Array, power: number): Int16Array {
  const g = Math.sqrt(power / Math.max(1, activePower(x)));
  return Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v * g))));
}

/** Each take of one speaker scaled to the speaker's median active power (one level, as one caller reads a number). */
export function levelledTakes(takes: readonly FsddClip[]): Map<FsddClip, Int16Array> {
  const level = takes.map((c) => activePower(c.samples)).sort((a, b) => a - b)[takes.length >> 1];
  return new Map(takes.map((c) => [c, atPower(c.samples, level)]));
}

export interface ChannelOptions {
  /** White noise at this SNR (dB) against the active speech power; omitted: no noise. */
  snrDb?: number;
  /** Gain in dB before the channel. */
  gainDb?: number;
  ulaw?: boolean;
}

/** The phone channel: gain, additive white noise, 16-bit clipping, G.711 mu-law round trip. */
export function channel(x: Int16Array, rng: Rng, o: ChannelOptions, speechPower = activePower(x)): Int16Array {
  const g = Math.pow(10, (o.gainDb ?? 0) / 20);
  const sigma = o.snrDb === undefined ? 0 : Math.sqrt((speechPower * g * g) / Math.pow(10, o.snrDb / 10));
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let v = x[i] * g + (sigma > 0 ? sigma * rng.gauss() : 0);
    v = Math.max(-32768, Math.min(32767, Math.round(v)));
    out[i] = o.ulaw === false ? v : ulawToLinear(linearToUlaw(v));
  }
  return out;
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function silence(ms: number): Int16Array {
  return new Int16Array(Math.round(ms * 8));
}

/** A burst of filtered noise (not speech): one-pole low-pass at a random corner. */
export function noiseBurst(rng: Rng, ms: number, amplitude: number): Int16Array {
  const out = new Int16Array(Math.round(ms * 8));
  const a = rng.range(0, 0.95);
  let y = 0;
  for (let i = 0; i < out.length; i++) {
    y = a * y + (1 - a) * rng.gauss();
    const env = Math.min(1, i / 80, (out.length - i) / 80);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(y * amplitude * env * (1 + 2 * a))));
  }
  return out;
}

/** Menu words measured on the espeak-ng test voices (they have no human recordings). */
export const MENU_TEST_WORDS = ['pay the balance', 'yes', 'no', 'correct', 'change'] as const;
