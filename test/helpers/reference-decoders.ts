// Independent DTMF decoders for comparison: multimon-ng (via sox at 22050 Hz), dtmf2num (a
// WAV file in, its digits as one string out) and a tiny C harness over libspandsp's dtmf_rx. Both run on a batch of cases laid out in fixed slots, so a
// reported digit maps back to its case by position (spandsp) or by order (multimon-ng).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, rawBytes, writeWav } from './audio-files.js';
import { SAMPLE_RATE } from './signals.js';

const SPANDSP_HARNESS = `
/* Reads 8 kHz s16 native-endian PCM on stdin, prints "digit <d> <sample>" per digit spandsp
   reports; <sample> is the end of the 20 ms block during which it was reported. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <spandsp.h>
static long pos = 0;
static void digits_cb(void *user, const char *digits, int len) {
  (void) user;
  for (int i = 0; i < len; i++) printf("digit %c %ld\\n", digits[i], pos);
}
int main(void) {
  dtmf_rx_state_t *s = dtmf_rx_init(NULL, digits_cb, NULL);
  int16_t buf[160];
  size_t n;
  while ((n = fread(buf, sizeof(int16_t), 160, stdin)) > 0) { pos += (long) n; dtmf_rx(s, buf, (int) n); }
  memset(buf, 0, sizeof buf);
  for (int i = 0; i < 10; i++) { pos += 160; dtmf_rx(s, buf, 160); }
  dtmf_rx_free(s);
  return 0;
}
`;

/** Compiles the spandsp harness once (cached in the temp dir by source hash); returns its path. */
export function buildSpandspHarness(): string {
  const hash = createHash('sha1').update(SPANDSP_HARNESS).digest('hex').slice(0, 12);
  const dir = cacheDir('spandsp-harness');
  const binary = join(dir, `dtmf-rx-${hash}`);
  if (existsSync(binary)) return binary;
  const source = join(dir, `dtmf-rx-${hash}.${process.pid}.c`);
  writeFileSync(source, SPANDSP_HARNESS);
  const tmp = `${binary}.${process.pid}.tmp`;
  const result = spawnSync('gcc', ['-O2', '-o', tmp, source, '-lspandsp'], { encoding: 'utf8' });
  rmSync(source, { force: true });
  if (result.status !== 0) throw new Error(`gcc could not build the spandsp harness: ${result.stderr || result.error?.message}`);
  renameSync(tmp, binary);
  return binary;
}

export interface ReferenceDigit {
  readonly digit: string;
  /** Sample (8 kHz) at which it was reported; -1 when the decoder gives no position. */
  readonly atSample: number;
}

export function runSpandsp(harness: string, pcm: Int16Array): ReferenceDigit[] {
  const result = spawnSync(harness, [], { input: rawBytes(pcm), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`spandsp harness failed: ${result.stderr || result.error?.message}`);
  const digits: ReferenceDigit[] = [];
  for (const line of result.stdout.split('\n')) {
    const match = /^digit (\S) (\d+)$/.exec(line);
    if (match) digits.push({ digit: match[1], atSample: Number(match[2]) });
  }
  return digits;
}

/** multimon-ng's DTMF decoder, on the audio resampled by sox to its 22050 Hz input rate. */
export function runMultimon(pcm: Int16Array): ReferenceDigit[] {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-multimon-'));
  try {
    const input = join(dir, 'in.raw');
    const resampled = join(dir, 'x.raw');
    writeFileSync(input, rawBytes(pcm));
    const raw = ['-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1'];
    const sox = spawnSync('sox', ['-D', '-R', ...raw, '-r', String(SAMPLE_RATE), input, ...raw, '-r', '22050', resampled], { encoding: 'utf8' });
    if (sox.status !== 0) throw new Error(`sox resampling failed: ${sox.stderr || sox.error?.message}`);
    const result = spawnSync('multimon-ng', ['-q', '-a', 'DTMF', '-t', 'raw', resampled], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(`multimon-ng failed: ${result.stderr || result.error?.message}`);
    const digits: ReferenceDigit[] = [];
    for (const line of result.stdout.split('\n')) {
      const match = /^DTMF: (\S)\s*$/.exec(line);
      if (match) digits.push({ digit: match[1], atSample: -1 });
    }
    return digits;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Silence between the signals runMultimonJoined puts end to end (1 s): multimon-ng's DTMF
 * decoder is idle again long before its end, so no digit spans two signals and a digit ending
 * one signal is not merged with the same digit starting the next.
 */
const JOIN_GAP_SAMPLES = SAMPLE_RATE;

/**
 * multimon-ng's digits over several signals, in signal order: one sox and one multimon-ng run
 * over the signals joined by 1 s of silence, instead of a pair of process starts per signal.
 * For callers that only need the digits of all of them together (multimon-ng gives no
 * positions, so a digit cannot be traced back to its signal); the same digits as runMultimon on
 * each signal (test/plumbing/reference-decoders.spec.ts).
 */
export function runMultimonJoined(signals: readonly Int16Array[]): ReferenceDigit[] {
  if (signals.length === 0) return [];
  const joined = new Int16Array(signals.reduce((sum, s) => sum + s.length + JOIN_GAP_SAMPLES, JOIN_GAP_SAMPLES));
  let offset = JOIN_GAP_SAMPLES;
  for (const s of signals) {
    joined.set(s, offset);
    offset += s.length + JOIN_GAP_SAMPLES;
  }
  return runMultimon(joined);
}

/**
 * dtmf2num's digits for a whole signal, in order (it gives no positions). It normalises the
 * file's volume first, so it sees levels relative to the loudest part.
 */
export function runDtmf2num(pcm: Int16Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-dtmf2num-'));
  try {
    const input = join(dir, 'in.wav');
    writeWav(input, pcm);
    const result = spawnSync('dtmf2num', [input], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(`dtmf2num failed: ${result.stderr || result.error?.message}`);
    const match = /- DTMF numbers:\s*(\S*)/.exec(result.stdout);
    if (match === null) throw new Error(`dtmf2num printed no "DTMF numbers" line: ${result.stdout.slice(-200)}`);
    return match[1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
