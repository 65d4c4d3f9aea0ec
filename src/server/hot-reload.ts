// What a SIGHUP may change in a running server. Each hot-reloadable key has an apply function;
// a reload that changes any other key is refused as a whole, naming those keys, so the running
// configuration is never half new. A key is a dotted path: a change anywhere under it counts.
import type { ToneguardConfig } from '../config/config-schema.js';
import { CodedError } from '../errors.js';

export class ReloadRefusedError extends CodedError<'ERR_RELOAD_NEEDS_RESTART'> {
  readonly keys: readonly string[];
  constructor(keys: readonly string[]) {
    super('ERR_RELOAD_NEEDS_RESTART', `changed keys that need a restart: ${keys.join(', ')}`);
    this.keys = keys;
  }
}

export interface HotReloadable {
  /** Dotted key path, e.g. `http.token`. */
  readonly path: string;
  /** Puts the new value to work; the server's current config is replaced after every apply ran. */
  apply(next: ToneguardConfig): void;
}

/** Dotted paths of the leaves (arrays are one leaf) that differ between two config trees. */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  const isTree = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isTree(before) || !isTree(after)) return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix || '(top level)'];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
}

function covers(hot: string, path: string): boolean {
  return path === hot || path.startsWith(`${hot}.`);
}

export interface ReloadPlan {
  /** The hot keys whose values changed, in list order. */
  readonly apply: readonly HotReloadable[];
  /** Changed paths that no hot key covers. */
  readonly needRestart: readonly string[];
}

export function planReload(before: ToneguardConfig, next: ToneguardConfig, hot: readonly HotReloadable[]): ReloadPlan {
  const changed = changedPaths(before, next);
  return {
    apply: hot.filter((h) => changed.some((p) => covers(h.path, p))),
    needRestart: changed.filter((p) => !hot.some((h) => covers(h.path, p))),
  };
}
