// spandsp's G.722 (test/helpers/spandsp-g722.c, compiled with gcc against libspandsp) as the
// reference for the bit-exactness tests: raw files in and out of a temp dir.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export class SpandspG722 {
  private files = 0;

  private constructor(
    private readonly dir: string,
    private readonly binary: string,
  ) {}

  /** Compiles the harness; the reason instead when gcc or libspandsp-dev is missing. */
  static create(): SpandspG722 | { readonly unavailable: string } {
    const dir = mkdtempSync(join(tmpdir(), 'toneguard-g722-'));
    const binary = join(dir, 'spandsp-g722');
    const source = fileURLToPath(new URL('./spandsp-g722.c', import.meta.url));
    const gcc = spawnSync('gcc', ['-O2', '-o', binary, source, '-lspandsp'], { encoding: 'utf8' });
    if (gcc.error || gcc.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return { unavailable: `gcc/libspandsp-dev: ${gcc.error?.message ?? gcc.stderr.trim().split('\n')[0]}` };
    }
    return new SpandspG722(dir, binary);
  }

  /** 16 kHz PCM (even length) to G.722 codes. */
  encode(pcm: Int16Array): Uint8Array {
    return this.run('enc', new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  /** G.722 codes to 16 kHz PCM. */
  decode(codes: Uint8Array): Int16Array {
    const bytes = this.run('dec', codes);
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  }

  /** G.722 codes to the low band at 8 kHz, 16-bit scale (spandsp's G722_SAMPLE_RATE_8000 decoder). */
  decodeLowBand(codes: Uint8Array): Int16Array {
    const bytes = this.run('dec8k', codes);
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(mode: 'enc' | 'dec' | 'dec8k', input: Uint8Array): Uint8Array {
    const n = this.files++;
    const inPath = join(this.dir, `in-${n}`);
    const outPath = join(this.dir, `out-${n}`);
    writeFileSync(inPath, input);
    const result = spawnSync(this.binary, [mode, inPath, outPath], { encoding: 'utf8' });
    if (result.error || result.status !== 0) throw new Error(`spandsp-g722 ${mode} failed: ${result.error?.message ?? result.stderr}`);
    const out = readFileSync(outPath);
    const copy = new Uint8Array(out.byteLength + (out.byteLength & 1));
    copy.set(out);
    return copy.subarray(0, out.byteLength);
  }
}
