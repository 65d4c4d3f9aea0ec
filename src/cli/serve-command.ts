// `toneguard serve [--config FILE]`: the server. Without --config it runs the embedded
// defaults (SIP and HTTP on loopback, the built-in gateway simulator, SQLite KPIs in ./data/).
// SIGTERM/SIGINT: stop taking calls, give live calls the grace period, then end them and exit.
// SIGHUP: reload the config file (the settings that can change without a restart).
import { defaultConfig, loadConfigFile } from '../config/load-config.js';
import { createLogger } from '../server/logger.js';
import { watchReloadSignal } from '../server/reload-signal.js';
import { ToneguardServer } from '../server/toneguard-server.js';

export interface ServeCommandOptions {
  readonly config: string | undefined;
}

/**
 * `writeNotice` takes the human banner: stderr, so that stdout carries only the JSON log lines
 * a log shipper can parse.
 */
export async function runServeCommand(options: ServeCommandOptions, writeNotice: (text: string) => void): Promise<void> {
  const config = options.config === undefined ? defaultConfig() : loadConfigFile(options.config);
  const logger = createLogger(config.log.level);
  const server = await ToneguardServer.start(config, logger);
  writeNotice(`${server.banner()}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      server.shutdown(config.shutdownGraceSeconds * 1000).then(resolve, (error: unknown) => {
        logger.error({ message: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    const reloader = watchReloadSignal({
      logger,
      load: () => (options.config === undefined ? defaultConfig() : loadConfigFile(options.config)),
      apply: (next) => server.reload(next),
    });
    process.once('exit', () => reloader.close());
  });
}
