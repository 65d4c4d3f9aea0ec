// Audio files and external tools for the DTMF tests: WAV I/O, sox conversion with a cache in
// the OS temp dir (never in the repo), the asterisk speech/music corpus, and tool presence checks.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Extra } from 'tap';
import { SAMPLE_RATE } from './signals.js';

/** The part of a tap Test these helpers need. */
export interface TestLike {
  fail(message: string, extra: Extra): unknown;
  pass(message: string, extra: Extra): unknown;
  comment(...message: unknown[]): unknown;
}

export const SPEECH_DIR = '/usr/share/asterisk/sounds/en';
export const MUSIC_DIR = '/usr/share/asterisk/moh';

/** Where converted audio and compiled harnesses are cached between runs. */
export function cacheDir(sub: string): string {
  const dir = join(tmpdir(), 'toneguard-test-cache', sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function skipToolsRequested(): boolean {
  return process.env.TONEGUARD_SKIP_TOOLS === '1';
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export interface Requirement {
  /** What is needed, for the message: a command name or a path. */
  readonly name: string;
  /** Debian package that provides it. */
  readonly debianPackage: string;
  readonly present: () => boolean;
}

export const REQUIRE_SOX: Requirement = { name: 'sox', debianPackage: 'sox', present: () => hasCommand('sox') };
export const REQUIRE_MULTIMON: Requirement = { name: 'multimon-ng', debianPackage: 'multimon-ng', present: () => hasCommand('multimon-ng') };
export const REQUIRE_GCC: Requirement = { name: 'gcc', debianPackage: 'gcc', present: () => hasCommand('gcc') };
export const REQUIRE_SPANDSP: Requirement = {
  name: 'spandsp.h + libspandsp',
  debianPackage: 'libspandsp-dev',
  present: () => existsSync('/usr/include/spandsp.h') || existsSync('/usr/include/x86_64-linux-gnu/spandsp.h') || existsSync('/usr/include/aarch64-linux-gnu/spandsp.h'),
};
export const REQUIRE_SPEECH: Requirement = { name: SPEECH_DIR, debianPackage: 'asterisk-core-sounds-en-wav', present: () => existsSync(SPEECH_DIR) };
export const REQUIRE_MUSIC: Requirement = { name: MUSIC_DIR, debianPackage: 'asterisk-moh-opsound-wav', present: () => existsSync(MUSIC_DIR) };
export const REQUIRE_DTMF2NUM: Requirement = { name: 'dtmf2num', debianPackage: 'dtmf2num', present: () => hasCommand('dtmf2num') };
export const REQUIRE_ESPEAK: Requirement = { name: 'espeak-ng', debianPackage: 'espeak-ng', present: () => hasCommand('espeak-ng') };

/** IVR-style sentences for synthetic speech: prompts a payment line plays and callers hear. */
const SYNTHETIC_TEXT =
  'Thank you for calling. Please enter your sixteen digit card number followed by the hash key. ' +
  'The expiry date is the four digit number on the front of your card. ' +
  'Your payment of one hundred and twenty five pounds fifty has been approved. ' +
  'If you wish to speak to an agent, please hold the line. ' +
  'We are sorry, the card number you entered is not valid. Please try again. ' +
  'For security reasons, this call may be recorded. Press one to confirm, or two to change the amount. ' +
  'Your reference number is seven seven three nine one. Goodbye.';

/**
 * Synthetic speech from espeak-ng: eight voices (male, female, Klatt) at four pitches, about
 * 18 minutes, written once into the cache. Formant synthesis holds its pitch far steadier than a
 * person, so its harmonics look more like tones than real speech does: a talk-off corpus that
 * played no part in setting the detector's limits.
 */
export function syntheticSpeechDir(): string {
  const dir = cacheDir('espeak-ng');
  let index = 0;
  for (const voice of ['en', 'en-us', 'en+f3', 'en+f4', 'en+m3', 'en-us+f2', 'en+klatt2', 'en-gb-x-rp']) {
    for (const pitch of [30, 50, 80, 99]) {
      const path = join(dir, `espeak-${String(++index).padStart(2, '0')}.wav`);
      if (!existsSync(path)) {
        // Written aside and renamed: a test file running at the same time never reads half a file.
        const tmp = `${path}.${process.pid}.tmp`;
        execFileSync('espeak-ng', ['-v', voice, '-p', String(pitch), '-s', '160', '-w', tmp, SYNTHETIC_TEXT], { stdio: 'ignore' });
        renameSync(tmp, path);
      }
    }
  }
  return dir;
}

/**
 * True when every requirement is present. Otherwise fails the test with a message naming the
 * Debian package, or skips it when TONEGUARD_SKIP_TOOLS=1.
 */
export function requireTools(t: TestLike, ...requirements: Requirement[]): boolean {
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) return true;
  const list = missing.map((r) => `${r.name} (Debian package ${r.debianPackage})`).join(', ');
  if (skipToolsRequested()) t.pass(`missing ${list}`, { skip: 'TONEGUARD_SKIP_TOOLS=1' });
  else t.fail(`missing ${list}: install with apt-get install -y ${missing.map((r) => r.debianPackage).join(' ')}, or set TONEGUARD_SKIP_TOOLS=1 to skip`, {});
  return false;
}

// ---------------------------------------------------------------------------------------------
// WAV

interface WavFormat {
  readonly audioFormat: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly dataOffset: number;
  readonly dataLength: number;
}

function parseWavHeader(bytes: Buffer): WavFormat | undefined {
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataLength'> | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      fmt = {
        audioFormat: bytes.readUInt16LE(body),
        channels: bytes.readUInt16LE(body + 2),
        sampleRate: bytes.readUInt32LE(body + 4),
        bitsPerSample: bytes.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (fmt === undefined) return undefined;
      return { ...fmt, dataOffset: body, dataLength: Math.min(size, bytes.length - body) };
    }
    offset = body + size + (size & 1);
  }
  return undefined;
}

