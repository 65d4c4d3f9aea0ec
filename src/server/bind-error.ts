// A listener that cannot bind is a configuration problem: the message names the config key
// and the address (`sip.listen 127.0.0.1:5060: address already in use`), not only errno.
import { CodedError } from '../errors.js';

export class BindError extends CodedError<'ERR_BIND'> {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_BIND', message, options);
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EPERM: 'not permitted',
};

/** Runs `listen`; a bind failure becomes a BindError naming `key` and `where`. */
export async function bindOrExplain<T>(key: string, where: string, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === undefined ? undefined : REASONS[code];
    if (reason === undefined) throw error;
    throw new BindError(`${key} ${where}: ${reason}`, { cause: error });
  }
}

/** A listen address as bind errors, the banner and the start log name it (`[::1]:5060` for IPv6). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
