// Reads and validates the YAML config; every problem is named by its key path so an operator
// can fix the file without reading code (exit code 2 at the CLI).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CodedError } from '../errors.js';
import { configSchema, type ToneguardConfig } from './config-schema.js';

export type ConfigErrorCode = 'ERR_CONFIG_READ' | 'ERR_CONFIG_YAML' | 'ERR_CONFIG_INVALID';

export class ConfigError extends CodedError<ConfigErrorCode> {}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return `  ${path}: ${issue.message}`;
    })
    .join('\n');
}

/** Validates an already parsed document (YAML, or an object in tests). */
export function parseConfig(document: unknown, source = 'config'): ToneguardConfig {
  const result = configSchema.safeParse(document ?? {});
  if (!result.success) throw new ConfigError('ERR_CONFIG_INVALID', `${source}: invalid configuration\n${describeIssues(result.error)}`);
  return result.data;
}

/** The embedded defaults (`npm start` without --config). */
export function defaultConfig(): ToneguardConfig {
  return parseConfig({}, 'defaults');
}

export function loadConfigFile(file: string): ToneguardConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_READ', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_YAML', `${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConfig(document, file);
}
