// The process's last line of defence in `toneguard serve`: an exception or a promise rejection
// that nothing caught is logged (its code, class and message only: no stack, no SIP body, and a
// run of digits long enough to be a card number is masked), counted in
// `toneguard_internal_errors_total`, and the process goes on serving the other calls. Call
// control contains errors per call before this (a call ends with `error`); reaching this handler
// means a path without containment, which the counter makes visible to alerting.
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { InternalErrorSource } from '../kpi/kpi-metrics.js';

export interface ErrorSummary {
  readonly code: string | undefined;
  readonly name: string;
  readonly message: string;
}

/** A message longer than this is cut (a message quoting an input could carry a whole SIP body). */
const MAX_MESSAGE_CHARS = 200;
/** 12 or more digits, with spaces or dashes between them: as long as the shortest card number's first 12. */
const DIGIT_RUN = /\d(?:[ -]?\d){11,}/g;

/** What of a thrown value may reach a log line. */
export function summarizeError(error: unknown): ErrorSummary {
  const isError = error instanceof Error;
  const raw = isError ? error.message : typeof error === 'string' ? error : `non-Error value (${typeof error})`;
  const codeValue: unknown = isError ? (error as Error & { code?: unknown }).code : undefined;
  const code = typeof codeValue === 'string' ? codeValue : undefined;
  const masked = raw.replace(DIGIT_RUN, '[digits]');
  return {
    code,
    name: isError ? error.name : 'NonError',
    message: masked.length > MAX_MESSAGE_CHARS ? `${masked.slice(0, MAX_MESSAGE_CHARS)}…` : masked,
  };
}

export interface LastResortOptions {
  readonly logger: Logger;
  /** Counts one error (KpiMetrics.internalError). */
  readonly count: (source: InternalErrorSource) => void;
}

/**
 * Installs the handlers on `proc` (the process) and returns their removal. With a listener for
 * both events Node neither exits on an uncaught exception nor on an unhandled rejection.
 */
export function installLastResort(proc: EventEmitter, options: LastResortOptions): () => void {
  const handle =
    (source: InternalErrorSource) =>
    (error: unknown): void => {
      try {
        options.count(source);
        options.logger.error({ source, ...summarizeError(error) }, 'internal error caught by the last-resort handler; other calls go on');
      } catch {
        // Logging itself failed: nothing more can be done here without risking a loop.
      }
    };
  const onException = handle('uncaught-exception');
  const onRejection = handle('unhandled-rejection');
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
  };
}
