// Runs a folder's quick tests (its *.spec.ts files, one per module, as any *.test.ts would be
// written) in one process. tap starts every *.test.ts file as a process of its own, and each
// start (tap, tsx and the module hooks tap always loads) costs about 1 s of CPU: more than most
// of these files take to run, and the suite is CPU-bound on two cores. The files run in name
// order, one after the other, each with its own subtests on tap's root test.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Imports every *.spec.ts file beside `suiteUrl` (the calling file's import.meta.url), in name order. */
export async function runSpecs(suiteUrl: string): Promise<void> {
  const dir = dirname(fileURLToPath(suiteUrl));
  const specs = readdirSync(dir)
    .filter((name) => name.endsWith('.spec.ts'))
    .sort();
  if (specs.length === 0) throw new Error(`no *.spec.ts beside ${suiteUrl}`);
  for (const name of specs) await import(new URL(`./${name.replace(/\.ts$/, '.js')}`, suiteUrl).href);
}