function int16FromBytes(bytes: Buffer, offset: number, length: number): Int16Array {
  const count = Math.floor(length / 2);
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readInt16LE(offset + 2 * i);
  return out;
}

/**
 * Reads any audio file sox understands as 8 kHz 16-bit mono. Plain 8 kHz s16 mono WAVs are read
 * directly; anything else is converted once with sox into the temp-dir cache.
 */
export function readAudio8k(path: string): Int16Array {
  const bytes = readFileSync(path);
  const wav = parseWavHeader(bytes);
  if (wav !== undefined && wav.audioFormat === 1 && wav.channels === 1 && wav.sampleRate === SAMPLE_RATE && wav.bitsPerSample === 16) {
    return int16FromBytes(bytes, wav.dataOffset, wav.dataLength);
  }
  const stat = statSync(path);
  const key = createHash('sha1')
    .update(`${realpathSync(path)}:${stat.size}:${stat.mtimeMs}`)
    .digest('hex');
  const cached = join(cacheDir('audio-8k'), `${key}.raw`);
  if (!existsSync(cached)) {
    const tmp = `${cached}.${process.pid}.tmp`;
    const result = spawnSync('sox', ['-D', '-R', path, '-t', 'raw', '-r', String(SAMPLE_RATE), '-e', 'signed', '-b', '16', '-c', '1', tmp], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`sox could not convert ${path}: ${result.stderr || result.error?.message}`);
    spawnSync('mv', [tmp, cached]);
  }
  const raw = readFileSync(cached);
  return int16FromBytes(raw, 0, raw.length);
}

/** Writes 16-bit mono PCM as a WAV file. */
export function writeWav(path: string, pcm: Int16Array, sampleRate = SAMPLE_RATE): void {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length * 2, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length * 2, 40);
  writeFileSync(path, Buffer.concat([header, rawBytes(pcm)]));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian bytes of 16-bit PCM (a copy). */
export function rawBytes(pcm: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i], 2 * i);
  return out;
}

/** Every *.wav under `dir`, recursively, following symlinks, each real file once, sorted. */
export function listWavFiles(dir: string): string[] {
  const seen = new Set<string>();
  const files: string[] = [];
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      let stat;
      try {
        stat = statSync(path);
      } catch {
        continue; // dangling symlink
      }
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile() && name.toLowerCase().endsWith('.wav')) {
        const real = realpathSync(path);
        if (!seen.has(real)) {
          seen.add(real);
          files.push(path);
        }
      }
    }
  };
  walk(dir);
  return files;
}

export interface CorpusFile {
  readonly path: string;
  readonly pcm: Int16Array;
}

/** The speech corpus (asterisk-core-sounds-en-wav), as 8 kHz PCM. */
export function loadCorpus(dir: string): CorpusFile[] {
  return listWavFiles(dir).map((path) => ({ path, pcm: readAudio8k(path) }));
}
