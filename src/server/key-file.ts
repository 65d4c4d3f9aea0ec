// PEM files the config names (sip.tls and http.tls certificates and keys), read at start: an
// unreadable one is a configuration error naming its key, not a raw ENOENT from deep in start-up.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load-config.js';

export function readKeyFile(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
