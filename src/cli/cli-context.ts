// What every command's declaration shares with main.ts: where output goes, where a command puts
// an exit code that carries its result, and how a command's own usage check fails. Exit codes:
// 0 success, 1 runtime failure, 2 bad usage or unreadable/invalid input (docs/cli.md).
import { Command, InvalidArgumentError } from 'commander';

export const PROGRAM = 'toneguard';
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliContext {
  readonly writeOut: (text: string) => void;
  readonly writeErr: (text: string) => void;
  /** Set by a command whose exit code carries a result (scan: 0 clean, 1 findings, 2 errors; verify: 0 pass, 1 leak, 3 inconclusive). */
  exitCode: number | undefined;
}

/** Usage errors found by a command's own validation are reported exactly like commander's. */
export function reportUsageErrors<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      const command = args[args.length - 1];
      if (error instanceof InvalidArgumentError && command instanceof Command) {
        command.error(`error: ${error.message}`, { exitCode: EXIT_USAGE, code: 'toneguard.usage' });
      }
      throw error;
    }
  };
}
