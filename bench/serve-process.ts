// `toneguard serve` as a child process for the media-load bench's serve contender: the built CLI
// (dist/src/cli/main.js) with a generated config in a temp dir. SIP on loopback at a given port
// (or a free one), HTTP on port 0 (the URL read back from the banner on stderr), the bench's RTP
// port range, the built-in gateway simulator and an SQLite KPI store in the temp dir. Logs at
// warn: one info line per call start and end would put log I/O into what is measured.
// Every wait has a timeout; a server that exits is noted, never waited on.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CodedError } from '../src/errors.js';
import { procStatCpuMs } from './cpu-time.js';

export class ServeProcessError extends CodedError<'ERR_BENCH_SERVE'> {
  constructor(message: string) {
    super('ERR_BENCH_SERVE', message);
  }
}

export interface ServeProcessOptions {
  /** The built CLI: dist/src/cli/main.js of the package. */
  readonly cli: string;
  readonly address: string;
  /** rtp.ports, `FIRST-LAST`. */
  readonly rtpPorts: string;
  /** SIP port (UDP and TCP); the gateway simulator takes the next one. Default: free ports. */
  readonly sipPort?: number;
  /** rtp.workers; undefined: the server's default (one per core). */
  readonly workers?: number;
  /** The PBX side: where calls go (the bench's agent UAS). */
  readonly upstream: string;
  readonly startTimeoutMs?: number;
  /** Node flags for the server (e.g. `--perf-basic-prof-only-functions`, so that `perf` names its JIT code). */
  readonly nodeArgs?: readonly string[];
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Calls at once the server admits: above any bench level. */
const MAX_CALLS = 20_000;

/** A port free right now for UDP and TCP on `address` (from the kernel's ephemeral range). */
async function freePort(address: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, address, () => resolve(udp.address().port));
    });
    const tcp = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, address, () => resolve(true));
    });
    // The simulator takes port + 1 (TCP).
    const next = createServer();
    const okNext =
      ok &&
      (await new Promise<boolean>((resolve) => {
        next.once('error', () => resolve(false));
        next.listen(port + 1, address, () => resolve(true));
      }));
    await Promise.all([
      new Promise((r) => udp.close(() => r(undefined))),
      new Promise((r) => (ok ? tcp.close(() => r(undefined)) : r(undefined))),
      new Promise((r) => (okNext ? next.close(() => r(undefined)) : r(undefined))),
    ]);
    if (okNext) return port;
  }
  throw new ServeProcessError(`no free SIP port on ${address}`);
}

export class ServeProcess {
  #exit: string | null = null;
  readonly #tail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly sipPort: number,
    readonly httpUrl: string,
    /** rtp.workers as configured; null: the server's default. */
    readonly workers: number | null,
    tail: string[],
  ) {
    this.#tail = tail;
    child.on('exit', (code, signal) => (this.#exit = `the server exited (${signal ?? `code ${code}`})`));
    if (child.exitCode !== null || child.signalCode !== null) this.#exit = 'the server exited';
  }

  static async start(o: ServeProcessOptions): Promise<ServeProcess> {
    const main = o.cli;
    if (!existsSync(main)) throw new ServeProcessError(`${main} is missing: build first (npx tsc -p tsconfig.json)`);
    const sipPort = o.sipPort ?? (await freePort(o.address));
    const dir = mkdtempSync(join(tmpdir(), 'toneguard-serve-bench-'));
    const config = {
      sip: {
        listen: `${o.address}:${sipPort}`,
        // One source (the bench) places every call: the per-source limits would refuse a level.
        maxCalls: MAX_CALLS,
        maxCallsPerSource: MAX_CALLS,
        maxTransactionsPerSource: MAX_CALLS * 4,
        keepalive: { intervalSeconds: 0 },
      },
      upstream: o.upstream,
      // Setup of a large level may take longer than the default 30 s of silence before its RTP starts.
      rtp: { address: o.address, ports: o.rtpPorts, timeoutSeconds: 600, ...(o.workers === undefined ? {} : { workers: o.workers }) },
      secureMode: 'api',
      http: { listen: `${o.address}:0` },
      gateway: { kind: 'simulator', url: `https://${o.address}:${sipPort + 1}/xml/v1/request.api` },
      kpi: { sqlite: join(dir, 'kpi.sqlite') },
      log: { level: 'warn' },
      shutdownGraceSeconds: 1,
    };
    const file = join(dir, 'config.yaml');
    writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 }); // JSON is YAML
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), main, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const keep = (line: string): void => {
      tail.push(line.slice(0, 300));
      if (tail.length > 8) tail.shift();
    };
    createInterface({ input: child.stdout }).on('line', keep);
    const stderr = createInterface({ input: child.stderr });
    stderr.on('line', keep);
    try {
      const httpUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ServeProcessError(`toneguard serve did not start within ${o.startTimeoutMs ?? START_TIMEOUT_MS} ms`)), o.startTimeoutMs ?? START_TIMEOUT_MS);
        stderr.on('line', (line) => {
          const m = /^toneguard listening: .* HTTP (https?:\/\/\S+)$/.exec(line);
          if (m === null) return;
          clearTimeout(timer);
          resolve(m[1]);
        });
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new ServeProcessError(`toneguard serve exited with ${code} at start: ${tail.join(' | ')}`));
        });
      });
      return new ServeProcess(child, dir, sipPort, httpUrl, o.workers ?? null, tail);
    } catch (error) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Why the server is gone, or null while it runs. */
  get exited(): string | null {
    return this.#exit;
  }

  /** The last lines it wrote (warnings and errors), for a failure note. */
  tail(): string {
    return this.#tail.join(' | ');
  }

  /** CPU time of the whole server process (every thread), ms, from /proc/<pid>/stat; NaN without /proc. */
  cpuMs(): number {
    return procStatCpuMs(`/proc/${this.pid}/stat`);
  }

  /** A request to the HTTP API (loopback, no token), with a timeout. */
  async api(method: 'GET' | 'POST' | 'DELETE', path: string, timeoutMs = 10_000): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.httpUrl + path, { method, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }

  /** /health/live answers 200. */
  async healthy(): Promise<boolean> {
    if (this.#exit !== null) return false;
    try {
      return (await this.api('GET', '/health/live', 5000)).status === 200;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited in time; removes its temp dir. */
  async stop(): Promise<void> {
    if (this.#exit === null) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await gone;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
