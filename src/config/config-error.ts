// The error every config problem becomes (exit code 2 at the CLI). A module of its own so that
// the CLI can recognise it without loading the config schema (zod) and YAML parser.
import { CodedError } from '../errors.js';

export type ConfigErrorCode = 'ERR_CONFIG_READ' | 'ERR_CONFIG_YAML' | 'ERR_CONFIG_INVALID' | 'ERR_CONFIG_SECRET';

export class ConfigError extends CodedError<ConfigErrorCode> {}
