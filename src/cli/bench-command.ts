// `toneguard bench [--json] [--only NAME,...] [--ports FIRST-LAST]` (docs/cli.md): every
// benchmark (or the named ones), each as a ratio against its baseline. The benchmarks themselves
// live in bench/.
import { CodedError } from '../errors.js';

export interface BenchCommandOptions {
  readonly json: boolean;
  /** Benchmark names (validated by the harness's list); undefined: all. */
  readonly only?: readonly string[];
  /** RTP port range of the media-load benchmark's relay under test. */
  readonly ports?: string;
}

export class BenchUsageError extends CodedError<'ERR_BENCH_USAGE'> {
  constructor(message: string) {
    super('ERR_BENCH_USAGE', message);
  }
}

export async function runBenchCommand(options: BenchCommandOptions): Promise<void> {
  // Loaded on demand: the benchmark harness is heavy and no other command needs it.
  const { runBenchmarks, BENCHMARK_NAMES } = await import('../../bench/run.js');
  const names: readonly string[] = BENCHMARK_NAMES;
  const unknown = (options.only ?? []).filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new BenchUsageError(`--only: unknown benchmark ${unknown.join(', ')} (one of ${names.join(', ')})`);
  if (options.ports !== undefined) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(options.ports);
    if (m === null || Number(m[1]) < 1024 || Number(m[2]) > 65535 || Number(m[2]) - Number(m[1]) < 3) {
      throw new BenchUsageError(`--ports: must be FIRST-LAST with 1024 <= FIRST < LAST <= 65535, got "${options.ports}"`);
    }
  }
  await runBenchmarks({
    json: options.json,
    ...(options.only === undefined ? {} : { only: options.only.filter((n): n is (typeof BENCHMARK_NAMES)[number] => names.includes(n)) }),
    ...(options.ports === undefined ? {} : { ports: options.ports }),
  });
}
