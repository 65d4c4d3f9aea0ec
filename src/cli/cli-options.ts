// Option parsers and defaults that main.ts needs while it declares the commands, before any
// command runs. They live apart from the commands so that declaring every command loads none of
// them: each command's module (and the server, database or SIP stack behind it) is imported only
// when that command runs.
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { VERIFY_CODECS, type VerifyCodec } from '../verify/verify-error.js';

/** Where `npm start` keeps its history (the embedded defaults: a SQLite KPI store in ./data/). */
export const DEFAULT_KPI_DB = './data/kpi.sqlite';

export const DEFAULT_SIMULATOR_LISTEN = '127.0.0.1:8443';

/** An RTP payload type, 0-127 (RFC 3550 §5.1). */
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
