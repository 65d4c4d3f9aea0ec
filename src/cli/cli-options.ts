// Option parsers and defaults that the command declarations (recording-commands.ts,
// deployment-commands.ts) need before any command runs. They live apart from the commands so
// that declaring every command loads none of them: each command's module (and the server,
// database or SIP stack behind it) is imported only when that command runs.
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type OptionValues } from 'commander';
import { GatewayConfigError } from '../gateway/gateway-error.js';
import { parseListen } from '../gateway/simulator-options.js';
import { VERIFY_CODECS, type VerifyCodec } from '../verify/verify-error.js';

/** Where `npm start` keeps its history (the embedded defaults: a SQLite KPI store in ./data/). */
export const DEFAULT_KPI_DB = './data/kpi.sqlite';

export const DEFAULT_SIMULATOR_LISTEN = '127.0.0.1:8443';

/** An RTP payload type, 0-127 (RFC 3550 §5.1). */
/** A commander option's value when it is a string (an option given as text), else undefined. */
export function textOption(options: OptionValues, name: string): string | undefined {
  const value: unknown = options[name];
  return typeof value === 'string' ? value : undefined;
}

export function parseEventPt(value: string): number {
  if (!/^[0-9]{1,3}$/.test(value) || Number(value) > 127) {
    throw new InvalidArgumentError('Expected an RTP payload type, an integer 0-127 (telephone-event is usually 96-127, default 101).');
  }
  return Number(value);
}

export function parseJobs(value: string): number {
  if (!/^[1-9][0-9]{0,2}$/.test(value)) throw new InvalidArgumentError('Expected a number of parallel jobs, 1-999.');
  return Number(value);
}

export function parseMinDigits(value: string): number {
  if (!/^[0-9]{1,2}$/.test(value) || Number(value) < 1 || Number(value) > 19) throw new InvalidArgumentError('Expected a run length in digits, 1-19.');
  return Number(value);
}

export function defaultJobs(): number {
  return availableParallelism();
}

export function parseCodecs(value: string): VerifyCodec[] {
  const codecs = value.split(',').map((c) => c.trim().toUpperCase());
  for (const c of codecs) if (!(VERIFY_CODECS as readonly string[]).includes(c)) throw new InvalidArgumentError(`unknown codec ${c} (one of ${VERIFY_CODECS.join(', ')})`);
  return codecs as VerifyCodec[];
}

/** Positive integer, Hz. */
export function parseRate(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 0xffffffff) {
    throw new InvalidArgumentError('Expected a sample rate in Hz, a positive integer such as 8000.');
  }
  return Number(value);
}

/** HOST:PORT, checked now so that a typo is a usage error (exit 2). */
export function parseListenOption(value: string): string {
  try {
    parseListen(value);
  } catch (error) {
    if (error instanceof GatewayConfigError) throw new InvalidArgumentError(`Expected HOST:PORT such as ${DEFAULT_SIMULATOR_LISTEN}.`);
    throw error;
  }
  return value;
}

/** Milliseconds, a non-negative integer up to 10 minutes. */
export function parseMs(value: string): number {
  if (!/^[0-9]{1,6}$/.test(value) || Number(value) > 600_000) throw new InvalidArgumentError('Expected milliseconds, an integer from 0 to 600000.');
  return Number(value);
}
