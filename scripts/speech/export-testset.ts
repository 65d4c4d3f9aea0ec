// Writes one held-out speaker's measurement utterances as WAV files for decoders outside this
// repository (the pocketsphinx baseline, scripts/speech/pocketsphinx-baseline.sh):
//   node --import tsx scripts/speech/export-testset.ts --fsdd DIR --speaker NAME --out DIR
// OUT/isoN-{8k,16k}.wav: the isolated digits, OUT/card{clean,20}_N-{8k,16k}.wav: the 16-digit
// strings clean and at 20 dB SNR, built exactly as evaluate.ts builds them (same seed, same
// phone channel), OUT/truth.txt: name and digits. Offline measurement only: the digit strings
// are random, not card numbers, and the directory is meant to be deleted after the run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFsdd, Rng, type FsddClip } from './corpus.js';
import { utterance } from './evaluate.js';

function main(): void {
  const { values } = parseArgs({ options: { fsdd: { type: 'string' }, speaker: { type: 'string' }, out: { type: 'string' } } });
  if (!values.fsdd || !values.speaker || !values.out) throw new Error('--fsdd DIR --speaker NAME --out DIR are required');
  const out = values.out;
  const held = loadFsdd(values.fsdd).filter((c) => c.speaker === values.speaker);
  const byDigit = new Map<string, FsddClip[]>();
  for (const c of held) byDigit.set(c.label, [...(byDigit.get(c.label) ?? []), c]);
  mkdirSync(out, { recursive: true });
  const rng = new Rng(7);
  const truth: string[] = [];
  const write = (name: string, x: Int16Array, digits: string): void => {
    const raw = join(out, `${name}.raw`);
    writeFileSync(raw, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    const input = ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', raw];
    execFileSync('sox', [...input, join(out, `${name}-8k.wav`)]);
    execFileSync('sox', [...input, '-r', '16000', join(out, `${name}-16k.wav`)]);
    rmSync(raw);
    truth.push(`${name} ${digits}`);
  };
  held.forEach((c, i) => write(`iso${i}`, utterance([c.samples], rng, undefined), c.label));
  for (const snr of [undefined, 20]) {
    for (let n = 0; n < 100; n++) {
      let digits = '';
      const parts: Int16Array[] = [];
      for (let i = 0; i < 16; i++) {
        const d = String(rng.int(10));
        digits += d;
        parts.push(rng.pick(byDigit.get(d) ?? []).samples);
      }
      write(`card${snr ?? 'clean'}_${n}`, utterance(parts, rng, snr), digits);
    }
  }
  writeFileSync(join(out, 'truth.txt'), truth.join('\n') + '\n');
}

main();
