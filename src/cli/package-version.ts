// The version `--version` prints and a verify report records, read from the package at run time
// (no build step writes it into the code).
import { readFileSync } from 'node:fs';
import { PROGRAM } from './cli-context.js';

/** The version in package.json (three levels up from dist/src/cli/), when it is there. */
export function packageVersion(): string | undefined {
  try {
    const json: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    if (typeof json === 'object' && json !== null && 'name' in json && json.name === PROGRAM && 'version' in json && typeof json.version === 'string') {
      return json.version;
    }
  } catch {
    // running from an unusual layout: no --version
  }
  return undefined;
}
