// A scan worker thread: files in, reports out (a report carries findings, never digits).
import { parentPort } from 'node:worker_threads';
import { scanFile, type ScanFileOptions } from './scan-file.js';

export interface ScanJob {
  readonly id: number;
  readonly file: string;
  readonly options: ScanFileOptions;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (job: ScanJob) => {
    void scanFile(job.file, job.options).then((report) => port.postMessage({ id: job.id, report }));
  });
}
