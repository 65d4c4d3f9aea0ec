// `toneguard serve [--config FILE]`: the server. Without --config it runs the embedded
// defaults (SIP and HTTP on loopback, the built-in gateway simulator, SQLite KPIs in ./data/).
// SIGTERM/SIGINT: stop taking calls, give live calls the grace period, then end them and exit.
// SIGHUP: reload the config file and its secret files (the keys that can change without a
// restart; a change to any other key refuses the reload, see server/hot-reload.ts).
// An error nothing else caught is logged and counted (toneguard_internal_errors_total), and the
// server goes on (src/server/last-resort.ts).
import { defaultConfig, loadConfigFile } from '../config/load-config.js';
import { installLastResort } from '../server/last-resort.js';
import { createLogger } from '../server/logger.js';
import { watchReloadSignal } from '../server/reload-signal.js';
import { ToneguardServer } from '../server/toneguard-server.js';
import { messageOf } from '../errors.js';

export interface ServeCommandOptions {
  readonly config: string | undefined;
  /** Accept secrets in files group or others can read (refused by default). */
  readonly allowReadableSecrets?: boolean;
}

/**
 * `writeNotice` takes the human banner: stderr, so that stdout carries only the JSON log lines
 * a log shipper can parse.
 */
export async function runServeCommand(options: ServeCommandOptions, writeNotice: (text: string) => void): Promise<void> {
  const load = () => (options.config === undefined ? defaultConfig() : loadConfigFile(options.config, { allowReadableSecrets: options.allowReadableSecrets === true }));
  const config = load();
  const logger = createLogger(config.log.level);
  const server = await ToneguardServer.start(config, logger);
  // From here on nothing one call does may take the process down with the others.
  const uninstallLastResort = installLastResort(process, { logger, count: (source) => server.metrics.internalError(source) });
  writeNotice(`${server.banner()}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      server.shutdown(config.shutdownGraceSeconds * 1000).then(resolve, (error: unknown) => {
        logger.error({ message: messageOf(error) }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    const reloader = watchReloadSignal({
      logger,
      load,
      apply: (next) => server.reload(next),
    });
    process.once('exit', () => reloader.close());
  });
  uninstallLastResort();
}
