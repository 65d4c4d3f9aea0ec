// The compiled `toneguard` CLI for end-to-end tests. When dist/ holds a build newer than every
// source (npm test's pretest has just compiled it), the tests run that. Otherwise (a test file
// run alone after an edit) the project is compiled once per test file into a private directory
// under dist/, so that test files running in parallel cannot race on the same output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  /** Exit status; null when the process did not exit by itself (runner() then prints why). */
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
/** Newest modification time (ms) of the TypeScript sources the build reads. */
function newestSourceMs(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['src', 'native-free-dsp', 'bench']) walk(join(PROJECT_ROOT, dir));
  return Math.max(newest, statSync(join(PROJECT_ROOT, 'tsconfig.json')).mtimeMs);
}

/**
 * dist/ when `npm test`'s pretest (or `npm run build`) has compiled every source since it last
 * changed. The build is incremental (tsconfig.json): tsc rewrites only the outputs that change,
 * and its build info dist/.tsbuildinfo whenever a source's content did; pretest also touches that
 * file after a successful build, so its time is the time of the last build.
 */
function freshDist(): string | undefined {
  const main = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');
  const buildInfo = join(PROJECT_ROOT, 'dist', '.tsbuildinfo');
  return existsSync(main) && existsSync(buildInfo) && statSync(buildInfo).mtimeMs >= newestSourceMs() ? join(PROJECT_ROOT, 'dist') : undefined;
}

export function compileCli(t: TestLike, name: string): CompiledCli {
  const workDir = mkdtempSync(join(tmpdir(), `toneguard-${name}-`));
  const shared = freshDist();
  if (shared !== undefined) {
    // A fresh build of every source exists: six CLI suites need not compile the project six times.
    t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
    return { cli: join(shared, 'src', 'cli', 'main.js'), workDir, run: runner(join(shared, 'src', 'cli', 'main.js'), workDir), buildLog: '' };
  }
  const buildDir = join(PROJECT_ROOT, 'dist', `.test-${name}-${process.pid}`);
  t.teardown(() => {
    rmSync(workDir, { recursive: true, force: true });
    rmSync(buildDir, { recursive: true, force: true });
  });
  const tsc = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.json'), '--outDir', buildDir, '--tsBuildInfoFile', join(buildDir, '.tsbuildinfo')],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) t.comment(`tsc reported errors (output still emitted):\n${tsc.stdout}${tsc.stderr}`);
  const cli = join(buildDir, 'src', 'cli', 'main.js');
  return { cli, workDir, run: runner(cli, workDir), buildLog: `${tsc.stdout}${tsc.stderr}` };
}

/**
 * The command and arguments that run `node ARGS` the way a user's shell does. tap hooks every
 * child process a test spawns and puts its process-info loader (coverage and changed-file
 * tracking, which this project does not use) into the child's NODE_OPTIONS; in a node child that
 * loader costs about 0.3 s of CPU at start and more per module loaded, which made the CLI tests
 * spend most of their time starting tap's instrumentation. `env` removes NODE_OPTIONS after
 * tap's hook has run (the CLI needs none), then execs node (same pid, so killing the child still
 * kills node).
 */
export function plainNode(args: readonly string[]): [command: string, args: string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', process.execPath, ...args]];
}

function runner(cli: string, workDir: string): (...args: string[]) => CliRun {
  return (...args: string[]): CliRun => {
    const [command, argv] = plainNode([cli, ...args]);
    const result = spawnSync(command, argv, { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
    if (result.status === null) {
      // A test that checks only the status would show "null": say why (the 60 s timeout sends
      // SIGTERM) in the test's output. Not in the result: tests compare it whole.
      console.error(`toneguard ${args[0] ?? ''}: no exit status (signal ${result.signal ?? 'none'}${result.error === undefined ? '' : `, ${result.error.message}`})`);
    }
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}
