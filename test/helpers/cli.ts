// The compiled `toneguard` CLI for end-to-end tests. The project is compiled once per test file
// into a private directory under dist/, so that test files running in parallel (and engineers
// rebuilding dist/) cannot race on the same output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CompiledCli {
  /** Path of the compiled main.js. */
  readonly cli: string;
  /** A fresh temporary directory, the working directory of every run. */
  readonly workDir: string;
  /** Runs `toneguard ARGS...` in workDir. */
  readonly run: (...args: string[]) => CliRun;
  /** What tsc printed. */
  readonly buildLog: string;
}

/** The part of a tap Test this needs. */
interface TestLike {
  teardown(fn: () => void): void;
  comment(...message: unknown[]): void;
}

/**
 * Compiles the project for `name`'s tests and removes the build and the work directory when `t`
 * ends. tsc emits even when some file has type errors (noEmitOnError is off); those are reported
 * as a comment, and only a missing main.js fails the tests that run it.
 */
export function compileCli(t: TestLike, name: string): CompiledCli {
  const buildDir = join(PROJECT_ROOT, 'dist', `.test-${name}-${process.pid}`);
  const workDir = mkdtempSync(join(tmpdir(), `toneguard-${name}-`));
  t.teardown(() => {
    rmSync(workDir, { recursive: true, force: true });
    rmSync(buildDir, { recursive: true, force: true });
  });
  const tsc = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.json'), '--outDir', buildDir], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) t.comment(`tsc reported errors (output still emitted):\n${tsc.stdout}${tsc.stderr}`);
  const cli = join(buildDir, 'src', 'cli', 'main.js');
  const run = (...args: string[]): CliRun => {
    const result = spawnSync(process.execPath, [cli, ...args], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return { cli, workDir, run, buildLog: `${tsc.stdout}${tsc.stderr}` };
}
