// Reads and validates the YAML config; every problem is named by its key path so an operator
// can fix the file without reading code (exit code 2 at the CLI). Secrets may come from the
// environment or from files (config-secrets.ts); a file holding secrets in plain text must not
// be readable by group or others.
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { configSchema, type ToneguardConfig } from './config-schema.js';
import { ConfigSecretError, plainSecretKeys, readableSecretsAdvice, resolveSecrets, type SecretSources } from './config-secrets.js';

export { ConfigError, type ConfigErrorCode } from './config-error.js';

export interface LoadConfigOptions {
  /** Environment for `${NAME}` (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Accept secrets in group/other-readable files (`serve --allow-readable-secrets`). */
  readonly allowReadableSecrets?: boolean;
}

/** Group or other may read (POSIX mode bits). */
const READABLE_BY_OTHERS = 0o044;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return `  ${path}: ${issue.message}`;
    })
    .join('\n');
}

/** Validates an already parsed document (YAML, or an object in tests), after resolving `${NAME}` and `…File` secrets. */
export function parseConfig(document: unknown, source = 'config', options: LoadConfigOptions = {}): ToneguardConfig {
  const sources: SecretSources = { env: options.env ?? process.env, allowReadableSecrets: options.allowReadableSecrets === true };
  let resolved: unknown;
  try {
    resolved = resolveSecrets(document ?? {}, sources);
  } catch (error) {
    if (error instanceof ConfigSecretError) throw new ConfigError('ERR_CONFIG_SECRET', `${source}: ${error.message}`, { cause: error });
    throw error;
  }
  const result = configSchema.safeParse(resolved);
  if (!result.success) throw new ConfigError('ERR_CONFIG_INVALID', `${source}: invalid configuration\n${describeIssues(result.error)}`);
  return result.data;
}

/** The embedded defaults (`npm start` without --config). */
export function defaultConfig(): ToneguardConfig {
  return parseConfig({}, 'defaults');
}

export function loadConfigFile(file: string, options: LoadConfigOptions = {}): ToneguardConfig {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_READ', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_YAML', `${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const plain = plainSecretKeys(document);
  if (plain.length > 0 && (mode & READABLE_BY_OTHERS) !== 0 && options.allowReadableSecrets !== true) {
    throw new ConfigError('ERR_CONFIG_SECRET', readableSecretsAdvice(file, mode, `secrets in plain text (${plain.join(', ')})`));
  }
  return parseConfig(document, file, options);
}
