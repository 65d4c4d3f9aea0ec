// `toneguard bench [--json]` (docs/cli.md): every benchmark, each as a
// ratio against its baseline. The benchmarks themselves live in bench/run.ts.

export interface BenchCommandOptions {
  readonly json: boolean;
}

export async function runBenchCommand(options: BenchCommandOptions): Promise<void> {
  // Loaded on demand: the benchmark harness is heavy and no other command needs it.
  const { runBenchmarks } = await import('../../bench/run.js');
  await runBenchmarks({ json: options.json });
}
