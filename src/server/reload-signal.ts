// Configuration reload on SIGHUP (systemctl reload): the file is read and validated again (secret
// files too, so a rotated credential is picked up); a valid one is handed to `apply` (the
// server's hot keys: log level, API token, webhook key...), an invalid one or one `apply` refuses
// is logged with the reason and the running configuration stays. Reloads do not overlap:
// a SIGHUP during a reload runs one more reload after it.
import type { Logger } from 'pino';
import type { ToneguardConfig } from '../config/config-schema.js';
import type { LogLevel } from './logger.js';

export interface ReloadOptions {
  readonly logger: Logger;
  /** Reads and validates the file (loadConfigFile, or defaultConfig without --config). */
  load(): ToneguardConfig;
  /** Applies what can change at run time; throws to refuse (the old config stays). */
  apply(config: ToneguardConfig): void | Promise<void>;
  /** The signal source; `process` in the server, an EventEmitter in tests. */
  readonly signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export interface ReloadHandle {
  /** Runs one reload now (what SIGHUP does); resolves true when the new config was applied. */
  reload(): Promise<boolean>;
  close(): void;
}

/** Sets the logger's level from the config (pino changes it in place; children follow). */
export function applyLogLevel(logger: Logger, level: LogLevel): void {
  if (logger.level !== level) logger.level = level;
}

export function watchReloadSignal(options: ReloadOptions): ReloadHandle {
  const signals = options.signals ?? process;
  let running: Promise<boolean> | undefined;
  let again = false;

  const once = async (): Promise<boolean> => {
    let config: ToneguardConfig;
    try {
      config = options.load();
    } catch (err) {
      // ConfigError messages name the file and keys, never secret values.
      options.logger.error({ code: (err as { code?: string }).code, message: (err as Error).message }, 'config reload refused: invalid configuration, keeping the running one');
      return false;
    }
    try {
      await options.apply(config);
    } catch (err) {
      options.logger.error({ code: (err as { code?: string }).code, message: (err as Error).message }, 'config reload refused while applying, keeping the running one');
      return false;
    }
    options.logger.info({ logLevel: config.log.level }, 'config reloaded');
    return true;
  };

  const reload = (): Promise<boolean> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let applied = await once();
      while (again) {
        again = false;
        applied = await once();
      }
      running = undefined;
      return applied;
    })();
    return running;
  };

  const onSignal = (): void => {
    void reload();
  };
  signals.on('SIGHUP', onSignal);
  return {
    reload,
    close: () => {
      signals.off('SIGHUP', onSignal);
    },
  };
}
