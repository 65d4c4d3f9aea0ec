// The media-load bench's load generator: bench/rtp-load-generator.c (compiled at bench time with
// gcc -O2 into a temp dir, once per process; one thread, sendmmsg/recvmmsg, kernel receive
// timestamps) when gcc is there, or the Node generator in a worker thread (bench/media-load-worker.ts)
// otherwise. The C generator takes a small, reported share of the machine; the Node one competes
// with the relay under test for the same cores.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startWorker } from '../src/media/workers/start-worker.js';
import type { LoadWorkerData, LoadWorkerResult } from './media-load-worker.js';

export const GENERATOR_SOURCE = 'bench/rtp-load-generator.c';

export interface GeneratorResult extends LoadWorkerResult {
  /** The generator's CPU time over its wall time (getrusage), share of one core; null for the Node generator. */
  readonly cpuShare: number | null;
  /** In-band digit frames (770 + 1336 Hz) that came out of the agent-side ports; null for the Node generator (RFC 4733 only). */
  readonly toneFramesAtAgent: number | null;
}

/** Per call: the relay's caller-side and agent-side RTP ports. */
export type RelayPorts = readonly (readonly [number, number])[];

/** Longest the generator may take beyond warm-up + measure before the run is given up, ms. */
const RUN_SLACK_MS = 20_000;

export interface GeneratorRun {
  readonly address: string;
  /**
   * Per call: the relay's caller-side and agent-side RTP ports; a number of calls when they are
   * known only from `configure` (calls set up over SIP with the generator's ports in their SDP).
   */
  readonly targets: RelayPorts | number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Event packets come out as themselves (plain relay) rather than as audio frames (clamp). */
  readonly eventsRelayed: boolean;
  readonly recvBufferBytes: number;
  /**
   * Called with the generator's per-call ports (caller stream, agent stream) before it starts
   * sending; returns the relay's ports when `targets` was a number of calls.
   */
  readonly configure: (ports: [number, number][]) => Promise<RelayPorts | void>;
}

export interface LoadGenerator {
  readonly kind: 'c' | 'node';
  /** How digits travel: the C generator alternates RFC 4733 and in-band calls. */
  readonly digits: string;
  run(run: GeneratorRun): Promise<GeneratorResult>;
  close(): void;
}

class CGenerator implements LoadGenerator {
  readonly kind = 'c';
  readonly digits = 'RFC 4733 in even calls, in-band DTMF in odd calls';
  private runs = 0;
  constructor(
    private readonly dir: string,
    private readonly binary: string,
  ) {}

  run(r: GeneratorRun): Promise<GeneratorResult> {
    const targets = join(this.dir, `targets-${this.runs++}.txt`);
    const initial = initialTargets(r.targets);
    writeFileSync(targets, portLines(initial));
    const child = spawn(this.binary, [r.address, targets, String(r.warmupMs), String(r.measureMs), r.eventsRelayed ? '1' : '0', String(r.recvBufferBytes)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      const ports: [number, number][] = [];
      let result: GeneratorResult | undefined;
      let failure: Error | undefined;
      // Armed once the generator starts sending: a generator that never ends is killed.
      let timer: NodeJS.Timeout | undefined;
      child.on('error', reject);
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^ports (\d+) (\d+)$/.exec(line);
        if (m !== null) ports.push([Number(m[1]), Number(m[2])]);
        else if (line === 'ready') {
          r.configure(ports).then(
            (relay) => {
              let start = 'start\n';
              if (relay !== undefined && typeof r.targets === 'number') {
                const file = `${targets}.relay`;
                writeFileSync(file, portLines(relay));
                start = `start ${file}\n`;
              }
              timer = setTimeout(
                () => {
                  failure = new Error(`rtp-load-generator did not finish within ${r.warmupMs + r.measureMs + RUN_SLACK_MS} ms`);
                  child.kill('SIGKILL');
                },
                r.warmupMs + r.measureMs + RUN_SLACK_MS,
              );
              child.stdin.write(start);
            },
            (error: unknown) => {
              failure = error instanceof Error ? error : new Error(String(error));
              child.kill('SIGKILL');
            },
          );
        } else if (line.startsWith('{')) {
          const raw = JSON.parse(line) as LoadWorkerResult & { cpuMs: number; wallMs: number; toneFramesAtAgent: number };
          result = { ...raw, cpuShare: raw.wallMs > 0 ? raw.cpuMs / raw.wallMs : null };
        }
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (failure !== undefined) reject(failure);
        else if (result !== undefined && code === 0) resolve(result);
        else reject(new Error(`rtp-load-generator exited with ${code}: ${stderr.trim().split('\n')[0] ?? ''}`));
      });
    });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class NodeGenerator implements LoadGenerator {
  readonly kind = 'node';
  readonly digits = 'RFC 4733 in every call';
  async run(r: GeneratorRun): Promise<GeneratorResult> {
    const data: LoadWorkerData = {
      address: r.address,
      targets: initialTargets(r.targets),
      warmupMs: r.warmupMs,
      measureMs: r.measureMs,
      eventsRelayed: r.eventsRelayed,
      recvBufferBytes: r.recvBufferBytes,
    };
    const worker = startWorker(import.meta.url, './media-load-worker', data);
    try {
      const result = await new Promise<LoadWorkerResult>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (msg: { type: string; ports?: [number, number][]; result?: LoadWorkerResult }) => {
          if (msg.type === 'ready' && msg.ports !== undefined) {
            r.configure(msg.ports).then((relay) => worker.postMessage({ type: 'start', ...(relay === undefined ? {} : { targets: relay }) }), reject);
          } else if (msg.type === 'result' && msg.result !== undefined) resolve(msg.result);
        });
      });
      return { ...result, cpuShare: null, toneFramesAtAgent: null };
    } finally {
      await worker.terminate();
    }
  }

  close(): void {
    // Nothing to clean up: one worker per run.
  }
}

/** The relay's ports to send to before `configure`: unknown (0, 0) when only the number of calls is. */
function initialTargets(targets: RelayPorts | number): RelayPorts {
  return typeof targets === 'number' ? Array.from({ length: targets }, () => [0, 0] as const) : targets;
}

function portLines(ports: RelayPorts): string {
  return ports.map(([a, b]) => `${a} ${b}`).join('\n') + '\n';
}

/**
 * The C generator compiled from `root` (the package root), or the Node one with the reason
 * (gcc missing or failing, or `TONEGUARD_BENCH_GENERATOR=node`).
 */
export function createLoadGenerator(root: string): { readonly generator: LoadGenerator; readonly note: string | null } {
  if (process.env.TONEGUARD_BENCH_GENERATOR === 'node') return { generator: new NodeGenerator(), note: 'Node generator (TONEGUARD_BENCH_GENERATOR=node)' };
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-loadgen-'));
  const binary = join(dir, 'rtp-load-generator');
  const gcc = spawnSync('gcc', ['-O2', '-o', binary, join(root, GENERATOR_SOURCE), '-lm'], { encoding: 'utf8' });
  if (gcc.error || gcc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = gcc.error ? `gcc not runnable (${gcc.error.message})` : `gcc failed: ${gcc.stderr.split('\n').find((l) => l.trim() !== '') ?? ''}`;
    return { generator: new NodeGenerator(), note: `Node generator in a worker thread (${why}): it competes with the relay for the cores` };
  }
  return { generator: new CGenerator(dir, binary), note: null };
}
