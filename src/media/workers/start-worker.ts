// A worker thread running a module of this package, compiled or from its TypeScript sources.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts `name` (e.g. './media-worker-host', resolved against `base`, the caller's
 * import.meta.url): the compiled `.js` beside it, or the `.ts` source under tsx (tests), where
 * the worker registers tsx itself before loading it: Node 20 does not carry the parent's loader
 * hooks into a worker.
 */
export function startWorker(base: string, name: string, workerData: unknown): Worker {
  const js = new URL(`${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const ts = new URL(`${name}.ts`, base).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
