// Secrets in the configuration: a pass over the parsed YAML document, before schema validation,
// so every key (including ones added later) gets it without touching its zod schema.
// - `${NAME}` in any string value is replaced by the environment variable NAME (an unset one is
//   an error naming the key and the variable); `$${` writes a literal `${`.
// - A secret key `x` may instead be written `xFile: PATH` (systemd credentials, Docker/Kubernetes
//   secrets): the file's content without its trailing newline becomes `x`. Both forms = error.
// Which keys are secrets: the names below, and any name ending in Token, Secret, Key or Password.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CodedError } from '../errors.js';

export type SecretErrorCode = 'ERR_CONFIG_ENV' | 'ERR_CONFIG_SECRET_FILE' | 'ERR_CONFIG_SECRET_TWICE' | 'ERR_CONFIG_READABLE_SECRETS';

export class ConfigSecretError extends CodedError<SecretErrorCode> {}

/** Names that are secrets wherever they appear. */
const SECRET_NAMES = new Set(['token', 'secret', 'password', 'passphrase', 'username']);
/** Paths whose names are too plain to be secrets elsewhere. */
const SECRET_PATHS = new Set(['gateway.credentials.name', 'kpi.postgres']);
const SECRET_SUFFIX = /(?:Token|Secret|Key|Password)$/;
const FILE_SUFFIX = 'File';
/** Secrets are short; this bounds what a misdirected path (a log, /dev/zero) can make us read. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;
/** Group or other may read (POSIX mode bits). */
const READABLE_BY_OTHERS = 0o044;

export function isSecretKey(path: readonly string[]): boolean {
  const name = path[path.length - 1] ?? '';
  return SECRET_NAMES.has(name) || SECRET_SUFFIX.test(name) || SECRET_PATHS.has(path.join('.'));
}

export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Group/other-readable secret files are accepted (`serve --allow-readable-secrets`). */
  readonly allowReadableSecrets: boolean;
  /** Reads a secret file: its bytes and mode; default: the file system. */
  readonly readFile?: (file: string) => { readonly text: string; readonly mode: number };
}

export function octalMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

export function readableSecretsAdvice(file: string, mode: number, what: string): string {
  return (
    `${file}: mode ${octalMode(mode)} lets group or others read it, and it holds ${what}; ` +
    `run chmod 600 ${file}, or move the secrets to the …File form (e.g. tokenFile: \${CREDENTIALS_DIRECTORY}/http-token with systemd LoadCredential=), ` +
    `or start with --allow-readable-secrets`
  );
}

function readSecretFile(file: string): { text: string; mode: number } {
  const fd = openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > MAX_SECRET_FILE_BYTES) throw new Error(`larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    const buf = Buffer.alloc(stat.size);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.subarray(0, n).toString('utf8'), mode: stat.mode };
  } finally {
    closeSync(fd);
  }
}

const ENV_REFERENCE = /\$\$\{|\$\{([^}]*)\}?/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `${NAME}` replaced, `$${` unescaped. Throws ConfigSecretError naming `key`. */
export function interpolateEnv(value: string, key: string, env: SecretSources['env']): string {
  return value.replace(ENV_REFERENCE, (match: string, name: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined || !match.endsWith('}') || !ENV_NAME.test(name)) {
      throw new ConfigSecretError('ERR_CONFIG_ENV', `${key}: "${match}" is not a valid \${NAME} reference (write $\${ for a literal \${)`);
    }
    const v = env[name];
    if (v === undefined) throw new ConfigSecretError('ERR_CONFIG_ENV', `${key}: environment variable ${name} is not set`);
    return v;
  });
}

/** True when the string holds text of its own besides `${NAME}` references (a secret written in the file). */
function holdsPlainText(value: string): boolean {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, '') !== '';
}

/**
 * Key paths of secrets written in plain text in the document (non-empty, not only `${NAME}`):
 * what makes a group- or world-readable config file a leak.
 */
export function plainSecretKeys(document: unknown, path: string[] = []): string[] {
  if (Array.isArray(document)) return document.flatMap((v, i) => plainSecretKeys(v, [...path, String(i)]));
  if (document === null || typeof document !== 'object') {
    return typeof document === 'string' && path.length > 0 && isSecretKey(path) && holdsPlainText(document) ? [path.join('.')] : [];
  }
  return Object.entries(document as Record<string, unknown>).flatMap(([k, v]) => plainSecretKeys(v, [...path, k]));
}

/** The document with env references replaced and `…File` secrets read. The input is not changed. */
export function resolveSecrets(document: unknown, sources: SecretSources, path: string[] = []): unknown {
  const key = path.length > 0 ? path.join('.') : '(top level)';
  if (typeof document === 'string') return interpolateEnv(document, key, sources.env);
  if (Array.isArray(document)) return document.map((v, i) => resolveSecrets(v, sources, [...path, String(i)]));
  if (document === null || typeof document !== 'object') return document;
  const input = document as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const base = name.endsWith(FILE_SUFFIX) ? name.slice(0, -FILE_SUFFIX.length) : '';
    if (base !== '' && isSecretKey([...path, base])) {
      const fileKey = [...path, name].join('.');
      if (base in input) {
        throw new ConfigSecretError('ERR_CONFIG_SECRET_TWICE', `${fileKey}: ${[...path, base].join('.')} is also set; give the secret one way only`);
      }
      if (typeof value !== 'string' || value.trim() === '') {
        throw new ConfigSecretError('ERR_CONFIG_SECRET_FILE', `${fileKey}: must be the path of a file holding the secret`);
      }
      out[base] = secretFromFile(interpolateEnv(value, fileKey, sources.env), fileKey, sources);
      continue;
    }
    out[name] = resolveSecrets(value, sources, [...path, name]);
  }
  return out;
}

function secretFromFile(file: string, key: string, sources: SecretSources): string {
  let read: { readonly text: string; readonly mode: number };
  try {
    read = (sources.readFile ?? readSecretFile)(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigSecretError('ERR_CONFIG_SECRET_FILE', `${key}: cannot read ${file} (${reason})`);
  }
  if ((read.mode & READABLE_BY_OTHERS) !== 0 && !sources.allowReadableSecrets) {
    throw new ConfigSecretError('ERR_CONFIG_READABLE_SECRETS', readableSecretsAdvice(file, read.mode, `the secret of ${key}`));
  }
  // One trailing line end (echo, editors, systemd-creds) is not part of the secret.
  const text = read.text.replace(/\r?\n$/, '');
  if (text === '') throw new ConfigSecretError('ERR_CONFIG_SECRET_FILE', `${key}: ${file} is empty`);
  return text;
}
