// Files spread over worker threads, one file at a time each (a file is the unit: a long file
// still keeps one core busy, and many files keep every core busy). One job runs in-process.
import { Worker } from 'node:worker_threads';
import { scanFile, type FileReport, type ScanFileOptions } from './scan-file.js';
import type { ScanJob } from './scan-worker.js';

export interface PoolProgress {
  readonly done: number;
  readonly total: number;
  readonly report: FileReport;
}

/** The worker script beside this module: .js when compiled, .ts under tsx (tests). */
function workerSpec(): { url: URL; execArgv: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  return { url: new URL(ts ? './scan-worker.ts' : './scan-worker.js', import.meta.url), execArgv: ts ? ['--import', 'tsx'] : [] };
}

function failed(file: string, message: string): FileReport {
  return { file, kind: 'raw', bytes: 0, durationMs: 0, streams: [], error: { code: 'EWORKER', message } };
}

/** Scans `files` with `jobs` threads; reports come back in `files` order. Never rejects. */
export async function scanFiles(files: readonly string[], options: ScanFileOptions, jobs: number, onProgress: (p: PoolProgress) => void = () => {}): Promise<FileReport[]> {
  const reports: FileReport[] = new Array<FileReport>(files.length);
  let done = 0;
  const finish = (index: number, report: FileReport): void => {
    reports[index] = report;
    onProgress({ done: ++done, total: files.length, report });
  };
  const threads = Math.max(1, Math.min(jobs, files.length));
  if (threads <= 1) {
    for (const [index, file] of files.entries()) finish(index, await scanFile(file, options));
    return reports;
  }
  let next = 0;
  const spec = workerSpec();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve) => {
          const worker = new Worker(spec.url, { execArgv: spec.execArgv });
          let current = -1;
          const take = (): void => {
            if (next >= files.length) {
              void worker.terminate().then(() => resolve());
              return;
            }
            current = next++;
            const job: ScanJob = { id: current, file: files[current], options };
            worker.postMessage(job);
          };
          worker.on('message', (message: { id: number; report: FileReport }) => {
            // Opus decodes in the main thread only (src/media/codecs/opus-codec.ts): such a file
            // stays without a report here and is scanned in this thread below.
            if (message.report.error?.code !== 'EOPUS_THREAD') finish(message.id, message.report);
            current = -1;
            take();
          });
          // A worker that dies (out of memory on a huge file) costs that file, not the scan.
          const died = (why: string): void => {
            if (current >= 0 && reports[current] === undefined) finish(current, failed(files[current], `scan worker stopped: ${why}`));
            current = -1;
            // The rest of the queue goes to the other workers; this one's promise ends.
            resolve();
          };
          worker.on('error', (error) => died(error.message));
          worker.on('exit', (code) => {
            if (code !== 0 && current >= 0) died(`exit ${code}`);
          });
          take();
        }),
    ),
  );
  // Files left over because every worker died, and Opus captures: scan them here.
  for (const [index, file] of files.entries()) if (reports[index] === undefined) finish(index, await scanFile(file, options));
  return reports;
}
