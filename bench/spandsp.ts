// spandsp's C dtmf_rx as a reference: bench/spandsp-harness.c compiled at bench time with
// gcc -O2 against libspandsp, run on the fixture written out as raw s16le.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDtmfDigit, type DtmfDigit } from '../native-free-dsp/dtmf-tones.js';

const SAMPLE_RATE = 8000; // Hz
export const HARNESS_SOURCE = 'bench/spandsp-harness.c';

export interface SpandspDigit {
  readonly digit: DtmfDigit;
  readonly startMs: number;
  readonly endMs: number;
}

export interface SpandspRun {
  readonly digits: SpandspDigit[];
  readonly samplesPerSecond: number;
}

export class SpandspHarness {
  private inputs = 0;

  private constructor(
    private readonly dir: string,
    private readonly binary: string,
  ) {}

  /**
   * Compiles the harness into a temp dir. Returns the reason instead when gcc or
   * libspandsp-dev is missing or compilation fails.
   */
  static create(root: string): SpandspHarness | { readonly unavailable: string } {
    const dir = mkdtempSync(join(tmpdir(), 'toneguard-bench-'));
    const binary = join(dir, 'spandsp-harness');
    const gcc = spawnSync('gcc', ['-O2', '-o', binary, join(root, HARNESS_SOURCE), '-lspandsp'], { encoding: 'utf8' });
    if (gcc.error || gcc.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      const why = gcc.error ? `gcc not runnable (${gcc.error.message})` : `gcc failed: ${firstLine(gcc.stderr)}`;
      return { unavailable: `${why}; needs gcc and libspandsp-dev` };
    }
    return new SpandspHarness(dir, binary);
  }

  /** Writes 8 kHz 16-bit samples as raw s16le (little-endian host) for `run`; returns its path. */
  writeInput(samples: Int16Array): string {
    const path = join(this.dir, `input-${this.inputs++}.s16le`);
    writeFileSync(path, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    return path;
  }

  /** Runs dtmf_rx over the whole input `repeats` times; digits are from the first pass. */
  run(input: string, repeats: number): SpandspRun {
    const result = spawnSync(this.binary, [input, String(repeats)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (result.error || result.status !== 0) {
      throw new Error(`spandsp harness failed: ${result.error?.message ?? firstLine(result.stderr)}`);
    }
    const digits: SpandspDigit[] = [];
    let samplesPerSecond = NaN;
    for (const line of result.stdout.split('\n')) {
      const digit = /^digit (\S) (\d+) (\d+)$/.exec(line);
      if (digit && isDtmfDigit(digit[1])) {
        digits.push({ digit: digit[1], startMs: (Number(digit[2]) * 1000) / SAMPLE_RATE, endMs: (Number(digit[3]) * 1000) / SAMPLE_RATE });
      }
      const rate = /samples_per_second (\S+)/.exec(line);
      if (rate) samplesPerSecond = Number(rate[1]);
    }
    if (!Number.isFinite(samplesPerSecond)) throw new Error('spandsp harness printed no samples_per_second');
    return { digits, samplesPerSecond };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? '(no output)'
  );
}
