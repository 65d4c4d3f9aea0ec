// The running configuration and what a SIGHUP may change in it (reload-signal.ts reads and
// validates the file; this applies it). The hot keys are one list, each with what puts it to
// work; a reload touching any other key is refused whole (hot-reload.ts) and audited either way.
import type { Logger } from 'pino';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { ToneguardConfig } from '../config/config-schema.js';
import { planReload, ReloadRefusedError, type HotReloadable } from './hot-reload.js';
import { applyLogLevel } from './reload-signal.js';

/** Secrets read per use (HTTP auth hook, payment starts), so that a SIGHUP can rotate them. */
export interface LiveSecrets {
  readonly token: string;
  readonly webhookSecret: string;
}

export interface LiveConfig {
  /** The config last applied (the one at start, until a reload succeeds). */
  readonly current: ToneguardConfig;
  readonly secrets: LiveSecrets;
  /** Applies a reloaded config, or throws ReloadRefusedError naming the keys that need a restart (nothing applied). */
  reload(next: ToneguardConfig): void;
}

export function liveConfig(initial: ToneguardConfig, logger: Logger, audit: AuditTrail): LiveConfig {
  let current = initial;
  const secrets = { token: initial.http.token, webhookSecret: initial.http.webhookSecret };
  // Add a key here (with its apply) to make it hot-reloadable; a change to any other key refuses the reload.
  const hotKeys: readonly HotReloadable[] = [
    { path: 'log.level', apply: (next) => applyLogLevel(logger, next.log.level) },
    // Read per request by the HTTP auth hook.
    { path: 'http.token', apply: (next) => void (secrets.token = next.http.token) },
    // Read at each payment start (status callbacks of running payments keep their key).
    { path: 'http.webhookSecret', apply: (next) => void (secrets.webhookSecret = next.http.webhookSecret) },
  ];
  return {
    get current() {
      return current;
    },
    secrets,
    reload: (next) => {
      const plan = planReload(current, next, hotKeys);
      if (plan.needRestart.length > 0) {
        audit.record({ action: 'config-reload', actor: 'sighup', applied: false, keys: plan.needRestart });
        throw new ReloadRefusedError(plan.needRestart);
      }
      for (const key of plan.apply) key.apply(next);
      current = next;
      // Key names only: the values may be secrets.
      audit.record({ action: 'config-reload', actor: 'sighup', applied: true, keys: plan.apply.map((k) => k.path) });
    },
  };
}
