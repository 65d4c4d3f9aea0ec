#!/usr/bin/env node
// The `toneguard` command line (docs/cli.md). Wiring only: the commands are declared in
// recording-commands.ts and deployment-commands.ts, each command's logic lives in its own module.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or unreadable/invalid input (message on
// stderr naming the file).
import { Command, CommanderError } from 'commander';
// Only light modules are imported here (option parsers, error classes, lists of choices): each
// command's module is loaded by its action, so a command pays at start for its own dependencies
// only (fastify, SQLite, PostgreSQL, the SIP stack ... cost up to a second of CPU to load, which
// `detect` or `--help` need not pay).
import { CaptureError } from '../capture/capture-error.js';
import { ConfigError } from '../config/config-error.js';
import { GatewayConfigError } from '../gateway/gateway-error.js';
import { KpiError } from '../kpi/kpi-error.js';
import { AudioFileError } from '../audio-file/audio-file-error.js';
import { VerifyError } from '../verify/verify-error.js';
import { BenchUsageError } from './bench-command.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, PROGRAM, type CliContext } from './cli-context.js';
import { addDeploymentCommands } from './deployment-commands.js';
import { packageVersion } from './package-version.js';
import { addRecordingCommands } from './recording-commands.js';
import { messageOf } from '../errors.js';

function writeOut(text: string): void {
  process.stdout.write(text);
}

function writeErr(text: string): void {
  process.stderr.write(text);
}

function buildProgram(context: CliContext): Command {
  const program = new Command(PROGRAM);
  program
    .description('SIP/RTP media engine for card payments over the phone, with DTMF detection and clamping (PCI DSS)')
    .exitOverride()
    .configureOutput({
      writeOut,
      writeErr,
      outputError: (text, write) => write(`${PROGRAM}: ${text}`),
    })
    .showHelpAfterError(`(run '${PROGRAM} help' for usage)`);
  const version = packageVersion();
  if (version !== undefined) program.version(version);
  addRecordingCommands(program, context);
  addDeploymentCommands(program, context);
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  const context: CliContext = { writeOut, writeErr, exitCode: undefined };
  try {
    await buildProgram(context).parseAsync([...argv]);
    return context.exitCode ?? EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Already printed by commander (help, version, usage errors).
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (
      error instanceof BenchUsageError ||
      error instanceof AudioFileError ||
      error instanceof CaptureError ||
      error instanceof ConfigError ||
      error instanceof GatewayConfigError ||
      (error instanceof VerifyError && error.code === 'EUSAGE') ||
      (error instanceof KpiError && error.isInputError)
    ) {
      writeErr(`${PROGRAM}: error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const message = messageOf(error);
    writeErr(`${PROGRAM}: failed: ${message}\n`);
    if (process.env.TONEGUARD_DEBUG === '1' && error instanceof Error && error.stack !== undefined) writeErr(`${error.stack}\n`);
    return EXIT_FAILURE;
  }
}

// A closed pipe (`toneguard detect x.wav | head -c1`) is not a failure of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
  throw error;
});

process.exitCode = await main(process.argv);
