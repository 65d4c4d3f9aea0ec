// Writes the audio for adapting pocketsphinx's acoustic model and for counting its false digits
// (scripts/speech/pocketsphinx-adapt.sh):
//   node --import tsx scripts/speech/export-adaptset.ts --fsdd DIR --hold-out NAME --out DIR
// OUT/train/tN.wav (16 kHz): every FSDD clip of the three other speakers through the phone
// channel of the measurement (400 ms lead-in, 300 ms tail, G.711 mu-law round trip), upsampled; OUT/train.fileids and OUT/train.transcription in
// sphinxtrain's format (one digit word per clip, "zero" for the FSDD label 0).
// OUT/nondigit/nN-{8k,16k}.wav: the non-digit speech of evaluate.ts (the half of the Asterisk
// prompts never used in training, then held-out espeak-ng sentences) until ten minutes, and
// OUT/nondigit.ctl. Offline measurement only; the directory is meant to be deleted after the run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { heldOutNonDigitSpeech, loadFsdd, Rng } from './corpus.js';
import { utterance } from './evaluate.js';

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

function writeWav(out: string, name: string, x: Int16Array, rates: Array<'8k' | '16k'>): void {
  const raw = join(out, `${name}.raw`);
  writeFileSync(raw, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  const input = ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', raw];
  for (const r of rates) execFileSync('sox', [...input, ...(r === '16k' ? ['-r', '16000'] : []), join(out, `${name}-${r}.wav`)], { stdio: 'ignore' });
  rmSync(raw);
}

function main(): void {
  const { values } = parseArgs({ options: { fsdd: { type: 'string' }, 'hold-out': { type: 'string' }, out: { type: 'string' } } });
  const held = values['hold-out'];
  if (!values.fsdd || !held || !values.out) throw new Error('--fsdd DIR --hold-out NAME --out DIR are required');
  const out = values.out;
  const rng = new Rng(11);
  mkdirSync(join(out, 'train'), { recursive: true });
  const ids: string[] = [];
  const lines: string[] = [];
  let n = 0;
  for (const c of loadFsdd(values.fsdd).filter((k) => k.speaker !== held)) {
    const id = `t${n++}`;
    writeWav(join(out, 'train'), id, utterance([c.samples], rng, undefined), ['16k']);
    ids.push(`${id}-16k`);
    lines.push(`<s> ${WORDS[Number(c.label)]} </s> (${id}-16k)`);
  }
  writeFileSync(join(out, 'train.fileids'), ids.join('\n') + '\n');
  writeFileSync(join(out, 'train.transcription'), lines.join('\n') + '\n');

  mkdirSync(join(out, 'nondigit'), { recursive: true });
  const ctl: string[] = [];
  let speechMs = 0;
  for (const source of heldOutNonDigitSpeech()) {
    if (speechMs >= 600_000) break;
    const x = source();
    speechMs += x.length / 8;
    const id = `n${ctl.length}`;
    writeWav(join(out, 'nondigit'), id, utterance([x], rng, undefined), ['8k', '16k']);
    ctl.push(id);
  }
  writeFileSync(join(out, 'nondigit.ctl'), ctl.join('\n') + '\n');
  process.stdout.write(`${ids.length} adaptation clips, ${ctl.length} non-digit utterances (${(speechMs / 60000).toFixed(1)} min)\n`);
}

main();
