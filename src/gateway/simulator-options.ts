// What the gateway simulator can be told before it starts: its faults and its listen address.
// A module of its own so that the CLI can check `gateway-sim` options without loading the
// simulator's HTTPS server and certificate generator.
import { GatewayConfigError } from './gateway-error.js';

/** Faults the simulator can play, each once per queued entry (or always, with `fault`). */
export const SIMULATOR_FAULTS = [
  'http-500', // charges, then answers 500 (the retry with the same key must get the first answer)
  'http-503', // does not process; 503
  'http-400', // does not process; 400
  'malformed-xml', // charges, then answers XML cut short
  'unexpected-xml', // charges, then answers well-formed XML no template rule knows
  'slow', // charges, answers after slowMs
  'no-answer', // charges, never answers (the client times out)
  'reset', // charges, then drops the connection without an answer
] as const;
export type SimulatorFault = (typeof SIMULATOR_FAULTS)[number];

export function isSimulatorFault(value: string): value is SimulatorFault {
  return (SIMULATOR_FAULTS as readonly string[]).includes(value);
}

/** "127.0.0.1:8443" / "[::1]:0" / ":8443" -> host and port; throws GatewayConfigError. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new GatewayConfigError('gateway.config', `listen address ${JSON.stringify(listen)}: expected HOST:PORT such as 127.0.0.1:8443`);
  return { host: match[1] ?? (match[2] === '' ? '127.0.0.1' : (match[2] ?? '127.0.0.1')), port };
}
